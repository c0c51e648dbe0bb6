#pragma once
// The records of metrics.jsonl, typed: one line per training step, per
// training pass (epoch) and per evaluation, in the order they happened. Each
// kind has one field table: the trainer writes through it and every reader
// (compare, the report's curves and tables, resume) reads through it.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/field_table.h"

namespace trainbench::train {

struct StepRecord {  // "type": "train_step"
  int epoch = 0;
  std::int64_t step = 0;  // optimizer steps taken so far, this one included (1-based)
  double loss = 0.0;
  double lr = 0.0;
  std::int64_t images = 0;
  double data_wait_seconds = 0.0;
  std::optional<double> elapsed_seconds;  // since the pass began (runs since the first release)
  std::optional<double> run_seconds;      // since the run began (runs written before it have none)
};

struct EpochRecord {  // "type": "train_epoch": a whole training pass
  int epoch = 0;
  double loss = 0.0;      // mean batch loss
  double accuracy = 0.0;
  std::int64_t images = 0;  // all ranks'
  double seconds = 0.0;
  std::optional<double> data_wait_seconds;
  std::optional<double> run_seconds;
};

struct EvalRecord {  // "type": "eval"
  int epoch = 0;
  double loss = 0.0;
  double accuracy = 0.0;
  std::int64_t images = 0;
  double seconds = 0.0;
  std::optional<double> run_seconds;
};

using MetricsRecord = std::variant<StepRecord, EpochRecord, EvalRecord>;

const std::vector<core::Field<StepRecord>>& step_record_fields();
const std::vector<core::Field<EpochRecord>>& epoch_record_fields();
const std::vector<core::Field<EvalRecord>>& eval_record_fields();

// One line of metrics.jsonl: {"type": ..., fields...}.
nlohmann::ordered_json to_json(const MetricsRecord& record);
// The record of one line; nullopt for a type this version does not know (a
// later version's), throws UsageError for a known type with a malformed field.
std::optional<MetricsRecord> metrics_record_from_json(const nlohmann::json& line);

// metrics.jsonl as a whole, in order, with the passes picked out.
struct RunMetrics {
  std::vector<MetricsRecord> records;

  std::vector<StepRecord> steps() const;
  std::vector<EpochRecord> epochs() const;
  std::vector<EvalRecord> evaluations() const;
};

}  // namespace trainbench::train
