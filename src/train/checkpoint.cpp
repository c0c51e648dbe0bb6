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

void save_module(torch::nn::Module& module, const fs::path& path) { save_atomically(module, path); }

void save_optimizer(torch::optim::Optimizer& optimizer, const fs::path& path) { save_atomically(optimizer, path); }

void load_module(torch::nn::Module& module, const fs::path& path) {
  std::error_code error;
  if (!fs::exists(path, error)) throw RunError("no weights at " + path.string());
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path.string());
    module.load(archive);
  } catch (const c10::Error& e) {
    throw RunError("cannot load weights from " + path.string() + ": " + e.what_without_backtrace());
  }
}

}  // namespace trainbench::train
