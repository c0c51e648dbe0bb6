#include "train/trainer_state.h"

// Weights, model cards and checkpoints: written as a run goes, read back when it resumes.
namespace trainbench::train {
namespace fs = std::filesystem;

void Trainer::restore_checkpoint() {
  const fs::path file = fs::path(config_.output) / RunFiles::kCheckpoint;
  const TrainingCheckpoint checkpoint = std::move(*checkpoint_);
  checkpoint_.reset();  // its tensors are copied into the model and optimizer
  const weights::LoadReport report = weights::load_state_dict(*model_, checkpoint.model);
  if (!report.clean()) {
    throw RunError(file.string() + " does not fit the run's model: " + report.describe_problems());
  }
  load_adamw_state(*optimizer_, checkpoint.optimizer, file.string());
  {
    // The default generator is a shared handle: a copy sets the global state.
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(checkpoint.rng_state);
  }
  if (scaler_ && !resume_.scaler.empty()) scaler_->load_state(resume_.scaler);
  for (const auto& [path, reason] : resume_.skipped) skipped_->add(path, reason);

  step_ = resume_.step;
  last_checkpoint_step_ = step_;
  clock_offset_ = resume_.run_seconds;
  train_seconds_ = resume_.train_seconds;
  wait_seconds_ = resume_.wait_seconds;
  train_images_seen_ = resume_.train_images_seen;
  if (!leads()) return;  // the figures of the pass so far are rank 0's to carry; the folder is its own
  summary_.first_epoch_images_per_sec = resume_.first_epoch_images_per_sec;
  summary_.train_loss = resume_.train_loss;
  summary_.train_accuracy = resume_.train_accuracy;
  summary_.val_loss = resume_.val_loss;
  summary_.val_accuracy = resume_.val_accuracy;
  summary_.best_val_loss = resume_.best_val_loss;
  summary_.best_epoch = resume_.best_epoch;
  run_folder_ = std::make_unique<RunFolder>(RunFolder::resume(config_.output, resume_.metrics_bytes));
  // Telemetry after the checkpoint is of steps that will be taken again.
  const fs::path telemetry_log = run_folder_->file(RunFiles::kTelemetry);
  std::string kept;
  for (const telemetry::TelemetrySample& sample : telemetry::read_telemetry_log(telemetry_log)) {
    if (sample.seconds <= clock_offset_) kept += telemetry::to_json(sample).dump() + "\n";
  }
  core::write_file_atomically(telemetry_log, kept);
  board_.message("Resuming " + config_.output.string() + " at epoch " + std::to_string(resume_.epoch) + ", step " +
                 std::to_string(step_) + " of " + std::to_string(total_steps_) + ".");
}

void Trainer::finish_epoch(int epoch, const EvalResult& eval) {
  set_phase("checkpoint");
  summary_.val_loss = eval.metrics.mean_loss();
  summary_.val_accuracy = eval.metrics.accuracy();
  if (summary_.val_loss < summary_.best_val_loss && leads()) {
    summary_.best_val_loss = summary_.val_loss;
    summary_.best_epoch = epoch;
    save_weights(RunFiles::kBestWeights);
    // The notebook's training_metadata.json, written with each new best.
    run_folder_->write_json(RunFiles::kMetadata, {{"epoch", epoch},
                                                  {"train_loss", pass_metrics_.mean_loss()},
                                                  {"valid_loss", eval.metrics.mean_loss()},
                                                  {"metric_value", eval.metrics.accuracy()},
                                                  {"learning_rate", schedule_->lr(std::max<std::int64_t>(step_ - 1, 0))},
                                                  {"model_architecture", config_.model}});
  }
  // Every epoch ends with its weights and a checkpoint: a run loses at most
  // the epoch (or --checkpoint-every steps) in progress.
  save_last_state();
  pass_metrics_ = RunningMetrics();
  pass_timing_ = PassTiming();
  save_checkpoint(epoch + 1, 0, 0);
}

void Trainer::save_last_state() { save_weights(RunFiles::kLastWeights); }

void Trainer::save_weights(const char* name) {
  if (!leads()) return;
  try {
    save_model_weights(*model_, model_card(), run_folder_->file(name));
  } catch (const Error& error) {
    // As for checkpoints: a full disk costs this file, not the run.
    board_.message(std::string("warning: ") + name + " not saved at step " + std::to_string(step_) + ": " + error.what());
  }
}

void Trainer::save_checkpoint(int epoch, std::int64_t epoch_steps, std::int64_t epoch_position) {
  // The pass's figures over all ranks: every rank takes part, rank 0 writes.
  const RunningMetrics figures = job_pass_metrics();
  const std::int64_t images = job_pass_images();
  if (!leads()) return;
  const std::int64_t world = parallel_ ? parallel_->world_size() : 1;
  ResumeState state;
  state.epoch = epoch;
  state.epoch_steps = epoch_steps;
  state.epoch_position = epoch_position;
  state.world_size = static_cast<int>(world);
  state.next_batch = epoch_position / (static_cast<std::int64_t>(config_.batch_size) * world);
  state.step = step_;
  state.metrics_bytes = run_folder_->metrics_bytes();
  state.run_seconds = run_seconds();
  state.pass_correct = figures.correct();
  state.pass_samples = figures.samples();
  state.pass_batches = figures.batches();
  state.pass_loss_sum = figures.loss_sum();
  state.pass_last_loss = figures.last_loss();
  state.pass_seconds = pass_timing_.seconds;
  state.pass_wait_seconds = pass_timing_.data_wait_seconds;
  state.pass_images = images;
  state.train_seconds = train_seconds_;
  state.wait_seconds = wait_seconds_;
  state.train_images_seen = train_images_seen_;
  state.first_epoch_images_per_sec = summary_.first_epoch_images_per_sec;
  state.train_loss = summary_.train_loss;
  state.train_accuracy = summary_.train_accuracy;
  state.val_loss = summary_.val_loss;
  state.val_accuracy = summary_.val_accuracy;
  state.best_val_loss = summary_.best_val_loss;
  state.best_epoch = summary_.best_epoch;
  if (scaler_) state.scaler = scaler_->state();
  for (const data::SkippedFile& file : skipped_->first(skipped_->count())) state.skipped.emplace_back(file.path, file.reason);

  TrainingCheckpoint checkpoint;
  checkpoint.model = weights::state_dict(*model_);
  checkpoint.optimizer = adamw_state(*optimizer_);
  checkpoint.rng_state = at::detail::getDefaultCPUGenerator().get_state();
  checkpoint.state = to_json(state);
  try {
    write_checkpoint(run_folder_->file(RunFiles::kCheckpoint), checkpoint);
    last_checkpoint_step_ = step_;
  } catch (const Error& error) {
    board_.message(std::string("warning: checkpoint at step ") + std::to_string(step_) + " not saved: " + error.what() +
                   (last_checkpoint_step_ >= 0 ? "; the one of step " + std::to_string(last_checkpoint_step_) + " is kept"
                                               : ""));
  }
}

weights::ModelCard Trainer::model_card() const {
  weights::ModelCard card;
  card.architecture = config_.model;
  card.classes = classes_;
  card.image_size = config_.image_size;
  card.mean = data::kImageNetMean;
  card.std = data::kImageNetStd;
  card.amp = core::to_string(execution_.amp);
  card.trainbench_version = TRAINBENCH_VERSION;
  return card;
}

}  // namespace trainbench::train
