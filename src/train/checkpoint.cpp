#include "train/checkpoint.h"

#include <cstring>

#include "core/atomic_file.h"
#include "core/error.h"
#include "weights/safetensors.h"

namespace trainbench::train {
namespace {

constexpr const char* kFormat = "trainbench-checkpoint";
constexpr const char* kVersion = "2";
constexpr const char* kModelPrefix = "model/";
constexpr const char* kOptimizerPrefix = "optimizer/";
constexpr const char* kRngName = "rng/cpu";

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

}  // namespace

void write_checkpoint(const std::filesystem::path& path, const TrainingCheckpoint& checkpoint) {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& [name, tensor] : checkpoint.model) tensors.emplace_back(kModelPrefix + name, tensor);
  for (const auto& [name, tensor] : checkpoint.optimizer.tensors) tensors.emplace_back(kOptimizerPrefix + name, tensor);
  tensors.emplace_back(kRngName, checkpoint.rng_state.to(torch::kCPU).contiguous());
  const std::vector<std::uint8_t> bytes =
      weights::serialize_safetensors(tensors, {{"format", kFormat},
                                               {"version", kVersion},
                                               {"optimizer", checkpoint.optimizer.groups.dump()},
                                               {"state", checkpoint.state.dump()}});
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
  if (meta("version") == "1") {
    throw RunError(name_for_errors + " is a checkpoint of an earlier trainbench (version 1, whose optimizer state " +
                   "this one no longer reads): start the run again without --resume");
  }
  if (meta("version") != kVersion) {
    throw RunError(name_for_errors + " is a checkpoint of version '" + meta("version") + "'; this trainbench reads " +
                   kVersion);
  }
  TrainingCheckpoint checkpoint;
  checkpoint.state = nlohmann::json::parse(meta("state"), nullptr, /*allow_exceptions=*/false);
  if (checkpoint.state.is_discarded() || !checkpoint.state.is_object()) {
    throw RunError(name_for_errors + ": the checkpoint's state is not a JSON object");
  }
  // The optimizer's groups are there even before its first step, when it has no tensors yet.
  checkpoint.optimizer.groups = nlohmann::json::parse(meta("optimizer"), nullptr, /*allow_exceptions=*/false);
  const bool has_optimizer = checkpoint.optimizer.groups.is_array();
  for (auto& [name, tensor] : contents.tensors) {
    if (starts_with(name, kModelPrefix)) {
      checkpoint.model.emplace_back(name.substr(std::strlen(kModelPrefix)), std::move(tensor));
    } else if (starts_with(name, kOptimizerPrefix)) {
      checkpoint.optimizer.tensors.emplace_back(name.substr(std::strlen(kOptimizerPrefix)), std::move(tensor));
    } else if (name == kRngName) {
      if (tensor.scalar_type() != torch::kUInt8 || tensor.dim() != 1) {
        throw RunError(name_for_errors + ": " + name + " must be a 1-D uint8 tensor");
      }
      checkpoint.rng_state = std::move(tensor);
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

}  // namespace trainbench::train
