#include "core/device.h"

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/torch_compat.h"

namespace trainbench::core {
namespace {

std::string available_ids() {
  std::string ids;
  for (const DeviceDescription& d : list_devices()) ids += (ids.empty() ? "" : ", ") + d.id;
  return ids;
}

int parse_index(const std::string& request, const std::string& text) {
  try {
    std::size_t used = 0;
    const int index = std::stoi(text, &used);
    if (used == text.size() && index >= 0) return index;
  } catch (const std::exception&) {
  }
  throw DeviceError("bad device '" + request + "': the part after ':' must be a device index like 0");
}

}  // namespace

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(colon + 1);
        name.erase(0, name.find_first_not_of(" \t"));
        return name;
      }
    }
  }
  return "unknown CPU";
}

bool cpu_has_flag(const std::string& flag) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    return (line + " ").find(" " + flag + " ") != std::string::npos;
  }
  return false;
}

std::vector<DeviceDescription> list_devices() {
  std::vector<DeviceDescription> devices;
  devices.push_back({"cpu", "cpu", cpu_model_name(), -1});
  if (torch::cuda::is_available()) {
    for (int i = 0, n = static_cast<int>(torch::cuda::device_count()); i < n; ++i) {
      const compat::AcceleratorInfo info = compat::cuda_device_info(i);
      devices.push_back({"cuda:" + std::to_string(i), "cuda", info.name, info.total_memory_bytes});
    }
  }
  for (int i = 0, n = compat::xpu_device_count(); i < n; ++i) {
    devices.push_back({"xpu:" + std::to_string(i), "xpu", "Intel XPU", -1});
  }
  if (compat::mps_available()) devices.push_back({"mps", "mps", "Apple GPU (MPS)", -1});
  return devices;
}

torch::Device resolve_device(const std::string& request) {
  const std::vector<DeviceDescription> devices = list_devices();
  if (request == "auto") {
    // The first accelerator wins; the CPU is always listed first, so look past it.
    return devices.size() > 1 ? torch::Device(devices[1].id) : torch::Device(torch::kCPU);
  }
  if (request == "cpu") return torch::Device(torch::kCPU);
  const auto colon = request.find(':');
  const std::string kind = request.substr(0, colon);
  if (kind != "cuda" && kind != "xpu" && kind != "mps") {
    throw DeviceError("unknown device '" + request + "': use auto, cpu, cuda[:N], xpu[:N] or mps (available here: " +
                      available_ids() + ")");
  }
  const int index = colon == std::string::npos ? 0 : parse_index(request, request.substr(colon + 1));
  const std::string id = kind == "mps" ? "mps" : kind + ":" + std::to_string(index);
  for (const DeviceDescription& d : devices) {
    if (d.id == id) return torch::Device(id);
  }
  throw DeviceError("device '" + request + "' is not available with this build of LibTorch on this machine " +
                    "(LibTorch " + compat::torch_version() + "); available: " + available_ids() +
                    " (see `trainbench devices`)");
}

std::string device_id(const torch::Device& device) {
  if (device.is_cpu()) return "cpu";
  if (device.is_mps()) return "mps";
  std::ostringstream out;
  out << device.type() << ":" << static_cast<int>(device.has_index() ? device.index() : 0);
  std::string id = out.str();
  for (char& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return id;
}

std::string device_name(const torch::Device& device) {
  const std::string id = device_id(device);
  for (const DeviceDescription& d : list_devices()) {
    if (d.id == id) return d.name;
  }
  return id;
}

}  // namespace trainbench::core
