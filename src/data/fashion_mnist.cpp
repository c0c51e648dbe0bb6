#include "data/fashion_mnist.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>

#include "core/error.h"
#include "data/image_codec.h"

namespace trainbench::data {
namespace fs = std::filesystem;
namespace {

constexpr std::uint32_t kIdxImagesMagic = 0x00000803;  // unsigned byte, 3 dimensions
constexpr std::uint32_t kIdxLabelsMagic = 0x00000801;  // unsigned byte, 1 dimension

// gzread reads plain files too, so an unpacked copy works as well.
class GzipFile {
 public:
  explicit GzipFile(const fs::path& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    if (!file_) throw DataError("cannot open " + path.string() + " (install Debian's dataset-fashion-mnist or pass --src)");
  }
  ~GzipFile() { gzclose(file_); }
  GzipFile(const GzipFile&) = delete;
  GzipFile& operator=(const GzipFile&) = delete;

  void read(void* out, std::size_t size) {
    auto* bytes = static_cast<std::uint8_t*>(out);
    while (size > 0) {
      const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(size, 1u << 30));
      const int got = gzread(file_, bytes, chunk);
      if (got <= 0) throw DataError(path_.string() + " is truncated or not a valid IDX file");
      bytes += got;
      size -= static_cast<std::size_t>(got);
    }
  }
  std::uint32_t read_big_endian_u32() {
    std::uint8_t b[4];
    read(b, 4);
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
  }

 private:
  fs::path path_;
  gzFile file_;
};

void check_magic(const fs::path& path, std::uint32_t magic, std::uint32_t expected) {
  if (magic != expected) {
    char text[64];
    std::snprintf(text, sizeof text, "0x%08x (expected 0x%08x)", magic, expected);
    throw DataError(path.string() + " is not an IDX file of the expected kind: magic " + text);
  }
}

void write_split(const IdxImages& images, const std::vector<std::uint8_t>& labels, const fs::path& out, int done_before,
                 int total, const std::function<void(int, int)>& on_progress) {
  const auto& classes = fashion_mnist_classes();
  for (const std::string& name : classes) fs::create_directories(out / name);
  const std::size_t image_bytes = static_cast<std::size_t>(images.rows) * images.cols;
  char name[32];
  for (int i = 0; i < images.count; ++i) {
    if (labels[i] >= classes.size()) {
      throw DataError("label " + std::to_string(labels[i]) + " of image " + std::to_string(i) + " is out of range");
    }
    std::snprintf(name, sizeof name, "%05d.png", i);
    write_file_bytes(out / classes[labels[i]] / name,
                     encode_png_gray(images.pixels.data() + i * image_bytes, images.cols, images.rows));
    if (on_progress && (i % 1000 == 999 || i + 1 == images.count)) on_progress(done_before + i + 1, total);
  }
}

}  // namespace

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> classes = {"t-shirt_top", "trouser", "pullover", "dress", "coat",
                                                   "sandal",      "shirt",   "sneaker",  "bag",   "ankle_boot"};
  return classes;
}

IdxImages read_idx_images(const fs::path& path) {
  GzipFile file(path);
  check_magic(path, file.read_big_endian_u32(), kIdxImagesMagic);
  IdxImages images;
  const std::uint32_t count = file.read_big_endian_u32();
  const std::uint32_t rows = file.read_big_endian_u32();
  const std::uint32_t cols = file.read_big_endian_u32();
  if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096 || count > 10'000'000) {
    throw DataError(path.string() + " claims implausible dimensions " + std::to_string(count) + "x" +
                    std::to_string(rows) + "x" + std::to_string(cols));
  }
  images.count = static_cast<int>(count);
  images.rows = static_cast<int>(rows);
  images.cols = static_cast<int>(cols);
  // The buffer grows as the data arrives: a 16-byte header claiming 10^7
  // 4096x4096 images must fail as truncated, not allocate (and zero) terabytes.
  const std::size_t total = static_cast<std::size_t>(count) * rows * cols;
  constexpr std::size_t kChunk = std::size_t{16} << 20;
  while (images.pixels.size() < total) {
    const std::size_t done = images.pixels.size();
    images.pixels.resize(done + std::min(kChunk, total - done));
    file.read(images.pixels.data() + done, images.pixels.size() - done);
  }
  return images;
}

std::vector<std::uint8_t> read_idx_labels(const fs::path& path) {
  GzipFile file(path);
  check_magic(path, file.read_big_endian_u32(), kIdxLabelsMagic);
  const std::uint32_t count = file.read_big_endian_u32();
  if (count > 10'000'000) throw DataError(path.string() + " claims an implausible " + std::to_string(count) + " labels");
  std::vector<std::uint8_t> labels(count);
  file.read(labels.data(), labels.size());
  return labels;
}

ImportSummary import_fashion_mnist(const fs::path& source, const fs::path& out,
                                   const std::function<void(int, int)>& on_progress) {
  std::error_code error;
  if (fs::exists(out, error) && !fs::is_empty(out, error)) {
    throw UsageError("output folder " + out.string() + " exists and is not empty; choose a new one");
  }
  struct Part {
    const char* images;
    const char* labels;
    const char* folder;
  };
  const Part parts[2] = {{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "train"},
                         {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "test"}};
  IdxImages images[2];
  std::vector<std::uint8_t> labels[2];
  for (int p = 0; p < 2; ++p) {
    images[p] = read_idx_images(source / parts[p].images);
    labels[p] = read_idx_labels(source / parts[p].labels);
    if (labels[p].size() != static_cast<std::size_t>(images[p].count)) {
      throw DataError(std::string(parts[p].images) + " has " + std::to_string(images[p].count) + " images but " +
                      parts[p].labels + " has " + std::to_string(labels[p].size()) + " labels");
    }
  }
  const int total = images[0].count + images[1].count;
  write_split(images[0], labels[0], out / parts[0].folder, 0, total, on_progress);
  write_split(images[1], labels[1], out / parts[1].folder, images[0].count, total, on_progress);
  return {images[0].count, images[1].count};
}

}  // namespace trainbench::data
