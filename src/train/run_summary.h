#pragma once
// The result of a training run: summary.json's one schema, and its printers.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core/field_table.h"
#include "data/skipped_files.h"

namespace trainbench::train {

// How many skipped files a summary lists by name (the count is always exact).
constexpr std::size_t kSkippedExamplesListed = 20;

struct RunSummary {
  std::string model;
  std::string device;       // "cpu", "cuda:0", ...
  std::string device_name;  // CPU model or GPU name
  int threads = 0;
  int workers = 0;
  std::string amp = "off";      // "off", "bf16", "fp16"
  bool channels_last = false;
  std::string augment = "none";  // of the training batches
  std::string pretrained;       // weights file the run started from ("" from scratch)
  int image_size = 0;
  int batch_size = 0;
  int epochs = 0;          // epochs started
  std::int64_t steps = 0;  // optimizer steps taken
  std::int64_t overflow_skipped_steps = 0;  // fp16: steps the gradient scaler skipped for inf/NaN gradients
  double final_loss_scale = 0.0;            // fp16: the gradient scaler's last scale (0 without one)
  // The images a pass uses: the set's files less those found unreadable. A
  // run stopped early may not have reached every bad file; those it did not
  // reach still count. So does the image of a batch of one, which the
  // trainer passes over (batch norm needs two) and says so.
  std::int64_t train_images = 0;  // per training pass (epoch)
  std::int64_t val_images = 0;    // per evaluation
  std::int64_t train_images_seen = 0;  // trained on in all epochs (by every rank; a padded shard's repeats too)
  // Image files each set was made of, as scanned: used and skipped alike.
  std::int64_t train_files_scanned = 0;
  std::int64_t val_files_scanned = 0;
  std::int64_t skipped_files = 0;
  std::vector<data::SkippedFile> skipped_examples;  // the first few
  double train_loss = 0.0;     // mean batch loss of the last training pass
  double train_accuracy = 0.0;
  double val_loss = 0.0;       // of the last evaluation
  double val_accuracy = 0.0;
  double best_val_loss = 0.0;
  int best_epoch = 0;          // 1-based
  double train_images_per_sec = 0.0;  // images / wall time over the training passes
  double first_epoch_images_per_sec = 0.0;
  double data_wait_fraction = 0.0;    // share of training-pass time spent waiting for a batch
  double wall_seconds = 0.0;
  // Data-parallel runs (world_size 1 and "" otherwise): the images/s above
  // are all ranks' together; each rank's own, and the seconds per step the
  // gradient all-reduce was waited for after the backward pass (rank 0's).
  int world_size = 1;
  std::string dist_backend;
  bool sync_batch_norm = false;
  std::vector<double> rank_images_per_sec;
  double all_reduce_wait_seconds_per_step = 0.0;
  bool interrupted = false;
  std::string stopped;  // why the run stopped early other than by a signal ("non-finite loss at step 812"); "" if not
  // Telemetry averaged per phase ({"train": {...}, "eval": {...}}; see
  // telemetry/phase_summary.h); null when the run was not sampled.
  nlohmann::ordered_json telemetry;
};

// summary.json's one field table: the writer and the reader walk it.
const std::vector<core::Field<RunSummary>>& run_summary_fields();
nlohmann::ordered_json to_json(const RunSummary& summary);
// Reads summary.json (earlier versions' img_size as image_size); throws
// UsageError naming a field of the wrong type.
RunSummary run_summary_from_json(const nlohmann::json& json);

// [{"path": ..., "reason": ...}, ...], as summary.json and eval's JSON list skipped files.
nlohmann::ordered_json to_json(const std::vector<data::SkippedFile>& skipped);

// The few lines printed at the end of `train`.
std::string format_summary_text(const RunSummary& summary);

}  // namespace trainbench::train
