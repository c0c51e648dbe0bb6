#pragma once
// The curves of a training run, derived from its metrics records (train/metrics_records.h): loss and
// learning rate per step, accuracy and loss per epoch, and throughput and
// data-wait share over the run's time, with the passes marked.
//
// Time is seconds since the run started (metrics' run_seconds, the same axis
// as telemetry.jsonl). Runs written before run_seconds existed get a time
// rebuilt from each pass's own elapsed time and the passes' durations.
#include <nlohmann/json.hpp>

#include <vector>

#include "report/svg_chart.h"
#include "train/metrics_records.h"

namespace trainbench::report {

struct RunSeries {
  // x = optimizer step
  std::vector<Point> step_loss;
  std::vector<Point> step_loss_smoothed;  // mean over a trailing window
  std::vector<Point> learning_rate;
  std::vector<Point> train_loss_epoch;  // the pass's mean loss, at its last step
  std::vector<Point> eval_loss_epoch;   // at the last step of the epoch it followed
  // x = epoch
  std::vector<Point> train_accuracy_epoch;
  std::vector<Point> eval_accuracy_epoch;
  // x = seconds since the run started; a NaN point separates passes
  std::vector<Point> throughput;       // images/s over a trailing window of steps
  std::vector<Point> data_wait_share;  // % of the same window spent waiting for a batch
  std::vector<Band> passes;            // the first (cold) training pass and each evaluation pass
  double end_seconds = 0.0;            // the last time a record mentions
  int window = 1;                      // steps in the trailing windows
};

RunSeries run_series(const train::RunMetrics& metrics);

}  // namespace trainbench::report
