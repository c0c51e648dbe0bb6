#pragma once
// The bad files real image folders collect, and the awkward ones that are
// fine, written by the tests themselves into one image folder: zero-byte and
// truncated files, text and random bytes named .jpg, headers claiming
// 60000x60000 pixels, CMYK, 16-bit, palette and grayscale images, files
// without read permission, broken and looping links, a named pipe, non-image
// and hidden files, names with spaces and non-ASCII characters. Each entry
// says what `data verify` and training must make of it, so the unit tests and
// the command tests check the same cases.
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "data/image_limits.h"

namespace trainbench::testing {

enum class Verdict {
  kGood,     // an image training uses
  kBad,      // image-named, but training skips it and reports the reason
  kIgnored,  // not a candidate at all (hidden, another name, outside the classes)
};

struct CorpusEntry {
  std::filesystem::path path;  // as the scan sees it: root / class / name
  std::string class_name;      // "" outside the class folders
  Verdict verdict = Verdict::kGood;
  std::string reason;          // bad and ignored: a part of the reason given
  std::string what;            // the case, in words, for test messages
  // Good images of one flat colour: the RGB they must decode to, within
  // `tolerance` (0 for PNG; JPEG is lossy).
  std::optional<std::array<std::uint8_t, 3>> colour;
  int tolerance = 0;
};

struct Corpus {
  std::filesystem::path root;
  std::vector<std::string> classes;  // sorted, as the scan orders them
  std::vector<CorpusEntry> entries;

  std::vector<CorpusEntry> with(Verdict verdict) const;
  int count(Verdict verdict) const;
  int count(Verdict verdict, const std::string& class_name) const;
  // Image-named files below the class folders: good + bad.
  int candidates() const { return count(Verdict::kGood) + count(Verdict::kBad); }
};

// Writes the whole corpus under root (created): three classes ("blue sky",
// "grass", "stone") of `plain_per_class` ordinary images each, mixed with
// every case above. The file without read permission is good when this
// process runs as root (root reads it anyway) and bad otherwise.
Corpus write_bad_data_corpus(const std::filesystem::path& root, int plain_per_class);

// Only ordinary images, in the same three classes: a clean folder.
Corpus write_clean_corpus(const std::filesystem::path& root, int per_class);

// Encoders the corpus and the codec tests share. CMYK JPEGs are written as
// TurboJPEG writes them (Adobe marker, inverted ink, as Photoshop and PIL do).
std::vector<std::uint8_t> encode_cmyk_jpeg(const std::vector<std::uint8_t>& cmyk, int width, int height);
std::vector<std::uint8_t> encode_gray_jpeg(const std::vector<std::uint8_t>& gray, int width, int height);

// A PNG of any colour type and bit depth, written with libpng directly.
struct PngSpec {
  int width = 0;
  int height = 0;
  int bit_depth = 8;
  int color_type = 0;                      // PNG_COLOR_TYPE_*
  std::vector<std::uint16_t> samples;      // width * height * channels values, each < 2^bit_depth
  std::vector<std::array<std::uint8_t, 3>> palette;  // PNG_COLOR_TYPE_PALETTE
  std::vector<std::uint8_t> palette_alpha;           // tRNS for a palette, if not empty
  bool interlaced = false;                           // Adam7
};
std::vector<std::uint8_t> encode_png_spec(const PngSpec& spec);
// A spec whose every pixel has the same samples (`pixel`: one value per channel).
PngSpec flat_png_spec(int color_type, int bit_depth, std::vector<std::uint16_t> pixel, int width = 20, int height = 14);

// The same bytes with the JPEG's SOF0 or the PNG's IHDR claiming another size
// (the PNG's chunk CRC recomputed, so only the size is wrong).
std::vector<std::uint8_t> with_jpeg_size(std::vector<std::uint8_t> jpeg, int width, int height);
std::vector<std::uint8_t> with_png_size(std::vector<std::uint8_t> png, std::uint32_t width, std::uint32_t height);

// Sets the process-wide pixel limit for one test and puts the old one back.
class ScopedMaxImagePixels {
 public:
  explicit ScopedMaxImagePixels(std::uint64_t pixels) : saved_(data::max_image_pixels()) {
    data::set_max_image_pixels(pixels);
  }
  ~ScopedMaxImagePixels() { data::set_max_image_pixels(saved_); }
  ScopedMaxImagePixels(const ScopedMaxImagePixels&) = delete;
  ScopedMaxImagePixels& operator=(const ScopedMaxImagePixels&) = delete;

 private:
  std::uint64_t saved_;
};

}  // namespace trainbench::testing
