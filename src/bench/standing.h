#pragma once
// Where this machine stands against the workload's published cards, measured
// on the cards' own work: resnet18d at 288 px, batch 32, training, at each
// card's precision where this device runs it natively (otherwise the closest
// it does, said in the line), warm-up excluded, with the steps chosen from the
// measured step time (about half a minute of timed steps on a slow CPU,
// seconds on a GPU) and the spread of three windows. Precisions shared by
// several cards are measured once. The verdicts come from
// compare_reference_with_bench: the same rule as `compare --reference`.
//
// A run at other settings gets no verdict against a card from its own rate;
// standing_estimate() turns its rate into a FLOP-normalised estimate at the
// cards' work, labelled as an estimate.
#include <string>
#include <vector>

#include <torch/types.h>

#include "bench/compare.h"
#include "bench/reference_figures.h"
#include "core/precision.h"
#include "store/bench_row.h"

namespace trainbench::bench {

// The cards' work (WORKLOAD.md).
constexpr const char* kCardModel = "resnet18d";
constexpr int kCardImageSize = 288;
constexpr int kCardBatchSize = 32;

struct StandingOptions {
  double timed_seconds = 30.0;  // all timed windows of one precision together
  int warmup_steps = 3;         // the cold step and two that give the step time
  int repetitions = 3;          // windows, for the spread
};

struct CardStanding {
  const ReferenceFigures* card = nullptr;
  core::AmpMode card_amp = core::AmpMode::kOff;      // what the card trained in
  core::AmpMode measured_amp = core::AmpMode::kOff;  // what this device ran instead, when it differs
  ComparedFigure figure;                             // published (A) against measured here (B)
};

struct Standing {
  std::string device;                        // "cpu", "cuda:0"
  std::vector<store::BenchRow> measurements; // one per precision measured
  std::vector<CardStanding> cards;
};

// The precision each card's work is measured at on `device`.
core::AmpMode standing_precision(core::AmpMode card_amp, const torch::Device& device);

// Measures the cards' work on `device`, each precision by `bench` in a fresh
// process of this program (`program` is how it is named in messages: argv[0];
// the process itself is /proc/self/exe), and holds each card's published
// training rate against it. A measurement that fails is a row with status
// "failed" and its cards get no figure; Ctrl-C is a RunError.
Standing measure_standing(const torch::Device& device, const std::string& program, const StandingOptions& options = {});

// The lines a person reads: each card, its published rate, the rate here and
// the verdict, the precision when it had to differ, and the `bench` command
// that measures the same alone.
std::string format_standing(const Standing& standing, const std::string& program);

// What the end of `train` says about the cards, for the run `run`:
//   - with `measured` (train --standing): its lines, then how far the
//     estimate from the run's own FLOP/s lands from that measurement;
//   - else, when the run did the cards' own work: each card against the
//     run's own steady rate (compare_training_runs' verdict);
//   - else no verdict: the estimate, labelled, and how to measure.
// Empty when the run has no training rate (stopped before a pass ended).
std::string format_run_standing(const TrainingSide& run, const Standing* measured, const std::string& program);

// "At the cards' work this machine would do about N images/s (estimate: ...)"
// for a run of `model` at `image_size` that trained at `images_per_sec`; ""
// when its FLOPs cannot be counted.
std::string standing_estimate(double images_per_sec, const std::string& model, int image_size);

}  // namespace trainbench::bench
