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

}  // namespace
}  // namespace trainbench::deploy
