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
//
// Whether a figure gets a faster/slower verdict is decided from the sides'
// settings (same_work.h), never from text: between different work a rate is
// shown without a verdict and the differing settings are listed; with
// CompareOptions::normalise it gets a FLOP-normalised estimate, labelled as one.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/bench_row.h"
#include "bench/compare_rules.h"
#include "bench/same_work.h"

namespace trainbench::bench {

// What one side of a training comparison knows.
struct TrainingSide {
  std::string label;        // in the table: the run folder's name, "train:7", "Titan RTX (published)"
  std::string description;  // one line: what ran where
  bool published = false;   // published figures, not a measurement

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
  // The settings by their one name (model, image_size, batch_size, amp,
  // channels_last, augment, lr, ...): compared key by key (same_work.h).
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
  std::string verdict;  // empty when withheld
  Significance significance = Significance::kUnknown;
  // False when the sides did different work (same_work.h): no verdict.
  bool same_work = true;
  // CompareOptions::normalise between different work: B's rate turned into
  // A's work by FLOPs, and the verdict that estimate gives, both labelled.
  std::string estimate;
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
  // The settings the sides disagree on, as data (training runs and references).
  WorkMatch work;
};

struct CompareOptions {
  // Between different work, estimate B at A's work from the FLOPs per image
  // (normalised_estimate.h) and give that estimate's verdict, labelled.
  bool normalise = false;
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

// The values of a row's bench_key_columns() (without the device when
// ignore_device): rows with equal keys are the same test, how compare_benches
// pairs them.
nlohmann::json bench_test_key(const store::BenchRow& row, bool ignore_device);

Comparison compare_benches(const BenchSide& a, const BenchSide& b);
Comparison compare_training_runs(const TrainingSide& a, const TrainingSide& b, const CompareOptions& options = {});
Comparison compare_reference_with_bench(const TrainingSide& reference, const BenchSide& b,
                                        const CompareOptions& options = {});

// The settings of a bench row by their one names (what same_work.h matches):
// mode, model, image_size, batch_size (as requested), amp, channels_last, device.
nlohmann::ordered_json bench_row_settings(const store::BenchRow& row);

}  // namespace trainbench::bench
