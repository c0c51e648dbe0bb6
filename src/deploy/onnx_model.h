#pragma once
// An ONNX model in memory, as much of onnx.proto as a feed-forward
// classifier needs, and its serialization to the bytes of a .onnx file.
// Field numbers follow onnx/onnx.proto (ModelProto, GraphProto, NodeProto,
// TensorProto, ValueInfoProto, AttributeProto).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace trainbench::deploy {

// TensorProto.DataType values.
enum class OnnxType : int { kFloat = 1, kUint8 = 2, kInt64 = 7, kFloat16 = 10 };

// Bytes per element of a type; "float32", "uint8", ... for messages and cards.
std::size_t element_size(OnnxType type);
std::string type_name(OnnxType type);

// A constant (an initializer): dims and the little-endian raw bytes.
struct OnnxTensor {
  std::string name;
  OnnxType type = OnnxType::kFloat;
  std::vector<std::int64_t> dims;
  std::string raw;
};

// float32 values as a tensor of `type` (kFloat or kFloat16, rounded to nearest even).
OnnxTensor make_tensor(const std::string& name, OnnxType type, std::vector<std::int64_t> dims,
                       const std::vector<float>& values);

// IEEE 754 binary16 bits of a float, rounded to nearest, ties to even;
// overflow gives infinity, NaN stays NaN.
std::uint16_t float_to_half(float value);

struct OnnxAttribute {
  enum class Kind { kInt, kInts, kFloat };
  std::string name;
  Kind kind = Kind::kInt;
  std::int64_t i = 0;
  std::vector<std::int64_t> ints;
  float f = 0.0f;
};
OnnxAttribute int_attribute(const std::string& name, std::int64_t value);
OnnxAttribute ints_attribute(const std::string& name, std::vector<std::int64_t> values);
OnnxAttribute float_attribute(const std::string& name, float value);

struct OnnxNode {
  std::string op_type;
  std::string name;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<OnnxAttribute> attributes;
};

// A graph input or output: a name, an element type and a shape whose
// dimensions are fixed (value >= 0) or symbolic (param, e.g. "batch").
struct OnnxDim {
  std::int64_t value = -1;
  std::string param;
};
struct OnnxValueInfo {
  std::string name;
  OnnxType type = OnnxType::kFloat;
  std::vector<OnnxDim> dims;
};

struct OnnxGraph {
  std::string name;
  std::vector<OnnxNode> nodes;  // in execution (topological) order
  std::vector<OnnxTensor> initializers;
  std::vector<OnnxValueInfo> inputs;
  std::vector<OnnxValueInfo> outputs;
};

struct OnnxModel {
  std::int64_t ir_version = 8;
  int opset = 17;  // of the default ("ai.onnx") domain
  std::string producer_name;
  std::string producer_version;
  std::string doc_string;
  std::vector<std::pair<std::string, std::string>> metadata;  // metadata_props
  OnnxGraph graph;
};

// The IR version that goes with an opset: 7 for opsets 13-14, 8 for 15-17
// (onnx 1.8-1.12), the oldest that knows the opset, so older runtimes load it.
std::int64_t ir_version_for_opset(int opset);

// The checks the ONNX checker makes that a writer can get wrong: every node
// input is a graph input, an initializer or an earlier node's output; every
// name is produced once; every graph output is produced; initializer bytes
// match their dims and type; no empty names or op types. Throws ModelError
// listing every problem found.
void check_model(const OnnxModel& model);

// The .onnx file's bytes.
std::string serialize_model(const OnnxModel& model);

}  // namespace trainbench::deploy
