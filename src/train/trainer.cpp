#include "train/trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <unordered_set>

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
#include "train/resume_state.h"
#include "train/run_folder.h"
#include "weights/state_dict.h"
#include "train/train_step.h"

namespace trainbench::train {
namespace {

namespace fs = std::filesystem;
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

// The images of a set that a pass uses: its files less those found bad so
// far, as summary.json counts them.
std::int64_t usable_images(const std::vector<data::Sample>& samples, const data::SkippedFiles& skipped) {
  std::unordered_set<std::string> bad;
  for (const data::SkippedFile& file : skipped.first(skipped.count())) bad.insert(file.path);
  return std::count_if(samples.begin(), samples.end(),
                       [&](const data::Sample& sample) { return bad.count(sample.path.string()) == 0; });
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

void Trainer::prepare() {
  if (config_.epochs < 1) throw UsageError("--epochs must be at least 1");
  if (config_.max_steps < 0) throw UsageError("--max-steps must be 0 (no limit) or positive");
  if (config_.checkpoint_every < 0) throw UsageError("--checkpoint-every must be 0 (epochs only) or positive");
  if (config_.output.empty()) throw UsageError("--output RUN_DIR is required");
  // Ranks on one machine share its cores. The config records the threads and
  // workers it resolved: a resumed run takes the same, as bitwise resume needs.
  const int core_share = rank_core_share(identity_);
  config_.threads = core::configure_threads(config_.threads == 0 ? core_share : config_.threads);
  if (config_.workers == 0) config_.workers = core_share;
  resolve_execution();
  join_job();
  const torch::Device device = execution_.device;
  augment_.kind = data::parse_augment_kind(config_.augment);
  augment_.seed = config_.seed;

  const DataSplit data = load_data(config_);
  classes_ = data.classes;
  torch::manual_seed(config_.seed);
  model_ = models::create_model(config_.model, static_cast<int>(data.classes.size()));
  // A resumed run takes its weights from the checkpoint: the file it started
  // from may be gone by now.
  if (!config_.pretrained.empty() && !resuming_) {
    const PretrainedLoad pretrained = load_pretrained(*model_, config_.pretrained, config_.pretrained_strict);
    board_.message(pretrained.summary);
  }
  summary_.pretrained = config_.pretrained.string();
  place_model(*model_, execution_);
  if (parallel_) {
    // Before the optimizer sees the parameters; a resumed run's checkpoint
    // is read by every rank, and the broadcast below changes nothing then.
    parallel_->attach(*model_);
  }
  optimizer_ = make_adamw(model_->parameters(),
                          torch::optim::AdamWOptions(config_.lr).eps(config_.adam_eps).weight_decay(config_.weight_decay),
                          default_adamw_kind(execution_.device));
  if (core::needs_grad_scaler(execution_.amp)) scaler_ = std::make_unique<GradScaler>(device);

  build_loaders(data);

  total_steps_ = planned_total_steps({config_.epochs, config_.max_steps, train_loader_->batches_per_epoch()});
  OneCycleOptions schedule_options;
  schedule_options.max_lr = config_.lr;
  schedule_options.total_steps = total_steps_;
  schedule_ = std::make_unique<OneCycleSchedule>(schedule_options);

  summary_.best_val_loss = INFINITY;
  if (resuming_) {
    restore_checkpoint();
  } else if (!leads()) {
    // The other ranks write nothing.
  } else {
    run_folder_ = std::make_unique<RunFolder>(RunFolder::create(config_.output, config_.overwrite));
    run_folder_->write_json(RunFiles::kConfig, to_json(config_));
    run_folder_->write_classes(data.classes);
    run_folder_->write_json(RunFiles::kProvenance, core::to_json(core::collect_provenance(device)));
  }
  if (parallel_) parallel_->agree_on_start(*model_, job_fingerprint(data));
  if (sampler_) sampler_->write_to(run_folder_->file(RunFiles::kTelemetry), /*append=*/resuming_);

  summary_.model = config_.model;
  summary_.device = core::device_id(device);
  summary_.device_name = core::device_name(device);
  summary_.threads = config_.threads;
  summary_.workers = config_.workers;
  summary_.amp = core::to_string(execution_.amp);
  summary_.channels_last = execution_.channels_last;
  summary_.augment = config_.augment;
  summary_.image_size = config_.image_size;
  summary_.batch_size = config_.batch_size;
  summary_.train_files_scanned = train_loader_->sample_count();
  if (parallel_) {
    summary_.world_size = parallel_->world_size();
    summary_.dist_backend = parallel_->backend();
    summary_.sync_batch_norm = config_.sync_bn;
  }
  summary_.val_files_scanned = val_loader_->sample_count();
}

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

void Trainer::resolve_execution() {
  // config.json keeps the request ("auto", an unindexed "cuda"): a resumed
  // run, or another rank, resolves it again for itself; the summary records
  // what it resolved to.
  execution_ = train::resolve_execution({config_.device, config_.amp, config_.channels_last}, identity_);
  // cuDNN then times its convolution algorithms once per input shape and
  // keeps the fastest; our shapes are fixed, so that pays from the 2nd step.
  if (execution_.device.is_cuda()) at::globalContext().setBenchmarkCuDNN(config_.cudnn_benchmark);
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
  if (parallel_) {
    options.shard = {parallel_->rank(), parallel_->world_size(), /*pad=*/true};
    options.deliver_empty_batches = true;  // the ranks agree on each step instead
  }
  train_loader_ = std::make_unique<data::BatchLoader>(data.train, options, skipped_);
  options.shuffle = false;
  options.shard.pad = false;  // every validation image counted once
  options.deliver_empty_batches = false;
  options.finish_batch = nullptr;  // validation is never augmented
  val_loader_ = std::make_unique<data::BatchLoader>(data.validation, options, skipped_);
}

void Trainer::start_telemetry() {
  if (config_.telemetry_interval < 0) throw UsageError("--telemetry-interval must be positive (or 0 for none)");
  if (config_.telemetry_interval == 0) return;
  // Rank 0 samples the machine for the job (a multi-node job: its own machine).
  if (identity_ && identity_->rank != 0) return;
  std::vector<std::string> unavailable;
  // A resumed run's samples continue the time axis where the checkpoint left it.
  const auto origin = start_ - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(clock_offset_));
  sampler_ = std::make_unique<telemetry::Sampler>(telemetry::open_default_sources(&unavailable),
                                                  config_.telemetry_interval, origin);
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

void Trainer::join_job() {
  DataParallelOptions options;
  options.backend = config_.dist_backend;
  options.sync_batch_norm = config_.sync_bn;
  if (config_.dist_timeout < 1) throw UsageError("--dist-timeout must be at least 1 second");
  options.timeout = std::chrono::seconds(config_.dist_timeout);  // resolved once, by the command (launch_environment.h)
  parallel_ = join_data_parallel(options, execution_.device, identity_);
  if (!parallel_ && config_.sync_bn) board_.message("note: --sync-bn has no effect in a single process");
}

std::string Trainer::job_fingerprint(const DataSplit& data) const {
  nlohmann::json json = {{"model", config_.model},          {"image_size", config_.image_size},
                         {"batch_size", config_.batch_size}, {"epochs", config_.epochs},
                         {"lr", config_.lr},                 {"weight_decay", config_.weight_decay},
                         {"adam_eps", config_.adam_eps},     {"seed", config_.seed},
                         {"augment", config_.augment},       {"amp", core::to_string(execution_.amp)},
                         {"max_steps", config_.max_steps},   {"sync_bn", config_.sync_bn},
                         {"classes", data.classes},          {"train", data.train.size()},
                         {"validation", data.validation.size()}};
  return json.dump();
}

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
      // Batch norm updates its running statistics in the forward pass; kept
      // so that a step refused for a non-finite loss leaves no trace.
      if (!scaler_) snapshot_buffers();
      if (config_.simulate_oom_at_step == step_ + 1) {
        throw std::runtime_error("CUDA out of memory (simulated by --simulate-oom-at-step)");
      }
      ForwardResult forward = forward_with_loss(*model_, execution_, on_device);
      // Read before the backward pass (the one host sync of a step): a
      // non-finite loss then stops the run while the weights are still those
      // of the last good step. Under fp16 the scaler skips such steps itself.
      loss_value = forward.loss.item<double>();
      if (parallel_) {
        // The loss over every rank's images (so a non-finite one stops every
        // rank at this step), and whether any rank was asked to stop.
        const double count = static_cast<double>(on_device.labels.size(0));
        std::vector<double> sums{loss_value * count, count, core::interrupt_requested() ? 1.0 : 0.0};
        parallel_->sum(sums);
        loss_value = sums[0] / sums[1];
        stop_agreed = sums[2] > 0;
      }
      if (!std::isfinite(loss_value) && !scaler_) {
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
      if (parallel_) parallel_->before_backward();
      backward_pass(*optimizer_, forward.loss, scaler_.get());
      if (parallel_) {
        parallel_->after_backward();
        all_reduce_wait_seconds_ += parallel_->last_all_reduce_wait_seconds();
        ++all_reduce_steps_;
      }
      optimizer_update(*optimizer_, scaler_.get());
      logits = forward.logits;
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

}  // namespace

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
