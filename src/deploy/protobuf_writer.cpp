#include "deploy/protobuf_writer.h"

#include <cstring>

namespace trainbench::deploy {
namespace {

// Wire types of the protobuf encoding.
constexpr int kVarint = 0;
constexpr int kLengthDelimited = 2;
constexpr int kFixed32 = 5;

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "floats are copied byte for byte: little-endian hosts only");

}  // namespace

void ProtobufWriter::add_varint(std::uint64_t value) {
  while (value >= 0x80) {
    bytes_.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  bytes_.push_back(static_cast<char>(value));
}

void ProtobufWriter::add_tag(int field, int wire_type) {
  add_varint((static_cast<std::uint64_t>(field) << 3) | static_cast<std::uint64_t>(wire_type));
}

void ProtobufWriter::add_int(int field, std::int64_t value) {
  add_tag(field, kVarint);
  add_varint(static_cast<std::uint64_t>(value));
}

void ProtobufWriter::add_float(int field, float value) {
  add_tag(field, kFixed32);
  char raw[sizeof value];
  std::memcpy(raw, &value, sizeof value);
  bytes_.append(raw, sizeof raw);
}

void ProtobufWriter::add_bytes(int field, const void* data, std::size_t size) {
  add_length_prefix(field, size);
  bytes_.append(static_cast<const char*>(data), size);
}

void ProtobufWriter::add_length_prefix(int field, std::size_t size) {
  add_tag(field, kLengthDelimited);
  add_varint(size);
}

std::size_t ProtobufWriter::length_delimited_size(int field, std::size_t size) {
  const auto varint_size = [](std::uint64_t value) {
    std::size_t bytes = 1;
    for (; value >= 0x80; value >>= 7) ++bytes;
    return bytes;
  };
  return varint_size((static_cast<std::uint64_t>(field) << 3) | kLengthDelimited) + varint_size(size) + size;
}

void ProtobufWriter::add_bytes(int field, const std::string& bytes) { add_bytes(field, bytes.data(), bytes.size()); }

}  // namespace trainbench::deploy
