#include "data/resize_pad.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "data/image_codec.h"
#include "test_support.h"

namespace trainbench::data {
namespace {

torch::Tensor as_int_tensor(const Image& image) {
  return torch::from_blob(const_cast<std::uint8_t*>(image.pixels.data()), {image.height, image.width, 3}, torch::kUInt8)
      .to(torch::kInt32);
}

// ResizePad against PIL's bilinear resize and numpy's edge padding on the
// same picture: our fixed-point resampler reproduces PIL's exactly.
TEST(ResizePad, MatchesPilAndEdgePadding) {
  testing::TempDir dir;
  ASSERT_EQ(testing::run_reference("image_reference.py", {dir.path().string()}), 0);
  const auto expected = testing::read_tensor_file(dir / "expected.tensors");
  const Image wide = read_image_file(dir / "pattern.png");
  const Image tall = read_image_file(dir / "tall.png");
  EXPECT_EQ((as_int_tensor(resize_pad(wide, 64)) - expected.at("resize_pad_64").to(torch::kInt32)).abs().max().item<int>(), 0);
  EXPECT_EQ((as_int_tensor(resize_pad(wide, 50)) - expected.at("resize_pad_50").to(torch::kInt32)).abs().max().item<int>(), 0);
  EXPECT_EQ((as_int_tensor(resize_pad(tall, 64)) - expected.at("resize_pad_tall_64").to(torch::kInt32)).abs().max().item<int>(), 0);
}

TEST(ResizePad, ScalesTheLongerSideAndCentres) {
  int w = 0, h = 0;
  resize_pad_scaled_size(512, 288, 288, &w, &h);
  EXPECT_EQ(w, 288);
  EXPECT_EQ(h, 162);
  resize_pad_scaled_size(300, 1000, 100, &w, &h);
  EXPECT_EQ(w, 30);
  EXPECT_EQ(h, 100);
  resize_pad_scaled_size(1000, 1, 10, &w, &h);
  EXPECT_EQ(h, 1);  // never zero
}

TEST(ResizePad, PadsByRepeatingEdgePixels) {
  Image strip(4, 2);  // left column red, right column blue
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 4; ++x) {
      std::uint8_t* p = strip.pixel(x, y);
      p[0] = y == 0 ? 200 : 10;  // top row bright, bottom row dark
      p[1] = 0;
      p[2] = static_cast<std::uint8_t>(x * 60);
    }
  }
  const Image square = resize_pad(strip, 4);  // already 4 wide: rows 1..2 are the image, 0 and 3 padding
  ASSERT_EQ(square.width, 4);
  ASSERT_EQ(square.height, 4);
  for (int x = 0; x < 4; ++x) {
    EXPECT_EQ(square.pixel(x, 0)[0], square.pixel(x, 1)[0]);  // top padding copies the top row
    EXPECT_EQ(square.pixel(x, 3)[0], square.pixel(x, 2)[0]);  // bottom padding copies the bottom row
  }
}

TEST(ResizePad, IdentityResizeChangesNothing) {
  const Image image = testing::test_pattern(40, 40);
  EXPECT_EQ(resize_bilinear(image, 40, 40).pixels, image.pixels);
  EXPECT_EQ(resize_pad(image, 40).pixels, image.pixels);
}

}  // namespace
}  // namespace trainbench::data
