#pragma once
// `trainbench train`: data, model, AdamW with OneCycle, the epoch loop with
// Train and Eval passes, and everything written to the run folder.
#include <optional>

#include "dist/launch_environment.h"
#include "train/progress_bar.h"
#include "train/run_record.h"
#include "train/run_summary.h"
#include "train/train_config.h"

namespace trainbench::train {

// Runs a whole training and returns its record (train/run_record.h): what the
// run folder holds, with the summary also written to summary.json. Checkpoints after every epoch and every
// config.checkpoint_every steps. On SIGINT/SIGTERM it stops after the current
// step and writes a checkpoint (summary.interrupted is then true); on a
// non-finite loss outside fp16 it stops before taking that step, with the
// checkpoint of the step before (summary.stopped says so). Throws trainbench
// errors for bad settings or data before any training starts, and RunError
// naming the batch size when the device runs out of memory.
//
// With `resume`, config is the run folder's config.json (output = the
// folder) and the run continues from its checkpoint.safetensors: on a CPU
// with the same threads it ends bitwise equal to a run never stopped.
// `identity` is the data-parallel job this process belongs to, read once by
// the command (dist/launch_environment.h); nullopt for a lone process.
RunRecord run_training(const TrainConfig& config, const std::optional<dist::LaunchIdentity>& identity,
                       ProgressBoard& board, bool resume = false);

}  // namespace trainbench::train
