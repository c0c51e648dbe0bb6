// libFuzzer target: data::decode_image (the JPEG and PNG decoders' wrapper)
// on arbitrary bytes, at full size and with a min_long_side that makes
// TurboJPEG decode at a reduced DCT scale. Anything unusable must end in
// DataError; any other exception, a crash or a sanitizer report is a finding.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "core/error.h"
#include "data/image_codec.h"

namespace {

using trainbench::data::Image;

void check_image(const Image& image, int min_long_side, int full_width, int full_height) {
  bool ok = image.width > 0 && image.height > 0 &&
            image.pixels.size() == static_cast<std::size_t>(image.width) * image.height * 3;
  if (ok && full_width > 0) {
    // A reduced decode never upscales and keeps the longer side >= min_long_side when the image has it.
    ok = image.width <= full_width && image.height <= full_height &&
         (std::max(image.width, image.height) >= std::min(min_long_side, std::max(full_width, full_height)));
  }
  if (!ok) {
    std::fprintf(stderr, "fuzz_image_decode: bad image %dx%d (%zu bytes) for min_long_side %d, full size %dx%d\n",
                 image.width, image.height, image.pixels.size(), min_long_side, full_width, full_height);
    std::abort();
  }
  // Touch every pixel, so a short buffer shows up under ASan.
  volatile std::uint8_t sink = 0;
  for (const std::uint8_t p : image.pixels) sink = sink ^ p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  int width = 0, height = 0;
  try {
    const Image image = trainbench::data::decode_image(data, size);
    check_image(image, 0, 0, 0);
    width = image.width;
    height = image.height;
    if (std::getenv("FUZZ_VERBOSE")) std::fprintf(stderr, "decoded: %dx%d\n", width, height);
  } catch (const trainbench::DataError& e) {
    if (std::getenv("FUZZ_VERBOSE")) std::fprintf(stderr, "refused: %s\n", e.what());
  }
  // A third of the long side asks for a 3/8 or 1/4 scale; 1 for the smallest (1/8).
  const int long_side = std::max(width, height);
  for (const int min_long_side : {long_side > 0 ? long_side / 3 + 1 : 64, 1}) {
    try {
      const Image image = trainbench::data::decode_image(data, size, min_long_side);
      check_image(image, min_long_side, width, height);
    } catch (const trainbench::DataError&) {
    }
  }
  return 0;
}
