#pragma once
// Lowering a classifier to ONNX, layer kind by layer kind. GraphBuilder
// holds one lowering per kind of layer the model families are made of
// (convolution with its batch norm, linear, LayerNorm, GELU, attention...),
// each reading its weights by their timm names and recording every missing
// or mis-shaped one. A family's exporter (resnet_onnx.h, vit_onnx.h) only
// strings these together in its forward pass's order; lower_classifier adds
// what every family shares: the input (and its preprocessing), the softmax
// and the model around the graph, checked before it is returned.
//
// Only standard operators of opset 13 that runtimes since 2019 know, plus
// LayerNormalization where the opset has it (17). No Identity or other no-op
// nodes (OpenCV 4.6 rejects Identity).
#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "deploy/onnx_model.h"

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

// A convolution's geometry; padding is symmetric.
struct ConvShape {
  int in = 0;
  int out = 0;
  int kernel = 1;
  int stride = 1;
  int padding = 0;
  int groups = 1;
};

// A square convolution padded kernel / 2 on each side, so stride 1 keeps the
// size: how every family here pads, bar the patchify stems.
ConvShape padded_conv(int in, int out, int kernel, int stride = 1, int groups = 1);

// Appends nodes and initializers to a graph. Every lowering takes the name of
// its input tensor and returns the name of its output; node names derive from
// the weights' prefix, so they are unique as the module names are.
class GraphBuilder {
 public:
  GraphBuilder(const HostWeights& weights, const OnnxExportOptions& options) : weights_(weights), options_(options) {}

  const OnnxExportOptions& options() const { return options_; }

  // The weight NAME, which must have SHAPE; a zero stand-in (and a recorded
  // problem) when it is missing or has another shape.
  const std::vector<float>& weight(const std::string& name, const std::vector<std::int64_t>& shape);

  // Initializers: floats in the export's dtype, or int64 (shapes, indices).
  std::string constant(const std::string& name, std::vector<std::int64_t> dims, const std::vector<float>& values);
  std::string int64_constant(const std::string& name, std::vector<std::int64_t> dims,
                             const std::vector<std::int64_t>& values);
  // The weight NAME as an initializer of the same name.
  std::string weight_constant(const std::string& name, const std::vector<std::int64_t>& shape);

  // One node whose single output carries the node's name.
  std::string node(const std::string& op_type, const std::string& name, std::vector<std::string> inputs,
                   std::vector<OnnxAttribute> attributes = {});

  // ---- layers ----
  // Conv with PREFIX.weight and, when `bias`, PREFIX.bias.
  std::string conv(const std::string& x, const std::string& prefix, const ConvShape& shape, bool bias);
  // Conv without bias, then BatchNormalization (eps as the model's); folded
  // into one Conv with a bias unless the options say not to.
  std::string conv_bn(const std::string& x, const std::string& conv, const std::string& bn, const ConvShape& shape,
                      double eps = 1e-5);
  // Linear on the last axis of any rank: MatMul by the transposed weight, Add bias.
  std::string linear(const std::string& x, const std::string& prefix, int in, int out);
  // Linear on [n, in]: one Gemm.
  std::string gemm(const std::string& x, const std::string& prefix, int in, int out);
  // LayerNorm over the last axis: LayerNormalization from opset 17, its
  // formula below that.
  std::string layer_norm(const std::string& x, const std::string& prefix, int dim, double eps);

  // LayerNorm over the channels of an NCHW map (timm's LayerNorm2d): on its
  // NHWC transpose, and back.
  std::string layer_norm_2d(const std::string& x, const std::string& prefix, int channels, double eps);
  // The mean of each channel, [n, c, 1, 1].
  std::string global_average_pool(const std::string& x, const std::string& name);

  // ---- activations and arithmetic ----
  std::string relu(const std::string& x);
  std::string gelu(const std::string& x);          // exact: x * (1 + erf(x / sqrt 2)) / 2
  std::string sigmoid(const std::string& x);
  std::string silu(const std::string& x);          // x * sigmoid(x)
  std::string hard_sigmoid(const std::string& x);  // relu6(x + 3) / 6, PyTorch's and timm's
  std::string hard_swish(const std::string& x);    // x * hard_sigmoid(x)
  std::string add(const std::string& a, const std::string& b, const std::string& name);
  std::string mul(const std::string& a, const std::string& b, const std::string& name);
  // A scalar of the export's dtype, one initializer per distinct value.
  std::string scalar(float value);

  // ---- shapes ----
  std::string reshape(const std::string& x, const std::string& name, const std::vector<std::int64_t>& shape);
  std::string transpose(const std::string& x, const std::string& name, const std::vector<std::int64_t>& perm);

  void add_input(OnnxValueInfo input) { graph_.inputs.push_back(std::move(input)); }
  void add_output(OnnxValueInfo output) { graph_.outputs.push_back(std::move(output)); }
  // The last node's output gets this name (the graph output's).
  void rename_last_output(const std::string& name) { graph_.nodes.back().outputs.back() = name; }

  // The graph, or ModelError listing every weight problem.
  OnnxGraph finish(const std::string& architecture);

 private:
  const HostWeights& weights_;
  const OnnxExportOptions& options_;
  OnnxGraph graph_;
  std::vector<std::string> problems_;
  std::deque<std::vector<float>> stand_ins_;  // a deque: references to earlier ones stay valid
  std::map<float, std::string> scalars_;
};

// The body of a family's graph: from the normalised NCHW input to the
// logits ([batch, classes]).
using LowerBody = std::function<std::string(GraphBuilder& g, const std::string& input)>;

// The model: checks the options and interface (UsageError for an opset
// outside kMinOpset..kMaxOpset or an unsupported dtype, ModelError for an
// interface that cannot describe a classifier), adds the input with its
// preprocessing, the body, the softmax, and checks the graph (check_model).
OnnxModel lower_classifier(const std::string& architecture, const HostWeights& weights,
                           const ModelInterface& interface, const OnnxExportOptions& options,
                           const std::string& producer_version, const LowerBody& body);

}  // namespace trainbench::deploy
