#include "telemetry/phase_summary.h"

#include <algorithm>
#include <map>
#include <utility>

namespace trainbench::telemetry {
namespace {

// Sum and count of one figure over the samples that had it.
struct Mean {
  double sum = 0.0;
  int count = 0;
  void add(const std::optional<double>& value) {
    if (!value) return;
    sum += *value;
    ++count;
  }
  std::optional<double> value() const { return count > 0 ? std::optional<double>(sum / count) : std::nullopt; }
};

struct GpuMeans {
  GpuSample identity;
  Mean utilization, memory_activity, memory_used, memory_total, power, sm_clock, memory_clock, temperature;
  std::vector<std::string> throttle_reasons;  // every reason seen in the phase

  void add(const GpuSample& gpu) {
    utilization.add(gpu.utilization_percent);
    memory_activity.add(gpu.memory_activity_percent);
    memory_used.add(gpu.memory_used_bytes);
    memory_total.add(gpu.memory_total_bytes);
    power.add(gpu.power_watts);
    sm_clock.add(gpu.sm_clock_mhz);
    memory_clock.add(gpu.memory_clock_mhz);
    temperature.add(gpu.temperature_celsius);
    for (const std::string& reason : gpu.throttle_reasons) {
      if (std::find(throttle_reasons.begin(), throttle_reasons.end(), reason) == throttle_reasons.end()) {
        throttle_reasons.push_back(reason);
      }
    }
  }
  GpuSample result() const {
    GpuSample gpu;
    gpu.index = identity.index;
    gpu.name = identity.name;
    gpu.source = identity.source;
    gpu.utilization_percent = utilization.value();
    gpu.memory_activity_percent = memory_activity.value();
    gpu.memory_used_bytes = memory_used.value();
    gpu.memory_total_bytes = memory_total.value();
    gpu.power_watts = power.value();
    gpu.sm_clock_mhz = sm_clock.value();
    gpu.memory_clock_mhz = memory_clock.value();
    gpu.temperature_celsius = temperature.value();
    gpu.throttle_reasons = throttle_reasons;
    return gpu;
  }
};

class PhaseAccumulator {
 public:
  explicit PhaseAccumulator(std::string phase, double first_seconds) : phase_(std::move(phase)), first_(first_seconds) {}

  void add(const TelemetrySample& sample) {
    ++samples_;
    process_cpu_.add(sample.process_cpu_percent);
    process_rss_.add(sample.process_rss_bytes);
    system_cpu_.add(sample.system_cpu_percent);
    read_rate_.add(sample.read_bytes_per_sec);
    if (sample.process_rss_bytes) rss_peak_ = std::max(rss_peak_.value_or(0.0), *sample.process_rss_bytes);
    for (const GpuSample& gpu : sample.gpus) {
      const auto key = std::make_pair(gpu.source, gpu.index);
      auto found = gpus_.find(key);
      if (found == gpus_.end()) {
        order_.push_back(key);
        found = gpus_.emplace(key, GpuMeans{gpu, {}, {}, {}, {}, {}, {}, {}, {}, {}}).first;
      }
      found->second.add(gpu);
    }
  }

  PhaseAverages result() const {
    PhaseAverages out;
    out.phase = phase_;
    out.samples = samples_;
    out.mean.seconds = first_;
    out.mean.phase = phase_;
    out.mean.process_cpu_percent = process_cpu_.value();
    out.mean.process_rss_bytes = process_rss_.value();
    out.mean.system_cpu_percent = system_cpu_.value();
    out.mean.read_bytes_per_sec = read_rate_.value();
    out.process_rss_peak_bytes = rss_peak_;
    for (const auto& key : order_) out.mean.gpus.push_back(gpus_.at(key).result());
    return out;
  }

 private:
  std::string phase_;
  double first_;
  int samples_ = 0;
  Mean process_cpu_, process_rss_, system_cpu_, read_rate_;
  std::optional<double> rss_peak_;
  std::map<std::pair<std::string, int>, GpuMeans> gpus_;
  std::vector<std::pair<std::string, int>> order_;  // GPUs in order of first appearance
};

}  // namespace

std::vector<PhaseAverages> average_by_phase(const std::vector<TelemetrySample>& samples) {
  std::vector<PhaseAccumulator> phases;
  std::map<std::string, std::size_t> index;
  for (const TelemetrySample& sample : samples) {
    auto found = index.find(sample.phase);
    if (found == index.end()) {
      found = index.emplace(sample.phase, phases.size()).first;
      phases.emplace_back(sample.phase, sample.seconds);
    }
    phases[found->second].add(sample);
  }
  std::vector<PhaseAverages> out;
  for (const PhaseAccumulator& phase : phases) out.push_back(phase.result());
  return out;
}

PhaseAverages average_of_phase(const std::vector<TelemetrySample>& samples, const std::string& phase) {
  PhaseAccumulator accumulator(phase, 0.0);
  bool first = true;
  for (const TelemetrySample& sample : samples) {
    if (sample.phase != phase) continue;
    if (first) accumulator = PhaseAccumulator(phase, sample.seconds);
    first = false;
    accumulator.add(sample);
  }
  return accumulator.result();
}

nlohmann::ordered_json to_json(const std::vector<PhaseAverages>& phases) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const PhaseAverages& phase : phases) {
    nlohmann::ordered_json entry = {{"samples", phase.samples}};
    nlohmann::ordered_json figures = to_json(phase.mean);
    figures.erase("seconds");
    figures.erase("phase");
    for (auto& [key, value] : figures.items()) entry[key] = value;
    if (phase.process_rss_peak_bytes) entry["process_rss_peak_bytes"] = *phase.process_rss_peak_bytes;
    out[phase.phase] = entry;
  }
  return out;
}

}  // namespace trainbench::telemetry
