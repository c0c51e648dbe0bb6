#pragma once
// A training run as the report reads it: its files, loaded once. A run that is
// still going or was killed has no summary.json yet; the report still shows
// what its metrics and telemetry hold.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "telemetry/telemetry_sample.h"
#include "train/run_record.h"

namespace trainbench::report {

struct ReportRun {
  train::RunRecord record;  // its label, settings, summary, metrics and provenance
  std::vector<telemetry::TelemetrySample> telemetry;
};

// train::load_run_record, and the telemetry beside it. Throws UsageError when
// the folder does not exist or holds none of config.json, summary.json and
// metrics.jsonl.
ReportRun load_report_run(const std::filesystem::path& folder);

}  // namespace trainbench::report
