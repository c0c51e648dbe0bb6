#pragma once
// One record of a training run: what was asked and resolved (config.json),
// what it got (summary.json), how it went (metrics.jsonl, typed), where and
// with what it ran (provenance.json) and its classes. `train` writes each file
// through its field table; everything else reads a run folder through
// load_run_record, and a stored run (the results store keeps summary.json and
// config.json whole) through run_record_from_json: compare, report, the
// store, `train --resume`, eval and predict, and the end-of-run text.
//
// Folders written by earlier versions load: the field tables read their
// former key names (img_size) and config.json's missing settings get the
// values those runs used (train_config.h). tests/fixtures/ holds one.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/provenance.h"
#include "train/metrics_records.h"
#include "train/run_summary.h"
#include "train/train_config.h"

namespace trainbench::train {

struct RunRecord {
  std::filesystem::path folder;          // empty for a record from the results store
  std::string label;                     // the folder's name ("train:7" from the store)
  std::optional<TrainConfig> config;     // none only in a folder without config.json
  std::optional<RunSummary> summary;     // none while the run goes on, or after a kill
  RunMetrics metrics;
  std::optional<core::Provenance> provenance;  // none for runs made before it was written
  std::vector<std::string> classes;

  // The summary, or UsageError naming the run: for readers that need a finished (or interrupted) run.
  const RunSummary& finished_summary() const;
  // The config, or UsageError naming the run.
  const TrainConfig& settings() const;
};

// Reads a run folder. Throws UsageError when the folder does not exist, holds
// none of config.json, summary.json and metrics.jsonl, or one of them is not
// valid JSON or has a field of the wrong type (naming the file).
RunRecord load_run_record(const std::filesystem::path& folder);

// A run from its files' contents (null where a file is missing): the store's
// summary_json and config_json, and the metrics lines when its folder still exists.
RunRecord run_record_from_json(const std::string& label, const nlohmann::json& summary, const nlohmann::json& config,
                               const std::vector<nlohmann::json>& metrics);

}  // namespace trainbench::train
