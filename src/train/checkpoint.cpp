#include "train/checkpoint.h"

#include <torch/serialize.h>

#include "core/error.h"

namespace trainbench::train {
namespace fs = std::filesystem;
namespace {

template <typename Saveable>
void save_atomically(Saveable& object, const fs::path& path) {
  const fs::path temporary = path.string() + ".tmp";
  try {
    torch::serialize::OutputArchive archive;
    object.save(archive);
    archive.save_to(temporary.string());
  } catch (const c10::Error& e) {
    throw RunError("cannot write " + path.string() + ": " + e.what_without_backtrace());
  }
  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) throw RunError("cannot replace " + path.string() + ": " + error.message());
}

}  // namespace

void save_optimizer(torch::optim::Optimizer& optimizer, const fs::path& path) { save_atomically(optimizer, path); }

}  // namespace trainbench::train
