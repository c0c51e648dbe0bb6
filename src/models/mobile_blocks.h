#pragma once
// The blocks EfficientNet and MobileNetV3 are built of, as timm's
// _efficientnet_blocks.py makes them, with timm's module names so its
// weights load (cn, ds and ir blocks: mobile_net_config.h, which also sizes
// them; se SqueezeExcite: conv_reduce, conv_expand, 1x1 convs with biases).
// A block adds its input back (after stochastic depth) when its stride is 1
// and its width does not change. Convolutions are padded k/2 on each side,
// as timm's non-"tf_" models do. The blocks sit in nested lists, so their
// names are blocks.<stage>.<block>.<module>.
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>

#include <memory>
#include <vector>

#include "models/batch_norm.h"
#include "models/mobile_net_config.h"

namespace trainbench::models {

torch::Tensor activate(const torch::Tensor& x, Activation activation);

// What a model's training recipe and its batch norm take, where timm's and
// torchvision's versions of these models differ. The defaults are timm's:
// its batch norm (eps 1e-5, momentum 0.1) and its ImageNet recipe for both
// families (--drop 0.2 --drop-path 0.2).
struct MobileNetOptions {
  double drop_rate = 0.2;       // dropout on the pooled features before the classifier
  double drop_path_rate = 0.2;  // stochastic depth: block i of n is dropped with rate * i / n
  double bn_eps = BatchNorm2dImpl::kEps;
  double bn_momentum = BatchNorm2dImpl::kMomentum;  // PyTorch's convention (1 - TensorFlow's decay)
};

// The common interface of the blocks, so a stage list can run them.
class MobileBlockImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor x) = 0;
};

// The "blocks" list of a model, built from its stages: registered under
// that name on `model`, and every block in order, to run.
struct MobileBlocks {
  torch::nn::ModuleList stages{nullptr};
  std::vector<std::shared_ptr<MobileBlockImpl>> sequence;
  int out_channels = 0;
  torch::Tensor forward(torch::Tensor x) const;
};
MobileBlocks build_mobile_blocks(torch::nn::Module& model, const std::vector<MobileBlockShape>& shapes,
                                 const MobileNetOptions& options);

// Factories for the convolutions and norms outside the blocks (stem, head).
torch::nn::Conv2d mobile_conv(int in, int out, int kernel, int stride = 1, int groups = 1, bool bias = false);
BatchNorm2d mobile_batch_norm(int channels, const MobileNetOptions& options);

// timm's _init_weight_goog (TensorFlow's initialisation for these models):
// convolutions normal with std sqrt(2 / fan_out), fan_out = k*k*out/groups,
// zero biases; batch norm at ones and zeros; linear layers uniform in
// +-1/sqrt(out_features) with zero biases.
void initialize_mobile_weights(torch::nn::Module& model);

}  // namespace trainbench::models
