#include "telemetry/nvml_source.h"

#include <dlfcn.h>

#include <cstdio>
#include <utility>

namespace trainbench::telemetry {
namespace {

// The few NVML declarations used here, copied from nvml.h (which only comes
// with the CUDA toolkit); their layout is part of NVML's stable C ABI.
enum nvmlReturn_t : int { NVML_SUCCESS = 0 };
typedef struct nvmlDevice_st* nvmlDevice_t;
struct nvmlUtilization_t {
  unsigned int gpu;
  unsigned int memory;
};
struct nvmlMemory_t {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};
constexpr int NVML_CLOCK_SM = 1;
constexpr int NVML_CLOCK_MEM = 2;
constexpr int NVML_TEMPERATURE_GPU = 0;
constexpr unsigned int kNameBufferSize = 96;  // NVML_DEVICE_NAME_V2_BUFFER_SIZE

using InitFn = nvmlReturn_t (*)();
using ShutdownFn = nvmlReturn_t (*)();
using ErrorStringFn = const char* (*)(nvmlReturn_t);
using GetCountFn = nvmlReturn_t (*)(unsigned int*);
using GetHandleFn = nvmlReturn_t (*)(unsigned int, nvmlDevice_t*);
using GetNameFn = nvmlReturn_t (*)(nvmlDevice_t, char*, unsigned int);
using GetUtilizationFn = nvmlReturn_t (*)(nvmlDevice_t, nvmlUtilization_t*);
using GetMemoryFn = nvmlReturn_t (*)(nvmlDevice_t, nvmlMemory_t*);
using GetPowerFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned int*);
using GetClockFn = nvmlReturn_t (*)(nvmlDevice_t, int, unsigned int*);
using GetTemperatureFn = nvmlReturn_t (*)(nvmlDevice_t, int, unsigned int*);
using GetThrottleFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned long long*);

// Closes the library unless ownership moved on (to the source).
struct LibraryHandle {
  void* handle = nullptr;
  explicit LibraryHandle(void* h) : handle(h) {}
  ~LibraryHandle() {
    if (handle != nullptr) ::dlclose(handle);
  }
  LibraryHandle(const LibraryHandle&) = delete;
  LibraryHandle& operator=(const LibraryHandle&) = delete;
  void* release() { return std::exchange(handle, nullptr); }
};

template <typename Fn>
Fn symbol(void* library, const char* name) {
  return reinterpret_cast<Fn>(::dlsym(library, name));
}

struct Functions {
  InitFn init = nullptr;
  ShutdownFn shutdown = nullptr;
  GetCountFn get_count = nullptr;
  GetHandleFn get_handle = nullptr;
  // Optional: an older driver may lack some, and a missing one only leaves
  // its figure empty.
  ErrorStringFn error_string = nullptr;
  GetNameFn get_name = nullptr;
  GetUtilizationFn get_utilization = nullptr;
  GetMemoryFn get_memory = nullptr;
  GetPowerFn get_power = nullptr;
  GetClockFn get_clock = nullptr;
  GetTemperatureFn get_temperature = nullptr;
  GetThrottleFn get_throttle = nullptr;
};

struct Device {
  unsigned int index;
  nvmlDevice_t handle;
  std::string name;
};

class NvmlSource : public TelemetrySource {
 public:
  NvmlSource(void* library, Functions functions, std::vector<Device> devices)
      : library_(library), nvml_(functions), devices_(std::move(devices)) {}

  ~NvmlSource() override {
    nvml_.shutdown();
    ::dlclose(library_);
  }

  NvmlSource(const NvmlSource&) = delete;
  NvmlSource& operator=(const NvmlSource&) = delete;

  std::string name() const override { return "nvml"; }

  void sample(TelemetrySample& sample) override {
    try {
      for (const Device& device : devices_) sample.gpus.push_back(read(device));
    } catch (...) {
      // Only allocation can throw here; the sample keeps what it has.
    }
  }

 private:
  GpuSample read(const Device& device) const {
    GpuSample gpu;
    gpu.index = static_cast<int>(device.index);
    gpu.name = device.name;
    gpu.source = "nvml";
    if (nvml_.get_utilization) {
      nvmlUtilization_t utilization{};
      if (nvml_.get_utilization(device.handle, &utilization) == NVML_SUCCESS) {
        gpu.utilization_percent = utilization.gpu;
        gpu.memory_activity_percent = utilization.memory;
      }
    }
    if (nvml_.get_memory) {
      nvmlMemory_t memory{};
      if (nvml_.get_memory(device.handle, &memory) == NVML_SUCCESS) {
        gpu.memory_used_bytes = static_cast<double>(memory.used);
        gpu.memory_total_bytes = static_cast<double>(memory.total);
      }
    }
    unsigned int value = 0;
    if (nvml_.get_power && nvml_.get_power(device.handle, &value) == NVML_SUCCESS) {
      gpu.power_watts = value / 1000.0;  // NVML reports milliwatts
    }
    if (nvml_.get_clock && nvml_.get_clock(device.handle, NVML_CLOCK_SM, &value) == NVML_SUCCESS) {
      gpu.sm_clock_mhz = value;
    }
    if (nvml_.get_clock && nvml_.get_clock(device.handle, NVML_CLOCK_MEM, &value) == NVML_SUCCESS) {
      gpu.memory_clock_mhz = value;
    }
    if (nvml_.get_temperature &&
        nvml_.get_temperature(device.handle, NVML_TEMPERATURE_GPU, &value) == NVML_SUCCESS) {
      gpu.temperature_celsius = value;
    }
    unsigned long long reasons = 0;
    if (nvml_.get_throttle && nvml_.get_throttle(device.handle, &reasons) == NVML_SUCCESS) {
      gpu.throttle_reasons = decode_throttle_reasons(reasons);
    }
    return gpu;
  }

  void* const library_;
  const Functions nvml_;
  const std::vector<Device> devices_;
};

std::string describe(const Functions& nvml, nvmlReturn_t code) {
  std::string text = "error code " + std::to_string(static_cast<int>(code));
  if (nvml.error_string) {
    const char* message = nvml.error_string(code);
    if (message != nullptr && *message != '\0') text += " (" + std::string(message) + ")";
  }
  return text;
}

OpenedSource unavailable(std::string reason) {
  OpenedSource opened;
  opened.unavailable_reason = std::move(reason);
  return opened;
}

}  // namespace

std::vector<std::string> decode_throttle_reasons(unsigned long long mask) {
  // nvmlClocksThrottleReason* (now also called nvmlClocksEventReason*).
  static const char* const kNames[] = {
      "gpu_idle",                     // 0x1
      "applications_clocks_setting",  // 0x2
      "sw_power_cap",                 // 0x4
      "hw_slowdown",                  // 0x8
      "sync_boost",                   // 0x10
      "sw_thermal_slowdown",          // 0x20
      "hw_thermal_slowdown",          // 0x40
      "hw_power_brake_slowdown",      // 0x80
      "display_clock_setting",        // 0x100
  };
  constexpr unsigned kKnown = sizeof kNames / sizeof kNames[0];
  std::vector<std::string> names;
  for (unsigned bit = 0; bit < 64; ++bit) {
    const unsigned long long flag = 1ULL << bit;
    if ((mask & flag) == 0) continue;
    if (bit < kKnown) {
      names.emplace_back(kNames[bit]);
    } else {
      char text[32];
      std::snprintf(text, sizeof text, "unknown_0x%llx", flag);
      names.emplace_back(text);
    }
  }
  return names;
}

OpenedSource open_nvml_source(const std::string& library) {
  ::dlerror();  // clear any older message
  LibraryHandle handle(::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (handle.handle == nullptr) {
    // A missing library is the normal case on a machine without an NVIDIA
    // driver: say so briefly; any other failure gets the loader's words.
    const char* loader_error = ::dlerror();
    const std::string error = loader_error ? loader_error : "";
    const std::string why = error.empty() || error.find("No such file") != std::string::npos ? "not found" : error;
    return unavailable("no NVIDIA GPU: " + library + " " + why + " (no driver, or a container without GPU access)");
  }

  void* const lib = handle.handle;
  Functions nvml;
  nvml.init = symbol<InitFn>(lib, "nvmlInit_v2");
  nvml.shutdown = symbol<ShutdownFn>(lib, "nvmlShutdown");
  nvml.get_count = symbol<GetCountFn>(lib, "nvmlDeviceGetCount_v2");
  nvml.get_handle = symbol<GetHandleFn>(lib, "nvmlDeviceGetHandleByIndex_v2");
  const std::pair<const char*, bool> required[] = {
      {"nvmlInit_v2", nvml.init != nullptr},
      {"nvmlShutdown", nvml.shutdown != nullptr},
      {"nvmlDeviceGetCount_v2", nvml.get_count != nullptr},
      {"nvmlDeviceGetHandleByIndex_v2", nvml.get_handle != nullptr},
  };
  for (const auto& [name, found] : required) {
    if (!found) {
      return unavailable(library + " has no " + name + ": it is not NVIDIA's NVML library, or one too old to use");
    }
  }
  nvml.error_string = symbol<ErrorStringFn>(lib, "nvmlErrorString");
  nvml.get_name = symbol<GetNameFn>(lib, "nvmlDeviceGetName");
  nvml.get_utilization = symbol<GetUtilizationFn>(lib, "nvmlDeviceGetUtilizationRates");
  nvml.get_memory = symbol<GetMemoryFn>(lib, "nvmlDeviceGetMemoryInfo");
  nvml.get_power = symbol<GetPowerFn>(lib, "nvmlDeviceGetPowerUsage");
  nvml.get_clock = symbol<GetClockFn>(lib, "nvmlDeviceGetClockInfo");
  nvml.get_temperature = symbol<GetTemperatureFn>(lib, "nvmlDeviceGetTemperature");
  nvml.get_throttle = symbol<GetThrottleFn>(lib, "nvmlDeviceGetCurrentClocksThrottleReasons");
  // NVML 12.2 renamed it; the old name is kept as an alias but may go.
  if (!nvml.get_throttle) nvml.get_throttle = symbol<GetThrottleFn>(lib, "nvmlDeviceGetCurrentClocksEventReasons");

  const nvmlReturn_t init = nvml.init();
  if (init != NVML_SUCCESS) {
    return unavailable("NVML in " + library + " failed to start, " + describe(nvml, init) +
                       "; is the NVIDIA kernel driver loaded and matching the library?");
  }
  unsigned int count = 0;
  const nvmlReturn_t counted = nvml.get_count(&count);
  std::vector<Device> devices;
  std::string last_error;
  for (unsigned int index = 0; counted == NVML_SUCCESS && index < count; ++index) {
    Device device{index, nullptr, ""};
    const nvmlReturn_t got = nvml.get_handle(index, &device.handle);
    if (got != NVML_SUCCESS) {
      // Typically a GPU this process may not use (NVML_ERROR_NO_PERMISSION).
      last_error = "GPU " + std::to_string(index) + ": " + describe(nvml, got);
      continue;
    }
    char name[kNameBufferSize] = {};
    if (nvml.get_name && nvml.get_name(device.handle, name, kNameBufferSize) == NVML_SUCCESS && name[0] != '\0') {
      device.name = name;
    } else {
      device.name = "NVIDIA GPU " + std::to_string(index);
    }
    devices.push_back(std::move(device));
  }
  if (devices.empty()) {
    std::string reason;
    if (counted != NVML_SUCCESS) {
      reason = "NVML could not count the GPUs: " + describe(nvml, counted);
    } else if (count == 0) {
      reason = "NVML sees no NVIDIA GPU";
    } else {
      reason = "NVML sees " + std::to_string(count) + " NVIDIA GPU(s) but cannot open any: " + last_error;
    }
    nvml.shutdown();
    return unavailable(reason);
  }

  OpenedSource opened;
  opened.source = std::make_unique<NvmlSource>(handle.release(), nvml, std::move(devices));
  return opened;
}

}  // namespace trainbench::telemetry
