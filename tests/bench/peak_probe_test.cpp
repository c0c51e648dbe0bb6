#include "bench/peak_probe.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>

#include "core/error.h"
#include "core/torch_compat.h"

namespace trainbench::bench {
namespace {

const torch::Device kCpu(torch::kCPU);
constexpr double kShortBudget = 0.2;  // seconds: the test checks results, not speed

bool is_power_of_two(int n) { return n > 0 && (n & (n - 1)) == 0; }

// A rate, not a timing: the probe must report something usable, from a
// matrix size between its bounds.
void expect_sane(const PeakProbe& probe, const std::string& dtype) {
  EXPECT_EQ(probe.dtype, dtype);
  EXPECT_TRUE(std::isfinite(probe.tflops)) << probe.tflops;
  EXPECT_GT(probe.tflops, 0.0);
  EXPECT_GE(probe.matrix_size, 256);
  EXPECT_LE(probe.matrix_size, 2048);  // the CPU's largest size
  EXPECT_TRUE(is_power_of_two(probe.matrix_size)) << probe.matrix_size;
  EXPECT_TRUE(probe.kernel == "matmul" || probe.kernel == "conv1x1") << probe.kernel;
}

TEST(PeakProbe, MeasuresFp32OnTheCpu) { expect_sane(measure_peak_matmul(kCpu, core::AmpMode::kOff, kShortBudget), "float32"); }

TEST(PeakProbe, MeasuresBf16TensorsOnTheCpu) {
  expect_sane(measure_peak_matmul(kCpu, core::AmpMode::kBf16, kShortBudget), "bfloat16");
}

// LibTorch 1.13 has no fp16 matrix product on the CPU: the probe says so as a
// DeviceError naming the dtype; 2.x has one.
TEST(PeakProbe, Fp16OnTheCpuRunsOrSaysWhyNot) {
  if (compat::kTorchMajor < 2) {
    try {
      measure_peak_matmul(kCpu, core::AmpMode::kFp16, kShortBudget);
      FAIL() << "no error";
    } catch (const DeviceError& e) {
      EXPECT_NE(std::string(e.what()).find("float16"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("cpu"), std::string::npos) << e.what();
    }
  } else {
    expect_sane(measure_peak_matmul(kCpu, core::AmpMode::kFp16, kShortBudget), "float16");
  }
}

TEST(PeakProbe, LeavesTheRandomStreamAlone) {
  torch::manual_seed(7);
  const torch::Tensor expected = torch::rand({4});
  torch::manual_seed(7);
  measure_peak_matmul(kCpu, core::AmpMode::kOff, 0.05);
  EXPECT_TRUE(torch::equal(torch::rand({4}), expected));
}

TEST(PeakProbe, NamesTheDtypeOfEachMode) {
  EXPECT_EQ(peak_dtype_name(core::AmpMode::kOff), "float32");
  EXPECT_EQ(peak_dtype_name(core::AmpMode::kBf16), "bfloat16");
  EXPECT_EQ(peak_dtype_name(core::AmpMode::kFp16), "float16");
}

TEST(PeakProbe, RejectsANonPositiveBudget) {
  EXPECT_THROW(measure_peak_matmul(kCpu, core::AmpMode::kOff, 0.0), UsageError);
  EXPECT_THROW(measure_peak_matmul(kCpu, core::AmpMode::kOff, -1.0), UsageError);
}

}  // namespace
}  // namespace trainbench::bench
