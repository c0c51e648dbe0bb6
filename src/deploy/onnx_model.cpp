#include "deploy/onnx_model.h"

#include <cmath>
#include <cstring>
#include <set>

#include "core/error.h"
#include "core/text.h"
#include "deploy/protobuf_writer.h"

namespace trainbench::deploy {
namespace {

// onnx.proto field numbers, message by message.
namespace model_field {
constexpr int kIrVersion = 1, kProducerName = 2, kProducerVersion = 3, kDocString = 6, kGraph = 7, kOpsetImport = 8,
              kMetadataProps = 14;
}
namespace opset_field {
constexpr int kDomain = 1, kVersion = 2;
}
namespace entry_field {
constexpr int kKey = 1, kValue = 2;
}
namespace graph_field {
constexpr int kNode = 1, kName = 2, kInitializer = 5, kInput = 11, kOutput = 12;
}
namespace node_field {
constexpr int kInput = 1, kOutput = 2, kName = 3, kOpType = 4, kAttribute = 5;
}
namespace attribute_field {
constexpr int kName = 1, kFloat = 2, kInt = 3, kInts = 8, kType = 20;
}
// AttributeProto.AttributeType
constexpr int kAttributeFloat = 1, kAttributeInt = 2, kAttributeInts = 7;
namespace tensor_field {
constexpr int kDims = 1, kDataType = 2, kName = 8, kRawData = 9;
}
namespace value_info_field {
constexpr int kName = 1, kType = 2;
}
constexpr int kTypeTensor = 1;                       // TypeProto.tensor_type
constexpr int kTensorElemType = 1, kTensorShape = 2;  // TypeProto.Tensor
constexpr int kShapeDim = 1;                         // TensorShapeProto.dim
constexpr int kDimValue = 1, kDimParam = 2;          // TensorShapeProto.Dimension

// A tensor's message up to its raw data: the whole message is these bytes
// followed by tensor.raw (see GraphEncoding).
ProtobufWriter tensor_message_head(const OnnxTensor& tensor) {
  ProtobufWriter out;
  for (std::int64_t d : tensor.dims) out.add_int(tensor_field::kDims, d);
  out.add_int(tensor_field::kDataType, static_cast<int>(tensor.type));
  out.add_bytes(tensor_field::kName, tensor.name);
  out.add_length_prefix(tensor_field::kRawData, tensor.raw.size());
  return out;
}

ProtobufWriter attribute_message(const OnnxAttribute& attribute) {
  ProtobufWriter out;
  out.add_bytes(attribute_field::kName, attribute.name);
  switch (attribute.kind) {
    case OnnxAttribute::Kind::kInt:
      out.add_int(attribute_field::kInt, attribute.i);
      out.add_int(attribute_field::kType, kAttributeInt);
      break;
    case OnnxAttribute::Kind::kInts:
      for (std::int64_t v : attribute.ints) out.add_int(attribute_field::kInts, v);
      out.add_int(attribute_field::kType, kAttributeInts);
      break;
    case OnnxAttribute::Kind::kFloat:
      out.add_float(attribute_field::kFloat, attribute.f);
      out.add_int(attribute_field::kType, kAttributeFloat);
      break;
  }
  return out;
}

ProtobufWriter node_message(const OnnxNode& node) {
  ProtobufWriter out;
  for (const std::string& input : node.inputs) out.add_bytes(node_field::kInput, input);
  for (const std::string& output : node.outputs) out.add_bytes(node_field::kOutput, output);
  out.add_bytes(node_field::kName, node.name);
  out.add_bytes(node_field::kOpType, node.op_type);
  for (const OnnxAttribute& attribute : node.attributes) out.add_message(node_field::kAttribute, attribute_message(attribute));
  return out;
}

ProtobufWriter value_info_message(const OnnxValueInfo& info) {
  ProtobufWriter shape;
  for (const OnnxDim& dim : info.dims) {
    ProtobufWriter d;
    if (dim.param.empty()) {
      d.add_int(kDimValue, dim.value);
    } else {
      d.add_bytes(kDimParam, dim.param);
    }
    shape.add_message(kShapeDim, d);
  }
  ProtobufWriter tensor_type;
  tensor_type.add_int(kTensorElemType, static_cast<int>(info.type));
  tensor_type.add_message(kTensorShape, shape);
  ProtobufWriter type;
  type.add_message(kTypeTensor, tensor_type);
  ProtobufWriter out;
  out.add_bytes(value_info_field::kName, info.name);
  out.add_message(value_info_field::kType, type);
  return out;
}

// A graph's message, all but its weights encoded, and its length: the
// model is then written in one pass into one string and each weight copied
// into it once. A graph built in a writer of its own, then copied into the
// model's, took 227 ms for ResNet-50's 97 MiB; this takes 48, protobuf's
// own classes 66 (bench/results/onnx-writer-vs-library.md).
class GraphEncoding {
 public:
  explicit GraphEncoding(const OnnxGraph& graph) : graph_(graph) {
    for (const OnnxNode& node : graph.nodes) before_weights_.add_message(graph_field::kNode, node_message(node));
    before_weights_.add_bytes(graph_field::kName, graph.name);
    for (const OnnxTensor& tensor : graph.initializers) weight_heads_.push_back(tensor_message_head(tensor));
    for (const OnnxValueInfo& input : graph.inputs) after_weights_.add_message(graph_field::kInput, value_info_message(input));
    for (const OnnxValueInfo& output : graph.outputs) {
      after_weights_.add_message(graph_field::kOutput, value_info_message(output));
    }
    size_ = before_weights_.bytes().size() + after_weights_.bytes().size();
    for (std::size_t i = 0; i < weight_heads_.size(); ++i) {
      size_ += ProtobufWriter::length_delimited_size(graph_field::kInitializer,
                                                     weight_heads_[i].bytes().size() + graph.initializers[i].raw.size());
    }
  }

  std::size_t size() const { return size_; }

  // Appends the graph as field `field` of the message `out` is writing.
  void write(int field, ProtobufWriter& out) const {
    out.add_length_prefix(field, size_);
    out.append_encoded(before_weights_.bytes());
    for (std::size_t i = 0; i < weight_heads_.size(); ++i) {
      const std::string& raw = graph_.initializers[i].raw;
      out.add_length_prefix(graph_field::kInitializer, weight_heads_[i].bytes().size() + raw.size());
      out.append_encoded(weight_heads_[i].bytes());
      out.append_encoded(raw);
    }
    out.append_encoded(after_weights_.bytes());
  }

 private:
  const OnnxGraph& graph_;
  ProtobufWriter before_weights_;  // nodes, name
  std::vector<ProtobufWriter> weight_heads_;
  ProtobufWriter after_weights_;  // inputs, outputs
  std::size_t size_ = 0;
};

}  // namespace

std::size_t element_size(OnnxType type) {
  switch (type) {
    case OnnxType::kFloat: return 4;
    case OnnxType::kUint8: return 1;
    case OnnxType::kInt64: return 8;
    case OnnxType::kFloat16: return 2;
  }
  return 0;
}

std::string type_name(OnnxType type) {
  switch (type) {
    case OnnxType::kFloat: return "float32";
    case OnnxType::kUint8: return "uint8";
    case OnnxType::kInt64: return "int64";
    case OnnxType::kFloat16: return "float16";
  }
  return "unknown";
}

std::uint16_t float_to_half(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  const std::uint16_t sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  const std::uint32_t magnitude = bits & 0x7FFFFFFFu;
  if (magnitude >= 0x7F800000u) {  // infinity or NaN (keep a quiet NaN)
    return static_cast<std::uint16_t>(sign | 0x7C00u | (magnitude > 0x7F800000u ? 0x0200u : 0u));
  }
  if (magnitude >= 0x477FF000u) return static_cast<std::uint16_t>(sign | 0x7C00u);  // rounds past 65504: infinity
  if (magnitude < 0x38800000u) {
    // Subnormal half (or zero): scale so the half's unit in the last place,
    // 2^-24, becomes 1 and round to nearest even in float arithmetic.
    float absolute;
    std::memcpy(&absolute, &magnitude, sizeof absolute);
    return static_cast<std::uint16_t>(sign | static_cast<std::uint16_t>(std::nearbyint(absolute * 16777216.0f)));
  }
  // Normal: rebias the exponent (127 -> 15) and round the 13 dropped mantissa
  // bits to nearest even; a carry into the exponent is the right result.
  const std::uint32_t rebiased = magnitude - 0x38000000u;
  const std::uint32_t round = 0x0FFFu + ((rebiased >> 13) & 1u);
  return static_cast<std::uint16_t>(sign | ((rebiased + round) >> 13));
}

OnnxTensor make_tensor(const std::string& name, OnnxType type, std::vector<std::int64_t> dims,
                       const std::vector<float>& values) {
  OnnxTensor tensor{name, type, std::move(dims), {}};
  if (type == OnnxType::kFloat) {
    tensor.raw.assign(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  } else if (type == OnnxType::kFloat16) {
    tensor.raw.resize(values.size() * 2);
    for (std::size_t i = 0; i < values.size(); ++i) {
      const std::uint16_t half = float_to_half(values[i]);
      std::memcpy(&tensor.raw[i * 2], &half, 2);
    }
  } else {
    throw ModelError("tensor " + name + ": only float32 and float16 constants are written, not " + type_name(type));
  }
  return tensor;
}

OnnxAttribute int_attribute(const std::string& name, std::int64_t value) {
  OnnxAttribute a;
  a.name = name;
  a.kind = OnnxAttribute::Kind::kInt;
  a.i = value;
  return a;
}

OnnxAttribute ints_attribute(const std::string& name, std::vector<std::int64_t> values) {
  OnnxAttribute a;
  a.name = name;
  a.kind = OnnxAttribute::Kind::kInts;
  a.ints = std::move(values);
  return a;
}

OnnxAttribute float_attribute(const std::string& name, float value) {
  OnnxAttribute a;
  a.name = name;
  a.kind = OnnxAttribute::Kind::kFloat;
  a.f = value;
  return a;
}

std::int64_t ir_version_for_opset(int opset) { return opset <= 14 ? 7 : 8; }

void check_model(const OnnxModel& model) {
  std::vector<std::string> problems;
  const OnnxGraph& graph = model.graph;
  std::set<std::string> defined;
  auto define = [&](const std::string& name, const std::string& what) {
    if (name.empty()) {
      problems.push_back(what + " has an empty name");
    } else if (!defined.insert(name).second) {
      problems.push_back(what + " '" + name + "' redefines a name");
    }
  };
  for (const OnnxValueInfo& input : graph.inputs) define(input.name, "graph input");
  for (const OnnxTensor& tensor : graph.initializers) {
    define(tensor.name, "initializer");
    std::size_t elements = 1;
    for (std::int64_t d : tensor.dims) {
      if (d < 0) problems.push_back("initializer '" + tensor.name + "' has a negative dimension");
      elements *= static_cast<std::size_t>(std::max<std::int64_t>(d, 0));
    }
    if (elements * element_size(tensor.type) != tensor.raw.size()) {
      problems.push_back("initializer '" + tensor.name + "' holds " + std::to_string(tensor.raw.size()) +
                         " bytes, its dims and type need " + std::to_string(elements * element_size(tensor.type)));
    }
  }
  for (const OnnxNode& node : graph.nodes) {
    if (node.op_type.empty()) problems.push_back("node '" + node.name + "' has no op type");
    for (const std::string& input : node.inputs) {
      if (!defined.count(input)) problems.push_back("node '" + node.name + "' reads '" + input + "', defined nowhere before it");
    }
    for (const std::string& output : node.outputs) define(output, "output of node '" + node.name + "'");
  }
  for (const OnnxValueInfo& output : graph.outputs) {
    if (!defined.count(output.name)) problems.push_back("graph output '" + output.name + "' is produced by no node");
  }
  if (model.opset < 1) problems.push_back("opset " + std::to_string(model.opset) + " is not an opset");
  if (!problems.empty()) throw ModelError("the ONNX graph is malformed: " + core::join(problems, "; "));
}

std::string serialize_model(const OnnxModel& model) {
  const GraphEncoding graph(model.graph);
  std::size_t metadata_bytes = 0;
  for (const auto& [key, value] : model.metadata) metadata_bytes += key.size() + value.size() + 32;
  ProtobufWriter out;
  out.reserve(graph.size() + metadata_bytes + model.doc_string.size() + 1024);  // no regrowth: one copy of the weights
  out.add_int(model_field::kIrVersion, model.ir_version);
  out.add_bytes(model_field::kProducerName, model.producer_name);
  out.add_bytes(model_field::kProducerVersion, model.producer_version);
  if (!model.doc_string.empty()) out.add_bytes(model_field::kDocString, model.doc_string);
  graph.write(model_field::kGraph, out);
  ProtobufWriter opset;
  opset.add_bytes(opset_field::kDomain, "");
  opset.add_int(opset_field::kVersion, model.opset);
  out.add_message(model_field::kOpsetImport, opset);
  for (const auto& [key, value] : model.metadata) {
    ProtobufWriter entry;
    entry.add_bytes(entry_field::kKey, key);
    entry.add_bytes(entry_field::kValue, value);
    out.add_message(model_field::kMetadataProps, entry);
  }
  return std::move(out).take_bytes();
}

}  // namespace trainbench::deploy
