#include "train/trainer_state.h"

// Setting a run up: data, model, optimizer, loaders, execution, the data-parallel job, telemetry.
namespace trainbench::train {
namespace {

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


}  // namespace

void Trainer::prepare() {
  if (config_.epochs < 1) throw UsageError("--epochs must be at least 1");
  if (config_.max_steps < 0) throw UsageError("--max-steps must be 0 (no limit) or positive");
  if (config_.checkpoint_every < 0) throw UsageError("--checkpoint-every must be 0 (epochs only) or positive");
  if (config_.output.empty()) throw UsageError("--output RUN_DIR is required");
  if (config_.accumulate < 1) throw UsageError("--accumulate must be at least 1");
  // Ranks on one machine share its cores. The config records the threads and
  // workers it resolved: a resumed run takes the same, as bitwise resume needs.
  const int core_share = rank_core_share(identity_);
  config_.threads = core::configure_threads(config_.threads == 0 ? core_share : config_.threads);
  if (config_.workers == 0) config_.workers = core_share;
  resolve_execution();
  join_job();
  const torch::Device device = execution_.device;
  augment_.kind = data::parse_augment_kind(config_.augment);
  augment_.ranges = data::augment_ranges(augment_.kind, config_.image_size);
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
  // A step's batch: --accumulate micro-batches of -b images (train_pass splits it).
  options.batch_size = config_.batch_size * config_.accumulate;
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
  options.batch_size = config_.batch_size;
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

void Trainer::join_job() {
  DataParallelOptions options;
  options.backend = config_.dist_backend;
  options.sync_batch_norm = config_.sync_bn;
  options.broadcast_buffers = config_.broadcast_buffers;
  options.gradients = gradient_reducer_options(config_.bucket_mb, config_.grad_compression,
                                               config_.find_unused_parameters);
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
                         {"broadcast_buffers", config_.broadcast_buffers},
                         {"accumulate", config_.accumulate},  {"bucket_mb", config_.bucket_mb},
                         {"find_unused_parameters", config_.find_unused_parameters},
                         {"grad_compression", config_.grad_compression},
                         {"classes", data.classes},          {"train", data.train.size()},
                         {"validation", data.validation.size()}};
  return json.dump();
}

}  // namespace trainbench::train
