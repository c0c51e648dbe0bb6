#pragma once
// What the arguments of `trainbench compare` name, loaded into the sides that
// compare.h compares. An argument is, in this order:
//   - a folder with summary.json: a training run (config.json and
//     metrics.jsonl beside it add the seed, the settings and the per-epoch
//     rates the spread comes from);
//   - a file: bench rows, as `bench -o json` (one array) or `-o jsonl` (one
//     object per line) writes them; a run's summary.json stands for its folder;
//   - "ID" or "bench:ID": a bench row of the results store, "train:ID": a
//     training run stored there.
// Anything else is a UsageError that lists these forms.
//
// A training run's steady-state throughput is the mean of its per-epoch rates
// after the first epoch when it ran at least 3 epochs (their spread is the
// run-to-run spread); with fewer epochs it is summary.json's
// train_images_per_sec and the spread is unknown.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "bench/compare.h"
#include "train/run_record.h"

namespace trainbench::bench {

struct CompareInput {
  enum class Kind { kTrainingRun, kBench };
  Kind kind = Kind::kBench;
  TrainingSide training;  // kind == kTrainingRun
  BenchSide bench;        // kind == kBench
};

// `database` is read only for the stored forms, and must exist then.
CompareInput load_compare_input(const std::string& argument, const std::filesystem::path& database);

// A training run as compare sees it, from its one record (train/run_record.h).
// Throws UsageError when the run has no summary (still running, or killed).
TrainingSide training_side_from_record(const train::RunRecord& record);

// load_run_record, then training_side_from_record.
TrainingSide load_run_folder(const std::filesystem::path& folder);

// Bench rows of a JSON array or JSONL file; throws UsageError naming the file
// (and line) that does not hold them.
std::vector<store::BenchRow> load_bench_file(const std::filesystem::path& file);

}  // namespace trainbench::bench
