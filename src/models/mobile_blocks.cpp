#include "models/mobile_blocks.h"

#include <torch/nn/modules/linear.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "models/drop_path.h"

namespace trainbench::models {
namespace {

namespace nn = torch::nn;

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

// What every block is built from: its shape, and the options its batch
// norms and stochastic depth take (read during construction only).
struct MobileBlockArgs {
  const MobileBlockShape& shape;
  const MobileNetOptions& options;
};

// What a ds or ir block needs in its forward pass besides its modules.
struct ResidualBranch {
  explicit ResidualBranch(const MobileBlockArgs& args)
      : activation(args.shape.activation),
        skip(args.shape.skip),
        drop_path_rate(args.options.drop_path_rate * args.shape.depth_fraction) {}
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
      : conv(register_module("conv", mobile_conv(args.shape.in, args.shape.out, args.shape.kernel, args.shape.stride))),
        bn1(register_module("bn1", mobile_batch_norm(args.shape.out, args.options))),
        activation_(args.shape.activation) {}
  torch::Tensor forward(torch::Tensor x) override { return activate(bn1(conv(x)), activation_); }
  nn::Conv2d conv;
  BatchNorm2d bn1;

 private:
  Activation activation_;
};

SqueezeExcite make_squeeze_excite(nn::Module& block, const MobileBlockShape& shape) {
  if (shape.se_channels == 0) return SqueezeExcite{nullptr};
  return block.register_module("se", SqueezeExcite(shape.mid, shape.se_channels, shape.se_activation, shape.se_gate));
}

// timm's DepthwiseSeparableConv ("ds"): depthwise conv-bn-act, optional
// squeeze-excite, pointwise conv-bn without activation.
class DepthwiseSeparableBlockImpl : public MobileBlockImpl {
 public:
  explicit DepthwiseSeparableBlockImpl(const MobileBlockArgs& args)
      : conv_dw(register_module("conv_dw", mobile_conv(args.shape.in, args.shape.in, args.shape.kernel,
                                                       args.shape.stride, args.shape.in))),
        bn1(register_module("bn1", mobile_batch_norm(args.shape.in, args.options))),
        se(make_squeeze_excite(*this, args.shape)),
        conv_pw(register_module("conv_pw", mobile_conv(args.shape.in, args.shape.out, 1))),
        bn2(register_module("bn2", mobile_batch_norm(args.shape.out, args.options))),
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
  explicit InvertedResidualBlockImpl(const MobileBlockArgs& args)
      : conv_pw(register_module("conv_pw", mobile_conv(args.shape.in, args.shape.mid, 1))),
        bn1(register_module("bn1", mobile_batch_norm(args.shape.mid, args.options))),
        conv_dw(register_module("conv_dw", mobile_conv(args.shape.mid, args.shape.mid, args.shape.kernel,
                                                       args.shape.stride, args.shape.mid))),
        bn2(register_module("bn2", mobile_batch_norm(args.shape.mid, args.options))),
        se(make_squeeze_excite(*this, args.shape)),
        conv_pwl(register_module("conv_pwl", mobile_conv(args.shape.mid, args.shape.out, 1))),
        bn3(register_module("bn3", mobile_batch_norm(args.shape.out, args.options))),
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

// The block a shape asks for.
std::shared_ptr<MobileBlockImpl> make_mobile_block(const MobileBlockArgs& args) {
  switch (args.shape.kind) {
    case MobileBlockKind::kConvBnAct:
      return std::make_shared<ConvBnActBlockImpl>(args);
    case MobileBlockKind::kDepthwiseSeparable:
      return std::make_shared<DepthwiseSeparableBlockImpl>(args);
    case MobileBlockKind::kInvertedResidual:
      return std::make_shared<InvertedResidualBlockImpl>(args);
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

MobileBlocks build_mobile_blocks(torch::nn::Module& model, const std::vector<MobileBlockShape>& shapes,
                                 const MobileNetOptions& options) {
  MobileBlocks blocks;
  blocks.stages = model.register_module("blocks", nn::ModuleList());
  nn::ModuleList stage{nullptr};
  std::string stage_prefix;
  for (const MobileBlockShape& shape : shapes) {
    // "blocks.S.B": a new stage list whenever S changes.
    const std::string prefix = shape.name.substr(0, shape.name.rfind('.'));
    if (!stage || prefix != stage_prefix) {
      stage = nn::ModuleList();
      blocks.stages->push_back(stage);
      stage_prefix = prefix;
    }
    std::shared_ptr<MobileBlockImpl> block = make_mobile_block({shape, options});
    stage->push_back(block);
    blocks.sequence.push_back(block);
    blocks.out_channels = shape.out;
  }
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
