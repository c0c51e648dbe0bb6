// telemetry.jsonl lines: what to_json writes (key order, left-out figures)
// and that telemetry_sample_from_json reads it back unchanged.
#include "telemetry/telemetry_sample.h"

#include <gtest/gtest.h>

namespace trainbench::telemetry {
namespace {

// Values that are not round in binary, so a lossy conversion would show.
TelemetrySample full_sample() {
  TelemetrySample sample;
  sample.seconds = 12.345678901234;
  sample.phase = "train";
  sample.process_cpu_percent = 187.3;
  sample.process_rss_bytes = 2147483648.0 + 4096.0;
  sample.system_cpu_percent = 63.1;
  sample.read_bytes_per_sec = 104857600.7;
  GpuSample nvidia;
  nvidia.index = 0;
  nvidia.name = "NVIDIA H100 80GB HBM3";
  nvidia.source = "nvml";
  nvidia.utilization_percent = 97;
  nvidia.memory_activity_percent = 41;
  nvidia.memory_used_bytes = 71303168000.0;
  nvidia.memory_total_bytes = 85520809984.0;
  nvidia.power_watts = 612.347;
  nvidia.sm_clock_mhz = 1980;
  nvidia.memory_clock_mhz = 2619;
  nvidia.temperature_celsius = 71;
  nvidia.throttle_reasons = {"sw_power_cap", "sw_thermal_slowdown"};
  GpuSample intel;  // a sparse one: most figures unknown
  intel.index = 1;
  intel.name = "Intel GPU 0x56a0 (card1, i915)";
  intel.source = "i915";
  intel.sm_clock_mhz = 2100;
  intel.temperature_celsius = 45.5;
  sample.gpus = {nvidia, intel};
  return sample;
}

void expect_same(const GpuSample& a, const GpuSample& b) {
  EXPECT_EQ(a.index, b.index);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.utilization_percent, b.utilization_percent);
  EXPECT_EQ(a.memory_activity_percent, b.memory_activity_percent);
  EXPECT_EQ(a.memory_used_bytes, b.memory_used_bytes);
  EXPECT_EQ(a.memory_total_bytes, b.memory_total_bytes);
  EXPECT_EQ(a.power_watts, b.power_watts);
  EXPECT_EQ(a.sm_clock_mhz, b.sm_clock_mhz);
  EXPECT_EQ(a.memory_clock_mhz, b.memory_clock_mhz);
  EXPECT_EQ(a.temperature_celsius, b.temperature_celsius);
  EXPECT_EQ(a.throttle_reasons, b.throttle_reasons);
}

void expect_same(const TelemetrySample& a, const TelemetrySample& b) {
  EXPECT_EQ(a.seconds, b.seconds);
  EXPECT_EQ(a.phase, b.phase);
  EXPECT_EQ(a.process_cpu_percent, b.process_cpu_percent);
  EXPECT_EQ(a.process_rss_bytes, b.process_rss_bytes);
  EXPECT_EQ(a.system_cpu_percent, b.system_cpu_percent);
  EXPECT_EQ(a.read_bytes_per_sec, b.read_bytes_per_sec);
  ASSERT_EQ(a.gpus.size(), b.gpus.size());
  for (std::size_t i = 0; i < a.gpus.size(); ++i) expect_same(a.gpus[i], b.gpus[i]);
}

// Through the text of a line, as telemetry.jsonl stores it.
TelemetrySample through_text(const TelemetrySample& sample) {
  return telemetry_sample_from_json(nlohmann::json::parse(to_json(sample).dump()));
}

TEST(TelemetrySampleJson, RoundTripWithGpus) {
  const TelemetrySample sample = full_sample();
  expect_same(through_text(sample), sample);
}

TEST(TelemetrySampleJson, RoundTripWithoutGpus) {
  TelemetrySample sample = full_sample();
  sample.gpus.clear();
  sample.read_bytes_per_sec.reset();
  expect_same(through_text(sample), sample);
}

TEST(TelemetrySampleJson, KeysInDocumentedOrder) {
  const nlohmann::ordered_json json = to_json(full_sample());
  std::vector<std::string> keys;
  for (const auto& item : json.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"seconds", "phase", "process_cpu_percent", "process_rss_bytes",
                                            "system_cpu_percent", "read_bytes_per_sec", "gpus"}));
  std::vector<std::string> gpu_keys;
  for (const auto& item : json["gpus"][0].items()) gpu_keys.push_back(item.key());
  EXPECT_EQ(gpu_keys, (std::vector<std::string>{"index", "name", "source", "utilization_percent",
                                                "memory_activity_percent", "memory_used_bytes", "memory_total_bytes",
                                                "power_watts", "sm_clock_mhz", "memory_clock_mhz",
                                                "temperature_celsius", "throttle_reasons"}));
}

TEST(TelemetrySampleJson, EmptyFiguresAreLeftOut) {
  TelemetrySample sample;
  sample.seconds = 1.5;
  sample.phase = "warmup";
  EXPECT_EQ(to_json(sample).dump(), R"({"seconds":1.5,"phase":"warmup","gpus":[]})");

  const nlohmann::ordered_json sparse = to_json(full_sample())["gpus"][1];
  EXPECT_EQ(sparse.dump(),
            R"json({"index":1,"name":"Intel GPU 0x56a0 (card1, i915)","source":"i915","sm_clock_mhz":2100.0,)json"
            R"json("temperature_celsius":45.5})json");
  EXPECT_FALSE(sparse.contains("throttle_reasons"));
  EXPECT_FALSE(sparse.contains("power_watts"));
}

TEST(TelemetrySampleJson, MissingKeysReadAsEmpty) {
  const TelemetrySample sample = telemetry_sample_from_json(nlohmann::json::parse(
      R"({"seconds":3.25,"phase":"eval","system_cpu_percent":12.5,"gpus":[{"index":2,"power_watts":300}]})"));
  EXPECT_EQ(sample.seconds, 3.25);
  EXPECT_EQ(sample.phase, "eval");
  EXPECT_FALSE(sample.process_cpu_percent.has_value());
  EXPECT_FALSE(sample.process_rss_bytes.has_value());
  EXPECT_EQ(sample.system_cpu_percent, 12.5);
  ASSERT_EQ(sample.gpus.size(), 1u);
  EXPECT_EQ(sample.gpus[0].index, 2);
  EXPECT_EQ(sample.gpus[0].name, "");
  EXPECT_EQ(sample.gpus[0].power_watts, 300.0);
  EXPECT_FALSE(sample.gpus[0].temperature_celsius.has_value());
  EXPECT_TRUE(sample.gpus[0].throttle_reasons.empty());

  // No "gpus" at all, and nulls, read as empty too.
  const TelemetrySample bare =
      telemetry_sample_from_json(nlohmann::json::parse(R"({"seconds":0,"process_cpu_percent":null})"));
  EXPECT_TRUE(bare.gpus.empty());
  EXPECT_FALSE(bare.process_cpu_percent.has_value());
}

TEST(TelemetrySampleJson, WrongTypesThrow) {
  EXPECT_THROW(telemetry_sample_from_json(nlohmann::json::parse(R"({"seconds":"soon"})")), nlohmann::json::exception);
  EXPECT_THROW(telemetry_sample_from_json(nlohmann::json::parse(R"({"seconds":1,"process_cpu_percent":"high"})")),
               nlohmann::json::exception);
  EXPECT_THROW(telemetry_sample_from_json(nlohmann::json::parse(R"({"seconds":1,"gpus":{"index":0}})")),
               nlohmann::json::exception);
  EXPECT_THROW(telemetry_sample_from_json(nlohmann::json::parse(R"({"seconds":1,"gpus":[{"throttle_reasons":7}]})")),
               nlohmann::json::exception);
}

}  // namespace
}  // namespace trainbench::telemetry
