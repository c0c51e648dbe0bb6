#pragma once
// The telemetry sampler: a background thread that reads every source each
// interval, tags the sample with the run's current phase (set by the trainer
// or bench as it moves from warm-up to training to evaluation), keeps it, and
// appends it to telemetry.jsonl once the run folder exists. Sampling costs a
// few file reads and NVML calls per interval, off the training thread.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "telemetry/telemetry_sample.h"

namespace trainbench::telemetry {

constexpr double kDefaultIntervalSeconds = 0.5;

// The process source, then NVML and Intel GPUs where this machine has them.
// A GPU source that is missing is not an error: its reason goes to
// `unavailable` ("nvml: libnvidia-ml.so.1 not found ..."), to be said once.
std::vector<std::unique_ptr<TelemetrySource>> open_default_sources(std::vector<std::string>* unavailable);

class Sampler {
 public:
  using Clock = std::chrono::steady_clock;

  // Sample times count from `origin`, so they share the time axis of the
  // run's metrics (which count from the same moment).
  Sampler(std::vector<std::unique_ptr<TelemetrySource>> sources, double interval_seconds,
          Clock::time_point origin = Clock::now());
  // Stops the thread (taking no further sample) and closes the file.
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Takes a first sample at once, then one every interval.
  void start();
  // Takes a last sample (so a short phase still has one) and joins.
  void stop();

  // Samples from now on carry this phase.
  void set_phase(const std::string& phase);
  // Writes every sample so far, and each later one as it is taken, to this
  // file (one JSON object per line, flushed each time), replacing it or, for
  // a resumed run, appending to it. Throws RunError when it cannot be opened.
  void write_to(const std::filesystem::path& jsonl, bool append = false);

  std::vector<TelemetrySample> samples() const;
  // The samples from index `first` on (a bench test's, without copying the
  // whole run's), and how many there are so far.
  std::vector<TelemetrySample> samples_from(std::size_t first) const;
  std::size_t sample_count() const;
  // The newest sample, for a progress bar; nullopt before the first.
  std::optional<TelemetrySample> latest() const;
  // Whether any source reports GPUs (the first sample has been taken).
  bool has_gpu() const;

 private:
  void loop();
  void take_sample();  // called with no lock held

  std::vector<std::unique_ptr<TelemetrySource>> sources_;
  const double interval_seconds_;
  const Clock::time_point origin_;

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable wake_;
  bool stopping_ = false;
  std::string phase_ = "setup";
  std::vector<TelemetrySample> samples_;
  std::FILE* file_ = nullptr;
  std::thread thread_;
  std::mutex sampling_;  // one sample at a time (the thread's and stop()'s last one)
};

}  // namespace trainbench::telemetry
