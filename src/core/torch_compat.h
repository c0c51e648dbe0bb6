#pragma once
// The one place that knows which LibTorch it is built against. Debian's
// libtorch-dev is 1.13.1 (CPU only); GPU machines use the LibTorch bundled in
// a PyTorch 2.x wheel. Everything that is spelled differently between the two
// lives here, so no other file needs an #if on the version.
#include <torch/torch.h>
#include <torch/version.h>
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#include <torch/xpu.h>
#endif

#include <string>

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

}  // namespace trainbench::compat
