#include "train/run_record.h"

#include <fstream>

#include "core/error.h"
#include "train/run_folder.h"

namespace trainbench::train {
namespace fs = std::filesystem;
namespace {

nlohmann::json read_json_or_null(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return nullptr;
  nlohmann::json json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) throw UsageError(file.string() + " is not valid JSON");
  return json;
}

std::string folder_label(const fs::path& folder) {
  const fs::path name = folder.filename().empty() ? folder.parent_path().filename() : folder.filename();
  return name.empty() ? folder.string() : name.string();
}

// Each file's reader, its errors named after the file.
template <typename Read>
auto read_file(const std::string& what, Read read) -> decltype(read()) {
  try {
    return read();
  } catch (const Error& e) {
    throw UsageError(what + ": " + e.what());
  }
}

}  // namespace

const RunSummary& RunRecord::finished_summary() const {
  if (!summary) {
    throw UsageError(label + " is not a finished training run (no summary.json): it is still running, or it was killed");
  }
  return *summary;
}

const TrainConfig& RunRecord::settings() const {
  if (!config) throw UsageError(label + " has no config.json: is it a trainbench run folder?");
  return *config;
}

RunRecord run_record_from_json(const std::string& label, const nlohmann::json& summary, const nlohmann::json& config,
                               const std::vector<nlohmann::json>& metrics) {
  RunRecord record;
  record.label = label;
  if (!summary.is_null()) {
    record.summary = read_file(label + "'s summary.json", [&] { return run_summary_from_json(summary); });
  }
  if (!config.is_null()) {
    record.config = read_file(label + "'s config.json", [&] { return train_config_from_json(config); });
  }
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    std::optional<MetricsRecord> line = read_file(label + "'s metrics.jsonl record " + std::to_string(i + 1),
                                                  [&] { return metrics_record_from_json(metrics[i]); });
    if (line) record.metrics.records.push_back(std::move(*line));
  }
  return record;
}

RunRecord load_run_record(const fs::path& folder) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) throw UsageError(folder.string() + " is not a folder (a run folder was expected)");
  const nlohmann::json summary = read_json_or_null(folder / RunFiles::kSummary);
  const nlohmann::json config = read_json_or_null(folder / RunFiles::kConfig);
  const std::vector<nlohmann::json> metrics = read_metrics_log(folder / RunFiles::kMetrics);
  if (summary.is_null() && config.is_null() && metrics.empty()) {
    throw UsageError(folder.string() + " is not a training run folder (no config.json, summary.json or metrics.jsonl)");
  }
  RunRecord record = run_record_from_json(folder_label(folder), summary, config, metrics);
  record.folder = folder;
  const nlohmann::json provenance = read_json_or_null(folder / RunFiles::kProvenance);
  if (provenance.is_object()) {
    record.provenance = read_file(record.label + "'s provenance.json", [&] { return core::provenance_from_json(provenance); });
  }
  const nlohmann::json classes = read_json_or_null(folder / RunFiles::kClasses);
  if (classes.is_object() && classes.contains("classes") && classes["classes"].is_array()) {
    for (const nlohmann::json& name : classes["classes"]) {
      if (!name.is_string()) throw UsageError((folder / RunFiles::kClasses).string() + " holds a class that is not text");
      record.classes.push_back(name.get<std::string>());
    }
  }
  return record;
}

}  // namespace trainbench::train
