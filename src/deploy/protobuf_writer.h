#pragma once
// The Protocol Buffers wire format, write side only: what ONNX files are.
// Written by hand instead of linking libprotobuf and ONNX's generated classes
// because an ONNX model needs five field kinds (varint, 32-bit float,
// length-delimited bytes, nested message, repeated of those), which fit in
// this small file, and because the export then needs no library and no
// LibTorch: it compiles as a plain source.
//
// Usage: fields are appended in any order; a nested message is written into
// its own ProtobufWriter and added with add_message.
#include <cstdint>
#include <string>

namespace trainbench::deploy {

class ProtobufWriter {
 public:
  // Varint fields: int32, int64, enum, bool. Negative values take ten bytes,
  // as protobuf's int64 encoding does (two's complement, not zigzag).
  void add_int(int field, std::int64_t value);
  // A 32-bit float field (wire type 5, little-endian IEEE 754).
  void add_float(int field, float value);
  // Length-delimited: strings and bytes.
  void add_bytes(int field, const std::string& bytes);
  void add_bytes(int field, const void* data, std::size_t size);
  void add_message(int field, const ProtobufWriter& message) { add_bytes(field, message.bytes()); }

  const std::string& bytes() const { return bytes_; }

 private:
  void add_varint(std::uint64_t value);
  void add_tag(int field, int wire_type);

  std::string bytes_;
};

}  // namespace trainbench::deploy
