#include "train/run_folder.h"

#include "core/atomic_file.h"
#include "core/error.h"

namespace trainbench::train {
namespace fs = std::filesystem;

RunFolder RunFolder::create(const fs::path& path, bool overwrite) {
  std::error_code error;
  if (fs::exists(path, error)) {
    if (!fs::is_directory(path, error)) throw RunError(path.string() + " exists and is not a folder");
    if (!fs::is_empty(path, error) && !overwrite) {
      throw RunError("run folder " + path.string() + " already exists and is not empty; choose another --output or pass --overwrite");
    }
    // Stale results of an earlier run must not mix with this one.
    for (const char* name : {RunFiles::kMetrics, RunFiles::kSummary, RunFiles::kMetadata, RunFiles::kBestWeights,
                             RunFiles::kBestCard, RunFiles::kLastWeights, RunFiles::kLastCard,
                             RunFiles::kCheckpoint, RunFiles::kTelemetry, RunFiles::kProvenance}) {
      fs::remove(path / name, error);
    }
  }
  fs::create_directories(path, error);
  if (error) throw RunError("cannot create run folder " + path.string() + ": " + error.message());
  RunFolder folder(path);
  folder.metrics_.open(path / RunFiles::kMetrics, std::ios::trunc);
  if (!folder.metrics_) throw RunError("cannot write " + (path / RunFiles::kMetrics).string());
  return folder;
}

RunFolder RunFolder::open(const fs::path& path) {
  std::error_code error;
  if (!fs::is_directory(path, error)) throw RunError("run folder " + path.string() + " does not exist");
  for (const char* name : {RunFiles::kConfig, RunFiles::kClasses}) {
    if (!fs::exists(path / name, error)) {
      throw RunError(path.string() + " is not a trainbench run folder (no " + name + ")");
    }
  }
  return RunFolder(path);
}

void RunFolder::write_json(const char* name, const nlohmann::ordered_json& value) const {
  // File names that are not UTF-8 (a skipped file's path) are written with
  // U+FFFD in place of the bad bytes rather than failing the whole file.
  core::write_file_atomically(file(name), value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void RunFolder::write_classes(const std::vector<std::string>& classes) const {
  write_json(RunFiles::kClasses, {{"classes", classes}});
}

RunFolder RunFolder::resume(const fs::path& path, std::uint64_t metrics_bytes) {
  const fs::path metrics = path / RunFiles::kMetrics;
  std::error_code error;
  const std::uint64_t size = fs::exists(metrics, error) ? fs::file_size(metrics, error) : 0;
  if (error || size < metrics_bytes) {
    throw RunError(metrics.string() + " is shorter than the checkpoint says it was (" + std::to_string(size) + " < " +
                   std::to_string(metrics_bytes) + " bytes): the run folder was changed since");
  }
  fs::resize_file(metrics, metrics_bytes, error);
  if (error) throw RunError("cannot cut " + metrics.string() + " back to the checkpoint: " + error.message());
  RunFolder folder(path);
  folder.metrics_.open(metrics, std::ios::app);
  if (!folder.metrics_) throw RunError("cannot write " + metrics.string());
  return folder;
}

std::uint64_t RunFolder::metrics_bytes() {
  metrics_.flush();
  std::error_code error;
  const std::uint64_t size = fs::file_size(path_ / RunFiles::kMetrics, error);
  return error ? 0 : size;
}

std::vector<nlohmann::json> read_metrics_log(const std::filesystem::path& file) {
  std::vector<nlohmann::json> records;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
    if (!record.is_discarded()) records.push_back(std::move(record));
  }
  return records;
}

void RunFolder::append_metrics(const nlohmann::ordered_json& record) {
  metrics_ << record.dump() << '\n';
  metrics_.flush();
}

}  // namespace trainbench::train
