#include "models/mobile_blocks.h"

#include <torch/nn/modules/linear.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace trainbench::models {
namespace {

namespace nn = torch::nn;

// timm's drop_path (torchvision's StochasticDepth "row"): in training, each
// image's residual branch is zeroed with probability `rate` and the kept
// ones scaled by 1 / (1 - rate). The mask is drawn in fp32 (bernoulli_ has
// no bf16 kernel on every backend) and cast to the branch's dtype.
torch::Tensor drop_path(const torch::Tensor& x, double rate, bool training) {
  if (!training || rate <= 0.0) return x;
  const double keep = 1.0 - rate;
  torch::Tensor mask = torch::empty({x.size(0), 1, 1, 1}, x.options().dtype(torch::kFloat)).bernoulli_(keep);
  if (keep > 0.0) mask.div_(keep);
  return x * mask.to(x.scalar_type());
}

// timm's SqueezeExcite: the channels' means through a 1x1 bottleneck and a
// gate, scaling each channel of the input.
class SqueezeExciteImpl : public nn::Module {
 public:
  SqueezeExciteImpl(int channels, int reduced, Activation activation, Activation gate)
      : conv_reduce(register_module("conv_reduce", mobile_conv(channels, reduced, 1, 1, 1, /*bias=*/true))),
        conv_expand(register_module("conv_expand", mobile_conv(reduced, channels, 1, 1, 1, /*bias=*/true))),
        activation_(activation),
        gate_(gate) {}
  torch::Tensor forward(const torch::Tensor& x) {
    const torch::Tensor squeezed = x.mean({2, 3}, /*keepdim=*/true);
    return x * activate(conv_expand(activate(conv_reduce(squeezed), activation_)), gate_);
  }
  nn::Conv2d conv_reduce, conv_expand;

 private:
  Activation activation_, gate_;
};
TORCH_MODULE(SqueezeExcite);

// What every block is built from besides its own shape; the pointers are
// read during construction only.
struct MobileBlockArgs {
  int in, out, kernel, stride;
  double expansion;
  Activation activation;
  int se_channels;  // 0: no squeeze-excite
  const SqueezeExciteRule* se_rule;
  const MobileNetOptions* options;
  double drop_path_rate;
};

// What a ds or ir block needs in its forward pass besides its modules.
struct ResidualBranch {
  explicit ResidualBranch(const MobileBlockArgs& args)
      : activation(args.activation), skip(args.stride == 1 && args.in == args.out), drop_path_rate(args.drop_path_rate) {}
  // The branch plus the block's input (after stochastic depth) when the
  // shapes allow; the branch alone when they do not.
  torch::Tensor output(const torch::Tensor& branch, const torch::Tensor& input, bool training) const {
    return skip ? drop_path(branch, drop_path_rate, training) + input : branch;
  }
  Activation activation;
  bool skip;
  double drop_path_rate;
};

// timm's ConvBnAct ("cn"): conv, bn1 and the activation; no skip.
class ConvBnActBlockImpl : public MobileBlockImpl {
 public:
  explicit ConvBnActBlockImpl(const MobileBlockArgs& args)
      : conv(register_module("conv", mobile_conv(args.in, args.out, args.kernel, args.stride))),
        bn1(register_module("bn1", mobile_batch_norm(args.out, *args.options))),
        activation_(args.activation) {}
  torch::Tensor forward(torch::Tensor x) override { return activate(bn1(conv(x)), activation_); }
  nn::Conv2d conv;
  BatchNorm2d bn1;

 private:
  Activation activation_;
};

SqueezeExcite make_squeeze_excite(nn::Module& block, int channels, const MobileBlockArgs& args) {
  if (args.se_channels == 0) return SqueezeExcite{nullptr};
  const Activation activation =
      args.se_rule->activation == Activation::kIdentity ? args.activation : args.se_rule->activation;
  return block.register_module("se", SqueezeExcite(channels, args.se_channels, activation, args.se_rule->gate));
}

// timm's DepthwiseSeparableConv ("ds"): depthwise conv-bn-act, optional
// squeeze-excite, pointwise conv-bn without activation.
class DepthwiseSeparableBlockImpl : public MobileBlockImpl {
 public:
  explicit DepthwiseSeparableBlockImpl(const MobileBlockArgs& args)
      : conv_dw(register_module("conv_dw", mobile_conv(args.in, args.in, args.kernel, args.stride, args.in))),
        bn1(register_module("bn1", mobile_batch_norm(args.in, *args.options))),
        se(make_squeeze_excite(*this, args.in, args)),
        conv_pw(register_module("conv_pw", mobile_conv(args.in, args.out, 1))),
        bn2(register_module("bn2", mobile_batch_norm(args.out, *args.options))),
        branch_(args) {}
  torch::Tensor forward(torch::Tensor x) override {
    torch::Tensor y = activate(bn1(conv_dw(x)), branch_.activation);
    if (se) y = se(y);
    return branch_.output(bn2(conv_pw(y)), x, is_training());
  }
  nn::Conv2d conv_dw;
  BatchNorm2d bn1;
  SqueezeExcite se;
  nn::Conv2d conv_pw;
  BatchNorm2d bn2;

 private:
  ResidualBranch branch_;
};

// timm's InvertedResidual ("ir", MBConv): pointwise expansion conv-bn-act,
// depthwise conv-bn-act, optional squeeze-excite, linear pointwise
// projection conv-bn.
class InvertedResidualBlockImpl : public MobileBlockImpl {
 public:
  InvertedResidualBlockImpl(const MobileBlockArgs& args, int mid)
      : conv_pw(register_module("conv_pw", mobile_conv(args.in, mid, 1))),
        bn1(register_module("bn1", mobile_batch_norm(mid, *args.options))),
        conv_dw(register_module("conv_dw", mobile_conv(mid, mid, args.kernel, args.stride, mid))),
        bn2(register_module("bn2", mobile_batch_norm(mid, *args.options))),
        se(make_squeeze_excite(*this, mid, args)),
        conv_pwl(register_module("conv_pwl", mobile_conv(mid, args.out, 1))),
        bn3(register_module("bn3", mobile_batch_norm(args.out, *args.options))),
        branch_(args) {}
  torch::Tensor forward(torch::Tensor x) override {
    torch::Tensor y = activate(bn1(conv_pw(x)), branch_.activation);
    y = activate(bn2(conv_dw(y)), branch_.activation);
    if (se) y = se(y);
    return branch_.output(bn3(conv_pwl(y)), x, is_training());
  }
  nn::Conv2d conv_pw;
  BatchNorm2d bn1;
  nn::Conv2d conv_dw;
  BatchNorm2d bn2;
  SqueezeExcite se;
  nn::Conv2d conv_pwl;
  BatchNorm2d bn3;

 private:
  ResidualBranch branch_;
};

// timm's squeeze-excite width for a block of `width` channels at its depthwise conv.
int squeeze_excite_channels(const BlockSpec& spec, const SqueezeExciteRule& rule, int width) {
  if (spec.se_ratio <= 0) return 0;
  if (rule.from_expanded_width) return make_divisible(width * spec.se_ratio);
  // A ratio of the block's input width; Python's round (half to even), as
  // nearbyint rounds by default.
  const double expansion = spec.kind == MobileBlockKind::kInvertedResidual ? spec.expansion : 1.0;
  return static_cast<int>(std::nearbyint(width * spec.se_ratio / expansion));
}

// The block a stage spec asks for, sized as timm's builder sizes it.
std::shared_ptr<MobileBlockImpl> make_mobile_block(const BlockSpec& spec, MobileBlockArgs args) {
  switch (spec.kind) {
    case MobileBlockKind::kConvBnAct:
      return std::make_shared<ConvBnActBlockImpl>(args);
    case MobileBlockKind::kDepthwiseSeparable:
      args.se_channels = squeeze_excite_channels(spec, *args.se_rule, args.in);
      return std::make_shared<DepthwiseSeparableBlockImpl>(args);
    case MobileBlockKind::kInvertedResidual: {
      const int mid = make_divisible(args.in * spec.expansion);
      args.se_channels = squeeze_excite_channels(spec, *args.se_rule, mid);
      return std::make_shared<InvertedResidualBlockImpl>(args, mid);
    }
  }
  return nullptr;
}

}  // namespace

torch::Tensor activate(const torch::Tensor& x, Activation activation) {
  switch (activation) {
    case Activation::kIdentity:
      return x;
    case Activation::kReLU:
      return torch::relu(x);
    case Activation::kSiLU:
      return torch::silu(x);
    case Activation::kHardSwish:
      return torch::hardswish(x);
    case Activation::kSigmoid:
      return torch::sigmoid(x);
    case Activation::kHardSigmoid:
      return torch::hardsigmoid(x);  // relu6(x + 3) / 6, in timm and torchvision alike
  }
  return x;
}

int make_divisible(double value, int divisor) {
  int rounded = std::max(divisor, static_cast<int>(value + divisor / 2.0) / divisor * divisor);
  if (rounded < 0.9 * value) rounded += divisor;
  return rounded;
}

torch::nn::Conv2d mobile_conv(int in, int out, int kernel, int stride, int groups, bool bias) {
  return nn::Conv2d(
      nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).groups(groups).bias(bias));
}

BatchNorm2d mobile_batch_norm(int channels, const MobileNetOptions& options) {
  return BatchNorm2d(channels, options.bn_eps, options.bn_momentum);
}

torch::Tensor MobileBlocks::forward(torch::Tensor x) const {
  for (const auto& block : sequence) x = block->forward(x);
  return x;
}

MobileBlocks build_mobile_blocks(torch::nn::Module& model, int in_channels, const std::vector<StageSpec>& stages,
                                 const SqueezeExciteRule& se_rule, const MobileNetOptions& options) {
  MobileBlocks blocks;
  blocks.stages = model.register_module("blocks", nn::ModuleList());
  int total = 0;
  for (const StageSpec& stage : stages) {
    for (const BlockSpec& spec : stage) total += spec.repeats;
  }
  int index = 0;  // timm's block_idx, over the whole model
  for (const StageSpec& stage_spec : stages) {
    nn::ModuleList stage;
    for (const BlockSpec& spec : stage_spec) {
      for (int i = 0; i < spec.repeats; ++i, ++index) {
        const MobileBlockArgs args{in_channels,
                                   spec.channels,
                                   spec.kernel,
                                   i == 0 ? spec.stride : 1,
                                   spec.expansion,
                                   spec.activation,
                                   0,
                                   &se_rule,
                                   &options,
                                   options.drop_path_rate * index / total};
        std::shared_ptr<MobileBlockImpl> block = make_mobile_block(spec, args);
        stage->push_back(block);
        blocks.sequence.push_back(block);
        in_channels = spec.channels;
      }
    }
    blocks.stages->push_back(stage);
  }
  blocks.out_channels = in_channels;
  return blocks;
}

void initialize_mobile_weights(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  for (auto& module : model.modules(/*include_self=*/false)) {
    if (auto* conv = module->as<nn::Conv2d>()) {
      const auto& kernel = conv->options.kernel_size();
      const double fan_out =
          static_cast<double>(kernel->at(0) * kernel->at(1) * conv->options.out_channels() / conv->options.groups());
      conv->weight.normal_(0.0, std::sqrt(2.0 / fan_out));
      if (conv->bias.defined()) conv->bias.zero_();
    } else if (auto* norm = module->as<BatchNorm2d>()) {
      norm->weight.fill_(1.0);
      norm->bias.zero_();
    } else if (auto* linear = module->as<nn::Linear>()) {
      const double range = 1.0 / std::sqrt(static_cast<double>(linear->options.out_features()));
      linear->weight.uniform_(-range, range);
      linear->bias.zero_();
    }
  }
}

}  // namespace trainbench::models
