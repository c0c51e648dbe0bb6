#pragma once
// Stochastic depth as timm's drop_path (torchvision's StochasticDepth "row"),
// shared by the families that use it (EfficientNet, MobileNetV3, ConvNeXt).
#include <torch/types.h>

namespace trainbench::models {

// In training with probability p > 0, each sample of the batch (dimension 0)
// is zeroed with probability p and the kept ones are scaled by 1 / (1 - p),
// so the expectation is kept; otherwise x unchanged. The mask is drawn in
// fp32 (bernoulli_ has no bf16 kernel on every backend) and cast to x's dtype.
torch::Tensor drop_path(const torch::Tensor& x, double p, bool training);

}  // namespace trainbench::models
