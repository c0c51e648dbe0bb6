#include "report/report_run.h"

#include <fstream>

#include "core/error.h"
#include "telemetry/telemetry_log.h"
#include "train/run_folder.h"

namespace trainbench::report {
namespace fs = std::filesystem;
namespace {

nlohmann::json read_json_or_null(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return nullptr;
  nlohmann::json json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) throw UsageError(file.string() + " is not valid JSON");
  return json;
}

}  // namespace

ReportRun load_report_run(const fs::path& folder) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) throw UsageError(folder.string() + " is not a folder (report takes run folders)");
  ReportRun run;
  run.folder = folder;
  const fs::path name = folder.filename().empty() ? folder.parent_path().filename() : folder.filename();
  run.label = name.empty() ? folder.string() : name.string();
  run.config = read_json_or_null(folder / train::RunFiles::kConfig);
  run.summary = read_json_or_null(folder / train::RunFiles::kSummary);
  run.provenance = read_json_or_null(folder / train::RunFiles::kProvenance);
  run.metrics = train::read_metrics_log(folder / train::RunFiles::kMetrics);
  try {
    run.telemetry = telemetry::read_telemetry_log(folder / train::RunFiles::kTelemetry);
  } catch (const RunError& bad) {
    throw UsageError(bad.what());
  }
  if (run.config.is_null() && run.summary.is_null() && run.metrics.empty()) {
    throw UsageError(folder.string() + " is not a training run folder (no config.json, summary.json or metrics.jsonl)");
  }
  return run;
}

}  // namespace trainbench::report
