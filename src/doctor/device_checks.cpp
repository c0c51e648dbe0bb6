#include "doctor/device_checks.h"

#include <ATen/Version.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <system_error>

#include "core/host_facts.h"
#include "core/text.h"
#include "core/torch_compat.h"

namespace trainbench::doctor {
namespace fs = std::filesystem;
namespace {

const char* const kGroup = "devices";
const char* const kPciDevices = "/sys/bus/pci/devices";

std::optional<unsigned> parse_hex(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  try {
    std::size_t used = 0;
    const unsigned long value = std::stoul(core::trim(*text), &used, 16);  // base 16 accepts the "0x" sysfs writes
    return static_cast<unsigned>(value);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string hex4(unsigned value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%04x", value);
  return text;
}

std::string gib(long long bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
  return text;
}

bool is_gpu_class(unsigned pci_class) {
  const unsigned base_sub = pci_class >> 8;  // the low byte is the programming interface
  return base_sub == 0x0300 || base_sub == 0x0302 || base_sub == 0x0380;
}

Status worse(Status a, Status b) { return static_cast<int>(a) > static_cast<int>(b) ? a : b; }

using core::join;

int count_kind(const LibTorchFacts& torch, const std::string& kind) {
  return static_cast<int>(std::count_if(torch.devices.begin(), torch.devices.end(),
                                        [&](const core::DeviceDescription& d) { return d.kind == kind; }));
}

std::string first_accelerator(const LibTorchFacts& torch) {
  for (const core::DeviceDescription& d : torch.devices) {
    if (d.kind != "cpu") return d.id;
  }
  return "";
}

// How many of a vendor's GPUs this LibTorch can drive: NVIDIA through CUDA,
// AMD through ROCm (which LibTorch also presents as "cuda"), Intel through XPU.
int usable_count(const LibTorchFacts& torch, unsigned vendor) {
  if (vendor == kVendorNvidia) return torch.hip_runtime.empty() ? count_kind(torch, "cuda") : 0;
  if (vendor == kVendorAmd) return torch.hip_runtime.empty() ? 0 : count_kind(torch, "cuda");
  if (vendor == kVendorIntel) return count_kind(torch, "xpu");
  return 0;
}

const char* const kCudaBuildAdvice =
    "build trainbench against the LibTorch of a CUDA PyTorch 2.x wheel (pip install torch; cmake "
    "-DCMAKE_PREFIX_PATH=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)'))";

// One reason a GPU is unusable, and the fix.
struct Finding {
  Status status;
  std::string evidence;
  std::string advice;
};

// Why LibTorch cannot drive `gpu`, most fundamental first: the build, the
// environment hiding it, the kernel driver, the device nodes.
std::vector<Finding> diagnose_unusable(const PciGpu& gpu, const LibTorchFacts& torch, const MachineGpuFacts& machine) {
  std::vector<Finding> findings;
  const std::string libtorch = "LibTorch " + torch.version;
  if (gpu.vendor == kVendorNvidia && torch.cuda_runtime.empty()) {
    findings.push_back({Status::kWarn, libtorch + (torch.hip_runtime.empty() ? " is a CPU-only build" : " is a ROCm build"),
                        kCudaBuildAdvice});
  } else if (gpu.vendor == kVendorAmd && torch.hip_runtime.empty()) {
    findings.push_back({Status::kWarn, libtorch + " has no ROCm",
                        "build trainbench against the LibTorch of a ROCm PyTorch wheel (pip install torch "
                        "--index-url https://download.pytorch.org/whl/rocm6.2)"});
  } else if (gpu.vendor == kVendorIntel && !torch.can_have_xpu) {
    findings.push_back({Status::kWarn, libtorch + " has no XPU support (native from LibTorch 2.x)",
                        "build trainbench against the LibTorch of an XPU PyTorch 2.5+ wheel (pip install torch "
                        "--index-url https://download.pytorch.org/whl/xpu)"});
  } else if (gpu.vendor == kVendorIntel) {
    findings.push_back({Status::kWarn, libtorch + " sees no XPU device (built without XPU, or no compute runtime)",
                        "use the LibTorch of an XPU PyTorch wheel (pip install torch --index-url "
                        "https://download.pytorch.org/whl/xpu) and install Intel's compute runtime (Level Zero)"});
  }

  // CUDA_VISIBLE_DEVICES="" or "-1" hides every GPU from CUDA and ROCm; it
  // only matters when the build has that runtime.
  const bool has_runtime = (gpu.vendor == kVendorNvidia && !torch.cuda_runtime.empty()) ||
                           (gpu.vendor == kVendorAmd && !torch.hip_runtime.empty());
  if (has_runtime && machine.cuda_visible_devices) {
    findings.push_back({Status::kWarn, "CUDA_VISIBLE_DEVICES='" + *machine.cuda_visible_devices + "' is set",
                        "unset CUDA_VISIBLE_DEVICES or list this GPU's index in it"});
  }

  if (gpu.vendor == kVendorNvidia) {
    // CUDA talks to the proprietary driver only, through /dev/nvidiactl.
    if (!machine.nvidia_control_node && machine.nvidia_driver_version.empty()) {
      findings.push_back(
          {Status::kFail,
           "the NVIDIA driver is not loaded (no /dev/nvidiactl, no /proc/driver/nvidia/version" +
               (gpu.driver.empty() ? std::string(")") : "; bound to " + gpu.driver + ")"),
           "install the NVIDIA driver (e.g. apt install nvidia-driver, or the CUDA repository's), reboot, and "
           "check with nvidia-smi; in a container, start it with --gpus all"});
    }
  } else if (gpu.driver.empty()) {
    findings.push_back({Status::kFail, "no kernel driver is bound to it",
                        gpu.vendor == kVendorAmd ? "load amdgpu (sudo modprobe amdgpu) and check dmesg"
                                                 : "load i915 or xe (sudo modprobe xe) and check dmesg"});
  }

  // CUDA opens /dev/nvidia*, never the DRM render node; ROCm and Level Zero
  // open the render node.
  const std::vector<std::string>& nodes = gpu.vendor == kVendorNvidia ? machine.nvidia_nodes : gpu.render_nodes;
  std::vector<std::string> denied;
  for (const std::string& node : nodes) {
    const auto found = machine.denied_nodes.find(node);
    if (found == machine.denied_nodes.end()) continue;
    denied.push_back(node + (found->second.empty() ? "" : " (group " + found->second + ")"));
  }
  if (!denied.empty()) {
    findings.push_back({Status::kFail, "this user cannot open " + join(denied, ", ") + " for reading and writing",
                        "add yourself to the group that owns it (sudo usermod -aG render,video $USER), then log "
                        "in again"});
  }
  std::vector<std::string> missing;
  for (const std::string& node : nodes) {
    if (std::find(machine.missing_nodes.begin(), machine.missing_nodes.end(), node) != machine.missing_nodes.end()) {
      missing.push_back(node);
    }
  }
  if (!missing.empty()) {
    findings.push_back({Status::kFail, join(missing, ", ") + " missing from /dev",
                        "in a container, pass the device in (docker run --device /dev/dri)"});
  }

  if (findings.empty()) {
    findings.push_back({Status::kWarn, "LibTorch sees no device for it; the reason is unclear",
                        gpu.vendor == kVendorNvidia ? "check that nvidia-smi lists it" : "check dmesg for driver errors"});
  }
  return findings;
}

std::string describe(const PciGpu& gpu) {
  return vendor_name(gpu.vendor) + " GPU " + hex4(gpu.device) + " at " + gpu.address;
}

bool is_nvidia_node_name(const std::string& name) {
  // nvidiactl, nvidia-uvm and nvidia0..N are what CUDA opens; nvidia-caps is a folder.
  if (name == "nvidiactl" || name == "nvidia-uvm") return true;
  return name.size() > 6 && name.rfind("nvidia", 0) == 0 &&
         std::all_of(name.begin() + 6, name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string owning_group(const fs::path& node) {
  struct stat info {};
  if (::stat(node.c_str(), &info) != 0) return "";
  const struct group* owner = ::getgrgid(info.st_gid);
  return owner != nullptr ? owner->gr_name : "";
}

}  // namespace

std::string vendor_name(unsigned vendor) {
  if (vendor == kVendorNvidia) return "NVIDIA";
  if (vendor == kVendorIntel) return "Intel";
  if (vendor == kVendorAmd) return "AMD";
  return "vendor " + hex4(vendor);
}

std::optional<std::vector<PciGpu>> scan_pci_gpus(const core::SystemView& system) {
  std::error_code error;
  fs::directory_iterator it(system.path(kPciDevices), error);
  if (error) return std::nullopt;
  std::vector<PciGpu> gpus;
  for (fs::directory_iterator end; !error && it != end; it.increment(error)) {
    const std::string address = it->path().filename().string();
    const std::string base = std::string(kPciDevices) + "/" + address;
    const auto pci_class = parse_hex(system.read_file(base + "/class"));
    if (!pci_class || !is_gpu_class(*pci_class)) continue;
    PciGpu gpu;
    gpu.address = address;
    gpu.pci_class = *pci_class;
    gpu.vendor = parse_hex(system.read_file(base + "/vendor")).value_or(0);
    gpu.device = parse_hex(system.read_file(base + "/device")).value_or(0);
    // `driver` links to /sys/bus/pci/drivers/<name>; a dangling link (as in a
    // copied tree) still names it.
    std::error_code link_error;
    const fs::path driver = fs::read_symlink(system.path(base + "/driver"), link_error);
    if (!link_error) gpu.driver = driver.filename().string();
    std::error_code drm_error;
    for (fs::directory_iterator node(system.path(base + "/drm"), drm_error), node_end; !drm_error && node != node_end;
         node.increment(drm_error)) {
      const std::string name = node->path().filename().string();
      if (name.rfind("renderD", 0) == 0) gpu.render_nodes.push_back("/dev/dri/" + name);
    }
    std::sort(gpu.render_nodes.begin(), gpu.render_nodes.end());
    gpus.push_back(gpu);
  }
  std::sort(gpus.begin(), gpus.end(), [](const PciGpu& a, const PciGpu& b) { return a.address < b.address; });
  return gpus;
}



std::optional<std::pair<int, int>> parse_kernel_version(const std::string& release) {
  int major = 0;
  int minor = 0;
  if (std::sscanf(release.c_str(), "%d.%d", &major, &minor) != 2) return std::nullopt;
  return std::make_pair(major, minor);
}

std::optional<IntelDiscreteFamily> intel_discrete_family(unsigned device_id) {
  // Ranges rather than single ids so that new SKUs of a family are covered.
  if (device_id >= 0x5690 && device_id <= 0x56ff) return IntelDiscreteFamily{"Intel Arc A-series (Alchemist)", 6, 2};
  if (device_id >= 0xe200 && device_id <= 0xe2ff) return IntelDiscreteFamily{"Intel Arc B-series (Battlemage)", 6, 12};
  if (device_id >= 0x0bd0 && device_id <= 0x0bdf) return IntelDiscreteFamily{"Intel Data Center GPU Max", 6, 2};
  return std::nullopt;
}

CheckResult evaluate_runtime(const LibTorchFacts& torch, const MachineGpuFacts& machine) {
  std::string runtime;
  if (!torch.cuda_runtime.empty()) {
    runtime = "CUDA runtime " + torch.cuda_runtime;
  } else if (!torch.hip_runtime.empty()) {
    runtime = "HIP runtime " + torch.hip_runtime;
  } else {
    runtime = "CUDA runtime none (CPU-only build)";
  }
  const std::string driver =
      machine.nvidia_driver_version.empty() ? "none" : machine.nvidia_driver_version;
  return {kGroup, "runtime", Status::kOk,
          "LibTorch " + torch.version + ": " + runtime + ", NVIDIA driver " + driver, ""};
}

std::vector<CheckResult> evaluate_usable_devices(const LibTorchFacts& torch) {
  std::vector<CheckResult> results;
  for (const core::DeviceDescription& d : torch.devices) {
    if (d.kind == "cpu") continue;
    const std::string memory = d.memory_bytes >= 0 ? gib(d.memory_bytes) : "memory unknown";
    results.push_back({kGroup, d.id, Status::kOk, d.name + ", " + memory, ""});
  }
  return results;
}

std::vector<CheckResult> evaluate_unused_gpus(const LibTorchFacts& torch, const MachineGpuFacts& machine) {
  std::vector<CheckResult> results;
  const std::string in_use = first_accelerator(torch);
  std::vector<PciGpu> compute_gpus;
  for (const PciGpu& gpu : machine.gpus) {
    if (gpu.vendor == kVendorNvidia || gpu.vendor == kVendorAmd || gpu.vendor == kVendorIntel) {
      compute_gpus.push_back(gpu);
    } else {
      // Servers' BMC display (ASPEED, Matrox) and virtual machines' display
      // adapters: nothing LibTorch could compute on, so nothing to fix.
      results.push_back({kGroup, "gpu " + gpu.address, Status::kOk,
                         describe(gpu) + " is a display adapter without compute support", ""});
    }
  }
  if (compute_gpus.empty()) {
    // An accelerator without a PCI GPU (Apple's MPS, a container without
    // sysfs) needs no line here: evaluate_usable_devices lists it.
    if (in_use.empty()) {
      results.push_back({kGroup, "gpus", Status::kOk,
                         machine.pci_readable ? "CPU only: no GPU found on the PCI bus"
                                              : "CPU only: no GPU found (cannot read " + std::string(kPciDevices) + ")",
                         ""});
    }
    return results;
  }

  for (const unsigned vendor : {kVendorNvidia, kVendorAmd, kVendorIntel}) {
    std::vector<PciGpu> gpus;
    std::copy_if(compute_gpus.begin(), compute_gpus.end(), std::back_inserter(gpus),
                 [&](const PciGpu& gpu) { return gpu.vendor == vendor; });
    const int usable = usable_count(torch, vendor);
    if (gpus.empty() || usable >= static_cast<int>(gpus.size())) continue;
    if (usable > 0) {
      // Some of this vendor's GPUs work: the rest are most likely hidden on purpose.
      std::vector<std::string> addresses;
      for (const PciGpu& gpu : gpus) addresses.push_back(gpu.address);
      results.push_back({kGroup, vendor_name(vendor) + " gpus", Status::kWarn,
                         "LibTorch uses " + std::to_string(usable) + " of " + std::to_string(gpus.size()) + " " +
                             vendor_name(vendor) + " GPUs (" + join(addresses, ", ") + ")" +
                             (machine.cuda_visible_devices ? "; CUDA_VISIBLE_DEVICES='" + *machine.cuda_visible_devices + "'"
                                                           : ""),
                         "if that is not on purpose, check CUDA_VISIBLE_DEVICES and that the driver lists them all"});
      continue;
    }
    for (const PciGpu& gpu : gpus) {
      if (!in_use.empty()) {
        // Training runs on another accelerator; this one (often the integrated
        // GPU next to a discrete one) does not matter.
        results.push_back({kGroup, "gpu " + gpu.address, Status::kOk,
                           describe(gpu) + " is not used; LibTorch runs on " + in_use, ""});
        continue;
      }
      const std::vector<Finding> findings = diagnose_unusable(gpu, torch, machine);
      Status status = Status::kOk;
      std::vector<std::string> evidence;
      std::vector<std::string> advice;
      for (const Finding& finding : findings) {
        status = worse(status, finding.status);
        evidence.push_back(finding.evidence);
        advice.push_back(finding.advice);
      }
      // Intel's integrated graphics would train slower than the CPU beside
      // it: say how to use it, but nothing is wrong without it.
      if (gpu.vendor == kVendorIntel && !intel_discrete_family(gpu.device)) status = Status::kOk;
      results.push_back({kGroup, "gpu " + gpu.address, status,
                         describe(gpu) + (gpu.driver.empty() ? "" : " (driver " + gpu.driver + ")") +
                             " is unusable: " + join(evidence, "; "),
                         join(advice, "; then ")});
    }
  }
  return results;
}

std::vector<CheckResult> evaluate_intel_arc(const MachineGpuFacts& machine) {
  std::vector<CheckResult> results;
  const auto kernel = parse_kernel_version(machine.kernel_release);
  for (const PciGpu& gpu : machine.gpus) {
    if (gpu.vendor != kVendorIntel) continue;
    const auto family = intel_discrete_family(gpu.device);
    if (!family) continue;
    Status status = Status::kOk;
    std::vector<std::string> advice;
    const std::string needed = std::to_string(family->min_kernel_major) + "." + std::to_string(family->min_kernel_minor);
    std::string kernel_text = "kernel " + (machine.kernel_release.empty() ? "unknown" : machine.kernel_release);
    if (!kernel) {
      status = worse(status, Status::kWarn);
      advice.push_back("make sure the kernel is " + needed + " or newer");
    } else if (*kernel < std::make_pair(family->min_kernel_major, family->min_kernel_minor)) {
      // Older kernels lack the driver support for compute on these GPUs
      // (DG2 was behind a force_probe flag before 6.2).
      status = worse(status, Status::kFail);
      kernel_text += " (needs " + needed + "+)";
      advice.push_back("upgrade the kernel to " + needed + " or newer (e.g. Ubuntu 24.04, or 22.04's HWE kernel)");
    }
    std::string driver_text = "driver " + (gpu.driver.empty() ? std::string("none") : gpu.driver);
    if (gpu.driver.empty()) {
      status = worse(status, Status::kFail);
      advice.push_back("load i915 or xe (sudo modprobe xe) and check dmesg");
    } else if (gpu.driver != "i915" && gpu.driver != "xe") {
      // e.g. vfio-pci when the card is reserved for a virtual machine.
      status = worse(status, Status::kWarn);
      advice.push_back("bind the i915 or xe driver instead of " + gpu.driver);
    }
    results.push_back({kGroup, "intel-arc " + gpu.address, status,
                       family->name + " " + hex4(gpu.device) + " at " + gpu.address + ": " + kernel_text + ", " +
                           driver_text,
                       join(advice, "; ")});
  }
  return results;
}

std::vector<CheckResult> evaluate_devices(const LibTorchFacts& torch, const MachineGpuFacts& machine) {
  std::vector<CheckResult> results;
  results.push_back(evaluate_runtime(torch, machine));
  const auto usable = evaluate_usable_devices(torch);
  results.insert(results.end(), usable.begin(), usable.end());
  const auto unused = evaluate_unused_gpus(torch, machine);
  results.insert(results.end(), unused.begin(), unused.end());
  const auto arc = evaluate_intel_arc(machine);
  results.insert(results.end(), arc.begin(), arc.end());
  return results;
}

LibTorchFacts query_libtorch() {
  LibTorchFacts facts;
  facts.version = compat::torch_version();
  // show_config has the same shape on every LibTorch version and asks the
  // CUDA/HIP runtime for its version without touching a device.
  const std::string config = at::show_config();
  facts.cuda_runtime = core::parse_runtime_version(config, "CUDA Runtime");
  facts.hip_runtime = core::parse_runtime_version(config, "HIP Runtime");
  facts.can_have_xpu = compat::kTorchMajor >= 2;
  facts.devices = core::list_devices();
  return facts;
}

MachineGpuFacts gather_machine_gpu_facts(const core::SystemView& system) {
  MachineGpuFacts facts;
  const auto gpus = scan_pci_gpus(system);
  facts.pci_readable = gpus.has_value();
  if (gpus) facts.gpus = *gpus;
  if (const auto version = system.read_file("/proc/driver/nvidia/version")) {
    facts.nvidia_driver_version = core::parse_nvidia_driver_version(*version);
  }
  std::error_code error;
  for (fs::directory_iterator it(system.path("/dev"), error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    std::error_code type_error;
    if (is_nvidia_node_name(name) && !it->is_directory(type_error)) facts.nvidia_nodes.push_back("/dev/" + name);
  }
  std::sort(facts.nvidia_nodes.begin(), facts.nvidia_nodes.end());
  facts.nvidia_control_node =
      std::find(facts.nvidia_nodes.begin(), facts.nvidia_nodes.end(), "/dev/nvidiactl") != facts.nvidia_nodes.end();

  std::vector<std::string> nodes = facts.nvidia_nodes;
  for (const PciGpu& gpu : facts.gpus) nodes.insert(nodes.end(), gpu.render_nodes.begin(), gpu.render_nodes.end());
  for (const std::string& node : nodes) {
    const fs::path real = system.path(node);
    std::error_code exists_error;
    if (!fs::exists(real, exists_error)) {
      facts.missing_nodes.push_back(node);
      continue;
    }
    // access(2) asks the kernel with this process's real ids and groups, so
    // it answers what opening the node would.
    if (::access(real.c_str(), R_OK | W_OK) != 0) facts.denied_nodes[node] = owning_group(real);
  }
  if (const auto release = system.read_file("/proc/sys/kernel/osrelease")) facts.kernel_release = core::trim(*release);
  facts.cuda_visible_devices = system.env("CUDA_VISIBLE_DEVICES");
  return facts;
}

std::vector<CheckResult> check_devices(const core::SystemView& system) {
  return evaluate_devices(query_libtorch(), gather_machine_gpu_facts(system));
}

}  // namespace trainbench::doctor
