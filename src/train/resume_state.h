#pragma once
// Where a training run stands, as a checkpoint records it: enough to go on so
// that the resumed run does exactly what the uninterrupted one would have
// done (the same batches in the same order, the same schedule step, the same
// running figures), and to report as if it had never stopped.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace trainbench::train {

struct ResumeState {
  // ---- position ----
  int epoch = 1;                    // the epoch to continue (1-based)
  std::int64_t epoch_steps = 0;     // steps of that epoch already taken
  std::int64_t next_batch = 0;      // loader batch index to continue from
  // The epoch's global samples dealt out before the next batch (over all
  // ranks; next_batch * batch size in one process), and the world size that
  // took them: a run resumed with another number of ranks deals out the rest.
  // Checkpoints from before data-parallel training lack both: -1 and 1.
  std::int64_t epoch_position = -1;
  int world_size = 1;
  std::int64_t step = 0;            // optimizer steps taken in the whole run
  std::uint64_t metrics_bytes = 0;  // length of metrics.jsonl at the checkpoint (later lines are dropped)
  double run_seconds = 0.0;         // the run's clock at the checkpoint

  // ---- the pass in progress (epoch_steps > 0) ----
  std::int64_t pass_correct = 0;
  std::int64_t pass_samples = 0;
  std::int64_t pass_batches = 0;
  double pass_loss_sum = 0.0;
  double pass_last_loss = 0.0;
  double pass_seconds = 0.0;
  double pass_wait_seconds = 0.0;
  std::int64_t pass_images = 0;

  // ---- the run so far ----
  double train_seconds = 0.0;
  double wait_seconds = 0.0;
  std::int64_t train_images_seen = 0;
  double first_epoch_images_per_sec = 0.0;
  double train_loss = 0.0;
  double train_accuracy = 0.0;
  double val_loss = 0.0;
  double val_accuracy = 0.0;
  double best_val_loss = 0.0;  // +inf before the first evaluation is stored as -1
  int best_epoch = 0;
  std::map<std::string, double> scaler;  // fp16 runs: GradScaler::state()
  std::vector<std::pair<std::string, std::string>> skipped;  // files skipped so far: path, reason
};

nlohmann::json to_json(const ResumeState& state);
// Throws RunError naming the key that is missing or of the wrong type, or a
// value out of range (negative counts, epoch < 1).
ResumeState resume_state_from_json(const nlohmann::json& json);

}  // namespace trainbench::train
