#include "core/collect_provenance.h"

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <sys/utsname.h>

#include "core/build_info.h"
#include "core/device.h"
#include "core/host_facts.h"
#include "core/system_view.h"
#include "core/torch_compat.h"

namespace trainbench::core {
namespace {

// The runtime LibTorch was built with, as "CUDA 12.4" or "HIP 6.2.41133";
// empty for a CPU build.
std::string libtorch_runtime() {
  const std::string config = at::show_config();
  const std::string cuda = parse_runtime_version(config, "CUDA Runtime");
  if (!cuda.empty()) return "CUDA " + cuda;
  const std::string hip = parse_runtime_version(config, "HIP Runtime");
  if (!hip.empty()) return "HIP " + hip;
  return "";
}

}  // namespace

Provenance collect_provenance(const torch::Device& device) {
  Provenance p;
  p.trainbench_version = TRAINBENCH_VERSION;
  p.git_commit = git_commit();
  p.libtorch_version = compat::torch_version();
  p.device_name = device_name(device);
  const SystemView system = SystemView::current();
  // The driver and runtime describe the accelerator the figures came from;
  // a CPU row of a CUDA build owes nothing to either.
  if (device.is_cuda()) {
    p.driver_version = parse_nvidia_driver_version(system.read_file("/proc/driver/nvidia/version").value_or(""));
  }
  if (!device.is_cpu()) p.runtime_version = libtorch_runtime();
  p.cpu_model = cpu_model_name();
  p.threads = at::get_num_threads();
  struct utsname names {};
  const bool have_uname = uname(&names) == 0;
  p.os = parse_os_release_pretty_name(system.read_file("/etc/os-release").value_or(""));
  if (p.os.empty() && have_uname) p.os = names.sysname;  // "Linux" at least
  if (have_uname) p.kernel = names.release;
  p.wsl = is_wsl(system);
  p.container = in_container(system);
  p.timestamp_utc = utc_timestamp_now();
  return p;
}

}  // namespace trainbench::core
