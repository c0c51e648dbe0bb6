// The Intel GPU source on hand-built sysfs trees (which cards count, the
// figures it reads, power from the energy counter, utilisation through
// perf) and on this machine's real /sys, which has no Intel GPU.
#include "telemetry/intel_gpu_source.h"

#include <gtest/gtest.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "telemetry/source_test_support.h"
#include "test_support.h"

namespace trainbench::telemetry {
namespace {

namespace fs = std::filesystem;

using ScratchDir = testing::TempDir;  // removed at the end of the test

// A sysfs tree in a temp folder, laid out as the kernel does: a DRM node's
// device/ holds the PCI vendor and a driver link whose target's name is the
// driver.
class FakeSysfs {
 public:
  fs::path root() const { return dir_.path(); }
  fs::path node(const std::string& name) const { return dir_.path() / "class" / "drm" / name; }

  fs::path add_node(const std::string& name, const std::string& vendor, const std::string& driver) {
    const fs::path device = node(name) / "device";
    write_file(device / "vendor", vendor + "\n");
    const fs::path target = dir_.path() / "bus" / "pci" / "drivers" / driver;
    fs::create_directories(target);
    fs::create_symlink(target, device / "driver");
    return node(name);
  }

  void add_pmu(const std::string& name, const std::string& type, const std::string& event) {
    const fs::path pmu = dir_.path() / "bus" / "event_source" / "devices" / name;
    write_file(pmu / "type", type + "\n");
    write_file(pmu / "events" / "rcs0-busy", event + "\n");
  }

 private:
  ScratchDir dir_;
};

TEST(TelemetryIntelGpu, ParsePerfEventConfig) {
  EXPECT_EQ(parse_perf_event_config("config=0x0000000000000003\n"), 3u);
  EXPECT_EQ(parse_perf_event_config("config=0x10"), 16u);
  EXPECT_EQ(parse_perf_event_config("config=0xFFFFFFFFFFFFFFFF"), 0xFFFFFFFFFFFFFFFFULL);
  EXPECT_EQ(parse_perf_event_config("config=42"), 42u);
  EXPECT_EQ(parse_perf_event_config(""), std::nullopt);
  EXPECT_EQ(parse_perf_event_config("config="), std::nullopt);
  EXPECT_EQ(parse_perf_event_config("config=0x"), std::nullopt);
  EXPECT_EQ(parse_perf_event_config("config=0xzz"), std::nullopt);
  EXPECT_EQ(parse_perf_event_config("config=0x10000000000000000"), std::nullopt);  // over 64 bits
  EXPECT_EQ(parse_perf_event_config("event=0x3c"), std::nullopt);
  // Further terms would need the PMU's format/ files to encode; not supported.
  EXPECT_EQ(parse_perf_event_config("config=0x1,umask=0x2"), std::nullopt);
}

TEST(TelemetryIntelGpu, I915CardFiguresAndPowerFromEnergy) {
  FakeSysfs sysfs;
  const fs::path card = sysfs.add_node("card0", "0x8086", "i915");
  write_file(card / "device" / "device", "0x56a0\n");
  write_file(card / "gt_act_freq_mhz", "2100\n");
  write_file(card / "gt_cur_freq_mhz", "2400\n");  // the requested one; the actual wins
  write_file(card / "device" / "hwmon" / "hwmon3" / "name", "i915\n");
  write_file(card / "device" / "hwmon" / "hwmon3" / "temp1_input", "45000\n");
  write_file(card / "device" / "hwmon" / "hwmon3" / "energy1_input", "1000000000\n");

  double now = 50.0;
  OpenedSource opened = open_intel_gpu_source(sysfs.root().string(), [&now] { return now; });
  ASSERT_NE(opened.source, nullptr) << opened.unavailable_reason;
  EXPECT_EQ(opened.source->name(), "intel-gpu");

  TelemetrySample first;
  opened.source->sample(first);
  ASSERT_EQ(first.gpus.size(), 1u);
  const GpuSample& gpu = first.gpus[0];
  EXPECT_EQ(gpu.index, 0);
  EXPECT_EQ(gpu.name, "Intel GPU 0x56a0 (card0, i915)");
  EXPECT_EQ(gpu.source, "i915");
  EXPECT_EQ(gpu.sm_clock_mhz, 2100.0);
  EXPECT_EQ(gpu.temperature_celsius, 45.0);
  EXPECT_FALSE(gpu.power_watts.has_value());  // needs two energy readings
  EXPECT_FALSE(gpu.utilization_percent.has_value());  // no PMU in this tree
  EXPECT_FALSE(gpu.memory_used_bytes.has_value());

  // 30 J in 2 s.
  now += 2.0;
  write_file(card / "device" / "hwmon" / "hwmon3" / "energy1_input", "1030000000\n");
  write_file(card / "device" / "hwmon" / "hwmon3" / "temp1_input", "51500\n");
  TelemetrySample second;
  opened.source->sample(second);
  ASSERT_EQ(second.gpus.size(), 1u);
  EXPECT_EQ(second.gpus[0].power_watts, 15.0);
  EXPECT_EQ(second.gpus[0].temperature_celsius, 51.5);

  // The counter went back (driver reloaded): no power this time, then again.
  now += 1.0;
  write_file(card / "device" / "hwmon" / "hwmon3" / "energy1_input", "5000000\n");
  TelemetrySample third;
  opened.source->sample(third);
  EXPECT_FALSE(third.gpus[0].power_watts.has_value());
  now += 0.5;
  write_file(card / "device" / "hwmon" / "hwmon3" / "energy1_input", "10000000\n");
  TelemetrySample fourth;
  opened.source->sample(fourth);
  EXPECT_EQ(fourth.gpus[0].power_watts, 10.0);

  // Files that vanish leave their figures empty; sample() carries on.
  fs::remove(card / "gt_act_freq_mhz");
  fs::remove(card / "device" / "hwmon" / "hwmon3" / "temp1_input");
  TelemetrySample fifth;
  ASSERT_NO_THROW(opened.source->sample(fifth));
  EXPECT_EQ(fifth.gpus[0].sm_clock_mhz, 2400.0);  // falls back to gt_cur_freq_mhz
  EXPECT_FALSE(fifth.gpus[0].temperature_celsius.has_value());
}

TEST(TelemetryIntelGpu, PowerWithTheRealClock) {
  FakeSysfs sysfs;
  const fs::path card = sysfs.add_node("card0", "0x8086", "i915");
  const fs::path energy = card / "device" / "hwmon" / "hwmon3" / "energy1_input";
  write_file(energy, "0\n");
  OpenedSource opened = open_intel_gpu_source(sysfs.root().string());
  ASSERT_NE(opened.source, nullptr) << opened.unavailable_reason;
  TelemetrySample first;
  TelemetrySample second;
  const auto start = std::chrono::steady_clock::now();
  opened.source->sample(first);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  write_file(energy, "30000000\n");
  opened.source->sample(second);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(second.gpus[0].power_watts.has_value());
  // The source's interval lies inside [0.2 s, elapsed].
  EXPECT_GE(*second.gpus[0].power_watts, 30.0 / elapsed);
  EXPECT_LE(*second.gpus[0].power_watts, 30.0 / 0.2);
}

TEST(TelemetryIntelGpu, OnlyIntelCardNodes) {
  FakeSysfs sysfs;
  sysfs.add_node("card0", "0x8086", "i915");
  write_file(sysfs.node("card0") / "gt_act_freq_mhz", "1300\n");
  // The same GPU again as a render node and a connector: not cards.
  sysfs.add_node("renderD128", "0x8086", "i915");
  sysfs.add_node("card0-DP-1", "0x8086", "i915");
  // An NVIDIA card beside it.
  sysfs.add_node("card1", "0x10de", "nvidia");
  // An xe card, numbered past 9 to check the natural order.
  const fs::path xe = sysfs.add_node("card10", "0x8086", "xe");
  write_file(xe / "device" / "tile0" / "gt0" / "freqs" / "act_freq", "1550\n");
  write_file(xe / "device" / "label", "Intel Arc B580\n");
  sysfs.add_node("card2", "0x8086", "xe");

  OpenedSource opened = open_intel_gpu_source(sysfs.root().string());
  ASSERT_NE(opened.source, nullptr) << opened.unavailable_reason;
  TelemetrySample sample;
  opened.source->sample(sample);
  ASSERT_EQ(sample.gpus.size(), 3u);
  EXPECT_EQ(sample.gpus[0].index, 0);
  EXPECT_EQ(sample.gpus[0].name, "Intel GPU (card0, i915)");
  EXPECT_EQ(sample.gpus[0].sm_clock_mhz, 1300.0);
  EXPECT_EQ(sample.gpus[1].index, 2);
  EXPECT_EQ(sample.gpus[1].source, "xe");
  EXPECT_FALSE(sample.gpus[1].sm_clock_mhz.has_value());
  EXPECT_EQ(sample.gpus[2].index, 10);
  EXPECT_EQ(sample.gpus[2].name, "Intel Arc B580 (card10, xe)");
  EXPECT_EQ(sample.gpus[2].source, "xe");
  EXPECT_EQ(sample.gpus[2].sm_clock_mhz, 1550.0);
}

TEST(TelemetryIntelGpu, NoIntelCard) {
  FakeSysfs empty;
  const OpenedSource none = open_intel_gpu_source(empty.root().string());
  EXPECT_EQ(none.source, nullptr);
  EXPECT_EQ(none.unavailable_reason, "no Intel GPU under " + (empty.root() / "class" / "drm").string());

  FakeSysfs nvidia_only;
  nvidia_only.add_node("card0", "0x10de", "nvidia");
  nvidia_only.add_node("renderD128", "0x8086", "i915");
  EXPECT_EQ(open_intel_gpu_source(nvidia_only.root().string()).source, nullptr);

  // An Intel card handed to another driver (passed through to a VM).
  FakeSysfs passed_through;
  passed_through.add_node("card0", "0x8086", "vfio-pci");
  const OpenedSource other = open_intel_gpu_source(passed_through.root().string());
  EXPECT_EQ(other.source, nullptr);
  EXPECT_TRUE(Contains(other.unavailable_reason, "uses the i915 or xe driver (card0: vfio-pci)"));

  EXPECT_EQ(open_intel_gpu_source((empty.root() / "missing").string()).source, nullptr);
}

TEST(TelemetryIntelGpu, PerfCounterThatCannotOpenLeavesUtilisationEmpty) {
  FakeSysfs sysfs;
  sysfs.add_node("card0", "0x8086", "i915");
  sysfs.add_pmu("i915", "123456", "config=0x0");  // no such PMU type: perf_event_open fails
  OpenedSource opened = open_intel_gpu_source(sysfs.root().string());
  ASSERT_NE(opened.source, nullptr);
  for (int i = 0; i < 2; ++i) {
    TelemetrySample sample;
    opened.source->sample(sample);
    ASSERT_EQ(sample.gpus.size(), 1u);
    EXPECT_FALSE(sample.gpus[0].utilization_percent.has_value());
  }
}

TEST(TelemetryIntelGpu, UtilisationFromPerfCounter) {
  // Stands in for the GPU's busy counter with the kernel's software
  // cpu-clock event (type 1, config 0) on CPU 0: it counts nanoseconds for
  // as long as it is open, i.e. a fully busy engine.
  perf_event_attr attr{};
  attr.type = PERF_TYPE_SOFTWARE;
  attr.size = sizeof attr;
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  const long probe = ::syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
  if (probe < 0) GTEST_SKIP() << "perf_event_open is not allowed here (CAP_PERFMON / kernel.perf_event_paranoid)";
  ::close(static_cast<int>(probe));

  FakeSysfs sysfs;
  sysfs.add_node("card0", "0x8086", "i915");
  sysfs.add_pmu("i915", std::to_string(PERF_TYPE_SOFTWARE), "config=0x" + std::to_string(PERF_COUNT_SW_CPU_CLOCK));
  OpenedSource opened = open_intel_gpu_source(sysfs.root().string());
  ASSERT_NE(opened.source, nullptr);
  TelemetrySample first;
  opened.source->sample(first);
  EXPECT_FALSE(first.gpus[0].utilization_percent.has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  TelemetrySample second;
  opened.source->sample(second);
  ASSERT_TRUE(second.gpus[0].utilization_percent.has_value());
  EXPECT_GT(*second.gpus[0].utilization_percent, 90.0);
  EXPECT_LE(*second.gpus[0].utilization_percent, 100.0);
}

TEST(TelemetryIntelGpu, ThisMachine) {
  const OpenedSource opened = open_intel_gpu_source();
  if (opened.source) {
    // On a machine with an Intel GPU: every card it reports is i915 or xe.
    TelemetrySample sample;
    opened.source->sample(sample);
    ASSERT_FALSE(sample.gpus.empty());
    for (const GpuSample& gpu : sample.gpus) EXPECT_TRUE(gpu.source == "i915" || gpu.source == "xe");
  } else {
    EXPECT_TRUE(Contains(opened.unavailable_reason, "no Intel GPU under /sys/class/drm"));
  }
}

}  // namespace
}  // namespace trainbench::telemetry
