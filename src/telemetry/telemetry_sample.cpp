#include "telemetry/telemetry_sample.h"

namespace trainbench::telemetry {
namespace {

// Empty figures are left out rather than written as null, so a line holds
// only what a source really read.
void put(nlohmann::ordered_json& json, const char* key, const std::optional<double>& value) {
  if (value) json[key] = *value;
}

void get(const nlohmann::json& json, const char* key, std::optional<double>& value) {
  const auto it = json.find(key);
  // An explicit null reads as empty, like a missing key, so hand-edited or
  // other writers' lines still load.
  if (it != json.end() && !it->is_null()) value = it->get<double>();
}

nlohmann::ordered_json gpu_to_json(const GpuSample& gpu) {
  nlohmann::ordered_json json;
  json["index"] = gpu.index;
  json["name"] = gpu.name;
  json["source"] = gpu.source;
  put(json, "utilization_percent", gpu.utilization_percent);
  put(json, "memory_activity_percent", gpu.memory_activity_percent);
  put(json, "memory_used_bytes", gpu.memory_used_bytes);
  put(json, "memory_total_bytes", gpu.memory_total_bytes);
  put(json, "power_watts", gpu.power_watts);
  put(json, "sm_clock_mhz", gpu.sm_clock_mhz);
  put(json, "memory_clock_mhz", gpu.memory_clock_mhz);
  put(json, "temperature_celsius", gpu.temperature_celsius);
  if (!gpu.throttle_reasons.empty()) json["throttle_reasons"] = gpu.throttle_reasons;
  return json;
}

GpuSample gpu_from_json(const nlohmann::json& json) {
  GpuSample gpu;
  gpu.index = json.value("index", 0);
  gpu.name = json.value("name", std::string());
  gpu.source = json.value("source", std::string());
  get(json, "utilization_percent", gpu.utilization_percent);
  get(json, "memory_activity_percent", gpu.memory_activity_percent);
  get(json, "memory_used_bytes", gpu.memory_used_bytes);
  get(json, "memory_total_bytes", gpu.memory_total_bytes);
  get(json, "power_watts", gpu.power_watts);
  get(json, "sm_clock_mhz", gpu.sm_clock_mhz);
  get(json, "memory_clock_mhz", gpu.memory_clock_mhz);
  get(json, "temperature_celsius", gpu.temperature_celsius);
  if (json.contains("throttle_reasons")) {
    gpu.throttle_reasons = json.at("throttle_reasons").get<std::vector<std::string>>();
  }
  return gpu;
}

}  // namespace

nlohmann::ordered_json to_json(const TelemetrySample& sample) {
  nlohmann::ordered_json json;
  json["seconds"] = sample.seconds;
  json["phase"] = sample.phase;
  put(json, "process_cpu_percent", sample.process_cpu_percent);
  put(json, "process_rss_bytes", sample.process_rss_bytes);
  put(json, "system_cpu_percent", sample.system_cpu_percent);
  put(json, "read_bytes_per_sec", sample.read_bytes_per_sec);
  // Always written (possibly []), so every line has the same shape and a
  // reader can tell "no GPU" from a truncated line.
  json["gpus"] = nlohmann::ordered_json::array();
  for (const GpuSample& gpu : sample.gpus) json["gpus"].push_back(gpu_to_json(gpu));
  return json;
}

TelemetrySample telemetry_sample_from_json(const nlohmann::json& json) {
  TelemetrySample sample;
  sample.seconds = json.value("seconds", 0.0);
  sample.phase = json.value("phase", std::string());
  get(json, "process_cpu_percent", sample.process_cpu_percent);
  get(json, "process_rss_bytes", sample.process_rss_bytes);
  get(json, "system_cpu_percent", sample.system_cpu_percent);
  get(json, "read_bytes_per_sec", sample.read_bytes_per_sec);
  if (json.contains("gpus")) {
    // get<vector> rather than a range-for: a range-for would walk an object's
    // values or a lone number instead of throwing on the wrong type.
    for (const nlohmann::json& gpu : json.at("gpus").get<std::vector<nlohmann::json>>()) {
      sample.gpus.push_back(gpu_from_json(gpu));
    }
  }
  return sample;
}

}  // namespace trainbench::telemetry
