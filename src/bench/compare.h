#pragma once
// `trainbench compare`: two sets of results side by side, each difference
// judged against the noise it could come from (rules in compare_rules.h).
// Three shapes of comparison:
//   - bench rows vs bench rows: paired by bench_key_columns(), ignoring the
//     device when the two sides ran on different devices (comparing devices is
//     the point), one figure per pair;
//   - training run vs training run: steady-state and first-epoch throughput,
//     evaluation throughput, the passes' time, final validation accuracy and
//     loss, plus notes on seeds and on settings that differ;
//   - published reference figures vs bench rows (train rows against the
//     reference's training rate, infer rows against its evaluation rate).
// A published reference is a TrainingSide too (reference_figures.h).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/bench_row.h"
#include "bench/compare_rules.h"

namespace trainbench::bench {

// What one side of a training comparison knows.
struct TrainingSide {
  std::string label;        // in the table: the run folder's name, "train:7", "Titan RTX (published)"
  std::string description;  // one line: what ran where
  bool published = false;   // published figures, not a measurement
  bool reference_workload = false;  // the workload the figures are for (resnet18d, 288 px, batch 32)

  Estimate train_images_per_sec;  // steady state
  std::optional<Estimate> first_epoch_images_per_sec;
  std::optional<Estimate> eval_images_per_sec;
  std::optional<Estimate> passes_seconds;  // training + evaluation passes, all epochs
  std::optional<double> val_accuracy;
  std::optional<double> val_loss;
  std::int64_t val_images = 0;    // 0: unknown
  std::int64_t train_images = 0;  // 0: unknown
  int epochs = 0;                 // 0: unknown
  std::optional<std::uint64_t> seed;
  // Settings that make two runs the same work (model, img_size, batch_size,
  // amp, channels_last, augment, lr, ...): compared key by key.
  nlohmann::ordered_json settings = nlohmann::ordered_json::object();
  std::vector<std::string> notes;  // caveats that travel with this side (how a figure was derived)
};

// One side of a bench comparison.
struct BenchSide {
  std::string label;
  std::string description;
  std::vector<store::BenchRow> rows;
};

enum class FigureKind {
  kThroughput,  // images/s, higher is better; ratio B/A
  kDuration,    // seconds, lower is better; ratio A/B so that it reads as a speed
  kAccuracy,
  kLoss,
};

// One line of the comparison table.
struct ComparedFigure {
  std::string name;  // "train images/s (steady state)", "train resnet18d b32 288px bf16"
  FigureKind kind = FigureKind::kThroughput;
  Estimate a;
  Estimate b;
  std::optional<double> ratio;  // throughput: B/A; duration: A/B (the speed ratio); quality: none
  std::optional<double> difference;  // quality: B - A
  std::string verdict;
  Significance significance = Significance::kUnknown;
};

struct Comparison {
  std::string a_label;
  std::string b_label;
  std::string a_description;
  std::string b_description;
  std::vector<ComparedFigure> figures;
  std::vector<std::string> unpaired_a;  // bench tests only one side ran (or that failed)
  std::vector<std::string> unpaired_b;
  std::vector<std::string> notes;  // like-for-like warnings, seeds, caveats
};

// A throughput (or, for kDuration, time) figure with its ratio, verdict and
// spread judgement filled in.
ComparedFigure compare_throughput(const std::string& name, const Estimate& a, const Estimate& b,
                                  const std::string& a_label);
ComparedFigure compare_duration(const std::string& name, const Estimate& a, const Estimate& b,
                                const std::string& a_label);

// "train resnet18d b32 288px amp=bf16 contiguous synthetic": a bench test in
// a few words (the device too unless include_device is false).
std::string describe_bench_test(const store::BenchRow& row, bool include_device);

Comparison compare_benches(const BenchSide& a, const BenchSide& b);
Comparison compare_training_runs(const TrainingSide& a, const TrainingSide& b);
Comparison compare_reference_with_bench(const TrainingSide& reference, const BenchSide& b);

}  // namespace trainbench::bench
