#pragma once
// The Protocol Buffers wire format, write side only: what ONNX files are.
// Written by hand instead of linking libprotobuf and ONNX's generated classes
// because an ONNX model needs five field kinds (varint, 32-bit float,
// length-delimited bytes, nested message, repeated of those), which fit in
// this small file, and because the export then needs no library and no
// LibTorch: it compiles as a plain source.
//
// Usage: fields are appended in any order; a nested message is written into
// its own ProtobufWriter and added with add_message, or, when it is large,
// as a length prefix and its encoded pieces (add_length_prefix,
// append_encoded). Fields appended in field-number order give exactly the
// bytes protobuf writes (tested on every exported family).
#include <cstdint>
#include <string>
#include <string_view>

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
  // A nested message written in pieces, without building it first in a
  // writer of its own (which copies its bytes once per nesting level: for a
  // model's weights, 100 MB each time): the tag and the message's length,
  // then its encoded bytes, appended in as many pieces as the caller has.
  void add_length_prefix(int field, std::size_t size);
  void append_encoded(std::string_view encoded) { bytes_.append(encoded.data(), encoded.size()); }
  // The bytes a length-delimited field of `size` bytes takes: tag, length, payload.
  static std::size_t length_delimited_size(int field, std::size_t size);

  void reserve(std::size_t bytes) { bytes_.reserve(bytes); }
  const std::string& bytes() const { return bytes_; }
  std::string take_bytes() && { return std::move(bytes_); }

 private:
  void add_varint(std::uint64_t value);
  void add_tag(int field, int wire_type);

  std::string bytes_;
};

}  // namespace trainbench::deploy
