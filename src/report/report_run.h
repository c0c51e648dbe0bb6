#pragma once
// A training run as the report reads it: its files, loaded once. A run that is
// still going or was killed has no summary.json yet; the report still shows
// what its metrics and telemetry hold.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "telemetry/telemetry_sample.h"

namespace trainbench::report {

struct ReportRun {
  std::string label;  // the folder's name
  std::filesystem::path folder;
  nlohmann::json config;      // config.json; null when missing
  nlohmann::json summary;     // summary.json; null while running or after a kill
  nlohmann::json provenance;  // provenance.json; null for runs made before it was written
  std::vector<nlohmann::json> metrics;  // metrics.jsonl records
  std::vector<telemetry::TelemetrySample> telemetry;
};

// Throws UsageError when the folder does not exist or holds none of
// config.json, summary.json and metrics.jsonl.
ReportRun load_report_run(const std::filesystem::path& folder);

}  // namespace trainbench::report
