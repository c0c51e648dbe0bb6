#include "models/convnext.h"

#include <torch/nn/init.h>
#include <torch/torch.h>

#include <cmath>
#include <numeric>

#include "core/error.h"
#include "models/drop_path.h"

namespace trainbench::models {
namespace {

namespace nn = torch::nn;

// timm's LayerNorm2d: LayerNorm over the channels of an NCHW map, computed
// on the NHWC view (for channels-last input the permute is free). The input
// is cast to the weight's dtype first: under autocast it comes from a bf16
// convolution, and 1.13's CPU LayerNorm wants matching dtypes.
struct LayerNorm2dImpl : nn::Module {
  LayerNorm2dImpl(int channels, double eps) : channels(channels), eps(eps) {
    weight = register_parameter("weight", torch::ones({channels}));
    bias = register_parameter("bias", torch::zeros({channels}));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    const torch::Tensor nhwc = x.to(weight.scalar_type()).permute({0, 2, 3, 1});
    return torch::layer_norm(nhwc, {channels}, weight, bias, eps).permute({0, 3, 1, 2});
  }
  std::int64_t channels;
  double eps;
  torch::Tensor weight, bias;
};
TORCH_MODULE(LayerNorm2d);

// timm's Mlp on channels-last activations: fc1, GELU (exact, erf), fc2.
struct ConvNeXtMlpImpl : nn::Module {
  ConvNeXtMlpImpl(int dim, int hidden) {
    fc1 = register_module("fc1", nn::Linear(dim, hidden));
    fc2 = register_module("fc2", nn::Linear(hidden, dim));
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::gelu(fc1(x))); }
  nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(ConvNeXtMlp);

// timm's ConvNeXtBlock with conv_mlp=False: x + drop_path(gamma * mlp(norm(
// dwconv(x)))), the norm and MLP on the NHWC permutation.
struct ConvNeXtBlockImpl : nn::Module {
  ConvNeXtBlockImpl(const ConvNeXtConfig& config, int dim, double drop_probability)
      : drop_probability(drop_probability) {
    conv_dw = register_module(
        "conv_dw",
        nn::Conv2d(nn::Conv2dOptions(dim, dim, config.kernel_size).padding(config.kernel_size / 2).groups(dim)));
    norm = register_module("norm", nn::LayerNorm(nn::LayerNormOptions({dim}).eps(config.layer_norm_eps)));
    mlp = register_module("mlp", ConvNeXtMlp(dim, config.mlp_ratio * dim));
    gamma = register_parameter("gamma", torch::full({dim}, config.layer_scale_init));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = conv_dw(x).to(gamma.scalar_type()).permute({0, 2, 3, 1});  // NHWC
    y = mlp(norm(y)) * gamma;  // a bf16 MLP output times fp32 gamma is fp32
    return x + drop_path(y.permute({0, 3, 1, 2}), drop_probability, is_training());
  }
  double drop_probability;
  nn::Conv2d conv_dw{nullptr};
  nn::LayerNorm norm{nullptr};
  ConvNeXtMlp mlp{nullptr};
  torch::Tensor gamma;
};
TORCH_MODULE(ConvNeXtBlock);

// One stage: for all but the first, LayerNorm2d and a 2x2 stride-2
// convolution ("downsample.0", ".1"); then its blocks ("blocks.B").
struct ConvNeXtStageImpl : nn::Module {
  ConvNeXtStageImpl(const ConvNeXtConfig& config, int in, int out, int depth, const std::vector<double>& drop_rates) {
    if (in != out) {
      downsample = register_module(
          "downsample",
          nn::Sequential(LayerNorm2d(in, config.layer_norm_eps), nn::Conv2d(nn::Conv2dOptions(in, out, 2).stride(2))));
    }
    blocks = register_module("blocks", nn::Sequential());
    for (int i = 0; i < depth; ++i) blocks->push_back(ConvNeXtBlock(config, out, drop_rates.at(i)));
  }
  torch::Tensor forward(torch::Tensor x) {
    // The downsampling convolution's output joins the fp32 residual stream.
    if (downsample) x = downsample->forward(x).to(x.scalar_type());
    return blocks->forward(x);
  }
  nn::Sequential downsample{nullptr};
  nn::Sequential blocks{nullptr};
};
TORCH_MODULE(ConvNeXtStage);

// PyTorch's and timm's trunc_normal_: normal(0, std) truncated to [a, b]
// (absolute bounds, -2 and 2 in timm: at std 0.02 a plain normal in effect),
// by inverting the CDF of a uniform draw between the bounds.
void truncated_normal(torch::Tensor& tensor, double std, double a = -2.0, double b = 2.0) {
  const auto cdf = [](double x) { return (1.0 + std::erf(x / std::sqrt(2.0))) / 2.0; };
  const double low = cdf(a / std), high = cdf(b / std);
  tensor.uniform_(2.0 * low - 1.0, 2.0 * high - 1.0).erfinv_().mul_(std * std::sqrt(2.0)).clamp_(a, b);
}

}  // namespace

ConvNeXt::ConvNeXt(const ConvNeXtConfig& config, int num_classes) : config_(config), num_classes_(num_classes) {
  const auto& dims = config.dims;
  stem_ = register_module("stem", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(3, dims[0], 4).stride(4)),
                                                 LayerNorm2d(dims[0], config.layer_norm_eps)));
  // Drop-path probabilities rising linearly over all blocks, 0 at the first.
  const int blocks = std::accumulate(config.depths.begin(), config.depths.end(), 0);
  stages_ = register_module("stages", nn::ModuleList());
  int block = 0;
  for (int s = 0; s < 4; ++s) {
    std::vector<double> rates;
    for (int i = 0; i < config.depths[s]; ++i, ++block) {
      rates.push_back(blocks > 1 ? config.drop_path_rate * block / (blocks - 1) : 0.0);
    }
    stages_->push_back(ConvNeXtStage(config, s == 0 ? dims[0] : dims[s - 1], dims[s], config.depths[s], rates));
  }
  auto head = register_module("head", std::make_shared<nn::Module>());
  head_norm_ = head->register_module("norm", nn::LayerNorm(nn::LayerNormOptions({dims[3]}).eps(config.layer_norm_eps)));
  head_fc_ = head->register_module("fc", nn::Linear(dims[3], num_classes));
  initialize_weights();
}

void ConvNeXt::initialize_weights() {
  // timm's _init_weights: truncated normal (std 0.02) for every convolution
  // and linear weight, zero biases, head.fc then scaled by head_init_scale;
  // LayerNorms at ones and zeros, gamma at layer_scale_init (set above).
  torch::NoGradGuard no_grad;
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* conv = module->as<nn::Conv2d>()) {
      truncated_normal(conv->weight, 0.02);
      nn::init::zeros_(conv->bias);
    } else if (auto* linear = module->as<nn::Linear>()) {
      truncated_normal(linear->weight, 0.02);
      nn::init::zeros_(linear->bias);
    }
  }
  head_fc_->weight.mul_(config_.head_init_scale);
  head_fc_->bias.mul_(config_.head_init_scale);
}

torch::Tensor ConvNeXt::forward(torch::Tensor images) {
  if (images.size(2) < 32 || images.size(3) < 32) {
    throw UsageError(config_.architecture + " downsamples 32x and takes images of at least 32x32 px (got " +
                     std::to_string(images.size(2)) + "x" + std::to_string(images.size(3)) + "; e.g. --img-size 32)");
  }
  torch::Tensor x = stem_->forward(images);  // fp32 from the stem's LayerNorm
  for (const auto& stage : *stages_) x = stage->as<ConvNeXtStageImpl>()->forward(x);
  // timm's NormMlpClassifierHead: average pool, LayerNorm, fc.
  x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1).to(head_norm_->weight.scalar_type());
  return head_fc_(head_norm_(x));
}

}  // namespace trainbench::models
