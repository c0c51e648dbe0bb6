#pragma once
// A ResNet family member (models/resnet_config.h) with its weights as an
// ONNX graph, built from the config and the weights alone: the graph mirrors
// models/resnet.cpp's forward node by node, and tests/deploy checks that ONNX
// Runtime and OpenCV running it give our own logits.
//
// Only standard operators that runtimes since 2019 know: Conv,
// BatchNormalization, Relu, MaxPool, AveragePool, Add, GlobalAveragePool,
// Flatten, Gemm, and for the preprocessing form Cast, Transpose and Softmax.
// No Identity or other no-op nodes (OpenCV 4.6 rejects Identity).
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "deploy/onnx_model.h"
#include "models/resnet_config.h"

namespace trainbench::deploy {

// A weight tensor on the host, row-major float32, by its timm name.
struct HostTensor {
  std::vector<std::int64_t> shape;
  std::vector<float> values;
};
using HostWeights = std::map<std::string, HostTensor>;

constexpr int kMinOpset = 13;
constexpr int kMaxOpset = 17;

struct OnnxExportOptions {
  int opset = kMaxOpset;
  // Batch norm folded into the convolution before it (what inference wants);
  // false keeps BatchNormalization nodes with the running statistics.
  bool fold_batch_norm = true;
  // Input uint8 NHWC pixels of the model's image size, scaled and normalised
  // in the graph; output softmax probabilities. Otherwise: float NCHW input,
  // already normalised, and logits out.
  bool with_preprocessing = false;
  OnnxType dtype = OnnxType::kFloat;  // kFloat or kFloat16 (weights, activations, input and output)
};

// What the model's users need to feed it (the card and the graph agree).
struct ModelInterface {
  int image_size = 0;
  std::array<float, 3> mean{};  // of pixels scaled to [0, 1]
  std::array<float, 3> std{};
  int num_classes = 0;
};

// Names of the graph's input and output for these options.
std::string input_name();
std::string output_name(const OnnxExportOptions& options);  // "logits" or "probabilities"

// Throws ModelError listing every weight the config needs that is missing or
// mis-shaped, and UsageError for an opset outside kMinOpset..kMaxOpset or an
// unsupported dtype.
OnnxModel resnet_to_onnx(const models::ResNetConfig& config, const HostWeights& weights, const ModelInterface& interface,
                         const OnnxExportOptions& options, const std::string& producer_version);

}  // namespace trainbench::deploy
