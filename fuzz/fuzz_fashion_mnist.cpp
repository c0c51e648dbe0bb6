// libFuzzer target: the Fashion-MNIST IDX readers (data::read_idx_images,
// data::read_idx_labels) on arbitrary bytes, gzip-compressed or plain.
// They read from a path, so each input goes into one memory file (memfd)
// reached as /proc/self/fd/N: no disk writes, no temporary files left behind.
// Anything malformed must end in DataError; any other exception (std::bad_alloc
// included), a crash or a sanitizer report is a finding.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "data/fashion_mnist.h"

namespace {

const std::string& memory_file_path(int* fd_out) {
  static int fd = -1;
  static std::string path;
  if (fd < 0) {
    fd = memfd_create("fuzz-idx", MFD_CLOEXEC);
    if (fd < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    path = "/proc/self/fd/" + std::to_string(fd);
  }
  *fd_out = fd;
  return path;
}

void fill(int fd, const std::uint8_t* data, std::size_t size) {
  if (::ftruncate(fd, 0) != 0) std::abort();
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pwrite(fd, data + done, size - done, static_cast<off_t>(done));
    if (n <= 0) std::abort();
    done += static_cast<std::size_t>(n);
  }
}

void fail(const char* what) {
  std::fprintf(stderr, "fuzz_fashion_mnist: invariant broken: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  int fd = -1;
  const std::string& path = memory_file_path(&fd);
  fill(fd, data, size);
  try {
    const trainbench::data::IdxImages images = trainbench::data::read_idx_images(path);
    if (images.count < 0 || images.rows <= 0 || images.cols <= 0 ||
        images.pixels.size() != static_cast<std::size_t>(images.count) * images.rows * images.cols) {
      fail("image count, size and pixel buffer disagree");
    }
    if (std::getenv("FUZZ_VERBOSE")) std::fprintf(stderr, "images: %d of %dx%d\n", images.count, images.rows, images.cols);
  } catch (const trainbench::DataError& e) {
    if (std::getenv("FUZZ_VERBOSE")) std::fprintf(stderr, "images refused: %s\n", e.what());
  }
  try {
    const std::vector<std::uint8_t> labels = trainbench::data::read_idx_labels(path);
    if (labels.size() > 10'000'000) fail("more labels than the reader's limit");
    if (std::getenv("FUZZ_VERBOSE")) std::fprintf(stderr, "labels: %zu\n", labels.size());
  } catch (const trainbench::DataError& e) {
    if (std::getenv("FUZZ_VERBOSE")) std::fprintf(stderr, "labels refused: %s\n", e.what());
  }
  return 0;
}
