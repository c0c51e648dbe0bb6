#include "train/checkpoint.h"

#include <torch/serialize.h>

#include <cstring>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "weights/safetensors.h"

namespace trainbench::train {
namespace {

constexpr const char* kFormat = "trainbench-checkpoint";
constexpr const char* kVersion = "1";
constexpr const char* kModelPrefix = "model/";
constexpr const char* kOptimizerName = "optimizer/archive";
constexpr const char* kRngName = "rng/cpu";

torch::Tensor bytes_tensor(const std::string& bytes) {
  torch::Tensor tensor = torch::empty({static_cast<std::int64_t>(bytes.size())}, torch::kUInt8);
  if (!bytes.empty()) std::memcpy(tensor.data_ptr(), bytes.data(), bytes.size());
  return tensor;
}

std::string tensor_bytes(const torch::Tensor& tensor) {
  return std::string(static_cast<const char*>(tensor.data_ptr()), static_cast<std::size_t>(tensor.numel()));
}

}  // namespace

void write_checkpoint(const std::filesystem::path& path, const TrainingCheckpoint& checkpoint) {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& [name, tensor] : checkpoint.model) tensors.emplace_back(kModelPrefix + name, tensor);
  tensors.emplace_back(kOptimizerName, bytes_tensor(checkpoint.optimizer_archive));
  tensors.emplace_back(kRngName, checkpoint.rng_state.to(torch::kCPU).contiguous());
  const std::vector<std::uint8_t> bytes = weights::serialize_safetensors(
      tensors, {{"format", kFormat}, {"version", kVersion}, {"state", checkpoint.state.dump()}});
  core::write_file_atomically(path, bytes.data(), bytes.size());
}

TrainingCheckpoint parse_checkpoint(const std::uint8_t* data, std::size_t size, const std::string& name_for_errors) {
  weights::SafetensorsContents contents;
  try {
    contents = weights::parse_safetensors(data, size, name_for_errors);
  } catch (const ModelError& error) {
    throw RunError(std::string("not a readable checkpoint: ") + error.what());
  }
  const auto meta = [&](const char* key) {
    const auto found = contents.metadata.find(key);
    return found == contents.metadata.end() ? std::string() : found->second;
  };
  if (meta("format") != kFormat) throw RunError(name_for_errors + " is not a trainbench checkpoint");
  if (meta("version") != kVersion) {
    throw RunError(name_for_errors + " is a checkpoint of version '" + meta("version") + "'; this trainbench reads " +
                   kVersion);
  }
  TrainingCheckpoint checkpoint;
  checkpoint.state = nlohmann::json::parse(meta("state"), nullptr, /*allow_exceptions=*/false);
  if (checkpoint.state.is_discarded() || !checkpoint.state.is_object()) {
    throw RunError(name_for_errors + ": the checkpoint's state is not a JSON object");
  }
  bool has_optimizer = false;
  for (auto& [name, tensor] : contents.tensors) {
    if (name.rfind(kModelPrefix, 0) == 0) {
      checkpoint.model.emplace_back(name.substr(std::strlen(kModelPrefix)), std::move(tensor));
    } else if (name == kOptimizerName || name == kRngName) {
      if (tensor.scalar_type() != torch::kUInt8 || tensor.dim() != 1) {
        throw RunError(name_for_errors + ": " + name + " must be a 1-D uint8 tensor");
      }
      if (name == kOptimizerName) {
        checkpoint.optimizer_archive = tensor_bytes(tensor);
        has_optimizer = true;
      } else {
        checkpoint.rng_state = std::move(tensor);
      }
    } else {
      throw RunError(name_for_errors + ": unexpected tensor '" + name + "' in a checkpoint");
    }
  }
  if (!has_optimizer || !checkpoint.rng_state.defined() || checkpoint.model.empty()) {
    throw RunError(name_for_errors + " is missing the model, the optimizer state or the random state");
  }
  return checkpoint;
}

TrainingCheckpoint read_checkpoint(const std::filesystem::path& path) {
  std::vector<std::uint8_t> bytes;
  {
    FILE* file = std::fopen(path.c_str(), "rb");
    if (!file) throw RunError("cannot read " + path.string() + ": " + std::strerror(errno));
    std::uint8_t buffer[1 << 16];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) bytes.insert(bytes.end(), buffer, buffer + n);
    const bool failed = std::ferror(file);
    std::fclose(file);
    if (failed) throw RunError("cannot read " + path.string());
  }
  return parse_checkpoint(bytes.data(), bytes.size(), path.string());
}

std::string optimizer_archive(torch::optim::Optimizer& optimizer) {
  std::ostringstream bytes;
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  archive.save_to(bytes);
  return bytes.str();
}

void load_optimizer_archive(torch::optim::Optimizer& optimizer, const std::string& bytes,
                            const std::string& name_for_errors) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(bytes.data(), bytes.size());
    optimizer.load(archive);
  } catch (const c10::Error& error) {
    throw RunError(name_for_errors + ": the optimizer state does not load: " + error.what_without_backtrace());
  } catch (const std::exception& error) {
    // LibTorch's archive reader compiles TorchScript stored in the archive
    // and throws std::runtime_error for bad source (found by fuzz_checkpoint).
    throw RunError(name_for_errors + ": the optimizer state does not load: " + error.what());
  }
}

}  // namespace trainbench::train
