#pragma once
// A synthetic stand-in for HaGRID: JPEG pictures of procedurally drawn hands
// whose finger pattern and orientation encode the gesture class, on cluttered
// backgrounds, in the image-folder layout (one folder per class). Every file
// is a pure function of (seed, class, index), whatever the thread count, so a
// data set can be regenerated anywhere instead of being copied.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "data/image.h"

namespace trainbench::data {

// HaGRID's 19 classification classes in its (alphabetical) order.
const std::vector<std::string>& hagrid_class_names();

struct SynthOptions {
  std::filesystem::path out;
  int classes = 19;  // the first `classes` names of hagrid_class_names()
  int per_class = 100;
  std::uint64_t seed = 1234;
  int threads = 0;  // 0 = one per hardware thread
};

struct SynthSummary {
  int classes = 0;
  int images = 0;
  std::uint64_t bytes = 0;  // total size of the JPEG files written
};

// Renders one picture (448..512 px on the long side, portrait or landscape)
// of class `class_index` (0..18). Deterministic; no file I/O.
Image render_gesture(int class_index, std::uint64_t seed, int image_index);

// The JPEG quality (60..95) that image is saved with; drawn from its own stream
// so that it does not disturb the picture.
int synth_jpeg_quality(int class_index, std::uint64_t seed, int image_index);

// The file name of an image inside its class folder: "<class>_<index, 5 digits>.jpg".
std::string synth_file_name(int class_index, int image_index);

// Writes options.out/<class>/<class>_<00000>.jpg for every class and index.
// Throws UsageError for bad options or an out folder that exists and is not
// empty, DataError when a folder or file cannot be written. on_progress(done,
// total) is called from the calling thread only (never from a worker), at
// least once at the end.
SynthSummary write_synthetic_dataset(const SynthOptions& options,
                                     const std::function<void(int, int)>& on_progress = {});

}  // namespace trainbench::data
