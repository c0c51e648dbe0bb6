#include "deploy/onnx_lowering.h"

#include <cmath>
#include <cstring>
#include <utility>

#include "core/error.h"
#include "core/text.h"

namespace trainbench::deploy {
namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::vector<std::string> parts;
  for (std::int64_t d : shape) parts.push_back(std::to_string(d));
  return "[" + core::join(parts) + "]";
}

std::vector<OnnxAttribute> conv_attributes(const ConvShape& shape) {
  const std::int64_t k = shape.kernel, s = shape.stride, p = shape.padding;
  return {ints_attribute("kernel_shape", {k, k}), ints_attribute("strides", {s, s}), ints_attribute("pads", {p, p, p, p}),
          ints_attribute("dilations", {1, 1}), int_attribute("group", shape.groups)};
}

std::vector<std::int64_t> kernel_dims(const ConvShape& shape) {
  return {shape.out, shape.in / shape.groups, shape.kernel, shape.kernel};
}

}  // namespace

ConvShape padded_conv(int in, int out, int kernel, int stride, int groups) {
  return {in, out, kernel, stride, kernel / 2, groups};
}

std::string input_name() { return "input"; }

std::string output_name(const OnnxExportOptions& options) {
  return options.with_preprocessing ? "probabilities" : "logits";
}

const std::vector<float>& GraphBuilder::weight(const std::string& name, const std::vector<std::int64_t>& shape) {
  const auto found = weights_.find(name);
  if (found == weights_.end()) {
    problems_.push_back(name + ": missing");
  } else if (found->second.shape != shape) {
    problems_.push_back(name + ": " + shape_text(found->second.shape) + " where the architecture needs " +
                        shape_text(shape));
  } else {
    return found->second.values;
  }
  std::size_t elements = 1;
  for (std::int64_t d : shape) elements *= static_cast<std::size_t>(d);
  return stand_ins_.emplace_back(elements, 0.0f);
}

std::string GraphBuilder::constant(const std::string& name, std::vector<std::int64_t> dims,
                                   const std::vector<float>& values) {
  graph_.initializers.push_back(make_tensor(name, options_.dtype, std::move(dims), values));
  return name;
}

std::string GraphBuilder::int64_constant(const std::string& name, std::vector<std::int64_t> dims,
                                         const std::vector<std::int64_t>& values) {
  OnnxTensor tensor{name, OnnxType::kInt64, std::move(dims), {}};
  tensor.raw.resize(values.size() * sizeof(std::int64_t));
  std::memcpy(tensor.raw.data(), values.data(), tensor.raw.size());  // little-endian hosts only, as make_tensor
  graph_.initializers.push_back(std::move(tensor));
  return name;
}

std::string GraphBuilder::weight_constant(const std::string& name, const std::vector<std::int64_t>& shape) {
  return constant(name, shape, weight(name, shape));
}

std::string GraphBuilder::node(const std::string& op_type, const std::string& name, std::vector<std::string> inputs,
                               std::vector<OnnxAttribute> attributes) {
  graph_.nodes.push_back(OnnxNode{op_type, name, std::move(inputs), {name}, std::move(attributes)});
  return name;
}

std::string GraphBuilder::conv(const std::string& x, const std::string& prefix, const ConvShape& shape, bool bias) {
  std::vector<std::string> inputs = {x, weight_constant(prefix + ".weight", kernel_dims(shape))};
  if (bias) inputs.push_back(weight_constant(prefix + ".bias", {shape.out}));
  return node("Conv", prefix, std::move(inputs), conv_attributes(shape));
}

std::string GraphBuilder::conv_bn(const std::string& x, const std::string& conv, const std::string& bn,
                                  const ConvShape& shape, double eps) {
  const std::int64_t out = shape.out;
  const std::vector<std::int64_t> dims = kernel_dims(shape);
  const std::vector<float>& w = weight(conv + ".weight", dims);
  const std::vector<float>& gamma = weight(bn + ".weight", {out});
  const std::vector<float>& beta = weight(bn + ".bias", {out});
  const std::vector<float>& mean = weight(bn + ".running_mean", {out});
  const std::vector<float>& var = weight(bn + ".running_var", {out});
  if (!options_.fold_batch_norm) {
    const std::string y = node("Conv", conv, {x, constant(conv + ".weight", dims, w)}, conv_attributes(shape));
    return node("BatchNormalization", bn,
                {y, constant(bn + ".weight", {out}, gamma), constant(bn + ".bias", {out}, beta),
                 constant(bn + ".running_mean", {out}, mean), constant(bn + ".running_var", {out}, var)},
                {float_attribute("epsilon", static_cast<float>(eps))});
  }
  // y = gamma * (conv(x) - mean) / sqrt(var + eps) + beta
  //   = conv'(x) + bias', conv' = conv scaled per output channel. In double,
  //   so folding adds no rounding of its own beyond the final float.
  std::vector<float> folded(w.size());
  std::vector<float> bias(static_cast<std::size_t>(out));
  const std::size_t per_channel = w.size() / static_cast<std::size_t>(out);
  for (std::size_t o = 0; o < static_cast<std::size_t>(out); ++o) {
    const double scale = static_cast<double>(gamma[o]) / std::sqrt(static_cast<double>(var[o]) + eps);
    for (std::size_t k = 0; k < per_channel; ++k) {
      folded[o * per_channel + k] = static_cast<float>(static_cast<double>(w[o * per_channel + k]) * scale);
    }
    bias[o] = static_cast<float>(static_cast<double>(beta[o]) - static_cast<double>(mean[o]) * scale);
  }
  return node("Conv", conv, {x, constant(conv + ".weight", dims, folded), constant(conv + ".bias", {out}, bias)},
              conv_attributes(shape));
}

std::string GraphBuilder::linear(const std::string& x, const std::string& prefix, int in, int out) {
  // MatMul wants [in, out]: the transpose of PyTorch's [out, in] weight.
  const std::vector<float>& w = weight(prefix + ".weight", {out, in});
  std::vector<float> transposed(w.size());
  for (std::size_t o = 0; o < static_cast<std::size_t>(out); ++o) {
    for (std::size_t i = 0; i < static_cast<std::size_t>(in); ++i) transposed[i * out + o] = w[o * in + i];
  }
  const std::string product =
      node("MatMul", prefix + ".matmul", {x, constant(prefix + ".weight_t", {in, out}, transposed)});
  return node("Add", prefix, {product, weight_constant(prefix + ".bias", {out})});
}

std::string GraphBuilder::gemm(const std::string& x, const std::string& prefix, int in, int out) {
  return node("Gemm", prefix,
              {x, weight_constant(prefix + ".weight", {out, in}), weight_constant(prefix + ".bias", {out})},
              {int_attribute("transB", 1)});
}

std::string GraphBuilder::layer_norm(const std::string& x, const std::string& prefix, int dim, double eps) {
  const std::string scale = weight_constant(prefix + ".weight", {dim});
  const std::string shift = weight_constant(prefix + ".bias", {dim});
  if (options_.opset >= 17) {
    return node("LayerNormalization", prefix, {x, scale, shift},
                {int_attribute("axis", -1), float_attribute("epsilon", static_cast<float>(eps))});
  }
  // (x - mean) / sqrt(var + eps) * weight + bias, var the biased variance.
  const std::vector<OnnxAttribute> last_axis = {ints_attribute("axes", {-1}), int_attribute("keepdims", 1)};
  const std::string mean = node("ReduceMean", prefix + ".mean", {x}, last_axis);
  const std::string centred = node("Sub", prefix + ".centred", {x, mean});
  const std::string squared = node("Mul", prefix + ".squared", {centred, centred});
  const std::string variance = node("ReduceMean", prefix + ".variance", {squared}, last_axis);
  const std::string deviation =
      node("Sqrt", prefix + ".deviation", {node("Add", prefix + ".variance_eps", {variance, scalar(static_cast<float>(eps))})});
  const std::string normalised = node("Div", prefix + ".normalised", {centred, deviation});
  return node("Add", prefix, {node("Mul", prefix + ".scaled", {normalised, scale}), shift});
}

std::string GraphBuilder::layer_norm_2d(const std::string& x, const std::string& prefix, int channels, double eps) {
  const std::string nhwc = transpose(x, prefix + ".nhwc", {0, 2, 3, 1});
  return transpose(layer_norm(nhwc, prefix, channels, eps), prefix + ".nchw", {0, 3, 1, 2});
}

std::string GraphBuilder::global_average_pool(const std::string& x, const std::string& name) {
  return node("GlobalAveragePool", name, {x});
}

std::string GraphBuilder::relu(const std::string& x) { return node("Relu", x + ".relu", {x}); }

std::string GraphBuilder::sigmoid(const std::string& x) { return node("Sigmoid", x + ".sigmoid", {x}); }

std::string GraphBuilder::silu(const std::string& x) { return node("Mul", x + ".silu", {x, sigmoid(x)}); }

std::string GraphBuilder::hard_sigmoid(const std::string& x) {
  // clamp(x / 6 + 1/2, 0, 1) = relu6(x + 3) / 6; HardSigmoid's default alpha is 0.2.
  return node("HardSigmoid", x + ".hard_sigmoid", {x},
              {float_attribute("alpha", 1.0f / 6.0f), float_attribute("beta", 0.5f)});
}

std::string GraphBuilder::hard_swish(const std::string& x) {
  // HardSwish is an operator from opset 14 only; this product runs at 13 too.
  return node("Mul", x + ".hard_swish", {x, hard_sigmoid(x)});
}

std::string GraphBuilder::gelu(const std::string& x) {
  const std::string erf = node("Erf", x + ".gelu_erf", {node("Div", x + ".gelu_div", {x, scalar(std::sqrt(2.0f))})});
  const std::string gate = node("Add", x + ".gelu_gate", {erf, scalar(1.0f)});
  return node("Mul", x + ".gelu", {node("Mul", x + ".gelu_product", {x, gate}), scalar(0.5f)});
}

std::string GraphBuilder::add(const std::string& a, const std::string& b, const std::string& name) {
  return node("Add", name, {a, b});
}

std::string GraphBuilder::mul(const std::string& a, const std::string& b, const std::string& name) {
  return node("Mul", name, {a, b});
}

std::string GraphBuilder::scalar(float value) {
  const auto found = scalars_.find(value);
  if (found != scalars_.end()) return found->second;
  const std::string name = "scalar_" + std::to_string(scalars_.size());
  constant(name, {}, {value});
  scalars_.emplace(value, name);
  return name;
}

std::string GraphBuilder::reshape(const std::string& x, const std::string& name, const std::vector<std::int64_t>& shape) {
  // 0 copies the input's dimension (the dynamic batch), -1 is inferred.
  return node("Reshape", name,
              {x, int64_constant(name + ".shape", {static_cast<std::int64_t>(shape.size())}, shape)});
}

std::string GraphBuilder::transpose(const std::string& x, const std::string& name, const std::vector<std::int64_t>& perm) {
  return node("Transpose", name, {x}, {ints_attribute("perm", perm)});
}

OnnxGraph GraphBuilder::finish(const std::string& architecture) {
  if (!problems_.empty()) {
    throw ModelError("the weights do not fit " + architecture + ": " + core::join(problems_, "; "));
  }
  graph_.name = architecture;
  return std::move(graph_);
}

OnnxModel lower_classifier(const std::string& architecture, const HostWeights& weights,
                           const ModelInterface& interface, const OnnxExportOptions& options,
                           const std::string& producer_version, const LowerBody& body) {
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
    x = g.transpose(x, "pixels_nchw", {0, 3, 1, 2});
    x = g.node("Conv", "normalize",
               {x, g.constant("normalize.weight", {3, 1, 1, 1}, scale), g.constant("normalize.bias", {3}, shift)},
               {ints_attribute("kernel_shape", {1, 1}), int_attribute("group", 3)});
  } else {
    g.add_input({x, options.dtype, {batch, {3, ""}, {size, ""}, {size, ""}}});
  }
  x = body(g, x);
  if (options.with_preprocessing) g.node("Softmax", "softmax", {x}, {int_attribute("axis", 1)});
  g.rename_last_output(output_name(options));
  g.add_output({output_name(options), options.dtype, {batch, {interface.num_classes, ""}}});

  OnnxModel model;
  model.ir_version = ir_version_for_opset(options.opset);
  model.opset = options.opset;
  model.producer_name = "trainbench";
  model.producer_version = producer_version;
  model.doc_string = architecture + ", " + std::to_string(interface.num_classes) + " classes, " + std::to_string(size) +
                     " px";
  model.graph = g.finish(architecture);
  check_model(model);
  return model;
}

}  // namespace trainbench::deploy
