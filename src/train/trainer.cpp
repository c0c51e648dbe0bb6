#include "train/trainer.h"

#include <unordered_set>

#include "train/trainer_state.h"

// The epoch loop and the summary it ends with (trainer_state.h lists the rest).
namespace trainbench::train {
namespace fs = std::filesystem;
namespace {

// The images of a set that a pass uses: its files less those found bad so
// far, as summary.json counts them.
std::int64_t usable_images(const std::vector<data::Sample>& samples, const data::SkippedFiles& skipped) {
  std::unordered_set<std::string> bad;
  for (const data::SkippedFile& file : skipped.first(skipped.count())) bad.insert(file.path);
  return std::count_if(samples.begin(), samples.end(),
                       [&](const data::Sample& sample) { return bad.count(sample.path.string()) == 0; });
}

}  // namespace

RunSummary Trainer::run() {
  start_ = Clock::now();
  // Before anything slow, so an early Ctrl-C also ends cleanly.
  core::install_interrupt_handlers();
  if (resuming_) {
    // Read before sampling starts: the run's clock continues from it.
    checkpoint_ = read_checkpoint(fs::path(config_.output) / RunFiles::kCheckpoint);
    resume_ = resume_state_from_json(checkpoint_->state);
    clock_offset_ = resume_.run_seconds;
  }
  start_telemetry();
  prepare();
  const int first_epoch = resuming_ ? resume_.epoch : 1;
  // A resumed epoch continues from the global position its checkpoint
  // recorded, dealt out over this run's ranks (which may be more or fewer).
  std::int64_t resumed_position = 0;
  std::optional<ResumePoint> resume_point;
  if (resuming_) {
    const int world_size = parallel_ ? parallel_->world_size() : 1;
    if (resume_.epoch_steps > 0) {
      resumed_position = resume_.epoch_position >= 0 ? resume_.epoch_position
                                                     : resume_.next_batch * static_cast<std::int64_t>(config_.batch_size);
    }
    resume_point = ResumePoint{resume_.epoch, step_,
                               resume_.epoch_steps > 0 ? train_loader_->batches_per_epoch(resumed_position) : 0,
                               resume_.world_size != world_size};
  }
  const EpochPlan plan =
      plan_epochs({config_.epochs, config_.max_steps, train_loader_->batches_per_epoch()}, total_steps_, resume_point);
  if (plan.schedule_stretched) {
    total_steps_ = plan.total_steps;
    OneCycleOptions schedule_options;
    schedule_options.max_lr = config_.lr;
    schedule_options.total_steps = std::max(total_steps_, step_ + 1);
    schedule_ = std::make_unique<OneCycleSchedule>(schedule_options);
    board_.message("Resuming with " + std::to_string(parallel_ ? parallel_->world_size() : 1) + " rank(s) a run " +
                   std::to_string(resume_.world_size) + " rank(s) began: " + std::to_string(total_steps_ - step_) +
                   " steps left.");
  }
  const int epochs_to_run = plan.last_epoch;

  summary_.epochs = std::min(first_epoch - 1, epochs_to_run);
  board_.begin_outer("Epochs", epochs_to_run);
  if (first_epoch > 1) board_.advance_outer(first_epoch - 1);
  for (int epoch = first_epoch; epoch <= epochs_to_run && stop_ == Stop::kNone; ++epoch) {
    summary_.epochs = epoch;
    std::int64_t first_step = 0;
    first_position_ = 0;
    pass_metrics_ = RunningMetrics();
    pass_timing_ = PassTiming();
    if (resuming_ && epoch == resume_.epoch && resume_.epoch_steps > 0) {
      first_step = resume_.epoch_steps;
      first_position_ = resumed_position;
      if (leads()) {  // the checkpoint's figures are all ranks' together
        pass_metrics_ = RunningMetrics::restored(resume_.pass_correct, resume_.pass_samples, resume_.pass_batches,
                                                 resume_.pass_loss_sum, resume_.pass_last_loss);
        pass_timing_ = {resume_.pass_seconds, resume_.pass_wait_seconds, resume_.pass_images};
      } else {
        pass_timing_.seconds = resume_.pass_seconds;
      }
    }
    const std::int64_t steps_this_epoch =
        first_step + std::min(train_loader_->batches_per_epoch(first_position_), total_steps_ - step_);
    train_pass(epoch, steps_this_epoch, first_step);
    if (stop_ != Stop::kNone) break;
    account_pass(epoch);
    const EvalResult eval = eval_pass(epoch);
    finish_epoch(epoch, eval);
    board_.advance_outer();
    // Ctrl-C during the evaluation: the epoch is finished and saved; stop here.
    // Every rank must stop after the same epoch: they agree.
    const bool interrupted = parallel_ ? parallel_->any(core::interrupt_requested()) : core::interrupt_requested();
    if (interrupted) stop_ = Stop::kInterrupted;
  }
  board_.end_outer();

  summary_.interrupted = stop_ == Stop::kInterrupted;
  if (stop_ == Stop::kNonFiniteLoss) summary_.stopped = "non-finite loss at step " + std::to_string(step_ + 1);
  if (sampler_) {
    sampler_->stop();
    summary_.telemetry = telemetry::to_json(telemetry::average_by_phase(sampler_->samples()));
  }
  summary_.steps = step_;
  if (scaler_) {
    summary_.overflow_skipped_steps = scaler_->skipped_steps();
    summary_.final_loss_scale = scaler_->current_scale();
  }
  summary_.skipped_files = static_cast<std::int64_t>(skipped_->count());
  summary_.skipped_examples = skipped_->first(kSkippedExamplesListed);
  // Counted at the end: bad files are found as the passes load them.
  summary_.train_images = usable_images(train_loader_->samples(), *skipped_);
  summary_.val_images = usable_images(val_loader_->samples(), *skipped_);
  if (std::isinf(summary_.best_val_loss)) summary_.best_val_loss = 0.0;
  summary_.train_images_seen = train_images_seen_;
  summary_.train_images_per_sec = train_seconds_ > 0 ? train_images_seen_ / train_seconds_ : 0.0;
  summary_.data_wait_fraction = train_seconds_ > 0 ? wait_seconds_ / train_seconds_ : 0.0;
  summary_.wall_seconds = run_seconds();
  if (parallel_) {
    // Each rank's own rate, in rank order, and rank 0's wait per step.
    summary_.rank_images_per_sec = parallel_->per_rank(train_seconds_ > 0 ? local_images_seen_ / train_seconds_ : 0.0);
    summary_.all_reduce_wait_seconds_per_step = all_reduce_steps_ > 0 ? all_reduce_wait_seconds_ / all_reduce_steps_ : 0.0;
  }
  if (leads()) run_folder_->write_json(RunFiles::kSummary, to_json(summary_));
  return summary_;
}

void Trainer::account_pass(int epoch) {
  const RunningMetrics figures = job_pass_metrics();
  const std::int64_t images = job_pass_images();
  train_seconds_ += pass_timing_.seconds;
  wait_seconds_ += pass_timing_.data_wait_seconds;
  train_images_seen_ += images;
  local_images_seen_ += pass_timing_.images;
  if (epoch == 1 && pass_timing_.seconds > 0) {
    summary_.first_epoch_images_per_sec = images / pass_timing_.seconds;
  }
  summary_.train_loss = figures.mean_loss();
  summary_.train_accuracy = figures.accuracy();
}

RunningMetrics Trainer::job_pass_metrics() { return parallel_ ? parallel_->sum(pass_metrics_) : pass_metrics_; }

std::int64_t Trainer::job_pass_images() {
  if (!parallel_) return pass_timing_.images;
  std::vector<double> images{static_cast<double>(pass_timing_.images)};
  parallel_->sum(images);
  return static_cast<std::int64_t>(images[0]);
}

std::int64_t Trainer::epoch_position_after(std::int64_t first_position, std::int64_t next_batch) const {
  const std::int64_t world = parallel_ ? parallel_->world_size() : 1;
  return first_position + next_batch * static_cast<std::int64_t>(config_.batch_size) * world;
}

RunRecord run_training(const TrainConfig& config, const std::optional<dist::LaunchIdentity>& identity,
                       ProgressBoard& board, bool resume) {
  Trainer trainer(config, identity, board, resume);
  const RunSummary summary = trainer.run();
  // What the run folder now holds, read once through the one loader; the
  // other ranks of a job wrote nothing and know their summary alone.
  RunRecord record;
  if (trainer.wrote_run_folder()) record = load_run_record(trainer.run_folder_path());
  record.summary = summary;
  return record;
}

}  // namespace trainbench::train
