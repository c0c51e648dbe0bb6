// The NVML source: why it is unavailable (no driver here, a library that is
// not NVML, NVML failing), the throttle reason names, and full samples from
// a stand-in libnvidia-ml built by the test, since this machine has no GPU.
#include "telemetry/nvml_source.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "telemetry/source_test_support.h"
#include "test_support.h"

namespace trainbench::telemetry {
namespace {

namespace fs = std::filesystem;

using ScratchDir = testing::TempDir;  // removed at the end of the test

TEST(TelemetryNvml, DriverLibraryMissingOnThisMachine) {
  // Checked first, so the test says what it means on a machine with a driver.
  if (void* handle = ::dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL)) {
    ::dlclose(handle);
    GTEST_SKIP() << "this machine has libnvidia-ml.so.1";
  }
  const OpenedSource opened = open_nvml_source();
  EXPECT_EQ(opened.source, nullptr);
  EXPECT_TRUE(Contains(opened.unavailable_reason, "no NVIDIA GPU: libnvidia-ml.so.1 not found"));
  // A missing library is the normal case: said briefly, without the loader's words.
  EXPECT_FALSE(Contains(opened.unavailable_reason, "cannot open shared object file"));
}

TEST(TelemetryNvml, NoSuchLibrary) {
  const OpenedSource opened = open_nvml_source("/nonexistent/libnvidia-ml.so.1");
  EXPECT_EQ(opened.source, nullptr);
  EXPECT_TRUE(Contains(opened.unavailable_reason, "/nonexistent/libnvidia-ml.so.1"));
  EXPECT_TRUE(Contains(opened.unavailable_reason, "not found"));
}

TEST(TelemetryNvml, LibraryThatIsNotNvml) {
  std::string zlib;
  for (const char* candidate : {"/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1"}) {
    if (fs::exists(candidate)) {
      zlib = candidate;
      break;
    }
  }
  if (zlib.empty()) GTEST_SKIP() << "no libz.so.1 in the Debian library folders";
  const OpenedSource opened = open_nvml_source(zlib);
  EXPECT_EQ(opened.source, nullptr);
  EXPECT_EQ(opened.unavailable_reason,
            zlib + " has no nvmlInit_v2: it is not NVIDIA's NVML library, or one too old to use");
}

TEST(TelemetryNvml, DecodeThrottleReasons) {
  using Names = std::vector<std::string>;
  EXPECT_EQ(decode_throttle_reasons(0), Names{});
  EXPECT_EQ(decode_throttle_reasons(0x1), Names{"gpu_idle"});
  EXPECT_EQ(decode_throttle_reasons(0x4 | 0x20), (Names{"sw_power_cap", "sw_thermal_slowdown"}));
  EXPECT_EQ(decode_throttle_reasons(0x1ff),
            (Names{"gpu_idle", "applications_clocks_setting", "sw_power_cap", "hw_slowdown", "sync_boost",
                   "sw_thermal_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown",
                   "display_clock_setting"}));
  EXPECT_EQ(decode_throttle_reasons(0x8 | 0x200 | (1ULL << 63)),
            (Names{"hw_slowdown", "unknown_0x200", "unknown_0x8000000000000000"}));
}

// A stand-in for libnvidia-ml with two GPUs. GPU 1 fails the power call;
// nvmlDeviceGetTemperature is missing altogether, as in an old driver.
// FAKE_NVML_INIT and FAKE_NVML_COUNT override what init and count return;
// nvmlShutdown appends to the file FAKE_NVML_LOG names.
const char* const kFakeNvml = R"(
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef struct { unsigned int gpu, memory; } util_t;
typedef struct { unsigned long long total, free, used; } mem_t;
static int devices[2];
static int env(const char* name, int fallback) { const char* v = getenv(name); return v ? atoi(v) : fallback; }
int nvmlInit_v2(void) { return env("FAKE_NVML_INIT", 0); }
int nvmlShutdown(void) {
  FILE* log = fopen(getenv("FAKE_NVML_LOG"), "a");
  if (log) { fputs("shutdown\n", log); fclose(log); }
  return 0;
}
const char* nvmlErrorString(int code) { return code == 9 ? "Driver Not Loaded" : "Unknown Error"; }
int nvmlDeviceGetCount_v2(unsigned int* count) { *count = env("FAKE_NVML_COUNT", 2); return 0; }
int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void** handle) {
  if (i > 1) return 2;
  *handle = &devices[i];
  return 0;
}
static int which(void* handle) { return handle == &devices[0] ? 0 : 1; }
int nvmlDeviceGetName(void* d, char* name, unsigned int length) {
  snprintf(name, length, which(d) == 0 ? "NVIDIA H100 80GB HBM3" : "NVIDIA L4");
  return 0;
}
int nvmlDeviceGetUtilizationRates(void* d, util_t* u) { u->gpu = which(d) ? 12 : 97; u->memory = 41; return 0; }
int nvmlDeviceGetMemoryInfo(void* d, mem_t* m) {
  (void)d; m->total = 85520809984ULL; m->used = 71303168000ULL; m->free = m->total - m->used; return 0;
}
int nvmlDeviceGetPowerUsage(void* d, unsigned int* mw) { if (which(d)) return 3; *mw = 612347; return 0; }
int nvmlDeviceGetClockInfo(void* d, int type, unsigned int* mhz) {
  (void)d; *mhz = type == 1 ? 1980 : type == 2 ? 2619 : 0; return 0;
}
int nvmlDeviceGetCurrentClocksThrottleReasons(void* d, unsigned long long* mask) {
  *mask = which(d) ? 0 : 0x24; return 0;
}
)";

// Builds the stand-in with the system C compiler; empty when there is none.
std::string build_fake_nvml(const ScratchDir& dir) {
  const fs::path source = dir.path() / "fake_nvml.c";
  const fs::path library = dir.path() / "libnvidia-ml-fake.so";
  std::ofstream(source) << kFakeNvml;
  const std::string command =
      "cc -shared -fPIC -o '" + library.string() + "' '" + source.string() + "' > /dev/null 2>&1";
  if (std::system(command.c_str()) != 0) return "";
  return library.string();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class TelemetryNvmlFake : public ::testing::Test {
 protected:
  void SetUp() override {
    library_ = build_fake_nvml(dir_);
    if (library_.empty()) GTEST_SKIP() << "no C compiler (cc) to build the stand-in NVML library";
    log_ = dir_.path() / "calls.log";
    ::setenv("FAKE_NVML_LOG", log_.c_str(), 1);
    ::unsetenv("FAKE_NVML_INIT");
    ::unsetenv("FAKE_NVML_COUNT");
  }
  void TearDown() override {
    ::unsetenv("FAKE_NVML_LOG");
    ::unsetenv("FAKE_NVML_INIT");
    ::unsetenv("FAKE_NVML_COUNT");
  }

  ScratchDir dir_;
  std::string library_;
  fs::path log_;
};

TEST_F(TelemetryNvmlFake, SamplesEveryGpu) {
  OpenedSource opened = open_nvml_source(library_);
  ASSERT_NE(opened.source, nullptr) << opened.unavailable_reason;
  EXPECT_EQ(opened.source->name(), "nvml");
  TelemetrySample sample;
  opened.source->sample(sample);
  ASSERT_EQ(sample.gpus.size(), 2u);

  const GpuSample& h100 = sample.gpus[0];
  EXPECT_EQ(h100.index, 0);
  EXPECT_EQ(h100.name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(h100.source, "nvml");
  EXPECT_EQ(h100.utilization_percent, 97.0);
  EXPECT_EQ(h100.memory_activity_percent, 41.0);
  EXPECT_EQ(h100.memory_used_bytes, 71303168000.0);
  EXPECT_EQ(h100.memory_total_bytes, 85520809984.0);
  EXPECT_DOUBLE_EQ(*h100.power_watts, 612.347);  // from milliwatts
  EXPECT_EQ(h100.sm_clock_mhz, 1980.0);
  EXPECT_EQ(h100.memory_clock_mhz, 2619.0);
  EXPECT_FALSE(h100.temperature_celsius.has_value());  // the symbol is missing
  EXPECT_EQ(h100.throttle_reasons, (std::vector<std::string>{"sw_power_cap", "sw_thermal_slowdown"}));

  const GpuSample& l4 = sample.gpus[1];
  EXPECT_EQ(l4.index, 1);
  EXPECT_EQ(l4.name, "NVIDIA L4");
  EXPECT_EQ(l4.utilization_percent, 12.0);
  EXPECT_FALSE(l4.power_watts.has_value());  // the call failed
  EXPECT_TRUE(l4.throttle_reasons.empty());

  EXPECT_EQ(read_file(log_), "");
  opened.source.reset();
  EXPECT_EQ(read_file(log_), "shutdown\n");
}

TEST_F(TelemetryNvmlFake, InitFailureNamesTheCode) {
  ::setenv("FAKE_NVML_INIT", "9", 1);
  const OpenedSource opened = open_nvml_source(library_);
  EXPECT_EQ(opened.source, nullptr);
  EXPECT_TRUE(Contains(opened.unavailable_reason, "failed to start, error code 9 (Driver Not Loaded)"));
  EXPECT_EQ(read_file(log_), "");  // nothing to shut down after a failed init
}

TEST_F(TelemetryNvmlFake, NoDevices) {
  ::setenv("FAKE_NVML_COUNT", "0", 1);
  const OpenedSource opened = open_nvml_source(library_);
  EXPECT_EQ(opened.source, nullptr);
  EXPECT_EQ(opened.unavailable_reason, "NVML sees no NVIDIA GPU");
  EXPECT_EQ(read_file(log_), "shutdown\n");
}

TEST_F(TelemetryNvmlFake, DevicesItCannotOpen) {
  ::setenv("FAKE_NVML_COUNT", "3", 1);  // index 2 fails; 0 and 1 are still sampled
  OpenedSource opened = open_nvml_source(library_);
  ASSERT_NE(opened.source, nullptr);
  TelemetrySample sample;
  opened.source->sample(sample);
  EXPECT_EQ(sample.gpus.size(), 2u);
}

}  // namespace
}  // namespace trainbench::telemetry
