#pragma once
// The devices group of `trainbench doctor`: the accelerators this LibTorch
// build can use, and the GPUs the machine has but LibTorch cannot use, with
// the reason (CPU-only build, driver missing, no permission on the device
// node, Intel Arc on a kernel too old for it).
//
// check_devices gathers the facts (LibTorch's device list, the PCI bus under
// the view's /sys, device nodes under its /dev) and hands them to pure
// evaluate_* functions, which the tests call with made-up facts.
#include <optional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/device.h"
#include "doctor/check.h"

namespace trainbench::doctor {

// PCI ids the checks care about.
inline constexpr unsigned kVendorNvidia = 0x10de;
inline constexpr unsigned kVendorIntel = 0x8086;
inline constexpr unsigned kVendorAmd = 0x1002;

// A display controller on the PCI bus (class 0x0300 VGA, 0x0302 3D, 0x0380 other).
struct PciGpu {
  std::string address;  // "0000:01:00.0"
  unsigned vendor = 0;
  unsigned device = 0;
  unsigned pci_class = 0;  // the 24-bit class code, e.g. 0x030200
  std::string driver;      // the bound kernel driver ("nvidia", "i915", "xe", "amdgpu"); empty when none
  std::vector<std::string> render_nodes;  // "/dev/dri/renderD128", from the device's drm/ folder
};

// Every GPU under <root>/sys/bus/pci/devices, sorted by address; nullopt when
// the folder cannot be read (no sysfs, e.g. some containers).
std::optional<std::vector<PciGpu>> scan_pci_gpus(const core::SystemView& system);

// "NVIDIA", "Intel", "AMD" or "vendor 0x1234".
std::string vendor_name(unsigned vendor);

// What LibTorch offers: its version, what it was built with, and its devices.
struct LibTorchFacts {
  std::string version;       // "1.13.1"
  std::string cuda_runtime;  // "12.4" for a CUDA build, empty for none
  std::string hip_runtime;   // "6.2" for a ROCm build, empty for none
  bool can_have_xpu = false;  // LibTorch 2.x: XPU is native there (1.13 needs Intel's extension)
  std::vector<core::DeviceDescription> devices;  // core::list_devices(): CPU first
};

// What the machine shows around its GPUs.
struct MachineGpuFacts {
  std::vector<PciGpu> gpus;
  bool pci_readable = true;
  std::string nvidia_driver_version;  // from /proc/driver/nvidia/version; empty when absent
  bool nvidia_control_node = false;   // /dev/nvidiactl exists
  std::vector<std::string> nvidia_nodes;  // /dev/nvidiactl, /dev/nvidia0, ... that exist
  // Device nodes this user cannot open for reading and writing, with the
  // group that owns each ("render", "video"; empty when unknown).
  std::map<std::string, std::string> denied_nodes;
  // Render nodes sysfs lists for a GPU that the view's /dev lacks (a
  // container started without the device passed in).
  std::vector<std::string> missing_nodes;
  std::string kernel_release;             // /proc/sys/kernel/osrelease, e.g. "6.5.0-14-generic"
  std::optional<std::string> cuda_visible_devices;  // the environment variable, when set
};

// (major, minor) of a kernel release like "6.5.0-14-generic"; nullopt when unparsable.
std::optional<std::pair<int, int>> parse_kernel_version(const std::string& release);

// Intel's discrete GPUs (Arc A-series/Alchemist, Arc B-series/Battlemage,
// Data Center GPU Max) by PCI device id, and the kernel each needs for
// compute: Alchemist (DG2) from 6.2 in i915, Battlemage from 6.12 in xe.
// nullopt for other Intel GPUs (integrated graphics).
struct IntelDiscreteFamily {
  std::string name;
  int min_kernel_major = 6;
  int min_kernel_minor = 2;
};
std::optional<IntelDiscreteFamily> intel_discrete_family(unsigned device_id);

// One ok line about the runtime: CUDA/HIP runtime and NVIDIA driver versions,
// or "none" on a CPU-only build.
CheckResult evaluate_runtime(const LibTorchFacts& torch, const MachineGpuFacts& machine);

// One ok line per accelerator LibTorch can use (never the CPU).
std::vector<CheckResult> evaluate_usable_devices(const LibTorchFacts& torch);

// GPUs on the PCI bus that LibTorch does not use, each with why and what to
// do; the "CPU only" line when the bus shows no GPU at all.
std::vector<CheckResult> evaluate_unused_gpus(const LibTorchFacts& torch, const MachineGpuFacts& machine);

// Per Intel discrete GPU: kernel new enough, and i915 or xe bound.
std::vector<CheckResult> evaluate_intel_arc(const MachineGpuFacts& machine);

// Everything above, in that order.
std::vector<CheckResult> evaluate_devices(const LibTorchFacts& torch, const MachineGpuFacts& machine);

// The facts from this process's LibTorch, and from the view's /sys, /dev, /proc.
LibTorchFacts query_libtorch();
MachineGpuFacts gather_machine_gpu_facts(const core::SystemView& system);

std::vector<CheckResult> check_devices(const core::SystemView& system);

}  // namespace trainbench::doctor
