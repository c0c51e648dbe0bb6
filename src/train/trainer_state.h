#pragma once
// The Trainer behind train::run_training (trainer.h), shared by the files
// that implement it, one concept each:
//   trainer.cpp              the epoch loop and the summary it ends with
//   trainer_setup.cpp        data, model, optimizer, loaders, execution, the job, telemetry
//   trainer_passes.cpp       a training pass (steps, schedule, agreement, metrics
//                            records) and an evaluation pass
//   trainer_checkpoints.cpp  weights, model cards and checkpoints: writing and resuming
// epoch_plan.h decides the epochs and the schedule's length (a resumed run
// on another world size included). Internal to train/: include trainer.h.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/out_of_memory.h"
#include "core/collect_provenance.h"
#include "core/atomic_file.h"
#include "core/device.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/text.h"
#include "core/threads.h"
#include "data/batch_loader.h"
#include "data/image_folder.h"
#include "data/normalize.h"
#include "models/registry.h"
#include "telemetry/phase_summary.h"
#include "telemetry/sampler.h"
#include "telemetry/telemetry_log.h"
#include "train/adamw.h"
#include "train/checkpoint.h"
#include "train/data_parallel.h"
#include "train/device_batch.h"
#include "train/epoch_plan.h"
#include "train/evaluation.h"
#include "train/execution.h"
#include "train/grad_scaler.h"
#include "train/model_weights.h"
#include "train/one_cycle.h"
#include "train/progress_bar.h"
#include "train/resume_state.h"
#include "train/run_folder.h"
#include "train/run_summary.h"
#include "weights/state_dict.h"
#include "train/train_config.h"
#include "train/train_step.h"

namespace trainbench::train {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct DataSplit {
  std::vector<std::string> classes;
  std::vector<data::Sample> train;
  std::vector<data::Sample> validation;
};


// What one training pass measured (a resumed pass includes its part before the stop).
struct PassTiming {
  double seconds = 0.0;
  double data_wait_seconds = 0.0;
  std::int64_t images = 0;
};

// Why a run ended before its last epoch.
enum class Stop { kNone, kInterrupted, kNonFiniteLoss };

class Trainer {
 public:
  Trainer(const TrainConfig& config, std::optional<dist::LaunchIdentity> identity, ProgressBoard& board, bool resume)
      : config_(config), identity_(std::move(identity)), board_(board), resuming_(resume) {}
  RunSummary run();
  // Whether this process wrote the run folder (rank 0 of a job, or alone).
  bool wrote_run_folder() const { return leads(); }
  const std::filesystem::path& run_folder_path() const { return config_.output; }

 private:
  // Checks settings, scans the data, builds model, optimiser, loaders and
  // schedule, and only then creates the run folder: bad input leaves nothing
  // behind. When resuming, opens the run folder and restores the checkpoint.
  void prepare();
  // Device, precision and layout from the config's request (train::resolve_execution).
  void resolve_execution();
  void build_loaders(const DataSplit& data);
  // The epoch's training pass from step `first_step` (0, or where a resumed run stopped).
  // The loader deals out the epoch from global position first_position_.
  // One step's forward and backward passes (--accumulate micro-batches of
  // it), leaving the gradients for the optimizer; in a job the loss is the
  // ranks' together and the gradients their mean.
  struct StepGradients {
    double loss = 0.0;
    torch::Tensor logits;     // the whole batch's, detached
    bool stop_asked = false;  // Ctrl-C/SIGTERM here, or (in a job) on any rank
    bool non_finite = false;  // the loss was NaN or infinite (no fp16 scaler): nothing was stepped
  };
  StepGradients forward_backward(const DeviceBatch& batch, std::int64_t fewest_images);
  void train_pass(int epoch, std::int64_t steps_this_epoch, std::int64_t first_step);
  EvalResult eval_pass(int epoch);
  void finish_epoch(int epoch, const EvalResult& eval);
  void save_last_state();  // last weights and their card
  // Writes weights and their card; a failure is said and the run goes on.
  void save_weights(const char* name);
  // Writes checkpoint.safetensors for continuing at (epoch, epoch_steps,
  // the epoch's global position). A failure (a full disk) is said and the
  // run goes on: the previous checkpoint is still whole. Every rank of a job
  // calls it at the same step (its figures are summed); rank 0 writes.
  void save_checkpoint(int epoch, std::int64_t epoch_steps, std::int64_t epoch_position);
  void restore_checkpoint();  // checkpoint_ into the model, optimizer, random state and figures
  weights::ModelCard model_card() const;
  // Starts sampling at the run's start (when asked for), so set-up is seen too.
  void start_telemetry();
  void set_phase(const std::string& phase);
  // Seconds of training so far, across a stop and resume.
  double run_seconds() const { return clock_offset_ + seconds_since(start_); }
  // Accounts a finished pass in the run's totals and the summary.
  void account_pass(int epoch);
  // The model's buffers (batch-norm statistics) before a step, and back.
  void snapshot_buffers();
  void restore_buffers();

  TrainConfig config_;
  std::optional<dist::LaunchIdentity> identity_;  // the job this process is in (nullopt: alone), read once by the command
  ProgressBoard& board_;
  const bool resuming_;
  Execution execution_;
  data::BatchAugment augment_;  // on the device, for training batches (kNone when the loader workers do it)
  std::vector<std::string> classes_;
  std::shared_ptr<models::Classifier> model_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  std::unique_ptr<GradScaler> scaler_;  // fp16 only
  std::unique_ptr<OneCycleSchedule> schedule_;
  std::unique_ptr<data::BatchLoader> train_loader_;
  std::unique_ptr<data::BatchLoader> val_loader_;
  std::shared_ptr<data::SkippedFiles> skipped_ = std::make_shared<data::SkippedFiles>();
  std::unique_ptr<RunFolder> run_folder_;
  std::int64_t step_ = 0;
  std::int64_t total_steps_ = 0;
  RunSummary summary_;
  Clock::time_point start_ = Clock::now();  // the time axis of metrics.jsonl and telemetry.jsonl
  double clock_offset_ = 0.0;               // run_seconds at the checkpoint a resumed run started from
  std::unique_ptr<telemetry::Sampler> sampler_;  // null without telemetry

  // The pass in progress and the run's totals, as a checkpoint records them.
  RunningMetrics pass_metrics_;
  PassTiming pass_timing_;
  double train_seconds_ = 0.0, wait_seconds_ = 0.0;
  std::int64_t train_images_seen_ = 0;  // by all ranks
  std::int64_t local_images_seen_ = 0;  // by this rank, in this process
  std::optional<TrainingCheckpoint> checkpoint_;  // resuming: read in run(), restored in prepare()
  ResumeState resume_;  // what the checkpoint said (resuming only)
  std::int64_t last_checkpoint_step_ = -1;  // -1: none written yet
  Stop stop_ = Stop::kNone;
  std::vector<torch::Tensor> buffer_snapshot_;  // same order as model_->buffers()

  // ---- data-parallel runs ----
  // Null in a single process. Rank 0 alone writes the run folder, samples
  // telemetry and draws bars; every rank keeps the same figures.
  std::unique_ptr<DataParallel> parallel_;
  bool leads() const { return !parallel_ || parallel_->leads(); }
  // Joins the job the environment describes (after the device is known).
  void join_job();
  // What must be the same on every rank: settings, classes and data.
  std::string job_fingerprint(const DataSplit& data) const;
  // The pass's figures over all ranks (the ranks' own without a job).
  RunningMetrics job_pass_metrics();
  std::int64_t job_pass_images();
  // Where the epoch's loader starts: the global position after `next_batch`.
  std::int64_t epoch_position_after(std::int64_t first_position, std::int64_t next_batch) const;
  std::int64_t first_position_ = 0;  // of the pass in progress
  double all_reduce_wait_seconds_ = 0.0;
  std::int64_t all_reduce_steps_ = 0;
};

}  // namespace trainbench::train
