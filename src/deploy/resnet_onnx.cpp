#include "deploy/resnet_onnx.h"

#include <cmath>
#include <deque>
#include <utility>

#include "core/error.h"
#include "core/text.h"

namespace trainbench::deploy {
namespace {

// nn::BatchNorm2d's default, which every norm in models/resnet.cpp keeps.
constexpr double kBatchNormEpsilon = 1e-5;
constexpr int kStemWidth = 32;  // the deep stem's first two convs (timm's stem_width)
constexpr int kStemOut = 64;

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::vector<std::string> parts;
  for (std::int64_t d : shape) parts.push_back(std::to_string(d));
  return "[" + core::join(parts) + "]";
}

// Appends nodes and initializers to a graph, looking weights up by name and
// recording every missing or mis-shaped one instead of stopping at the first,
// so one error lists them all.
class GraphBuilder {
 public:
  GraphBuilder(const HostWeights& weights, const OnnxExportOptions& options) : weights_(weights), options_(options) {}

  // The weight NAME, which must have SHAPE; a zero stand-in (and a recorded
  // problem) when it is missing or has another shape.
  const std::vector<float>& weight(const std::string& name, const std::vector<std::int64_t>& shape) {
    const auto found = weights_.find(name);
    if (found == weights_.end()) {
      problems_.push_back(name + ": missing");
    } else if (found->second.shape != shape) {
      problems_.push_back(name + ": " + shape_text(found->second.shape) + " where the architecture needs " + shape_text(shape));
    } else {
      return found->second.values;
    }
    std::size_t elements = 1;
    for (std::int64_t d : shape) elements *= static_cast<std::size_t>(d);
    return stand_ins_.emplace_back(elements, 0.0f);
  }

  std::string constant(const std::string& name, std::vector<std::int64_t> dims, const std::vector<float>& values) {
    graph_.initializers.push_back(make_tensor(name, options_.dtype, std::move(dims), values));
    return name;
  }

  // One node whose single output carries the node's name.
  std::string node(const std::string& op_type, const std::string& name, std::vector<std::string> inputs,
                   std::vector<OnnxAttribute> attributes = {}) {
    graph_.nodes.push_back(OnnxNode{op_type, name, std::move(inputs), {name}, std::move(attributes)});
    return name;
  }

  // Conv (no bias) then BatchNormalization, as models/resnet.cpp's conv() and
  // nn::BatchNorm2d; folded into one Conv with a bias unless asked not to.
  std::string conv_bn(const std::string& x, const std::string& conv, const std::string& bn, int in, int out, int kernel,
                      int stride) {
    const std::vector<std::int64_t> kernel_shape = {out, in, kernel, kernel};
    const std::vector<float>& w = weight(conv + ".weight", kernel_shape);
    const std::vector<float>& gamma = weight(bn + ".weight", {out});
    const std::vector<float>& beta = weight(bn + ".bias", {out});
    const std::vector<float>& mean = weight(bn + ".running_mean", {out});
    const std::vector<float>& var = weight(bn + ".running_var", {out});
    const std::int64_t pad = kernel / 2;
    std::vector<OnnxAttribute> attributes = {
        ints_attribute("kernel_shape", {kernel, kernel}), ints_attribute("strides", {stride, stride}),
        ints_attribute("pads", {pad, pad, pad, pad}), ints_attribute("dilations", {1, 1}), int_attribute("group", 1)};
    if (!options_.fold_batch_norm) {
      const std::string y = node("Conv", conv, {x, constant(conv + ".weight", kernel_shape, w)}, std::move(attributes));
      return node("BatchNormalization", bn,
                  {y, constant(bn + ".weight", {out}, gamma), constant(bn + ".bias", {out}, beta),
                   constant(bn + ".running_mean", {out}, mean), constant(bn + ".running_var", {out}, var)},
                  {float_attribute("epsilon", static_cast<float>(kBatchNormEpsilon))});
    }
    // y = gamma * (conv(x) - mean) / sqrt(var + eps) + beta
    //   = conv'(x) + bias', conv' = conv scaled per output channel. In double,
    //   so folding adds no rounding of its own beyond the final float.
    std::vector<float> folded(w.size());
    std::vector<float> bias(static_cast<std::size_t>(out));
    const std::size_t per_channel = w.size() / static_cast<std::size_t>(out);
    for (std::size_t o = 0; o < static_cast<std::size_t>(out); ++o) {
      const double scale = static_cast<double>(gamma[o]) / std::sqrt(static_cast<double>(var[o]) + kBatchNormEpsilon);
      for (std::size_t k = 0; k < per_channel; ++k) {
        folded[o * per_channel + k] = static_cast<float>(static_cast<double>(w[o * per_channel + k]) * scale);
      }
      bias[o] = static_cast<float>(static_cast<double>(beta[o]) - static_cast<double>(mean[o]) * scale);
    }
    return node("Conv", conv,
                {x, constant(conv + ".weight", kernel_shape, folded), constant(conv + ".bias", {out}, bias)},
                std::move(attributes));
  }

  std::string relu(const std::string& x) { return node("Relu", x + ".relu", {x}); }

  void add_input(OnnxValueInfo input) { graph_.inputs.push_back(std::move(input)); }
  void add_output(OnnxValueInfo output) { graph_.outputs.push_back(std::move(output)); }

  // The graph, or ModelError listing every weight problem.
  OnnxGraph finish(const std::string& architecture) {
    if (!problems_.empty()) {
      throw ModelError("the weights do not fit " + architecture + ": " + core::join(problems_, "; "));
    }
    graph_.name = architecture;
    return std::move(graph_);
  }

  // The last node's output gets this name (the graph output's).
  void rename_last_output(const std::string& name) { graph_.nodes.back().outputs.back() = name; }

 private:
  const HostWeights& weights_;
  const OnnxExportOptions& options_;
  OnnxGraph graph_;
  std::vector<std::string> problems_;
  std::deque<std::vector<float>> stand_ins_;  // a deque: references to earlier ones stay valid
};

// One residual block of models/resnet.cpp (BasicBlockImpl or BottleneckImpl)
// with its shortcut; returns the block's output and sets *width to its channels.
std::string residual_block(GraphBuilder& g, const models::ResNetConfig& config, const std::string& x,
                           const std::string& prefix, int* width, int planes, int stride, bool first_in_stage) {
  const bool basic = config.block == models::BlockKind::kBasic;
  const int out = basic ? planes : planes * 4;
  std::string y;
  if (basic) {
    y = g.relu(g.conv_bn(x, prefix + "conv1", prefix + "bn1", *width, planes, 3, stride));
    y = g.conv_bn(y, prefix + "conv2", prefix + "bn2", planes, planes, 3, 1);
  } else {
    y = g.relu(g.conv_bn(x, prefix + "conv1", prefix + "bn1", *width, planes, 1, 1));
    y = g.relu(g.conv_bn(y, prefix + "conv2", prefix + "bn2", planes, planes, 3, stride));  // v1.5: stride on the 3x3
    y = g.conv_bn(y, prefix + "conv3", prefix + "bn3", planes, out, 1, 1);
  }
  std::string shortcut = x;
  if (first_in_stage && (stride != 1 || *width != out)) {
    const std::string down = prefix + "downsample.";
    if (config.avg_down) {
      // downsample.0 is AvgPool2d(2, ceil_mode, count_include_pad=false), or
      // an Identity at stride 1, which gets no node.
      if (stride != 1) {
        shortcut = g.node("AveragePool", down + "0", {x},
                          {ints_attribute("kernel_shape", {2, 2}), ints_attribute("strides", {stride, stride}),
                           ints_attribute("pads", {0, 0, 0, 0}), int_attribute("ceil_mode", 1),
                           int_attribute("count_include_pad", 0)});
      }
      shortcut = g.conv_bn(shortcut, down + "1", down + "2", *width, out, 1, 1);
    } else {
      shortcut = g.conv_bn(x, down + "0", down + "1", *width, out, 1, stride);
    }
  }
  *width = out;
  return g.relu(g.node("Add", prefix + "add", {y, shortcut}));
}

}  // namespace

std::string input_name() { return "input"; }

std::string output_name(const OnnxExportOptions& options) {
  return options.with_preprocessing ? "probabilities" : "logits";
}

OnnxModel resnet_to_onnx(const models::ResNetConfig& config, const HostWeights& weights, const ModelInterface& interface,
                         const OnnxExportOptions& options, const std::string& producer_version) {
  if (options.opset < kMinOpset || options.opset > kMaxOpset) {
    throw UsageError("--opset must be between " + std::to_string(kMinOpset) + " and " + std::to_string(kMaxOpset) +
                     ", got " + std::to_string(options.opset));
  }
  if (options.dtype != OnnxType::kFloat && options.dtype != OnnxType::kFloat16) {
    throw UsageError("--dtype must be float32 or float16, got " + type_name(options.dtype));
  }
  if (interface.image_size < 1 || interface.num_classes < 2) {
    throw ModelError("the model card's image size (" + std::to_string(interface.image_size) + ") or class count (" +
                     std::to_string(interface.num_classes) + ") cannot describe a classifier");
  }
  GraphBuilder g(weights, options);
  const std::int64_t size = interface.image_size;
  const OnnxDim batch{-1, "batch"};
  std::string x = input_name();
  if (options.with_preprocessing) {
    // uint8 NHWC pixels -> (pixel / 255 - mean) / std in NCHW, as
    // data/normalize.cpp does, written as pixel * scale + shift: a 1x1
    // depthwise Conv. Not Mul then Add: OpenCV 4.6 fails on that pair with
    // broadcast constants (measured), and a Conv every runtime runs.
    g.add_input({x, OnnxType::kUint8, {batch, {size, ""}, {size, ""}, {3, ""}}});
    std::vector<float> scale(3);
    std::vector<float> shift(3);
    for (int c = 0; c < 3; ++c) {
      scale[c] = static_cast<float>(1.0 / (255.0 * interface.std[c]));
      shift[c] = static_cast<float>(-static_cast<double>(interface.mean[c]) / interface.std[c]);
    }
    x = g.node("Cast", "pixels", {x}, {int_attribute("to", static_cast<int>(options.dtype))});
    x = g.node("Transpose", "pixels_nchw", {x}, {ints_attribute("perm", {0, 3, 1, 2})});
    x = g.node("Conv", "normalize", {x, g.constant("normalize.weight", {3, 1, 1, 1}, scale), g.constant("normalize.bias", {3}, shift)},
               {ints_attribute("kernel_shape", {1, 1}), int_attribute("group", 3)});
  } else {
    g.add_input({x, options.dtype, {batch, {3, ""}, {size, ""}, {size, ""}}});
  }

  if (config.deep_stem) {
    x = g.relu(g.conv_bn(x, "conv1.0", "conv1.1", 3, kStemWidth, 3, 2));
    x = g.relu(g.conv_bn(x, "conv1.3", "conv1.4", kStemWidth, kStemWidth, 3, 1));
    x = g.relu(g.conv_bn(x, "conv1.6", "bn1", kStemWidth, kStemOut, 3, 1));
  } else {
    x = g.relu(g.conv_bn(x, "conv1", "bn1", 3, kStemOut, 7, 2));
  }
  x = g.node("MaxPool", "maxpool", {x},
             {ints_attribute("kernel_shape", {3, 3}), ints_attribute("strides", {2, 2}), ints_attribute("pads", {1, 1, 1, 1})});

  int width = kStemOut;
  for (int stage = 0; stage < 4; ++stage) {
    const int planes = 64 << stage;
    const int stride = stage == 0 ? 1 : 2;
    for (int block = 0; block < config.blocks_per_stage[stage]; ++block) {
      const std::string prefix = "layer" + std::to_string(stage + 1) + "." + std::to_string(block) + ".";
      x = residual_block(g, config, x, prefix, &width, planes, block == 0 ? stride : 1, block == 0);
    }
  }

  x = g.node("GlobalAveragePool", "global_pool", {x});
  x = g.node("Flatten", "flatten", {x}, {int_attribute("axis", 1)});
  const int classes = interface.num_classes;
  x = g.node("Gemm", "fc", {x, g.constant("fc.weight", {classes, width}, g.weight("fc.weight", {classes, width})),
                            g.constant("fc.bias", {classes}, g.weight("fc.bias", {classes}))},
             {int_attribute("transB", 1)});
  if (options.with_preprocessing) g.node("Softmax", "softmax", {x}, {int_attribute("axis", 1)});
  g.rename_last_output(output_name(options));
  g.add_output({output_name(options), options.dtype, {batch, {classes, ""}}});

  OnnxModel model;
  model.ir_version = ir_version_for_opset(options.opset);
  model.opset = options.opset;
  model.producer_name = "trainbench";
  model.producer_version = producer_version;
  model.doc_string = config.architecture + ", " + std::to_string(classes) + " classes, " + std::to_string(size) + " px";
  model.graph = g.finish(config.architecture);
  check_model(model);
  return model;
}

}  // namespace trainbench::deploy
