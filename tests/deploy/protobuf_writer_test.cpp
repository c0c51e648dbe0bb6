#include "deploy/protobuf_writer.h"

#include <gtest/gtest.h>

#include <string>

namespace trainbench::deploy {
namespace {

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// The encodings of protobuf's own documentation ("Encoding" page).
TEST(ProtobufWriter, VarintsMatchTheSpecification) {
  ProtobufWriter w;
  w.add_int(1, 150);
  EXPECT_EQ(hex(w.bytes()), "089601");
  ProtobufWriter big;
  big.add_int(2, 300);
  EXPECT_EQ(hex(big.bytes()), "10ac02");
  // int64 -1: ten bytes of two's complement (not zigzag: that is sint64).
  ProtobufWriter negative;
  negative.add_int(1, -1);
  EXPECT_EQ(hex(negative.bytes()), "08ffffffffffffffffff01");
  // A field number above 15 takes a two-byte tag: field 20, varint.
  ProtobufWriter high;
  high.add_int(20, 7);
  EXPECT_EQ(hex(high.bytes()), "a00107");
}

TEST(ProtobufWriter, StringsFloatsAndNestedMessages) {
  ProtobufWriter w;
  w.add_bytes(2, std::string("testing"));
  EXPECT_EQ(hex(w.bytes()), "120774657374696e67");
  ProtobufWriter f;
  f.add_float(2, 1.0f);  // wire type 5, 0x3f800000 little-endian
  EXPECT_EQ(hex(f.bytes()), "150000803f");
  ProtobufWriter inner;
  inner.add_int(1, 150);
  ProtobufWriter outer;
  outer.add_message(3, inner);
  EXPECT_EQ(hex(outer.bytes()), "1a03089601");
  ProtobufWriter empty;
  empty.add_bytes(1, std::string());
  EXPECT_EQ(hex(empty.bytes()), "0a00");
}

// A message written in pieces (prefix, then its encoded bytes) is the same
// as one built whole and added; its size is known before it is written, at
// lengths whose varint takes one, two and three bytes and a two-byte tag.
TEST(ProtobufWriter, AMessageWrittenInPiecesEqualsOneAddedWhole) {
  for (const std::size_t length : {std::size_t{0}, std::size_t{127}, std::size_t{128}, std::size_t{20000}}) {
    for (const int field : {1, 20}) {
      const std::string payload(length, 'x');
      ProtobufWriter inner;
      inner.add_bytes(9, payload);
      ProtobufWriter whole;
      whole.add_message(field, inner);
      ProtobufWriter pieces;
      ProtobufWriter head;
      head.add_length_prefix(9, payload.size());
      pieces.add_length_prefix(field, head.bytes().size() + payload.size());
      pieces.append_encoded(head.bytes());
      pieces.append_encoded(payload);
      EXPECT_EQ(hex(pieces.bytes()), hex(whole.bytes())) << length << " " << field;
      EXPECT_EQ(ProtobufWriter::length_delimited_size(field, inner.bytes().size()), whole.bytes().size());
      EXPECT_EQ(std::move(pieces).take_bytes(), whole.bytes());
    }
  }
}

}  // namespace
}  // namespace trainbench::deploy
