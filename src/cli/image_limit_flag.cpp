#include "cli/image_limit_flag.h"

#include <cstdint>
#include <string>

#include "cli/option_checks.h"
#include "data/image_limits.h"

namespace trainbench::cli {

void add_max_image_pixels_flag(CLI::App* cmd) {
  cmd->add_option_function<std::uint64_t>(
         "--max-image-pixels", [](const std::uint64_t& pixels) { data::set_max_image_pixels(pixels); },
         "Refuse an image whose header claims more pixels than this, before decoding it (a decompression bomb: a "
         "tiny file claiming 60000x60000); such a file is reported and skipped. Default " +
             std::to_string(data::kDefaultMaxImagePixels) + ", PIL's own limit (about 13400x13400)")
      ->check(positive_whole_number("pixels", UINT64_MAX));
}

}  // namespace trainbench::cli
