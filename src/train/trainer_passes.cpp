#include "train/trainer_state.h"
#include "train/metrics_records.h"

// A training pass (steps, the schedule, the ranks' agreement, the metrics records) and an evaluation pass.
namespace trainbench::train {
namespace {

void apply_schedule(torch::optim::AdamW& optimizer, double lr, double beta1) {
  for (torch::optim::OptimizerParamGroup& group : optimizer.param_groups()) {
    auto& options = static_cast<torch::optim::AdamWOptions&>(group.options());
    options.lr(lr);
    options.betas(std::make_tuple(beta1, std::get<1>(options.betas())));
  }
}

Postfix pass_postfix(const RunningMetrics& metrics, const PostfixValue& lr) {
  // Alphabetical, as tqdm's set_postfix(**kwargs) prints them.
  return {{"accuracy", metrics.accuracy()}, {"avg_loss", metrics.mean_loss()}, {"loss", metrics.last_loss()}, {"lr", lr}};
}

// The training device's utilisation in the newest telemetry sample, as the
// Train bar shows it ("97%"); "" when no GPU is sampled. With several GPUs
// the one with the device's index is taken.
std::string gpu_utilization_text(const telemetry::Sampler* sampler, const torch::Device& device) {
  if (!sampler || device.is_cpu()) return "";
  const std::optional<telemetry::TelemetrySample> latest = sampler->latest();
  if (!latest || latest->gpus.empty()) return "";
  const telemetry::GpuSample* gpu = &latest->gpus.front();
  for (const telemetry::GpuSample& candidate : latest->gpus) {
    if (device.has_index() && candidate.index == device.index()) gpu = &candidate;
  }
  if (!gpu->utilization_percent) return "";
  char text[16];
  std::snprintf(text, sizeof text, "%.0f%%", *gpu->utilization_percent);
  return text;
}

}  // namespace

void Trainer::snapshot_buffers() {
  torch::NoGradGuard no_grad;
  const std::vector<torch::Tensor> buffers = model_->buffers();
  if (buffer_snapshot_.size() != buffers.size()) {
    buffer_snapshot_.clear();
    for (const torch::Tensor& buffer : buffers) buffer_snapshot_.push_back(torch::empty_like(buffer));
  }
  for (std::size_t i = 0; i < buffers.size(); ++i) buffer_snapshot_[i].copy_(buffers[i], /*non_blocking=*/true);
}

void Trainer::restore_buffers() {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> buffers = model_->buffers();
  for (std::size_t i = 0; i < buffers.size() && i < buffer_snapshot_.size(); ++i) buffers[i].copy_(buffer_snapshot_[i]);
}

Trainer::StepGradients Trainer::forward_backward(const DeviceBatch& batch, std::int64_t fewest_images) {
  // --accumulate N: the step's batch in N micro-batches, each with its own
  // forward and backward pass. Their gradients add up, each loss weighted by
  // its share of the batch's images, so the sum is the gradient of the whole
  // batch's mean loss. Only the last backward pass is averaged over the ranks
  // (DDP's no_sync for the others). Every micro-batch keeps at least two
  // images for batch norm; the count is the same on every rank.
  const std::vector<DeviceBatch> parts =
      micro_batches(batch, std::min<std::int64_t>(config_.accumulate, fewest_images / 2));
  const auto batch_images = static_cast<double>(batch.labels.size(0));
  StepGradients step;
  clear_gradients(*optimizer_);
  std::vector<torch::Tensor> logits;
  double loss_sum = 0.0, loss_count = 0.0;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const bool reduced = k + 1 == parts.size();
    if (parallel_ && reduced) parallel_->before_reduced_forward();
    const ForwardResult forward = forward_with_loss(*model_, execution_, parts[k]);
    // Read before the backward pass (the one host sync of a micro-batch): a
    // non-finite loss then stops the run while the weights are still those
    // of the last good step. Under fp16 the scaler skips such steps itself.
    const auto images = static_cast<double>(parts[k].labels.size(0));
    std::vector<double> sums{forward.loss.item<double>() * images, images, core::interrupt_requested() ? 1.0 : 0.0};
    // In a job: the loss over every rank's images (so a non-finite one stops
    // every rank at this step), and whether any rank was asked to stop.
    if (parallel_) parallel_->sum(sums);
    loss_sum += sums[0];
    loss_count += sums[1];
    step.loss = loss_sum / loss_count;
    step.stop_asked = step.stop_asked || sums[2] > 0;
    if (!std::isfinite(sums[0]) && !scaler_) {
      step.non_finite = true;
      return step;
    }
    const torch::Tensor weighted = parts.size() == 1 ? forward.loss : forward.loss * (images / batch_images);
    if (parallel_ && reduced) parallel_->before_backward(weighted);
    accumulate_backward(weighted, scaler_.get());
    logits.push_back(forward.logits.detach());
  }
  step.logits = logits.size() == 1 ? logits.front() : torch::cat(logits);
  return step;
}

void Trainer::train_pass(int epoch, std::int64_t steps_this_epoch, std::int64_t first_step) {
  const auto start = Clock::now();
  const double seconds_before = pass_timing_.seconds;  // of a resumed pass, before the stop
  model_->train();
  train_loader_->start_epoch(epoch, 0, first_position_);
  set_phase("train");
  board_.begin_pass("Train", steps_this_epoch);
  if (first_step > 0) board_.update_pass(first_step, pass_postfix(pass_metrics_, schedule_->lr(step_)));
  for (std::int64_t n = first_step; n < steps_this_epoch; ++n) {
    const auto wait_start = Clock::now();
    std::optional<data::Batch> batch = train_loader_->next();
    const double wait = seconds_since(wait_start);
    if (!batch) break;

    // In a job, every rank takes the step or none does.
    const std::int64_t images = parallel_ ? parallel_->fewest_images(batch->labels.size(0)) : batch->labels.size(0);
    if (images < 2) {
      // Batch norm cannot train on one image (its variance is undefined); a
      // last batch of 1, or one that bad files left with 1, is passed over.
      board_.message("note: batch " + std::to_string(batch->index) + " of epoch " + std::to_string(epoch) +
                     " has a single image: passed over (batch norm needs two)");
      --n;  // it is not a step
      continue;
    }
    const double lr = schedule_->lr(step_);
    apply_schedule(*optimizer_, lr, schedule_->momentum(step_));
    const DeviceBatch on_device = to_device(*batch, execution_, augment_);
    double loss_value = 0.0;
    // In a job, a stop is taken when any rank was asked, after the same step
    // on all; one rank's signal a moment later waits for the next step.
    bool stop_agreed = false;
    torch::Tensor logits;
    try {
      if (parallel_) parallel_->broadcast_buffers(*model_);
      // Batch norm updates its running statistics in the forward pass; kept
      // so that a step refused for a non-finite loss leaves no trace.
      if (!scaler_) snapshot_buffers();
      if (config_.simulate_oom_at_step == step_ + 1) {
        throw std::runtime_error("CUDA out of memory (simulated by --simulate-oom-at-step)");
      }
      const StepGradients step = forward_backward(on_device, images);
      loss_value = step.loss;
      stop_agreed = step.stop_asked;
      if (step.non_finite) {
        stop_ = Stop::kNonFiniteLoss;
        restore_buffers();
        save_checkpoint(epoch, n, epoch_position_after(first_position_, batch->index));
        save_last_state();
        board_.message("Stopped: the loss is " + std::string(std::isnan(loss_value) ? "NaN" : "infinite") +
                       " at step " + std::to_string(step_ + 1) + " (epoch " + std::to_string(epoch) +
                       "); that step was not taken. The weights and checkpoint are those of step " +
                       std::to_string(step_) + ". Lower --lr, or use --amp fp16 whose scaler skips such steps.");
        break;
      }
      if (parallel_) {
        parallel_->after_backward();
        all_reduce_wait_seconds_ += parallel_->last_all_reduce_wait_seconds();
        ++all_reduce_steps_;
      }
      optimizer_update(*optimizer_, scaler_.get());
      logits = step.logits;
    } catch (const std::exception& error) {
      if (!core::is_out_of_memory(error)) throw;
      throw RunError("out of memory on " + core::device_id(execution_.device) + " at batch size " + std::to_string(config_.batch_size) +
                     " (step " + std::to_string(step_ + 1) + "): lower -b/--batch-size (e.g. -b " +
                     std::to_string(std::max(1, config_.batch_size / 2)) + ")" +
                     (last_checkpoint_step_ >= 0
                          ? "; train --resume " + config_.output.string() + " continues from step " +
                                std::to_string(last_checkpoint_step_) + " with the run's settings"
                          : ""));
    }
    ++step_;

    pass_timing_.data_wait_seconds += wait;
    pass_metrics_.add_batch(logits.detach(), on_device.labels, loss_value);
    pass_timing_.images += on_device.labels.size(0);
    pass_timing_.seconds = seconds_before + seconds_since(start);
    if (leads()) {
      StepRecord record;
      record.epoch = epoch;
      record.step = step_;
      record.loss = loss_value;
      record.lr = lr;
      record.images = on_device.labels.size(0);
      record.data_wait_seconds = wait;
      record.elapsed_seconds = pass_timing_.seconds;
      record.run_seconds = run_seconds();
      run_folder_->append_metrics(to_json(record));
    }
    Postfix postfix = pass_postfix(pass_metrics_, lr);
    const std::string gpu = gpu_utilization_text(sampler_.get(), execution_.device);
    if (!gpu.empty()) postfix.insert(postfix.begin(), {"gpu", gpu});
    board_.update_pass(n + 1, std::move(postfix));
    if (parallel_ ? stop_agreed : core::interrupt_requested()) {
      stop_ = Stop::kInterrupted;
      board_.message("Interrupted: stopping after step " + std::to_string(step_) + "; saving a checkpoint.");
      save_checkpoint(epoch, n + 1, epoch_position_after(first_position_, batch->index + 1));
      save_last_state();
      break;
    }
    if (config_.checkpoint_every > 0 && step_ % config_.checkpoint_every == 0 && n + 1 < steps_this_epoch) {
      save_checkpoint(epoch, n + 1, epoch_position_after(first_position_, batch->index + 1));
    }
  }
  board_.end_pass();
  if (stop_ != Stop::kNone) return;
  pass_timing_.seconds = seconds_before + seconds_since(start);
  const RunningMetrics figures = job_pass_metrics();
  const std::int64_t images = job_pass_images();
  if (!leads()) return;
  EpochRecord record;
  record.epoch = epoch;
  record.loss = figures.mean_loss();
  record.accuracy = figures.accuracy();
  record.images = images;
  record.seconds = pass_timing_.seconds;
  record.data_wait_seconds = pass_timing_.data_wait_seconds;
  record.run_seconds = run_seconds();
  run_folder_->append_metrics(to_json(record));
}

EvalResult Trainer::eval_pass(int epoch) {
  set_phase("eval");
  if (parallel_) parallel_->broadcast_buffers(*model_);  // every rank evaluates the model rank 0 saves
  board_.begin_pass("Eval", val_loader_->batches_per_epoch());
  EvalResult result = evaluate(*model_, *val_loader_, execution_, [&](std::int64_t n, const RunningMetrics& metrics) {
    board_.update_pass(n, pass_postfix(metrics, ""));
  });
  board_.end_pass();
  // Each rank evaluated its share: the figures are the whole set's.
  if (parallel_) result.metrics = parallel_->sum(result.metrics);
  if (!leads()) return result;
  EvalRecord record;
  record.epoch = epoch;
  record.loss = result.metrics.mean_loss();
  record.accuracy = result.metrics.accuracy();
  record.images = result.metrics.samples();
  record.seconds = result.seconds;
  record.run_seconds = run_seconds();
  run_folder_->append_metrics(to_json(record));
  return result;
}

}  // namespace trainbench::train
