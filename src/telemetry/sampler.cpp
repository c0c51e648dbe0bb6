#include "telemetry/sampler.h"

#include "core/error.h"
#include "telemetry/intel_gpu_source.h"
#include "telemetry/nvml_source.h"
#include "telemetry/proc_stats.h"

namespace trainbench::telemetry {

std::vector<std::unique_ptr<TelemetrySource>> open_default_sources(std::vector<std::string>* unavailable) {
  std::vector<std::unique_ptr<TelemetrySource>> sources;
  sources.push_back(make_process_source());
  OpenedSource gpu_sources[] = {open_nvml_source(), open_intel_gpu_source()};
  for (OpenedSource& opened : gpu_sources) {
    if (opened.source) {
      sources.push_back(std::move(opened.source));
    } else if (unavailable) {
      unavailable->push_back(opened.unavailable_reason);
    }
  }
  return sources;
}

Sampler::Sampler(std::vector<std::unique_ptr<TelemetrySource>> sources, double interval_seconds,
                 Clock::time_point origin)
    : sources_(std::move(sources)), interval_seconds_(interval_seconds), origin_(origin) {}

Sampler::~Sampler() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (file_) std::fclose(file_);
}

void Sampler::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { loop(); });
}

void Sampler::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  take_sample();
}

void Sampler::set_phase(const std::string& phase) {
  std::lock_guard<std::mutex> lock(mutex_);
  phase_ = phase;
}

void Sampler::write_to(const std::filesystem::path& jsonl, bool append) {
  std::FILE* file = std::fopen(jsonl.c_str(), append ? "a" : "w");
  if (!file) throw RunError("cannot write " + jsonl.string());
  std::lock_guard<std::mutex> lock(mutex_);
  for (const TelemetrySample& sample : samples_) std::fprintf(file, "%s\n", to_json(sample).dump().c_str());
  std::fflush(file);
  if (file_) std::fclose(file_);
  file_ = file;
}

std::vector<TelemetrySample> Sampler::samples() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return samples_;
}

std::vector<TelemetrySample> Sampler::samples_from(std::size_t first) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (first >= samples_.size()) return {};
  return std::vector<TelemetrySample>(samples_.begin() + static_cast<std::ptrdiff_t>(first), samples_.end());
}

std::size_t Sampler::sample_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return samples_.size();
}

std::optional<TelemetrySample> Sampler::latest() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (samples_.empty()) return std::nullopt;
  return samples_.back();
}

bool Sampler::has_gpu() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return !samples_.empty() && !samples_.back().gpus.empty();
}

void Sampler::loop() {
  const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval_seconds_));
  Clock::time_point next = Clock::now();
  for (;;) {
    take_sample();
    // Due times advance by whole intervals, so a slow read does not make
    // the samples drift further apart.
    next += interval;
    if (next < Clock::now()) next = Clock::now() + interval;
    std::unique_lock<std::mutex> lock(mutex_);
    if (wake_.wait_until(lock, next, [this] { return stopping_; })) return;
  }
}

void Sampler::take_sample() {
  std::lock_guard<std::mutex> one_at_a_time(sampling_);
  TelemetrySample sample;
  // Sources are read without holding mutex_, so set_phase and latest never
  // wait for a slow NVML call.
  for (const std::unique_ptr<TelemetrySource>& source : sources_) source->sample(sample);
  std::lock_guard<std::mutex> lock(mutex_);
  sample.seconds = std::chrono::duration<double>(Clock::now() - origin_).count();
  sample.phase = phase_;
  if (file_) {
    std::fprintf(file_, "%s\n", to_json(sample).dump().c_str());
    std::fflush(file_);
  }
  samples_.push_back(std::move(sample));
}

}  // namespace trainbench::telemetry
