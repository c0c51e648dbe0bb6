#include "core/precision.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/torch_compat.h"

namespace trainbench::core {
namespace {

const torch::Device kCpu(torch::kCPU);

TEST(Precision, ParsesModesAndResolvesAutoPerDevice) {
  EXPECT_EQ(parse_amp_mode("off"), AmpMode::kOff);
  EXPECT_EQ(parse_amp_mode("bf16"), AmpMode::kBf16);
  EXPECT_EQ(parse_amp_mode("fp16"), AmpMode::kFp16);
  EXPECT_THROW(parse_amp_mode("fp8"), UsageError);
  EXPECT_EQ(resolve_amp_mode("auto", kCpu), AmpMode::kOff);
  EXPECT_EQ(default_amp_mode(torch::Device(torch::kCUDA, 0)), AmpMode::kFp16);
  EXPECT_EQ(resolve_amp_mode("bf16", kCpu), AmpMode::kBf16);
  EXPECT_THROW(resolve_amp_mode("half", kCpu), UsageError);
  EXPECT_EQ(to_string(AmpMode::kFp16), "fp16");
  EXPECT_TRUE(needs_grad_scaler(AmpMode::kFp16));
  EXPECT_FALSE(needs_grad_scaler(AmpMode::kBf16));
}

// fp16 autocast on CPU does not exist in LibTorch 1.13: a clear error that
// names what works, never a silent fallback.
TEST(Precision, UnsupportedModeIsAnErrorNamingTheAlternatives) {
  EXPECT_NO_THROW(check_amp_supported(AmpMode::kOff, kCpu));
  EXPECT_NO_THROW(check_amp_supported(AmpMode::kBf16, kCpu));
  if (compat::kTorchMajor >= 2) GTEST_SKIP() << "LibTorch 2.x autocasts fp16 on CPU";
  try {
    check_amp_supported(AmpMode::kFp16, kCpu);
    FAIL() << "expected a DeviceError";
  } catch (const DeviceError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("--amp fp16 cannot run on cpu"), std::string::npos) << message;
    EXPECT_NE(message.find("use --amp off, bf16"), std::string::npos) << message;
  }
  EXPECT_EQ(supported_amp_modes(kCpu), (std::vector<AmpMode>{AmpMode::kOff, AmpMode::kBf16}));
}

// Inside the guard a matrix product runs in bf16 (autocast's lower-precision
// list); outside, and after it, in fp32 again. Nested guards restore the outer state.
TEST(Precision, AutocastGuardScopesBf16OnCpu) {
  const torch::Tensor a = torch::randn({8, 8});
  {
    const AutocastGuard outer(AmpMode::kBf16, kCpu);
    EXPECT_EQ(torch::mm(a, a).scalar_type(), torch::kBFloat16);
    {
      const AutocastGuard off(AmpMode::kOff, kCpu);  // does nothing
      EXPECT_EQ(torch::mm(a, a).scalar_type(), torch::kBFloat16);
    }
    {
      const AutocastGuard inner(AmpMode::kBf16, kCpu);
      EXPECT_EQ(torch::mm(a, a).scalar_type(), torch::kBFloat16);
    }
    EXPECT_TRUE(compat::autocast_state(c10::DeviceType::CPU).enabled);
    // Losses autocast to fp32 whatever the input precision.
    const torch::Tensor logits = torch::mm(a, a);
    EXPECT_EQ(torch::nn::functional::cross_entropy(logits, torch::zeros({8}, torch::kLong)).scalar_type(), torch::kFloat32);
  }
  EXPECT_FALSE(compat::autocast_state(c10::DeviceType::CPU).enabled);
  EXPECT_EQ(torch::mm(a, a).scalar_type(), torch::kFloat32);
}

}  // namespace
}  // namespace trainbench::core
