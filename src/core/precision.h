#pragma once
// Mixed precision (`--amp off|bf16|fp16`): which modes a device can run, and
// autocast as a scoped guard over forward and loss, as Python's
// `with torch.autocast(...)` does.
#include <torch/types.h>

#include <string>
#include <vector>

namespace trainbench::core {

enum class AmpMode { kOff, kBf16, kFp16 };

// "off", "bf16", "fp16"; anything else is a UsageError listing those.
AmpMode parse_amp_mode(const std::string& text);
// `--amp auto`: what the reference workload used on that kind of device:
// fp16 with a gradient scaler on NVIDIA, bf16 on Intel XPU (and Apple MPS),
// full precision on CPUs (the workload never trained on one).
AmpMode default_amp_mode(const torch::Device& device);
// parse_amp_mode, with "auto" resolved by default_amp_mode.
AmpMode resolve_amp_mode(const std::string& text, const torch::Device& device);
std::string to_string(AmpMode mode);

// The modes `device` can run with this LibTorch build, "off" first.
std::vector<AmpMode> supported_amp_modes(const torch::Device& device);

// The modes `device` runs in its own hardware, "off" first: autocast that
// only emulates a 16-bit type (bf16 on a CPU without avx512_bf16 or AMX)
// runs, but slower than fp32, so it is not listed here.
//   CPU: bf16 with avx512_bf16 or amx_bf16; fp16 with avx512_fp16 or amx_fp16
//        on LibTorch 2.x (1.13 has no fp16 autocast on CPUs).
//   CUDA: fp16 (tensor cores); bf16 from compute capability 8.0.
//   XPU, MPS: bf16 and fp16 where this build has autocast for them.
std::vector<AmpMode> native_amp_modes(const torch::Device& device);

// The precision closest to `wanted` that `device` runs natively: `wanted`
// itself, else the other 16-bit type, else off (fp32).
AmpMode closest_native_amp_mode(AmpMode wanted, const torch::Device& device);

// Throws DeviceError when `device` cannot run `mode`, naming the modes that
// would work there (never a silent fallback to another precision).
void check_amp_supported(AmpMode mode, const torch::Device& device);

// fp16 gradients underflow without loss scaling; bf16 has fp32's exponent
// range and needs none.
inline bool needs_grad_scaler(AmpMode mode) { return mode == AmpMode::kFp16; }

// Autocast to the mode's dtype on the device's type while alive; restores
// the previous state on destruction and frees the cast cache when the
// outermost guard ends. Does nothing for AmpMode::kOff.
class AutocastGuard {
 public:
  AutocastGuard(AmpMode mode, const torch::Device& device);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool active_ = false;
  c10::DeviceType device_type_;
  bool previous_enabled_ = false;
  c10::ScalarType previous_dtype_ = c10::ScalarType::Float;
};

}  // namespace trainbench::core
