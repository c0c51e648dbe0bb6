#include "data/image_codec.h"

#include <gtest/gtest.h>
#include <png.h>
#include <sys/stat.h>
#include <torch/torch.h>
#include <unistd.h>

#include "core/error.h"
#include "data/bad_data_corpus.h"
#include "data/image_limits.h"
#include "test_support.h"

namespace trainbench::data {
namespace {

namespace fs = std::filesystem;
using testing::flat_png_spec;
using testing::PngSpec;
using testing::ScopedMaxImagePixels;
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

std::string decode_error(const std::vector<std::uint8_t>& bytes) {
  try {
    decode_image(bytes.data(), bytes.size());
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

// Every pixel of a decoded image is within `tolerance` of one colour.
void expect_flat(const Image& image, int r, int g, int b, int tolerance) {
  ASSERT_FALSE(image.empty());
  int worst = 0;
  for (std::size_t i = 0; i < image.pixels.size(); i += 3) {
    worst = std::max({worst, std::abs(image.pixels[i] - r), std::abs(image.pixels[i + 1] - g),
                      std::abs(image.pixels[i + 2] - b)});
  }
  EXPECT_LE(worst, tolerance) << "first pixel " << int(image.pixels[0]) << "," << int(image.pixels[1]) << ","
                              << int(image.pixels[2]);
}

Image decode(const std::vector<std::uint8_t>& bytes) { return decode_image(bytes.data(), bytes.size()); }

// TurboJPEG writes CMYK as Adobe does (inverted ink values, YCCK); decoding
// asks for CMYK and converts: R = C * K / 255 on the stored values.
TEST(ImageCodec, CmykJpegDecodesToRgb) {
  std::vector<std::uint8_t> cmyk;
  for (int i = 0; i < 16 * 16; ++i) cmyk.insert(cmyk.end(), {200, 40, 120, 255});
  expect_flat(decode(testing::encode_cmyk_jpeg(cmyk, 16, 16)), 200, 40, 120, 2);
  cmyk.clear();
  for (int i = 0; i < 16 * 16; ++i) cmyk.insert(cmyk.end(), {255, 255, 255, 128});  // no ink but half black
  expect_flat(decode(testing::encode_cmyk_jpeg(cmyk, 16, 16)), 128, 128, 128, 2);
}

TEST(ImageCodec, GrayscaleJpegIsReplicatedToRgb) {
  expect_flat(decode(testing::encode_gray_jpeg(std::vector<std::uint8_t>(24 * 8, 77), 24, 8)), 77, 77, 77, 1);
}

// PIL's convert("RGB") on a palette image looks each index up, transparency
// or not, at every bit depth: exact colours.
TEST(ImageCodec, PaletteColoursComeOutExactly) {
  for (int depth : {1, 2, 4, 8}) {
    SCOPED_TRACE("bit depth " + std::to_string(depth));
    PngSpec spec = flat_png_spec(PNG_COLOR_TYPE_PALETTE, depth, {1});
    spec.palette = {{0, 0, 0}, {12, 34, 56}};
    expect_flat(decode(testing::encode_png_spec(spec)), 12, 34, 56, 0);
    spec.palette_alpha = {255, 0};  // index 1 fully transparent
    expect_flat(decode(testing::encode_png_spec(spec)), 12, 34, 56, 0);
  }
  // Two colours side by side stay apart.
  PngSpec two = flat_png_spec(PNG_COLOR_TYPE_PALETTE, 4, {0}, 2, 1);
  two.samples = {3, 1};
  two.palette = {{0, 0, 0}, {250, 128, 3}, {1, 1, 1}, {7, 77, 177}};
  const Image image = decode(testing::encode_png_spec(two));
  EXPECT_EQ(std::vector<int>(image.pixels.begin(), image.pixels.end()), (std::vector<int>{7, 77, 177, 250, 128, 3}));
}

TEST(ImageCodec, SixteenBitPngKeepsTheHighByte) {
  expect_flat(decode(testing::encode_png_spec(flat_png_spec(PNG_COLOR_TYPE_RGB, 16, {0xABCD, 0x1234, 0xFF00}))), 0xAB,
              0x12, 0xFF, 0);
  expect_flat(decode(testing::encode_png_spec(flat_png_spec(PNG_COLOR_TYPE_GRAY, 16, {0x80FF}))), 0x80, 0x80, 0x80, 0);
  expect_flat(decode(testing::encode_png_spec(flat_png_spec(PNG_COLOR_TYPE_RGB_ALPHA, 16, {0x0102, 0x0304, 0x0506, 0}))),
              1, 3, 5, 0);
}

// Gray is replicated, alpha is dropped (not composited), low bit depths are
// scaled to 0..255 as PNG defines (a 2-bit 3 is 255).
TEST(ImageCodec, GrayAndAlphaPngsBecomeRgb) {
  expect_flat(decode(testing::encode_png_spec(flat_png_spec(PNG_COLOR_TYPE_GRAY, 8, {200}))), 200, 200, 200, 0);
  expect_flat(decode(testing::encode_png_spec(flat_png_spec(PNG_COLOR_TYPE_GRAY, 2, {3}))), 255, 255, 255, 0);
  expect_flat(decode(testing::encode_png_spec(flat_png_spec(PNG_COLOR_TYPE_GRAY, 4, {5}))), 85, 85, 85, 0);
  expect_flat(decode(testing::encode_png_spec(flat_png_spec(PNG_COLOR_TYPE_GRAY_ALPHA, 8, {90, 10}))), 90, 90, 90, 0);
  expect_flat(decode(testing::encode_png_spec(flat_png_spec(PNG_COLOR_TYPE_RGB_ALPHA, 8, {5, 6, 7, 0}))), 5, 6, 7, 0);
}

TEST(ImageCodec, InterlacedPngIsTheSamePicture) {
  const Image original = testing::test_pattern(37, 23, 3);
  PngSpec spec;
  spec.width = original.width;
  spec.height = original.height;
  spec.color_type = PNG_COLOR_TYPE_RGB;
  spec.samples.assign(original.pixels.begin(), original.pixels.end());
  spec.interlaced = true;
  EXPECT_EQ(decode(testing::encode_png_spec(spec)).pixels, original.pixels);
}

// Cut anywhere, a file is refused with a reason: never a crash, never a
// half-grey picture. A JPEG cut in its image data says "truncated", as PIL does.
TEST(ImageCodec, TruncatedFilesAreRefusedWhereverTheyAreCut) {
  const std::vector<std::uint8_t> jpeg = encode_jpeg(testing::test_pattern(64, 48, 1), 90);
  const std::vector<std::uint8_t> png = encode_png(testing::test_pattern(64, 48, 2));
  int jpeg_truncated = 0;
  for (std::size_t size = 1; size < jpeg.size(); size += 7) {
    const std::string error = decode_error(std::vector<std::uint8_t>(jpeg.begin(), jpeg.begin() + size));
    EXPECT_FALSE(error.empty()) << "a JPEG cut to " << size << " of " << jpeg.size() << " bytes was accepted";
    jpeg_truncated += error.find("truncated") != std::string::npos;
  }
  // Every cut after the header (about 600 of the bytes) names the truncation.
  EXPECT_GE(jpeg_truncated, static_cast<int>((jpeg.size() - 700) / 7)) << "of " << jpeg.size() / 7 << " cuts";
  // Like PIL, a PNG whose pixels are all there is accepted without (the
  // whole of) its final IEND chunk, the last 12 bytes.
  for (std::size_t size = 1; size < png.size(); size += 5) {
    const std::vector<std::uint8_t> cut_png(png.begin(), png.begin() + size);
    if (size < png.size() - 12) {
      EXPECT_FALSE(decode_error(cut_png).empty()) << "a PNG cut to " << size << " of " << png.size() << " bytes";
    } else {
      EXPECT_EQ(decode_error(cut_png), "") << "a PNG cut to " << size << " of " << png.size() << " bytes";
    }
  }
  std::vector<std::uint8_t> cut = png;
  cut.resize(png.size() / 2);
  EXPECT_TRUE(contains(decode_error(cut), "unreadable PNG: file is truncated"));
  cut = jpeg;
  cut.resize(jpeg.size() * 6 / 10);
  EXPECT_TRUE(contains(decode_error(cut), "JPEG file is truncated"));
}

// PIL ignores libjpeg's warnings about corrupt data and PNG chunks after the
// pixels; so do we: the picture is all there.
TEST(ImageCodec, DamageThatLosesNoPixelsIsAccepted) {
  const Image original = testing::test_pattern(40, 30, 4);
  std::vector<std::uint8_t> jpeg = encode_jpeg(original, 95);
  const Image clean = decode(jpeg);
  jpeg.insert(jpeg.end() - 2, {0x00, 0x00, 0x00});  // "3 extraneous bytes before marker 0xd9"
  EXPECT_EQ(decode(jpeg).pixels, clean.pixels);
  std::vector<std::uint8_t> png = encode_png(original);
  png.resize(png.size() - 12);  // no IEND chunk
  EXPECT_EQ(decode(png).pixels, original.pixels);
}

// Both formats: a header claiming 60000x60000 is refused before any pixel
// memory exists, with the flag that raises the limit.
TEST(ImageCodec, RefusesPngDecompressionBombs) {
  const std::vector<std::uint8_t> png = encode_png(testing::test_pattern(16, 16));
  const std::string error = decode_error(testing::with_png_size(png, 60000, 60000));
  EXPECT_TRUE(contains(error, "60000x60000"));
  EXPECT_TRUE(contains(error, "--max-image-pixels"));
  EXPECT_TRUE(contains(error, std::to_string(kDefaultMaxImagePixels)));
  const std::string wide = decode_error(testing::with_png_size(png, 2000000000u, 1));
  EXPECT_TRUE(contains(wide, "2000000000x1")) << "libpng's own width limit must not answer first";
}

TEST(ImageCodec, PixelLimitIsConfigurable) {
  EXPECT_EQ(max_image_pixels(), kDefaultMaxImagePixels);
  EXPECT_EQ(kDefaultMaxImagePixels, 2u * 89478485u);  // PIL: Image.MAX_IMAGE_PIXELS * 2 is an error
  const std::vector<std::uint8_t> jpeg = encode_jpeg(testing::test_pattern(20, 10), 90);
  const std::vector<std::uint8_t> png = encode_png(testing::test_pattern(20, 10));
  {
    ScopedMaxImagePixels limit(199);
    EXPECT_TRUE(contains(decode_error(jpeg), "image claims 20x10 pixels, more than the limit of 199"));
    EXPECT_TRUE(contains(decode_error(png), "more than the limit of 199"));
  }
  {
    ScopedMaxImagePixels limit(200);  // the limit itself is allowed
    EXPECT_EQ(decode(jpeg).width, 20);
    EXPECT_EQ(decode(png).width, 20);
  }
  EXPECT_EQ(max_image_pixels(), kDefaultMaxImagePixels);
  EXPECT_THROW(set_max_image_pixels(0), UsageError);
}

// A file far bigger than any image within the limit could be (a video named
// .jpg) is refused from its size, before it is read into memory.
TEST(ImageCodec, OversizedFileIsRefusedBeforeReading) {
  TempDir dir;
  const fs::path big = dir / "movie.jpg";
  write_file_bytes(big, encode_jpeg(testing::test_pattern(8, 8), 90));
  fs::resize_file(big, 80ull << 20);  // sparse: costs no disk
  ScopedMaxImagePixels limit(100);
  EXPECT_EQ(max_image_file_bytes(), 100u * 9 + (64u << 20));
  Image image;
  EXPECT_TRUE(contains(read_image_problem(big, 0, &image),
                       "file is 83.9 MB, more than an image within --max-image-pixels can be"));
  EXPECT_TRUE(image.empty());
}

// What PIL would open but we do not decode is named, so the fix is clear.
TEST(ImageCodec, OtherFormatsAreNamed) {
  const auto bytes = [](const std::string& text) { return std::vector<std::uint8_t>(text.begin(), text.end()); };
  EXPECT_TRUE(contains(decode_error(bytes("GIF89a\x01\x00\x01\x00")), "a GIF image, not JPEG or PNG"));
  EXPECT_TRUE(contains(decode_error(bytes(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16))), "a WebP image"));
  EXPECT_TRUE(contains(decode_error(bytes(std::string("II*\0\x08\0\0\0", 8))), "a TIFF image"));
  std::vector<std::uint8_t> bmp(54, 0);
  bmp[0] = 'B', bmp[1] = 'M', bmp[14] = 40;  // BITMAPINFOHEADER
  EXPECT_TRUE(contains(decode_error(bmp), "a BMP image"));
  EXPECT_TRUE(contains(decode_error(bytes("<!DOCTYPE html><p>403</p>")), "an HTML page"));
  EXPECT_TRUE(contains(decode_error(bytes("BMW 320i")), "not a JPEG or PNG file"));
}

// The reasons a file cannot be read at all, without the path (which the
// caller adds), and never an exception or a wait.
TEST(ImageCodec, UnreadableFilesSayWhy) {
  TempDir dir;
  Image image;
  fs::create_symlink("gone.jpg", dir / "broken.jpg");
  EXPECT_TRUE(contains(read_image_problem(dir / "broken.jpg", 0, &image), "broken symbolic link (to 'gone.jpg'"));
  fs::create_symlink("b.jpg", dir / "a.jpg");
  fs::create_symlink("a.jpg", dir / "b.jpg");
  EXPECT_EQ(read_image_problem(dir / "a.jpg", 0, &image), "symbolic link loop");
  ASSERT_EQ(::mkfifo((dir / "pipe.jpg").c_str(), 0644), 0);
  EXPECT_EQ(read_image_problem(dir / "pipe.jpg", 0, &image), "not a regular file (a named pipe)");  // no wait
  fs::create_directories(dir / "folder.jpg");
  EXPECT_EQ(read_image_problem(dir / "folder.jpg", 0, &image), "not a regular file (a folder)");
  EXPECT_EQ(read_image_problem(dir / "missing.jpg", 0, &image), "file does not exist (removed while reading?)");
  write_file_bytes(dir / "locked.jpg", encode_jpeg(testing::test_pattern(8, 8), 90));
  fs::permissions(dir / "locked.jpg", fs::perms::none);
  if (::geteuid() == 0) {
    EXPECT_EQ(read_image_problem(dir / "locked.jpg", 0, &image), "") << "root reads a file whatever its mode";
    EXPECT_EQ(image.width, 8);
  } else {
    EXPECT_EQ(read_image_problem(dir / "locked.jpg", 0, &image), "permission denied");
  }
  try {
    read_image_file(dir / "broken.jpg");
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_TRUE(contains(e.what(), (dir / "broken.jpg").string() + ": broken symbolic link"));
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
