#include "data/image_limits.h"

#include <atomic>
#include <limits>

#include "core/error.h"

namespace trainbench::data {
namespace {

std::atomic<std::uint64_t> g_max_image_pixels{kDefaultMaxImagePixels};

}  // namespace

std::uint64_t max_image_pixels() { return g_max_image_pixels.load(std::memory_order_relaxed); }

void set_max_image_pixels(std::uint64_t pixels) {
  if (pixels == 0) throw UsageError("--max-image-pixels must be at least 1");
  g_max_image_pixels.store(pixels, std::memory_order_relaxed);
}

std::uint64_t max_image_file_bytes() {
  // A PNG of 16-bit RGBA stored without compression takes 8 bytes a pixel and
  // a filter byte a row (9 a pixel at worst), and metadata (EXIF, ICC
  // profiles, camera previews) rarely more than a few megabytes.
  constexpr std::uint64_t kMetadata = 64ull << 20;
  const std::uint64_t pixels = max_image_pixels();
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  if (pixels > (kMax - kMetadata) / 9) return kMax;
  return pixels * 9 + kMetadata;
}

}  // namespace trainbench::data
