#pragma once
// A ConvNeXt (models/convnext_config.h) with its weights as an ONNX graph,
// mirroring models/convnext.cpp's forward layer by layer (onnx_lowering.h):
// the 4x4 patchify stem and its LayerNorm2d, stages of blocks (7x7
// depthwise Conv, then on the NHWC transpose LayerNorm, a GELU MLP of two
// MatMuls and the layer scale, added back), LayerNorm2d and a 2x2 stride-2
// Conv between stages, and the head (average pool, LayerNorm, Gemm).
// Stochastic depth is training-only and has no node.
#include <string>

#include "deploy/onnx_lowering.h"
#include "models/convnext_config.h"

namespace trainbench::deploy {

// Throws ModelError listing every weight that is missing or mis-shaped, and
// UsageError for an opset or dtype lower_classifier refuses.
OnnxModel convnext_to_onnx(const models::ConvNeXtConfig& config, const HostWeights& weights,
                           const ModelInterface& interface, const OnnxExportOptions& options,
                           const std::string& producer_version);

}  // namespace trainbench::deploy
