#pragma once
// Which device a run uses: parsing --device, resolving "auto", and listing
// what this LibTorch build and this machine offer.
#include <torch/types.h>

#include <string>
#include <vector>

namespace trainbench::core {

struct DeviceDescription {
  std::string id;    // what --device accepts: "cpu", "cuda:0", "xpu:0", "mps"
  std::string kind;  // "cpu", "cuda", "xpu", "mps"
  std::string name;  // human-readable model name
  long long memory_bytes = -1;  // -1 when unknown
};

// Every device this build can use on this machine, CPU first.
std::vector<DeviceDescription> list_devices();

// Parses "auto", "cpu", "cuda", "cuda:N", "xpu[:N]", "mps". "auto" picks the
// first accelerator, else the CPU. Throws DeviceError naming the devices that
// do exist when the request cannot be met.
torch::Device resolve_device(const std::string& request);

// "cpu", "cuda:0", ... for a device (always with an index for accelerators).
std::string device_id(const torch::Device& device);

// The human-readable name of a resolved device (CPU model or GPU name).
std::string device_name(const torch::Device& device);

// The CPU model from /proc/cpuinfo ("unknown CPU" when unreadable).
std::string cpu_model_name();

// Whether /proc/cpuinfo's flags line lists `flag` ("avx512_bf16", "amx_bf16").
bool cpu_has_flag(const std::string& flag);

}  // namespace trainbench::core
