#include "train/checkpoint.h"

#include <torch/serialize.h>

#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace trainbench::train {

void save_optimizer(torch::optim::Optimizer& optimizer, const std::filesystem::path& path) {
  // Serialised in memory first, so the file is replaced by the one atomic
  // writer every run file goes through.
  std::ostringstream bytes;
  try {
    torch::serialize::OutputArchive archive;
    optimizer.save(archive);
    archive.save_to(bytes);
  } catch (const c10::Error& e) {
    throw RunError("cannot write " + path.string() + ": " + e.what_without_backtrace());
  }
  core::write_file_atomically(path, bytes.str());
}

}  // namespace trainbench::train
