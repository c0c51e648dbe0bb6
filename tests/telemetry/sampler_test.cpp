#include "telemetry/sampler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "telemetry/telemetry_log.h"
#include "test_support.h"

namespace trainbench::telemetry {
namespace {

// Counts its calls and reports a GPU whose utilisation is the call number.
class CountingSource : public TelemetrySource {
 public:
  explicit CountingSource(std::atomic<int>* calls) : calls_(calls) {}
  std::string name() const override { return "counting"; }
  void sample(TelemetrySample& sample) override {
    const int n = ++*calls_;
    GpuSample gpu;
    gpu.source = "fake";
    gpu.utilization_percent = n;
    sample.gpus.push_back(gpu);
  }

 private:
  std::atomic<int>* calls_;
};

std::vector<std::unique_ptr<TelemetrySource>> counting(std::atomic<int>* calls) {
  std::vector<std::unique_ptr<TelemetrySource>> sources;
  sources.push_back(std::make_unique<CountingSource>(calls));
  return sources;
}

TEST(Sampler, SamplesAtTheIntervalTagsPhasesAndTakesALastSampleOnStop) {
  std::atomic<int> calls{0};
  Sampler sampler(counting(&calls), 0.02);
  EXPECT_FALSE(sampler.latest().has_value());
  sampler.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  sampler.set_phase("train");
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  sampler.stop();
  const std::vector<TelemetrySample> samples = sampler.samples();
  // 0.3 s at 0.02 s: about 15 samples plus the last; a loaded machine may
  // delay some, but never takes more than one per interval.
  EXPECT_GE(samples.size(), 5u);
  EXPECT_LE(samples.size(), 18u);
  EXPECT_EQ(static_cast<int>(samples.size()), calls.load());
  EXPECT_EQ(samples.front().phase, "setup");
  EXPECT_EQ(samples.back().phase, "train");
  for (std::size_t i = 1; i < samples.size(); ++i) {
    EXPECT_GE(samples[i].seconds, samples[i - 1].seconds);
    EXPECT_EQ(samples[i].gpus.at(0).utilization_percent, static_cast<double>(i + 1));  // in call order
  }
  EXPECT_GT(samples.back().seconds, 0.25);
  EXPECT_LT(samples.back().seconds, 5.0);
  EXPECT_EQ(sampler.sample_count(), samples.size());
  const std::vector<TelemetrySample> tail = sampler.samples_from(samples.size() - 2);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[1].seconds, samples.back().seconds);
  EXPECT_TRUE(sampler.samples_from(samples.size()).empty());
  EXPECT_TRUE(sampler.has_gpu());
  EXPECT_EQ(sampler.latest()->seconds, samples.back().seconds);
  sampler.stop();  // a second stop is harmless and samples nothing more
  EXPECT_EQ(sampler.samples().size(), samples.size());
}

TEST(Sampler, WritesEarlierAndLaterSamplesToItsFile) {
  testing::TempDir dir;
  std::atomic<int> calls{0};
  Sampler sampler(counting(&calls), 0.01);
  sampler.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  sampler.write_to(dir / "telemetry.jsonl");  // the run folder exists only now
  sampler.set_phase("eval");
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  sampler.stop();
  const std::vector<TelemetrySample> in_memory = sampler.samples();
  const std::vector<TelemetrySample> on_disk = read_telemetry_log(dir / "telemetry.jsonl");
  ASSERT_EQ(on_disk.size(), in_memory.size());
  for (std::size_t i = 0; i < on_disk.size(); ++i) {
    EXPECT_EQ(on_disk[i].phase, in_memory[i].phase);
    EXPECT_DOUBLE_EQ(on_disk[i].seconds, in_memory[i].seconds);
  }
  EXPECT_EQ(on_disk.front().phase, "setup");
  EXPECT_EQ(on_disk.back().phase, "eval");
}

TEST(Sampler, AnUnwritableFileIsAnErrorNamingIt) {
  Sampler sampler({}, 1.0);
  try {
    sampler.write_to("/nonexistent-folder/telemetry.jsonl");
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-folder/telemetry.jsonl"), std::string::npos);
  }
}

TEST(Sampler, DestroyingARunningSamplerStopsIt) {
  std::atomic<int> calls{0};
  {
    Sampler sampler(counting(&calls), 0.01);
    sampler.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  const int after = calls.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(calls.load(), after);
  EXPECT_GE(after, 1);
}

TEST(Sampler, TheDefaultSourcesReadThisMachinesProcess) {
  std::vector<std::string> unavailable;
  Sampler sampler(open_default_sources(&unavailable), 0.05);
  sampler.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  sampler.stop();
  const TelemetrySample last = sampler.latest().value();
  ASSERT_TRUE(last.process_rss_bytes.has_value());
  EXPECT_GT(*last.process_rss_bytes, 1024.0 * 1024.0);
  ASSERT_TRUE(last.process_cpu_percent.has_value());
  EXPECT_GE(*last.process_cpu_percent, 0.0);
  // This machine has no GPU: both GPU sources say why, neither fails.
  if (last.gpus.empty()) {
    EXPECT_EQ(unavailable.size(), 2u);
  }
}

}  // namespace
}  // namespace trainbench::telemetry
