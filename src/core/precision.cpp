#include "core/precision.h"

#include <torch/torch.h>

#include <algorithm>

#include "core/device.h"
#include "core/error.h"
#include "core/text.h"
#include "core/torch_compat.h"

namespace trainbench::core {
namespace {

c10::ScalarType autocast_dtype(AmpMode mode) { return mode == AmpMode::kFp16 ? torch::kHalf : torch::kBFloat16; }

std::string join(const std::vector<AmpMode>& modes) {
  std::vector<std::string> names;
  for (AmpMode mode : modes) names.push_back(to_string(mode));
  return core::join(names);
}

// Why `mode` cannot run on `device`, or "" when it can.
std::string unsupported_reason(AmpMode mode, const torch::Device& device) {
  if (mode == AmpMode::kOff) return "";
  if (!compat::autocast_supported(device.type())) {
    return "LibTorch " + compat::torch_version() + " has no autocast for " + device_id(device);
  }
  switch (device.type()) {
    case c10::DeviceType::CPU:
      // CPU autocast in LibTorch 1.13 knows only bf16; fp16 on CPU came with 2.x.
      if (mode == AmpMode::kFp16 && compat::kTorchMajor < 2) {
        return "fp16 autocast on CPU needs LibTorch 2.x (this is " + compat::torch_version() + ")";
      }
      return "";
    case c10::DeviceType::CUDA: {
      // bf16 tensor-core math starts with Ampere (compute capability 8.0),
      // the rule torch.cuda.is_bf16_supported() applies.
      const auto [major, minor] = compat::cuda_compute_capability(device.index());
      if (mode == AmpMode::kBf16 && major > 0 && major < 8) {
        return "bf16 needs compute capability 8.0 or newer; " + device_name(device) + " has " +
               std::to_string(major) + "." + std::to_string(minor);
      }
      return "";
    }
    default:
      return "";
  }
}

}  // namespace

AmpMode parse_amp_mode(const std::string& text) {
  if (text == "off") return AmpMode::kOff;
  if (text == "bf16") return AmpMode::kBf16;
  if (text == "fp16") return AmpMode::kFp16;
  throw UsageError("--amp must be off, bf16 or fp16 (got '" + text + "')");
}

AmpMode default_amp_mode(const torch::Device& device) {
  switch (device.type()) {
    case c10::DeviceType::CUDA:
      return AmpMode::kFp16;
    case c10::DeviceType::XPU:
    case c10::DeviceType::MPS:
      return compat::autocast_supported(device.type()) ? AmpMode::kBf16 : AmpMode::kOff;
    default:
      return AmpMode::kOff;
  }
}

AmpMode resolve_amp_mode(const std::string& text, const torch::Device& device) {
  if (text == "auto") return default_amp_mode(device);
  try {
    return parse_amp_mode(text);
  } catch (const UsageError&) {
    throw UsageError("--amp must be auto, off, bf16 or fp16 (got '" + text + "')");
  }
}

std::string to_string(AmpMode mode) {
  switch (mode) {
    case AmpMode::kBf16:
      return "bf16";
    case AmpMode::kFp16:
      return "fp16";
    default:
      return "off";
  }
}

std::vector<AmpMode> supported_amp_modes(const torch::Device& device) {
  std::vector<AmpMode> modes;
  for (AmpMode mode : {AmpMode::kOff, AmpMode::kBf16, AmpMode::kFp16}) {
    if (unsupported_reason(mode, device).empty()) modes.push_back(mode);
  }
  return modes;
}

std::vector<AmpMode> native_amp_modes(const torch::Device& device) {
  std::vector<AmpMode> modes{AmpMode::kOff};
  const std::vector<AmpMode> supported = supported_amp_modes(device);
  const auto runs = [&](AmpMode mode) { return std::find(supported.begin(), supported.end(), mode) != supported.end(); };
  const auto add_if = [&](AmpMode mode, bool native) {
    if (native && runs(mode)) modes.push_back(mode);
  };
  switch (device.type()) {
    case c10::DeviceType::CPU:
      add_if(AmpMode::kBf16, cpu_has_flag("avx512_bf16") || cpu_has_flag("amx_bf16"));
      add_if(AmpMode::kFp16, cpu_has_flag("avx512_fp16") || cpu_has_flag("amx_fp16"));
      break;
    default:
      // Accelerators: what autocast supports there is what their hardware runs
      // (supported_amp_modes already leaves out bf16 before Ampere).
      add_if(AmpMode::kBf16, true);
      add_if(AmpMode::kFp16, true);
      break;
  }
  return modes;
}

AmpMode closest_native_amp_mode(AmpMode wanted, const torch::Device& device) {
  const std::vector<AmpMode> native = native_amp_modes(device);
  const auto has = [&](AmpMode mode) { return std::find(native.begin(), native.end(), mode) != native.end(); };
  if (has(wanted)) return wanted;
  if (wanted == AmpMode::kFp16 && has(AmpMode::kBf16)) return AmpMode::kBf16;
  if (wanted == AmpMode::kBf16 && has(AmpMode::kFp16)) return AmpMode::kFp16;
  return AmpMode::kOff;
}

void check_amp_supported(AmpMode mode, const torch::Device& device) {
  const std::string reason = unsupported_reason(mode, device);
  if (reason.empty()) return;
  throw DeviceError("--amp " + to_string(mode) + " cannot run on " + device_id(device) + ": " + reason +
                    ". On this device use --amp " + join(supported_amp_modes(device)));
}

AutocastGuard::AutocastGuard(AmpMode mode, const torch::Device& device) : device_type_(device.type()) {
  if (mode == AmpMode::kOff) return;
  check_amp_supported(mode, device);
  const compat::AutocastState previous = compat::autocast_state(device_type_);
  previous_enabled_ = previous.enabled;
  previous_dtype_ = previous.dtype;
  compat::set_autocast_state(device_type_, {true, autocast_dtype(mode)});
  at::autocast::increment_nesting();
  active_ = true;
}

AutocastGuard::~AutocastGuard() {
  if (!active_) return;
  // Casts of the weights are cached for the scope; drop them when the
  // outermost scope ends, or they would pin stale copies (Python does the same).
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  compat::set_autocast_state(device_type_, {previous_enabled_, previous_dtype_});
}

}  // namespace trainbench::core
