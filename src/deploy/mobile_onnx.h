#pragma once
// EfficientNet-B0 and MobileNetV3-Large (models/mobile_net_config.h) with
// their weights as ONNX graphs, block by block from the same shapes the
// models are built from (mobile_block_shapes): conv-bn-act, depthwise
// separable and inverted residual blocks with their squeeze-excite (a
// global average pool, two 1x1 Convs and a gate multiplying the channels),
// the head before or after pooling as the family has it, and the Gemm.
// Dropout and stochastic depth are training-only and have no node.
#include <string>

#include "deploy/onnx_lowering.h"
#include "models/mobile_net_config.h"

namespace trainbench::deploy {

// Throws ModelError listing every weight that is missing or mis-shaped, and
// UsageError for an opset or dtype lower_classifier refuses.
OnnxModel mobile_net_to_onnx(const models::MobileNetConfig& config, const HostWeights& weights,
                             const ModelInterface& interface, const OnnxExportOptions& options,
                             const std::string& producer_version);

}  // namespace trainbench::deploy
