#pragma once
// Fashion-MNIST as an image folder: the real-data check. Reads the IDX files
// Debian's dataset-fashion-mnist package installs and writes one grayscale
// PNG per image under out/train/<class>/ and out/test/<class>/.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace trainbench::data {

// The dataset's 10 classes, as folder names ("T-shirt/top" -> "t-shirt_top").
const std::vector<std::string>& fashion_mnist_classes();

inline const char* kFashionMnistDefaultSource = "/usr/share/datasets/fashion-mnist";

struct IdxImages {
  int count = 0;
  int rows = 0;
  int cols = 0;
  std::vector<std::uint8_t> pixels;  // count * rows * cols
};

// Reads a gzip-compressed (or plain) IDX3 image file / IDX1 label file.
// Throws DataError naming the file when it is missing or malformed.
IdxImages read_idx_images(const std::filesystem::path& path);
std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path);

struct ImportSummary {
  int train_images = 0;
  int test_images = 0;
};

// Writes the image folders. Refuses a non-empty `out`. on_progress(done, total).
ImportSummary import_fashion_mnist(const std::filesystem::path& source, const std::filesystem::path& out,
                                   const std::function<void(int, int)>& on_progress = {});

}  // namespace trainbench::data
