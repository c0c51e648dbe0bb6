#pragma once
// `trainbench train`: data, model, AdamW with OneCycle, the epoch loop with
// Train and Eval passes, and everything written to the run folder.
#include "train/progress_bar.h"
#include "train/run_summary.h"
#include "train/train_config.h"

namespace trainbench::train {

// Runs a whole training and returns its summary (also written to
// summary.json). Stops cleanly after the current step on SIGINT/SIGTERM
// (summary.interrupted is then true). Throws trainbench errors for bad
// settings or data before any training starts.
RunSummary run_training(const TrainConfig& config, ProgressBoard& board);

}  // namespace trainbench::train
