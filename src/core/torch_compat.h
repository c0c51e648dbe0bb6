#pragma once
// The one place that knows which LibTorch it is built against. Debian's
// libtorch-dev is 1.13.1 (CPU only); GPU machines use the LibTorch bundled in
// a PyTorch 2.x wheel. Everything that is spelled differently between the two
// lives here, so no other file needs an #if on the version.
#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#include <torch/xpu.h>
#endif

#include <cmath>
#include <string>
#include <utility>

#if defined(TRAINBENCH_WITH_CUDA)
#include <ATen/cuda/CUDAContext.h>
#endif

namespace trainbench::compat {

constexpr int kTorchMajor = TORCH_VERSION_MAJOR;
constexpr int kTorchMinor = TORCH_VERSION_MINOR;

inline std::string torch_version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

// Whether this binary was compiled with the CUDA runtime headers (needed for
// device names and memory); torch::cuda::is_available() answers at run time.
constexpr bool kBuiltWithCudaHeaders =
#if defined(TRAINBENCH_WITH_CUDA)
    true;
#else
    false;
#endif

struct AcceleratorInfo {
  std::string name;
  long long total_memory_bytes = -1;  // -1 when unknown
};

// Name and memory of CUDA device `index`, where the build can ask.
inline AcceleratorInfo cuda_device_info([[maybe_unused]] int index) {
  AcceleratorInfo info;
#if defined(TRAINBENCH_WITH_CUDA)
  const cudaDeviceProp* props = at::cuda::getDeviceProperties(index);
  info.name = props->name;
  info.total_memory_bytes = static_cast<long long>(props->totalGlobalMem);
#else
  info.name = "CUDA device";
#endif
  return info;
}

// at::hasMPS() answers on every supported version (false off Apple).
inline bool mps_available() { return at::hasMPS(); }

// Intel XPU support is native in LibTorch 2.x (at::hasXPU); torch::xpu with a
// device count from 2.4. 1.13 needs Intel's extension, which a C++ build
// cannot assume, so there is no XPU there.
inline int xpu_device_count() {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  return at::hasXPU() ? static_cast<int>(torch::xpu::device_count()) : 0;
#elif TORCH_VERSION_MAJOR >= 2
  return at::hasXPU() ? 1 : 0;
#else
  return 0;
#endif
}

// CUDA compute capability (major, minor) of device `index`; {0, 0} where the
// build cannot ask.
inline std::pair<int, int> cuda_compute_capability([[maybe_unused]] int index) {
#if defined(TRAINBENCH_WITH_CUDA)
  const cudaDeviceProp* props = at::cuda::getDeviceProperties(index);
  return {props->major, props->minor};
#else
  return {0, 0};
#endif
}

// Autocast, per device type. LibTorch 2.4 replaced the per-device functions
// (set_enabled for CUDA, set_cpu_enabled, set_autocast_gpu_dtype, ...) by
// ones taking the device type; 1.13 has only the old spelling, and no MPS.
#define TRAINBENCH_AUTOCAST_BY_DEVICE_TYPE (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4))

struct AutocastState {
  bool enabled = false;
  at::ScalarType dtype = at::kFloat;
};

// Whether this LibTorch can autocast on `type` at all.
inline bool autocast_supported(c10::DeviceType type) {
  switch (type) {
    case c10::DeviceType::CPU:
    case c10::DeviceType::CUDA:
    case c10::DeviceType::XPU:
      return true;
    case c10::DeviceType::MPS:
      return TRAINBENCH_AUTOCAST_BY_DEVICE_TYPE && (TORCH_VERSION_MAJOR > 2 || TORCH_VERSION_MINOR >= 5);
    default:
      return false;
  }
}

inline AutocastState autocast_state(c10::DeviceType type) {
#if TRAINBENCH_AUTOCAST_BY_DEVICE_TYPE
  return {at::autocast::is_autocast_enabled(type), at::autocast::get_autocast_dtype(type)};
#else
  switch (type) {
    case c10::DeviceType::CPU:
      return {at::autocast::is_cpu_enabled(), at::autocast::get_autocast_cpu_dtype()};
    case c10::DeviceType::CUDA:
      return {at::autocast::is_enabled(), at::autocast::get_autocast_gpu_dtype()};
    case c10::DeviceType::XPU:
      return {at::autocast::is_xpu_enabled(), at::autocast::get_autocast_xpu_dtype()};
    default:
      return {};
  }
#endif
}

// Callers check autocast_supported(type) first.
inline void set_autocast_state(c10::DeviceType type, const AutocastState& state) {
#if TRAINBENCH_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_dtype(type, state.dtype);
  at::autocast::set_autocast_enabled(type, state.enabled);
#else
  switch (type) {
    case c10::DeviceType::CPU:
      at::autocast::set_autocast_cpu_dtype(state.dtype);
      at::autocast::set_cpu_enabled(state.enabled);
      break;
    case c10::DeviceType::CUDA:
      at::autocast::set_autocast_gpu_dtype(state.dtype);
      at::autocast::set_enabled(state.enabled);
      break;
    case c10::DeviceType::XPU:
      at::autocast::set_autocast_xpu_dtype(state.dtype);
      at::autocast::set_xpu_enabled(state.enabled);
      break;
    default:
      break;
  }
#endif
}

// Makes GPU `index` the current CUDA device of this thread (what NCCL and
// unindexed CUDA tensors use); nothing in a build without CUDA headers.
inline void set_current_cuda_device([[maybe_unused]] c10::DeviceIndex index) {
#if defined(TRAINBENCH_WITH_CUDA)
  c10::cuda::set_device(index);
#endif
}

// softmax(q k^T / sqrt(d)) v over the last two dimensions (q, k, v:
// [..., tokens, d]): LibTorch 2.x's fused kernel (flash / memory-efficient
// where the device has them), the plain formula on 1.13.
inline torch::Tensor scaled_dot_product_attention(const torch::Tensor& q, const torch::Tensor& k,
                                                  const torch::Tensor& v) {
#if TORCH_VERSION_MAJOR >= 2
  return at::scaled_dot_product_attention(q, k, v);
#else
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  return torch::softmax(torch::matmul(q * scale, k.transpose(-2, -1)), -1).matmul(v);
#endif
}

}  // namespace trainbench::compat
