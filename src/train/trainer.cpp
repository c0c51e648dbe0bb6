#include "train/trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>

#include "bench/provenance.h"
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
#include "train/checkpoint.h"
#include "train/device_batch.h"
#include "train/evaluation.h"
#include "train/execution.h"
#include "train/grad_scaler.h"
#include "train/model_weights.h"
#include "train/one_cycle.h"
#include "train/run_folder.h"
#include "train/train_step.h"

namespace trainbench::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

struct DataSplit {
  std::vector<std::string> classes;
  std::vector<data::Sample> train;
  std::vector<data::Sample> validation;
};

DataSplit load_data(const TrainConfig& config) {
  const data::ImageFolder folder = data::scan_image_folder(config.data);
  DataSplit split{folder.classes, {}, {}};
  if (!config.val_data.empty()) {
    split.train = folder.samples;
    split.validation = data::scan_image_folder_with_classes(config.val_data, folder.classes).samples;
  } else {
    data::Split parts = data::split_samples(folder.samples, config.val_split, config.seed);
    split.train = std::move(parts.train);
    split.validation = std::move(parts.validation);
  }
  return split;
}

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

// What one training pass measured.
struct PassTiming {
  double seconds = 0.0;
  double data_wait_seconds = 0.0;
  std::int64_t images = 0;
};

class Trainer {
 public:
  Trainer(const TrainConfig& config, ProgressBoard& board) : config_(config), board_(board) {}
  RunSummary run();

 private:
  // Checks settings, scans the data, builds model, optimiser, loaders and
  // schedule, and only then creates the run folder: bad input leaves nothing behind.
  void prepare();
  // Device, precision and layout from the config, which then records them resolved.
  void resolve_execution();
  void build_loaders(const DataSplit& data);
  PassTiming train_pass(int epoch, std::int64_t steps_this_epoch, RunningMetrics* metrics);
  EvalResult eval_pass(int epoch);
  void finish_epoch(int epoch, const RunningMetrics& train_metrics, const EvalResult& eval);
  void save_last_state();  // last weights, their card and the optimizer state
  weights::ModelCard model_card() const;
  // Forward, loss, backward and the optimizer step (through the gradient
  // scaler in fp16); returns the logits and the loss.
  std::pair<torch::Tensor, torch::Tensor> train_step(const DeviceBatch& batch);
  // Starts sampling at the run's start (when asked for), so set-up is seen too.
  void start_telemetry();
  void set_phase(const std::string& phase);
  double run_seconds() const { return seconds_since(start_); }

  TrainConfig config_;
  ProgressBoard& board_;
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
  std::unique_ptr<telemetry::Sampler> sampler_;  // null without telemetry
};

void Trainer::prepare() {
  if (config_.epochs < 1) throw UsageError("--epochs must be at least 1");
  if (config_.max_steps < 0) throw UsageError("--max-steps must be 0 (no limit) or positive");
  if (config_.output.empty()) throw UsageError("--output RUN_DIR is required");
  config_.threads = core::configure_threads(config_.threads);
  if (config_.workers == 0) config_.workers = core::available_cores();
  resolve_execution();
  const torch::Device device = execution_.device;
  augment_.kind = data::parse_augment_kind(config_.augment);
  augment_.seed = config_.seed;

  const DataSplit data = load_data(config_);
  classes_ = data.classes;
  torch::manual_seed(config_.seed);
  model_ = models::create_model(config_.model, static_cast<int>(data.classes.size()));
  if (!config_.pretrained.empty()) {
    const PretrainedLoad pretrained = load_pretrained(*model_, config_.pretrained, config_.pretrained_strict);
    board_.message(pretrained.summary);
    summary_.pretrained = config_.pretrained.string();
  }
  place_model(*model_, execution_);
  optimizer_ = std::make_unique<torch::optim::AdamW>(
      model_->parameters(),
      torch::optim::AdamWOptions(config_.lr).eps(config_.adam_eps).weight_decay(config_.weight_decay));
  if (core::needs_grad_scaler(execution_.amp)) scaler_ = std::make_unique<GradScaler>(device);

  build_loaders(data);

  total_steps_ = static_cast<std::int64_t>(config_.epochs) * train_loader_->batches_per_epoch();
  if (config_.max_steps > 0) total_steps_ = std::min(total_steps_, config_.max_steps);
  OneCycleOptions schedule_options;
  schedule_options.max_lr = config_.lr;
  schedule_options.total_steps = total_steps_;
  schedule_ = std::make_unique<OneCycleSchedule>(schedule_options);

  run_folder_ = std::make_unique<RunFolder>(RunFolder::create(config_.output, config_.overwrite));
  run_folder_->write_json(RunFiles::kConfig, to_json(config_));
  run_folder_->write_classes(data.classes);
  run_folder_->write_json(RunFiles::kProvenance, bench::to_json(bench::collect_provenance(device)));
  if (sampler_) sampler_->write_to(run_folder_->file(RunFiles::kTelemetry));

  summary_.model = config_.model;
  summary_.device = config_.device;
  summary_.device_name = core::device_name(device);
  summary_.threads = config_.threads;
  summary_.workers = config_.workers;
  summary_.amp = config_.amp;
  summary_.channels_last = execution_.channels_last;
  summary_.augment = config_.augment;
  summary_.image_size = config_.image_size;
  summary_.batch_size = config_.batch_size;
  summary_.train_images = train_loader_->sample_count();
  summary_.val_images = val_loader_->sample_count();
  summary_.best_val_loss = INFINITY;
}

void Trainer::resolve_execution() {
  const torch::Device device = core::resolve_device(config_.device);
  config_.device = core::device_id(device);
  execution_.device = device;
  execution_.amp = core::resolve_amp_mode(config_.amp, device);
  core::check_amp_supported(execution_.amp, device);
  config_.amp = core::to_string(execution_.amp);
  if (!config_.channels_last) config_.channels_last = core::default_channels_last(device, execution_.amp);
  execution_.channels_last = *config_.channels_last;
  // cuDNN then times its convolution algorithms once per input shape and
  // keeps the fastest; our shapes are fixed, so that pays from the 2nd step.
  if (device.is_cuda()) at::globalContext().setBenchmarkCuDNN(config_.cudnn_benchmark);
}

void Trainer::build_loaders(const DataSplit& data) {
  data::LoaderOptions options;
  options.image_size = config_.image_size;
  options.batch_size = config_.batch_size;
  options.workers = config_.workers;
  options.prefetch_per_worker = config_.prefetch_per_worker;
  options.seed = config_.seed;
  options.pin_memory = execution_.device.is_cuda();
  options.shuffle = true;
  if (data::augment_in_workers(options, augment_, execution_.device)) augment_.kind = data::AugmentKind::kNone;
  train_loader_ = std::make_unique<data::BatchLoader>(data.train, options, skipped_);
  options.shuffle = false;
  options.finish_batch = nullptr;  // validation is never augmented
  val_loader_ = std::make_unique<data::BatchLoader>(data.validation, options, skipped_);
}

void Trainer::start_telemetry() {
  if (config_.telemetry_interval < 0) throw UsageError("--telemetry-interval must be positive (or 0 for none)");
  if (config_.telemetry_interval == 0) return;
  std::vector<std::string> unavailable;
  sampler_ = std::make_unique<telemetry::Sampler>(telemetry::open_default_sources(&unavailable),
                                                  config_.telemetry_interval, start_);
  sampler_->start();
  // Said once: a machine without a GPU driver is normal, not a problem.
  if (!unavailable.empty()) board_.message("telemetry: not sampled: " + core::join(unavailable, "; "));
}

void Trainer::set_phase(const std::string& phase) {
  if (sampler_) sampler_->set_phase(phase);
}

RunSummary Trainer::run() {
  start_ = Clock::now();
  // Before anything slow, so an early Ctrl-C also ends cleanly.
  core::install_interrupt_handlers();
  start_telemetry();
  prepare();
  const std::int64_t batches = train_loader_->batches_per_epoch();
  const int epochs_to_run = static_cast<int>((total_steps_ + batches - 1) / batches);

  double train_seconds = 0.0, wait_seconds = 0.0;
  std::int64_t train_images_seen = 0;
  board_.begin_outer("Epochs", epochs_to_run);
  for (int epoch = 1; epoch <= epochs_to_run && !summary_.interrupted; ++epoch) {
    summary_.epochs = epoch;
    RunningMetrics train_metrics;
    const std::int64_t steps_this_epoch = std::min(batches, total_steps_ - step_);
    const PassTiming timing = train_pass(epoch, steps_this_epoch, &train_metrics);
    train_seconds += timing.seconds;
    wait_seconds += timing.data_wait_seconds;
    train_images_seen += timing.images;
    if (epoch == 1 && timing.seconds > 0) summary_.first_epoch_images_per_sec = timing.images / timing.seconds;
    summary_.train_loss = train_metrics.mean_loss();
    summary_.train_accuracy = train_metrics.accuracy();
    if (summary_.interrupted) break;
    const EvalResult eval = eval_pass(epoch);
    finish_epoch(epoch, train_metrics, eval);
    board_.advance_outer();
  }
  board_.end_outer();

  // Every finished epoch has already saved its state (finish_epoch); an
  // interrupted one saves here, so the run folder holds the model exactly as
  // far as it got.
  if (summary_.interrupted) save_last_state();
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
  if (std::isinf(summary_.best_val_loss)) summary_.best_val_loss = 0.0;
  summary_.train_images_per_sec = train_seconds > 0 ? train_images_seen / train_seconds : 0.0;
  summary_.data_wait_fraction = train_seconds > 0 ? wait_seconds / train_seconds : 0.0;
  summary_.wall_seconds = run_seconds();
  run_folder_->write_json(RunFiles::kSummary, to_json(summary_));
  return summary_;
}

PassTiming Trainer::train_pass(int epoch, std::int64_t steps_this_epoch, RunningMetrics* metrics) {
  PassTiming timing;
  const auto start = Clock::now();
  model_->train();
  train_loader_->start_epoch(epoch);
  set_phase("train");
  board_.begin_pass("Train", steps_this_epoch);
  for (std::int64_t n = 0; n < steps_this_epoch; ++n) {
    const auto wait_start = Clock::now();
    std::optional<data::Batch> batch = train_loader_->next();
    const double wait = seconds_since(wait_start);
    if (!batch) break;
    timing.data_wait_seconds += wait;

    const double lr = schedule_->lr(step_);
    apply_schedule(*optimizer_, lr, schedule_->momentum(step_));
    const DeviceBatch on_device = to_device(*batch, execution_, augment_);
    const auto [logits, loss] = train_step(on_device);
    ++step_;

    const double loss_value = loss.item<double>();
    metrics->add_batch(logits.detach(), on_device.labels, loss_value);
    timing.images += on_device.labels.size(0);
    run_folder_->append_metrics({{"type", "train_step"},
                                 {"epoch", epoch},
                                 {"step", step_},
                                 {"loss", loss_value},
                                 {"lr", lr},
                                 {"images", on_device.labels.size(0)},
                                 {"data_wait_seconds", wait},
                                 {"elapsed_seconds", seconds_since(start)},
                                 {"run_seconds", run_seconds()}});
    Postfix postfix = pass_postfix(*metrics, lr);
    const std::string gpu = gpu_utilization_text(sampler_.get(), execution_.device);
    if (!gpu.empty()) postfix.insert(postfix.begin(), {"gpu", gpu});
    board_.update_pass(n + 1, std::move(postfix));
    if (core::interrupt_requested()) {
      summary_.interrupted = true;
      board_.message("Interrupted: stopping after step " + std::to_string(step_) + "; saving the run.");
      break;
    }
  }
  board_.end_pass();
  timing.seconds = seconds_since(start);
  run_folder_->append_metrics({{"type", "train_epoch"},
                               {"epoch", epoch},
                               {"loss", metrics->mean_loss()},
                               {"accuracy", metrics->accuracy()},
                               {"images", timing.images},
                               {"seconds", timing.seconds},
                               {"data_wait_seconds", timing.data_wait_seconds},
                               {"run_seconds", run_seconds()}});
  return timing;
}

std::pair<torch::Tensor, torch::Tensor> Trainer::train_step(const DeviceBatch& batch) {
  ForwardResult forward = forward_with_loss(*model_, execution_, batch);
  backward_pass(*optimizer_, forward.loss, scaler_.get());
  optimizer_update(*optimizer_, scaler_.get());
  return {forward.logits, forward.loss};
}

EvalResult Trainer::eval_pass(int epoch) {
  set_phase("eval");
  board_.begin_pass("Eval", val_loader_->batches_per_epoch());
  EvalResult result = evaluate(*model_, *val_loader_, execution_, [&](std::int64_t n, const RunningMetrics& metrics) {
    board_.update_pass(n, pass_postfix(metrics, ""));
  });
  board_.end_pass();
  run_folder_->append_metrics({{"type", "eval"},
                               {"epoch", epoch},
                               {"loss", result.metrics.mean_loss()},
                               {"accuracy", result.metrics.accuracy()},
                               {"images", result.metrics.samples()},
                               {"seconds", result.seconds},
                               {"run_seconds", run_seconds()}});
  return result;
}

void Trainer::finish_epoch(int epoch, const RunningMetrics& train_metrics, const EvalResult& eval) {
  set_phase("checkpoint");
  summary_.val_loss = eval.metrics.mean_loss();
  summary_.val_accuracy = eval.metrics.accuracy();
  if (summary_.val_loss < summary_.best_val_loss) {
    summary_.best_val_loss = summary_.val_loss;
    summary_.best_epoch = epoch;
    save_model_weights(*model_, model_card(), run_folder_->file(RunFiles::kBestWeights));
    // The notebook's training_metadata.json, written with each new best.
    run_folder_->write_json(RunFiles::kMetadata, {{"epoch", epoch},
                                                  {"train_loss", train_metrics.mean_loss()},
                                                  {"valid_loss", eval.metrics.mean_loss()},
                                                  {"metric_value", eval.metrics.accuracy()},
                                                  {"learning_rate", schedule_->lr(std::max<std::int64_t>(step_ - 1, 0))},
                                                  {"model_architecture", config_.model}});
  }
  // Checkpoint every epoch so an interrupted run keeps what it had.
  save_last_state();
}

void Trainer::save_last_state() {
  save_model_weights(*model_, model_card(), run_folder_->file(RunFiles::kLastWeights));
  save_optimizer(*optimizer_, run_folder_->file(RunFiles::kLastOptimizer));
}

weights::ModelCard Trainer::model_card() const {
  weights::ModelCard card;
  card.architecture = config_.model;
  card.classes = classes_;
  card.image_size = config_.image_size;
  card.mean = data::kImageNetMean;
  card.std = data::kImageNetStd;
  card.amp = config_.amp;
  card.trainbench_version = TRAINBENCH_VERSION;
  return card;
}

}  // namespace

RunSummary run_training(const TrainConfig& config, ProgressBoard& board) { return Trainer(config, board).run(); }

}  // namespace trainbench::train
