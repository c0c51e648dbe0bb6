#include "telemetry/phase_summary.h"

#include <gtest/gtest.h>

namespace trainbench::telemetry {
namespace {

TelemetrySample sample(double seconds, const std::string& phase, std::optional<double> cpu, std::optional<double> rss) {
  TelemetrySample s;
  s.seconds = seconds;
  s.phase = phase;
  s.process_cpu_percent = cpu;
  s.process_rss_bytes = rss;
  return s;
}

GpuSample gpu(int index, std::optional<double> utilization, std::vector<std::string> reasons = {}) {
  GpuSample g;
  g.index = index;
  g.source = "nvml";
  g.name = "GPU " + std::to_string(index);
  g.utilization_percent = utilization;
  g.throttle_reasons = std::move(reasons);
  return g;
}

TEST(PhaseSummary, MeansPerPhaseIgnoreSamplesThatLackTheFigure) {
  std::vector<TelemetrySample> samples = {
      sample(0.0, "setup", 50, 100), sample(0.5, "train", 180, 300), sample(1.0, "train", std::nullopt, 500),
      sample(1.5, "train", 200, 400), sample(2.0, "eval", 90, 450),
  };
  const std::vector<PhaseAverages> phases = average_by_phase(samples);
  ASSERT_EQ(phases.size(), 3u);
  EXPECT_EQ(phases[0].phase, "setup");
  EXPECT_EQ(phases[1].phase, "train");
  EXPECT_EQ(phases[2].phase, "eval");
  EXPECT_EQ(phases[1].samples, 3);
  EXPECT_DOUBLE_EQ(*phases[1].mean.process_cpu_percent, 190.0);  // (180 + 200) / 2, not / 3
  EXPECT_DOUBLE_EQ(*phases[1].mean.process_rss_bytes, 400.0);
  EXPECT_DOUBLE_EQ(*phases[1].process_rss_peak_bytes, 500.0);
  EXPECT_DOUBLE_EQ(phases[1].mean.seconds, 0.5);
  EXPECT_FALSE(phases[1].mean.system_cpu_percent.has_value());
}

TEST(PhaseSummary, AReturningPhaseIsOnePhase) {
  std::vector<TelemetrySample> samples = {sample(0, "train", 100, 1), sample(1, "eval", 50, 1),
                                          sample(2, "train", 300, 1)};
  const std::vector<PhaseAverages> phases = average_by_phase(samples);
  ASSERT_EQ(phases.size(), 2u);
  EXPECT_DOUBLE_EQ(*phases[0].mean.process_cpu_percent, 200.0);
  EXPECT_EQ(average_of_phase(samples, "train").samples, 2);
  EXPECT_EQ(average_of_phase(samples, "missing").samples, 0);
  EXPECT_FALSE(average_of_phase(samples, "missing").mean.process_cpu_percent.has_value());
}

TEST(PhaseSummary, GpusAreAveragedEachOnItsOwnAndReasonsCollected) {
  std::vector<TelemetrySample> samples(2);
  samples[0].phase = samples[1].phase = "train";
  samples[0].gpus = {gpu(0, 90), gpu(1, 10, {"sw_power_cap"})};
  samples[1].gpus = {gpu(1, 30, {"sw_thermal_slowdown", "sw_power_cap"}), gpu(0, 100)};
  const PhaseAverages train = average_of_phase(samples, "train");
  ASSERT_EQ(train.mean.gpus.size(), 2u);
  EXPECT_EQ(train.mean.gpus[0].index, 0);
  EXPECT_DOUBLE_EQ(*train.mean.gpus[0].utilization_percent, 95.0);
  EXPECT_DOUBLE_EQ(*train.mean.gpus[1].utilization_percent, 20.0);
  EXPECT_EQ(train.mean.gpus[1].throttle_reasons, (std::vector<std::string>{"sw_power_cap", "sw_thermal_slowdown"}));
  EXPECT_EQ(train.mean.gpus[1].name, "GPU 1");
}

TEST(PhaseSummary, JsonHasOneObjectPerPhaseWithItsFigures) {
  std::vector<TelemetrySample> samples = {sample(0, "train", 100, 2048), sample(1, "eval", std::nullopt, 1024)};
  const nlohmann::ordered_json json = to_json(average_by_phase(samples));
  EXPECT_EQ(json["train"]["samples"], 1);
  EXPECT_EQ(json["train"]["process_cpu_percent"], 100.0);
  EXPECT_EQ(json["train"]["process_rss_peak_bytes"], 2048.0);
  EXPECT_FALSE(json["eval"].contains("process_cpu_percent"));
  EXPECT_FALSE(json["train"].contains("phase"));
  EXPECT_EQ(json.begin().key(), "train");
}

}  // namespace
}  // namespace trainbench::telemetry
