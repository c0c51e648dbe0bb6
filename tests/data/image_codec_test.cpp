#include "data/image_codec.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "test_support.h"

namespace trainbench::data {
namespace {

using testing::TempDir;

torch::Tensor as_tensor(const Image& image) {
  return torch::from_blob(const_cast<std::uint8_t*>(image.pixels.data()), {image.height, image.width, 3}, torch::kUInt8)
      .clone();
}

int max_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kInt32) - b.to(torch::kInt32)).abs().max().item<int>();
}

// Every kind of file PIL can write, decoded by us and by PIL's convert("RGB").
// The reference files are made once per test process and shared.
class DecodeLikePil : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!dir_) {
      dir_ = std::make_unique<TempDir>();
      ASSERT_EQ(testing::run_reference("image_reference.py", {dir_->path().string()}), 0);
      expected_ = testing::read_tensor_file(*dir_ / "expected.tensors");
    }
    ASSERT_FALSE(expected_.empty()) << "the Python reference did not run";
  }
  void expect_decoded_like_pil(const std::string& file, int tolerance) {
    SCOPED_TRACE(file);
    const Image image = read_image_file(*dir_ / file);
    std::string key = file;
    key[key.find('.')] = '_';
    const torch::Tensor& expected = expected_.at(key);
    ASSERT_EQ(image.height, expected.size(0));
    ASSERT_EQ(image.width, expected.size(1));
    EXPECT_LE(max_difference(as_tensor(image), expected), tolerance);
  }
  static std::unique_ptr<TempDir> dir_;
  static std::map<std::string, torch::Tensor> expected_;
};
std::unique_ptr<TempDir> DecodeLikePil::dir_;
std::map<std::string, torch::Tensor> DecodeLikePil::expected_;

// PNG conversions are exact integer operations: identical to PIL.
TEST_F(DecodeLikePil, PngOfEveryColourTypeIsExact) {
  for (const char* file : {"pattern.png", "gray.png", "gray_alpha.png", "rgba.png", "palette.png", "bilevel.png", "gray16.png"}) {
    expect_decoded_like_pil(file, 0);
  }
}

// Both sides use libjpeg-turbo's default (islow DCT, fancy upsampling);
// one level of slack covers a different library build.
TEST_F(DecodeLikePil, JpegRgbAndGrayMatchWithinOneLevel) {
  expect_decoded_like_pil("rgb.jpg", 1);
  expect_decoded_like_pil("gray.jpg", 1);
}

// PIL writes Adobe-style (inverted) CMYK; both convert ink to RGB.
TEST_F(DecodeLikePil, CmykJpegBecomesRgb) { expect_decoded_like_pil("cmyk.jpg", 2); }

TEST(ImageCodec, JpegRoundTripKeepsThePicture) {
  const Image original = testing::test_pattern(120, 80);
  const std::vector<std::uint8_t> bytes = encode_jpeg(original, 95);
  EXPECT_EQ(sniff_image_format(bytes.data(), bytes.size()), ImageFormat::kJpeg);
  const Image decoded = decode_image(bytes.data(), bytes.size());
  ASSERT_EQ(decoded.width, 120);
  ASSERT_EQ(decoded.height, 80);
  const double mean_error = (as_tensor(decoded).to(torch::kFloat) - as_tensor(original).to(torch::kFloat)).abs().mean().item<double>();
  EXPECT_LT(mean_error, 4.0);
}

TEST(ImageCodec, PngRoundTripIsLossless) {
  const Image original = testing::test_pattern(33, 17);
  const std::vector<std::uint8_t> bytes = encode_png(original);
  const Image decoded = decode_image(bytes.data(), bytes.size());
  EXPECT_EQ(decoded.pixels, original.pixels);
}

// DCT-domain scaling: the smallest TurboJPEG scale whose longer side still
// covers the target, never below it.
TEST(ImageCodec, JpegDecodesAtAReducedScaleWhenTheTargetIsSmall) {
  const Image original = testing::test_pattern(512, 384);
  const std::vector<std::uint8_t> bytes = encode_jpeg(original, 90);
  EXPECT_EQ(decode_image(bytes.data(), bytes.size(), 0).width, 512);
  EXPECT_EQ(decode_image(bytes.data(), bytes.size(), 288).width, 320);  // 5/8
  EXPECT_EQ(decode_image(bytes.data(), bytes.size(), 96).width, 128);   // 1/4
  EXPECT_EQ(decode_image(bytes.data(), bytes.size(), 64).width, 64);    // 1/8
  EXPECT_EQ(decode_image(bytes.data(), bytes.size(), 600).width, 512);  // never upscaled
  const Image quarter = decode_image(bytes.data(), bytes.size(), 96);
  EXPECT_EQ(quarter.height, 96);
}

TEST(ImageCodec, RejectsWhatIsNotAnImage) {
  const std::vector<std::uint8_t> text = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_THROW(decode_image(text.data(), text.size()), DataError);
  EXPECT_THROW(decode_image(text.data(), 0), DataError);
  std::vector<std::uint8_t> jpeg = encode_jpeg(testing::test_pattern(64, 64), 90);
  jpeg.resize(jpeg.size() / 2);
  EXPECT_THROW(decode_image(jpeg.data(), jpeg.size()), DataError);
  std::vector<std::uint8_t> png = encode_png(testing::test_pattern(64, 64));
  png.resize(png.size() / 2);
  EXPECT_THROW(decode_image(png.data(), png.size()), DataError);
}

// A header claiming 60000x60000 is refused before any pixel memory exists.
TEST(ImageCodec, RefusesDecompressionBombs) {
  std::vector<std::uint8_t> jpeg = encode_jpeg(testing::test_pattern(16, 16), 90);
  bool patched = false;
  for (std::size_t i = 0; i + 8 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {  // SOF0: length, precision, height, width
      jpeg[i + 5] = 0xEA, jpeg[i + 6] = 0x60, jpeg[i + 7] = 0xEA, jpeg[i + 8] = 0x60;
      patched = true;
      break;
    }
  }
  ASSERT_TRUE(patched);
  try {
    decode_image(jpeg.data(), jpeg.size());
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("60000x60000"), std::string::npos) << e.what();
  }
}

TEST(ImageCodec, FileErrorsNameTheFile) {
  TempDir dir;
  write_file_bytes(dir / "bad.jpg", {1, 2, 3});
  try {
    read_image_file(dir / "bad.jpg");
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jpg"), std::string::npos);
  }
  EXPECT_THROW(read_image_file(dir / "missing.png"), DataError);
}

}  // namespace
}  // namespace trainbench::data
