#include "data/bad_data_corpus.h"

#include <png.h>
#include <sys/stat.h>
#include <turbojpeg.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <csetjmp>
#include <random>
#include <stdexcept>

#include "data/image_codec.h"
#include "test_support.h"

namespace trainbench::testing {
namespace fs = std::filesystem;
namespace {

using Bytes = std::vector<std::uint8_t>;
using Rgb = std::array<std::uint8_t, 3>;

void write(const fs::path& path, const Bytes& bytes) {
  fs::create_directories(path.parent_path());
  data::write_file_bytes(path, bytes);
}

Bytes text_bytes(const std::string& text) { return Bytes(text.begin(), text.end()); }

Bytes plain_jpeg(int seed) { return data::encode_jpeg(test_pattern(48, 40, seed), 90); }
Bytes plain_png(int seed) { return data::encode_png(test_pattern(44, 36, seed)); }

// Writes the entries of one kind into the corpus as it goes.
class CorpusWriter {
 public:
  explicit CorpusWriter(Corpus* corpus) : corpus_(corpus) {}

  void good(const std::string& cls, const std::string& name, const Bytes& bytes, const std::string& what,
            std::optional<Rgb> colour = std::nullopt, int tolerance = 0) {
    write(path(cls, name), bytes);
    add(cls, name, Verdict::kGood, "", what, colour, tolerance);
  }
  void bad(const std::string& cls, const std::string& name, const Bytes& bytes, const std::string& reason,
           const std::string& what) {
    write(path(cls, name), bytes);
    add(cls, name, Verdict::kBad, reason, what);
  }
  void ignored(const std::string& cls, const std::string& name, const Bytes& bytes, const std::string& reason,
               const std::string& what) {
    write(path(cls, name), bytes);
    add(cls, name, Verdict::kIgnored, reason, what);
  }
  // For entries made some other way (links, pipes, permissions).
  void add(const std::string& cls, const std::string& name, Verdict verdict, const std::string& reason,
           const std::string& what, std::optional<Rgb> colour = std::nullopt, int tolerance = 0) {
    corpus_->entries.push_back({path(cls, name), cls, verdict, reason, what, colour, tolerance});
  }
  fs::path path(const std::string& cls, const std::string& name) const {
    return cls.empty() ? corpus_->root / name : corpus_->root / cls / name;
  }

 private:
  Corpus* corpus_;
};

void write_plain(CorpusWriter& writer, const std::vector<std::string>& classes, int per_class) {
  int seed = 0;
  for (const std::string& cls : classes) {
    for (int i = 0; i < per_class; ++i, ++seed) {
      char name[32];
      std::snprintf(name, sizeof name, "plain_%02d.%s", i, i % 2 ? "png" : "jpg");
      writer.good(cls, name, i % 2 ? plain_png(seed) : plain_jpeg(seed), "an ordinary image");
    }
  }
}

// The 1x1 GIF every web page has used as a spacer.
const Bytes kGif = {0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xFF, 0xFF,
                    0xFF, 0x00, 0x00, 0x00, 0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00,
                    0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B};

void write_blue_sky(CorpusWriter& w) {
  const std::string c = "blue sky";
  w.good(c, "with spaces in the name.jpg", plain_jpeg(101), "a name with spaces");
  w.good(c, "caf\u00e9 \u00fcn\u00efcode \u65e5\u672c.png", plain_png(102), "a UTF-8 name with accents and CJK");
  w.good(c, "latin1-\xE9t\xE9.jpg", plain_jpeg(103), "a name that is not UTF-8 (Latin-1 bytes)");
  w.good(c, "UPPER CASE.JPEG", plain_jpeg(104), "an upper-case .JPEG extension");
  w.good(c, "really a png.jpg", plain_png(105), "a PNG named .jpg (decoded by content, as PIL does)");
  w.good(c, "nested/deeper/inside.png", plain_png(106), "an image two folders down");
  Bytes extraneous = plain_jpeg(107);
  extraneous.insert(extraneous.end() - 2, {0x00, 0x00, 0x00});  // before EOI: libjpeg warns, PIL ignores it
  w.good(c, "extraneous bytes before the end.jpg", extraneous, "a JPEG with a libjpeg warning, not truncated");

  w.bad(c, "empty.jpg", {}, "empty file", "a zero-byte .jpg");
  w.bad(c, "empty.png", {}, "empty file", "a zero-byte .png");
  w.bad(c, "bomb.jpg", with_jpeg_size(plain_jpeg(108), 60000, 60000), "60000x60000",
        "a JPEG whose header claims 60000x60000 pixels");
  w.bad(c, "html error page.jpg", text_bytes("<!DOCTYPE html>\n<html><body>404 Not Found</body></html>\n"),
        "HTML page", "a web page saved as .jpg");
  const fs::path pipe = w.path(c, "named pipe.jpg");
  if (::mkfifo(pipe.c_str(), 0644) != 0) throw std::runtime_error("mkfifo failed");
  w.add(c, "named pipe.jpg", Verdict::kBad, "not a regular file (a named pipe)", "a named pipe called .jpg");

  w.ignored(c, ".hidden.jpg", plain_jpeg(109), "hidden", "a hidden image");
  w.ignored(c, "notes-\xE9t\xE9.txt", text_bytes("Latin-1 name\n"), "not an image file name",
            "a text file whose name is not UTF-8");
}

void write_grass(CorpusWriter& w) {
  const std::string c = "grass";
  // Adobe CMYK with K = 255 is the RGB (C, M, Y) itself.
  std::vector<std::uint8_t> cmyk;
  for (int i = 0; i < 32 * 24; ++i) cmyk.insert(cmyk.end(), {200, 40, 120, 255});
  w.good(c, "cmyk.jpg", encode_cmyk_jpeg(cmyk, 32, 24), "a CMYK JPEG (Adobe)", Rgb{200, 40, 120}, 2);
  w.good(c, "gray.jpg", encode_gray_jpeg(std::vector<std::uint8_t>(32 * 24, 77), 32, 24), "a grayscale JPEG",
         Rgb{77, 77, 77}, 1);
  w.good(c, "gray.png", encode_png_spec(flat_png_spec(PNG_COLOR_TYPE_GRAY, 8, {200})), "an 8-bit grayscale PNG",
         Rgb{200, 200, 200});
  w.good(c, "gray alpha.png", encode_png_spec(flat_png_spec(PNG_COLOR_TYPE_GRAY_ALPHA, 8, {90, 10})),
         "a grayscale PNG with alpha (alpha dropped)", Rgb{90, 90, 90});
  w.good(c, "rgb16.png", encode_png_spec(flat_png_spec(PNG_COLOR_TYPE_RGB, 16, {0xABCD, 0x1234, 0xFF00})),
         "a 16-bit RGB PNG (high bytes kept)", Rgb{0xAB, 0x12, 0xFF});
  w.good(c, "gray16.png", encode_png_spec(flat_png_spec(PNG_COLOR_TYPE_GRAY, 16, {0x8081})), "a 16-bit grayscale PNG",
         Rgb{0x80, 0x80, 0x80});

  Bytes cut = data::encode_jpeg(test_pattern(64, 64, 201), 90);
  cut.resize(cut.size() * 6 / 10);
  w.bad(c, "truncated in the scan.jpg", cut, "truncated", "a JPEG cut off in its image data");
  Bytes header = plain_jpeg(202);
  header.resize(40);
  w.bad(c, "truncated header.jpg", header, "truncated", "a JPEG cut off in its header");
  Bytes png_cut = data::encode_png(test_pattern(64, 64, 203));
  png_cut.resize(png_cut.size() / 2);
  w.bad(c, "truncated.png", png_cut, "truncated", "a PNG cut off in its image data");
  w.bad(c, "bomb.png", with_png_size(plain_png(204), 60000, 60000), "60000x60000",
        "a PNG whose header claims 60000x60000 pixels");
  w.bad(c, "a gif.png", kGif, "a GIF image", "a GIF named .png");
  fs::create_symlink("gone.jpg", w.path(c, "broken link.jpg"));
  w.add(c, "broken link.jpg", Verdict::kBad, "broken symbolic link", "a link to a file that does not exist");

  w.ignored(c, ".DS_Store", {0, 0, 0, 1, 'B', 'u', 'd', '1'}, "hidden", "a macOS folder file");
  fs::create_directory_symlink(".", w.path(c, "loop to itself"));
  w.add(c, "loop to itself", Verdict::kIgnored, "a loop", "a link from a folder to itself");
}

void write_stone(CorpusWriter& w) {
  const std::string c = "stone";
  PngSpec palette = flat_png_spec(PNG_COLOR_TYPE_PALETTE, 8, {2});
  palette.palette = {{0, 0, 0}, {255, 255, 255}, {12, 34, 56}};
  w.good(c, "palette.png", encode_png_spec(palette), "an 8-bit palette PNG", Rgb{12, 34, 56});
  PngSpec transparent = flat_png_spec(PNG_COLOR_TYPE_PALETTE, 4, {1});
  transparent.palette = {{9, 9, 9}, {250, 128, 3}};
  transparent.palette_alpha = {255, 0};
  w.good(c, "palette with transparency.png", encode_png_spec(transparent),
         "a 4-bit palette PNG with tRNS (transparency dropped)", Rgb{250, 128, 3});
  w.good(c, "rgba.png", encode_png_spec(flat_png_spec(PNG_COLOR_TYPE_RGB_ALPHA, 8, {5, 6, 7, 0})),
         "an RGBA PNG, fully transparent (alpha dropped)", Rgb{5, 6, 7});
  PngSpec interlaced = flat_png_spec(PNG_COLOR_TYPE_RGB, 8, {10, 200, 30}, 33, 17);
  interlaced.interlaced = true;
  w.good(c, "interlaced.png", encode_png_spec(interlaced), "an Adam7-interlaced PNG", Rgb{10, 200, 30});
  fs::create_symlink("plain_00.jpg", w.path(c, "link to plain.jpg"));
  w.add(c, "link to plain.jpg", Verdict::kGood, "", "a working link to an image");

  w.bad(c, "text.jpg", text_bytes("this is not an image\n"), "not a JPEG or PNG file", "a text file named .jpg");
  std::mt19937 rng(7);
  Bytes random(2000);
  for (std::uint8_t& b : random) b = static_cast<std::uint8_t>(rng());
  random[0] = 0x42;  // not a signature of any format
  random[1] = 0x00;
  w.bad(c, "random bytes.jpg", random, "not a JPEG or PNG file", "random bytes named .jpg");
  Bytes garbage(random.begin(), random.begin() + 504);
  garbage[0] = 0xFF, garbage[1] = 0xD8, garbage[2] = 0xFF, garbage[3] = 0xE0;  // SOI, then an APP0 marker
  w.bad(c, "jpeg signature then garbage.jpg", garbage, "JPEG", "a JPEG signature followed by random bytes");
  Bytes crc = plain_png(301);
  crc[29] ^= 0xFF;  // the IHDR chunk's CRC
  w.bad(c, "bad crc.png", crc, "CRC error", "a PNG whose IHDR checksum is wrong");
  Bytes png_header = plain_png(302);
  png_header.resize(20);
  w.bad(c, "truncated header.png", png_header, "truncated", "a PNG cut off in its header");
  fs::create_symlink("loop b.jpg", w.path(c, "loop a.jpg"));
  fs::create_symlink("loop a.jpg", w.path(c, "loop b.jpg"));
  w.add(c, "loop a.jpg", Verdict::kBad, "symbolic link loop", "two links pointing at each other");
  w.add(c, "loop b.jpg", Verdict::kBad, "symbolic link loop", "two links pointing at each other");

  // Root reads a file whatever its permissions, so there it is a good image;
  // for anyone else it is a file training must skip.
  const fs::path unreadable = w.path(c, "unreadable.jpg");
  data::write_file_bytes(unreadable, plain_jpeg(303));
  fs::permissions(unreadable, fs::perms::none);
  if (::geteuid() == 0) {
    w.add(c, "unreadable.jpg", Verdict::kGood, "", "a file with mode 000, read by root");
  } else {
    w.add(c, "unreadable.jpg", Verdict::kBad, "permission denied", "a file with mode 000");
  }

  w.ignored(c, "notes.txt", text_bytes("taken on the beach\n"), "not an image file name", "a text file");
  w.ignored(c, "download.jpg.part", plain_jpeg(304), "not an image file name", "a partial download");
}

void write_outside_classes(CorpusWriter& w) {
  w.ignored("", "README.txt", text_bytes("three classes\n"), "not inside a class folder", "a file beside the classes");
  w.ignored("", "stray.jpg", plain_jpeg(401), "not inside a class folder", "an image beside the classes");
  write(w.path("", ".thumbnails/a.jpg"), plain_jpeg(402));
  w.add("", ".thumbnails", Verdict::kIgnored, "hidden", "a hidden folder of images");
}

}  // namespace

std::vector<CorpusEntry> Corpus::with(Verdict verdict) const {
  std::vector<CorpusEntry> out;
  std::copy_if(entries.begin(), entries.end(), std::back_inserter(out),
               [&](const CorpusEntry& e) { return e.verdict == verdict; });
  return out;
}

int Corpus::count(Verdict verdict) const { return static_cast<int>(with(verdict).size()); }

int Corpus::count(Verdict verdict, const std::string& class_name) const {
  return static_cast<int>(std::count_if(entries.begin(), entries.end(), [&](const CorpusEntry& e) {
    return e.verdict == verdict && e.class_name == class_name;
  }));
}

Corpus write_clean_corpus(const fs::path& root, int per_class) {
  Corpus corpus{root, {"blue sky", "grass", "stone"}, {}};
  CorpusWriter writer(&corpus);
  write_plain(writer, corpus.classes, per_class);
  return corpus;
}

Corpus write_bad_data_corpus(const fs::path& root, int plain_per_class) {
  Corpus corpus = write_clean_corpus(root, plain_per_class);
  CorpusWriter writer(&corpus);
  write_blue_sky(writer);
  write_grass(writer);
  write_stone(writer);
  write_outside_classes(writer);
  return corpus;
}

namespace {

// A TurboJPEG encode at quality 95; `what` names it in the error.
Bytes encode_turbojpeg(const std::vector<std::uint8_t>& pixels, int width, int height, int pixel_format,
                       int subsampling, const char* what) {
  tjhandle handle = tjInitCompress();
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  const int rc =
      tjCompress2(handle, pixels.data(), width, 0, height, pixel_format, &jpeg, &size, subsampling, 95, 0);
  tjDestroy(handle);
  if (rc != 0) throw std::runtime_error(std::string("tjCompress2 (") + what + ") failed");
  Bytes bytes(jpeg, jpeg + size);
  tjFree(jpeg);
  return bytes;
}

}  // namespace

Bytes encode_cmyk_jpeg(const std::vector<std::uint8_t>& cmyk, int width, int height) {
  // 4:4:4 so that a flat colour survives exactly but for rounding.
  return encode_turbojpeg(cmyk, width, height, TJPF_CMYK, TJSAMP_444, "CMYK");
}

Bytes encode_gray_jpeg(const std::vector<std::uint8_t>& gray, int width, int height) {
  return encode_turbojpeg(gray, width, height, TJPF_GRAY, TJSAMP_GRAY, "gray");
}

namespace {

void png_throw(png_structp png, png_const_charp) { png_longjmp(png, 1); }

void png_append(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<Bytes*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + length);
}

int png_channels(int color_type) {
  switch (color_type) {
    case PNG_COLOR_TYPE_GRAY_ALPHA:
      return 2;
    case PNG_COLOR_TYPE_RGB:
      return 3;
    case PNG_COLOR_TYPE_RGB_ALPHA:
      return 4;
    default:
      return 1;  // gray, palette
  }
}

// The samples packed as PNG rows: big-endian 16-bit, or several samples a byte
// (most significant bits first) below 8 bits.
std::vector<Bytes> packed_rows(const PngSpec& spec) {
  const int channels = png_channels(spec.color_type);
  const std::size_t row_bytes = (static_cast<std::size_t>(spec.width) * channels * spec.bit_depth + 7) / 8;
  std::vector<Bytes> rows(static_cast<std::size_t>(spec.height), Bytes(row_bytes, 0));
  for (int y = 0; y < spec.height; ++y) {
    for (int i = 0; i < spec.width * channels; ++i) {
      const std::uint16_t value = spec.samples[static_cast<std::size_t>(y) * spec.width * channels + i];
      Bytes& row = rows[static_cast<std::size_t>(y)];
      if (spec.bit_depth == 16) {
        row[i * 2] = static_cast<std::uint8_t>(value >> 8);
        row[i * 2 + 1] = static_cast<std::uint8_t>(value & 0xFF);
      } else {
        const int bit = i * spec.bit_depth;
        row[bit / 8] |= static_cast<std::uint8_t>(value << (8 - spec.bit_depth - bit % 8));
      }
    }
  }
  return rows;
}

}  // namespace

PngSpec flat_png_spec(int color_type, int bit_depth, std::vector<std::uint16_t> pixel, int width, int height) {
  PngSpec spec;
  spec.width = width;
  spec.height = height;
  spec.bit_depth = bit_depth;
  spec.color_type = color_type;
  for (int i = 0; i < width * height; ++i) spec.samples.insert(spec.samples.end(), pixel.begin(), pixel.end());
  return spec;
}

Bytes encode_png_spec(const PngSpec& spec) {
  std::vector<Bytes> rows = packed_rows(spec);
  std::vector<png_bytep> row_pointers;
  for (Bytes& row : rows) row_pointers.push_back(row.data());
  std::vector<png_color> palette;
  for (const auto& c : spec.palette) palette.push_back({c[0], c[1], c[2]});
  Bytes out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, png_throw, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw std::runtime_error("libpng could not write the test PNG");
  }
  png_set_write_fn(png, &out, png_append, nullptr);
  const int interlace = spec.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE;
  png_set_IHDR(png, info, static_cast<png_uint_32>(spec.width), static_cast<png_uint_32>(spec.height), spec.bit_depth,
               spec.color_type, interlace, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (!palette.empty()) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
  if (!spec.palette_alpha.empty()) {
    png_set_tRNS(png, info, spec.palette_alpha.data(), static_cast<int>(spec.palette_alpha.size()), nullptr);
  }
  png_write_info(png, info);
  png_write_image(png, row_pointers.data());  // all passes when interlaced
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

Bytes with_jpeg_size(Bytes jpeg, int width, int height) {
  for (std::size_t i = 2; i + 8 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {  // SOF0: length (2), precision (1), height (2), width (2)
      jpeg[i + 5] = static_cast<std::uint8_t>(height >> 8);
      jpeg[i + 6] = static_cast<std::uint8_t>(height & 0xFF);
      jpeg[i + 7] = static_cast<std::uint8_t>(width >> 8);
      jpeg[i + 8] = static_cast<std::uint8_t>(width & 0xFF);
      return jpeg;
    }
  }
  throw std::runtime_error("no SOF0 marker in the JPEG");
}

Bytes with_png_size(Bytes png, std::uint32_t width, std::uint32_t height) {
  // Signature (8), then IHDR: length (4), "IHDR" (4), width (4), height (4),
  // 5 more bytes, and the CRC (4) of the type and data.
  if (png.size() < 33 || std::string(png.begin() + 12, png.begin() + 16) != "IHDR") {
    throw std::runtime_error("no IHDR chunk at the start of the PNG");
  }
  for (int i = 0; i < 4; ++i) {
    png[16 + i] = static_cast<std::uint8_t>(width >> (24 - 8 * i));
    png[20 + i] = static_cast<std::uint8_t>(height >> (24 - 8 * i));
  }
  const std::uint32_t crc = static_cast<std::uint32_t>(::crc32(0, png.data() + 12, 17));
  for (int i = 0; i < 4; ++i) png[29 + i] = static_cast<std::uint8_t>(crc >> (24 - 8 * i));
  return png;
}

}  // namespace trainbench::testing
