#pragma once
// A ResNet family member (models/resnet_config.h) with its weights as an
// ONNX graph, built from the config and the weights alone: the graph mirrors
// models/resnet.cpp's forward layer by layer (onnx_lowering.h), and
// tests/deploy checks that ONNX Runtime and OpenCV running it give our own
// logits. Operators: Conv, BatchNormalization, Relu, MaxPool, AveragePool,
// Add, GlobalAveragePool, Flatten, Gemm.
#include <string>

#include "deploy/onnx_lowering.h"
#include "models/resnet_config.h"

namespace trainbench::deploy {

// Throws ModelError listing every weight the config needs that is missing or
// mis-shaped, and UsageError for an opset outside kMinOpset..kMaxOpset or an
// unsupported dtype.
OnnxModel resnet_to_onnx(const models::ResNetConfig& config, const HostWeights& weights, const ModelInterface& interface,
                         const OnnxExportOptions& options, const std::string& producer_version);

}  // namespace trainbench::deploy
