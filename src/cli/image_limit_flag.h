#pragma once
// --max-image-pixels for every command that decodes images (train, bench,
// eval, predict, data verify, data bench): the decompression-bomb limit of
// data/image_limits.h, set for the whole process when the flag is parsed.
#include <CLI/CLI.hpp>

namespace trainbench::cli {

void add_max_image_pixels_flag(CLI::App* cmd);

}  // namespace trainbench::cli
