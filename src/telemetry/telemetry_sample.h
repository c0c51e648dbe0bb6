#pragma once
// One telemetry sample: what the machine was doing at one moment of a run
// (process and system CPU, memory, storage reads, and each GPU that a source
// can read), and the interface every source of such figures implements.
// A figure a source cannot read stays empty (nullopt), never zero, so a chart
// or an average never mistakes "unknown" for "idle".
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace trainbench::telemetry {

struct GpuSample {
  int index = 0;            // the source's own numbering (NVML index, DRM card number)
  std::string name;         // "NVIDIA H100 80GB HBM3", "Intel Arc A770 (card0)"
  std::string source;       // "nvml", "i915", "xe"
  std::optional<double> utilization_percent;        // share of time a kernel ran (NVML "gpu"), 0-100
  std::optional<double> memory_activity_percent;    // memory controller busy (NVML "memory"), 0-100
  std::optional<double> memory_used_bytes;
  std::optional<double> memory_total_bytes;
  std::optional<double> power_watts;
  std::optional<double> sm_clock_mhz;               // graphics / shader clock
  std::optional<double> memory_clock_mhz;
  std::optional<double> temperature_celsius;
  std::vector<std::string> throttle_reasons;        // active reasons, e.g. "sw_power_cap"; empty: none or unknown
};

struct TelemetrySample {
  double seconds = 0.0;  // since the sampler started
  std::string phase;     // "setup", "warmup", "train", "eval", "timed", ... as the run said
  std::optional<double> process_cpu_percent;  // this process, all threads: 100 = one core busy
  std::optional<double> process_rss_bytes;
  std::optional<double> system_cpu_percent;   // whole machine, 0-100 of all cores
  std::optional<double> read_bytes_per_sec;   // bytes this process read from storage (not the page cache)
  std::vector<GpuSample> gpus;
};

// One line of telemetry.jsonl: {"seconds":..,"phase":..,"process_cpu_percent":..,
// ..., "gpus":[{"index":0,...}]}; figures that are empty are left out.
nlohmann::ordered_json to_json(const TelemetrySample& sample);
// The inverse; missing keys stay empty. Throws nlohmann::json::exception on
// a wrong type.
TelemetrySample telemetry_sample_from_json(const nlohmann::json& json);

// A source of figures. Sources are created on one thread and then sampled
// only from the sampler's thread.
class TelemetrySource {
 public:
  virtual ~TelemetrySource() = default;
  virtual std::string name() const = 0;  // "process", "nvml", "intel-gpu"
  // Adds this source's figures to `sample` (the process source fills the
  // process and system fields, a GPU source appends to sample.gpus). Must not
  // throw; a figure that could not be read this time stays empty.
  virtual void sample(TelemetrySample& sample) = 0;
};

// A source, or why there is none ("libnvidia-ml.so.1 not found: ...").
struct OpenedSource {
  std::unique_ptr<TelemetrySource> source;
  std::string unavailable_reason;  // set when source is null
};

}  // namespace trainbench::telemetry
