#include "bench/bench_runner.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <utility>

#include "bench/flop_count.h"
#include "bench/out_of_memory.h"
#include "bench/peak_memory.h"
#include "bench/peak_probe.h"
#include "bench/statistics.h"
#include "core/collect_provenance.h"
#include "core/device.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/memory_format.h"
#include "core/precision.h"
#include "core/synchronize.h"
#include "data/batch_augment.h"
#include "data/batch_loader.h"
#include "models/registry.h"
#include "telemetry/phase_summary.h"
#include "train/adamw.h"
#include "train/data_parallel.h"
#include "train/device_batch.h"
#include "train/execution.h"
#include "train/grad_scaler.h"
#include "train/train_step.h"

namespace trainbench::bench {
using store::BenchRow;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double>(end - start).count();
}

// Where a test's batches come from: one random batch already on the device
// (synthetic: the model's speed alone), or the data pipeline as `train` runs
// it (real: decoding, ResizePad, the copy and, for training, augmentation).
class InputSource {
 public:
  virtual ~InputSource() = default;
  virtual train::DeviceBatch next() = 0;
};

class SyntheticInput : public InputSource {
 public:
  SyntheticInput(int batch_size, int image_size, int classes, const train::Execution& execution) {
    const auto options = torch::TensorOptions().device(execution.device);
    batch_.inputs = torch::randn({batch_size, 3, image_size, image_size}, options)
                        .contiguous(execution.memory_format());
    batch_.labels = torch::randint(classes, {batch_size}, options.dtype(torch::kLong));
  }
  train::DeviceBatch next() override { return batch_; }

 private:
  train::DeviceBatch batch_;
};

class RealInput : public InputSource {
 public:
  RealInput(const data::ImageFolder& folder, int batch_size, int image_size, int workers, bool training,
            std::uint64_t seed, const train::Execution& execution)
      : execution_(execution) {
    data::LoaderOptions options;
    options.image_size = image_size;
    options.batch_size = batch_size;
    options.workers = workers;
    options.seed = seed;
    options.shuffle = training;
    options.pin_memory = execution.device.is_cuda();
    if (training) {
      augment_.kind = data::AugmentKind::kTrivialWide;
      augment_.seed = seed;
      if (data::augment_in_workers(options, augment_, execution.device)) augment_.kind = data::AugmentKind::kNone;
    }
    loader_ = std::make_unique<data::BatchLoader>(folder.samples, options, std::make_shared<data::SkippedFiles>());
    loader_->start_epoch(epoch_);
  }

  // Endless: a new epoch starts when one runs out, as in a long training.
  train::DeviceBatch next() override {
    std::optional<data::Batch> batch = loader_->next();
    if (!batch) {
      loader_->start_epoch(++epoch_);
      batch = loader_->next();
      if (!batch) throw DataError("no readable image in the --data folder");
    }
    return train::to_device(*batch, execution_, augment_);
  }

 private:
  train::Execution execution_;
  data::BatchAugment augment_;
  std::unique_ptr<data::BatchLoader> loader_;
  int epoch_ = 1;
};

// Per-step phase times of the --detail window, in seconds.
struct PhaseTimes {
  double data_wait = 0.0, forward = 0.0, backward = 0.0, optimizer = 0.0;
};

// One test's model, optimizer and input, and its step. In a data-parallel
// bench the gradients are averaged over the ranks in the backward pass.
class StepRunner {
 public:
  StepRunner(std::shared_ptr<models::Classifier> model, const train::Execution& execution, bool training,
             std::unique_ptr<InputSource> input, train::DataParallel* parallel)
      : model_(std::move(model)),
        execution_(execution),
        training_(training),
        input_(std::move(input)),
        parallel_(training ? parallel : nullptr) {
    if (parallel_) parallel_->attach(*model_);
    if (training_) {
      // The workload's optimizer, in the form train uses on this device; its
      // state is part of what a step touches.
      optimizer_ = train::make_adamw(model_->parameters(), torch::optim::AdamWOptions(1e-3).eps(1e-5).weight_decay(0.01),
                                     train::default_adamw_kind(execution.device));
      if (core::needs_grad_scaler(execution.amp)) scaler_ = std::make_unique<train::GradScaler>(execution.device);
      model_->train();
    } else {
      model_->eval();
    }
  }

  // One step; returns the images it processed. With `phases`, the device is
  // synchronised after each phase and the phase's time added there.
  std::int64_t step(PhaseTimes* phases = nullptr) {
    auto mark = Clock::now();
    auto lap = [&](double* into) {
      if (!phases) return;
      core::synchronize(execution_.device);
      const auto now = Clock::now();
      *into += seconds_between(mark, now);
      mark = now;
    };
    const train::DeviceBatch batch = input_->next();
    double unused = 0.0;
    lap(phases ? &phases->data_wait : &unused);
    if (!training_) {
      const torch::NoGradGuard no_grad;
      const core::AutocastGuard autocast(execution_.amp, execution_.device);
      (void)model_->forward(batch.inputs);
      lap(phases ? &phases->forward : &unused);
      return batch.labels.size(0);
    }
    if (parallel_) {
      parallel_->broadcast_buffers(*model_);  // as train does (DDP's default)
      parallel_->before_reduced_forward();
    }
    const train::ForwardResult forward = train::forward_with_loss(*model_, execution_, batch);
    lap(phases ? &phases->forward : &unused);
    // The backward phase includes the wait for the averaged gradients: what
    // the overlap with the backward pass did not hide.
    if (parallel_) parallel_->before_backward(forward.loss);
    train::backward_pass(*optimizer_, forward.loss, scaler_.get());
    if (parallel_) {
      parallel_->after_backward();
      all_reduce_wait_seconds_ += parallel_->last_all_reduce_wait_seconds();
    }
    lap(phases ? &phases->backward : &unused);
    train::optimizer_update(*optimizer_, scaler_.get());
    lap(phases ? &phases->optimizer : &unused);
    return batch.labels.size(0);
  }

  // Seconds waited for all-reduces since the last call.
  double take_all_reduce_wait_seconds() { return std::exchange(all_reduce_wait_seconds_, 0.0); }

 private:
  std::shared_ptr<models::Classifier> model_;
  train::Execution execution_;
  bool training_;
  std::unique_ptr<InputSource> input_;
  train::DataParallel* parallel_;
  double all_reduce_wait_seconds_ = 0.0;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  std::unique_ptr<train::GradScaler> scaler_;
};

std::string message_of(const std::exception& error) {
  if (const auto* torch_error = dynamic_cast<const c10::Error*>(&error)) return torch_error->what_without_backtrace();
  return error.what();
}

}  // namespace

int steps_for_budget(double timed_seconds, int repetitions, double step_seconds) {
  constexpr double kFewest = 2, kMost = 10000;
  if (step_seconds <= 0 || repetitions < 1) return static_cast<int>(kMost);
  const double steps = std::ceil(timed_seconds / (repetitions * step_seconds));
  return static_cast<int>(std::clamp(steps, kFewest, kMost));
}

void validate(const BenchOptions& options, const std::vector<BenchCase>& tests) {
  if (options.repetitions < 1) throw UsageError("-r/--repetitions must be at least 1");
  if (options.steps < 1) throw UsageError("--steps must be at least 1");
  if (options.timed_seconds < 0) throw UsageError("--seconds must be 0 (use --steps) or more");
  if (options.timed_seconds > 0 && options.warmup_steps < 2) {
    throw UsageError("--seconds needs --warmup-steps of at least 2: the steps after the cold one give the step time");
  }
  if (options.warmup_steps < 1) {
    throw UsageError("--warmup-steps must be at least 1 (the first step is the cold start, never timed with the rest)");
  }
  for (const BenchCase& test : tests) {
    if (test.input == "real" && options.data.empty()) throw UsageError("--input real needs --data DIR (an image folder)");
    if (test.input != "real" && test.input != "synthetic") {
      throw UsageError("--input: '" + test.input + "' is not synthetic or real");
    }
    if (test.input == "real" && test.workers < 1) throw UsageError("--workers must be at least 1 for real input");
  }
}

BenchRunner::BenchRunner(BenchOptions options, train::ProgressBoard& board, telemetry::Sampler* sampler)
    : options_(std::move(options)), board_(board), sampler_(sampler) {
  // A rank that retried at a smaller batch would no longer match the others.
  if (options_.parallel) options_.retry_oom = false;
}

bool BenchRunner::stop_requested() {
  if (!options_.parallel) return core::interrupt_requested();
  return options_.parallel->any(core::interrupt_requested());
}

void BenchRunner::set_phase(const std::string& phase) {
  if (sampler_) sampler_->set_phase(phase);
}

void BenchRunner::collect_telemetry(std::size_t first_sample, BenchRow* row) {
  last_test_telemetry_.clear();
  if (!sampler_) return;
  last_test_telemetry_ = sampler_->samples_from(first_sample);
  const telemetry::PhaseAverages timed = telemetry::average_of_phase(last_test_telemetry_, "timed");
  row->process_cpu_percent = timed.mean.process_cpu_percent;
  if (!timed.mean.gpus.empty()) {
    const telemetry::GpuSample& gpu = timed.mean.gpus.front();
    row->gpu_utilization_percent = gpu.utilization_percent;
    row->gpu_memory_activity_percent = gpu.memory_activity_percent;
    row->gpu_power_watts = gpu.power_watts;
  }
}

BenchRunner::~BenchRunner() = default;

const data::ImageFolder& BenchRunner::real_data() {
  if (!real_data_) real_data_ = std::make_unique<data::ImageFolder>(data::scan_image_folder(options_.data));
  return *real_data_;
}

BenchRow BenchRunner::run(const BenchCase& test) {
  const std::size_t first_sample = sampler_ ? sampler_->sample_count() : 0;
  BenchRow row;
  row.mode = test.mode;
  row.model = test.model;
  row.device = test.device;
  row.amp = test.amp;
  row.channels_last = test.channels_last == "1";
  row.requested_batch_size = test.batch_size;
  row.batch_size = test.batch_size;
  row.image_size = test.image_size;
  row.workers = test.workers;
  row.input = test.input;
  row.repetitions = options_.repetitions;
  row.warmup_steps = options_.warmup_steps;
  row.steps = options_.steps;
  torch::Device device = torch::kCPU;
  try {
    const std::optional<bool> layout =
        test.channels_last == "auto" ? std::nullopt : std::optional<bool>(test.channels_last == "1");
    const std::optional<dist::LaunchIdentity> identity =
        options_.parallel ? std::optional<dist::LaunchIdentity>(options_.parallel->identity()) : std::nullopt;
    const train::Execution execution = train::resolve_execution({test.device, test.amp, layout}, identity);
    device = execution.device;
    const core::AmpMode amp = execution.amp;
    row.device = core::device_id(device);
    row.amp = core::to_string(amp);
    row.channels_last = execution.channels_last;
    // cuDNN times its algorithms per shape on the first steps (the cold
    // step shows it) and keeps the fastest, as `train` does.
    if (device.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);

    const BackoffOutcome outcome = run_with_oom_backoff(
        test.batch_size, options_.retry_oom, [&](int batch_size) { measure(test, execution, batch_size, &row); },
        [&] { release_cached_memory(device); });
    row.batch_size = outcome.batch_size;
    row.note = outcome.note;

    row.forward_flops_per_image = forward_flops_per_image(test.model, test.image_size, options_.synthetic_classes);
    row.step_flops_per_image = row.forward_flops_per_image * (test.mode == "train" ? 3.0 : 1.0);
    row.achieved_tflops = row.step_flops_per_image * row.images_per_sec / 1e12;
    if (options_.peak) {
      const std::string key = row.device + " " + row.amp;
      if (!peak_cache_.count(key)) peak_cache_[key] = measure_peak_matmul(device, amp).tflops;
      row.peak_tflops = peak_cache_[key];
      if (*row.peak_tflops > 0) row.peak_fraction = row.achieved_tflops / *row.peak_tflops;
    }
  } catch (const std::exception& error) {
    // The other ranks are in the middle of this test's collectives: this
    // rank cannot leave them for the next test. It stops; launch stops them.
    if (options_.parallel) {
      throw RunError("rank " + std::to_string(options_.parallel->rank()) + ": " + describe(test) + ": " +
                     message_of(error));
    }
    row.status = "failed";
    row.error = message_of(error);
    row.images_per_sec_samples.clear();
    row.images_per_sec = row.images_per_sec_std = 0.0;
  }
  set_phase("between tests");
  collect_telemetry(first_sample, &row);
  row.provenance = core::collect_provenance(device);
  return row;
}

void BenchRunner::measure(const BenchCase& test, const train::Execution& execution, int batch_size, BenchRow* row) {
  if (options_.simulate_oom_above > 0 && batch_size > options_.simulate_oom_above) {
    throw std::runtime_error("simulated out of memory: batch " + std::to_string(batch_size) + " is above " +
                             std::to_string(options_.simulate_oom_above));
  }
  const bool training = test.mode == "train";

  const PeakMemoryMeter memory(execution.device);
  torch::manual_seed(options_.seed);
  const int classes = test.input == "real" ? static_cast<int>(real_data().classes.size()) : options_.synthetic_classes;
  auto model = models::create_model(test.model, classes);
  train::place_model(*model, execution);
  std::unique_ptr<InputSource> input;
  if (test.input == "real") {
    input = std::make_unique<RealInput>(real_data(), batch_size, test.image_size, test.workers, training,
                                        options_.seed, execution);
  } else {
    input = std::make_unique<SyntheticInput>(batch_size, test.image_size, classes, execution);
  }
  if (options_.parallel && training) {
    // Rank 0's weights everywhere, and every rank on the same test.
    options_.parallel->agree_on_start(*model, describe(test) + " steps " + std::to_string(options_.steps) + "x" +
                                                  std::to_string(options_.repetitions));
  }
  StepRunner runner(model, execution, training, std::move(input), options_.parallel);

  const std::int64_t total_steps = options_.warmup_steps +
                                   static_cast<std::int64_t>(options_.repetitions) * options_.steps +
                                   (options_.detail ? options_.steps : 0);
  std::int64_t done = 0;
  // After each step: progress, and Ctrl-C ends the test at once (its
  // figures would be partial) rather than after minutes of steps.
  // The ranks of a job must stop after the same step, so they agree on it:
  // every step on CPUs, every 10th on GPUs, where agreeing means a device
  // sync that would stall the timed steps' queue.
  const std::int64_t agree_every = !options_.parallel ? 0 : execution.device.is_cuda() ? 10 : 1;
  const auto step_done = [&] {
    board_.update_pass(++done);
    const bool stop = agree_every == 0 ? core::interrupt_requested() : done % agree_every == 0 && stop_requested();
    if (stop) throw BenchInterrupted();
  };
  BenchCase resolved = test;  // the progress line names what actually runs
  resolved.device = row->device;
  resolved.amp = row->amp;
  resolved.channels_last = row->channels_last ? "1" : "0";
  resolved.batch_size = batch_size;
  board_.begin_pass(describe(resolved), total_steps);

  // The cold step: everything the first pass pays once.
  set_phase("warmup");
  core::synchronize(execution.device);
  auto start = Clock::now();
  runner.step();
  core::synchronize(execution.device);
  row->cold_step_seconds = seconds_between(start, Clock::now());
  step_done();
  start = Clock::now();
  for (int n = 1; n < options_.warmup_steps; ++n) {
    runner.step();
    step_done();
  }
  int steps = options_.steps;
  if (options_.timed_seconds > 0) {
    core::synchronize(execution.device);
    const double warm_step_seconds =
        seconds_between(start, Clock::now()) / static_cast<double>(options_.warmup_steps - 1);
    steps = steps_for_budget(options_.timed_seconds, options_.repetitions, warm_step_seconds);
    if (options_.parallel) {
      // Ranks step in lockstep: all take the largest count any of them chose.
      for (double rank_steps : options_.parallel->per_rank(steps)) steps = std::max(steps, static_cast<int>(rank_steps));
    }
    row->steps = steps;
    const std::int64_t detail = options_.detail ? steps : 0;
    board_.set_pass_total(options_.warmup_steps + static_cast<std::int64_t>(options_.repetitions) * steps + detail);
  }

  std::vector<double> samples;
  double timed_seconds = 0.0;
  // Data-parallel: each rank's rate per window, summed over the windows.
  const int world_size = options_.parallel ? options_.parallel->world_size() : 1;
  std::vector<double> rank_rates(static_cast<std::size_t>(world_size), 0.0);
  set_phase("timed");
  runner.take_all_reduce_wait_seconds();
  for (int repetition = 0; repetition < options_.repetitions; ++repetition) {
    core::synchronize(execution.device);
    start = Clock::now();
    std::int64_t images = 0;
    for (int n = 0; n < steps; ++n) {
      images += runner.step();
      step_done();
    }
    core::synchronize(execution.device);
    const double seconds = seconds_between(start, Clock::now());
    timed_seconds += seconds;
    if (!options_.parallel) {
      samples.push_back(throughput(images, seconds));
      continue;
    }
    // The job's rate over the window is the ranks' rates together (they
    // step in lockstep, so their windows nearly coincide).
    const std::vector<double> rates = options_.parallel->per_rank(throughput(images, seconds));
    double job_rate = 0.0;
    for (std::size_t r = 0; r < rates.size(); ++r) {
      rank_rates[r] += rates[r];
      job_rate += rates[r];
    }
    samples.push_back(job_rate);
    }
  if (options_.parallel) {
    row->world_size = world_size;
    for (double& rate : rank_rates) rate /= options_.repetitions;
    row->rank_images_per_sec = rank_rates;
    if (training) {
      std::vector<double> wait{runner.take_all_reduce_wait_seconds()};
      options_.parallel->sum(wait);
      row->all_reduce_wait_seconds =
          wait[0] / (static_cast<double>(world_size) * options_.repetitions * steps);
    }
  }

  const int detail_steps = options_.detail ? steps : 0;
  if (options_.detail) {
    set_phase("detail");
    PhaseTimes phases;
    for (int n = 0; n < detail_steps; ++n) {
      runner.step(&phases);
      step_done();
    }
      row->data_wait_seconds = phases.data_wait / detail_steps;
    row->forward_seconds = phases.forward / detail_steps;
    if (training) {
      row->backward_seconds = phases.backward / detail_steps;
      row->optimizer_seconds = phases.optimizer / detail_steps;
    }
  }
  board_.end_pass();

  const SampleSummary summary = summarize(samples);
  row->images_per_sec_samples = samples;
  row->images_per_sec = summary.mean;
  row->images_per_sec_std = summary.stddev;
  row->step_seconds = timed_seconds / (static_cast<double>(options_.repetitions) * steps);
  row->peak_memory_bytes = memory.peak_bytes();
  row->memory_source = memory.source();
}

}  // namespace trainbench::bench
