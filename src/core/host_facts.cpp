#include "core/host_facts.h"

#include <filesystem>

#include "core/text.h"

namespace trainbench::core {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

bool is_wsl(const SystemView& view) {
  const std::string text = lowercase(view.read_file("/proc/version").value_or(""));
  return contains(text, "microsoft") || contains(text, "wsl");
}

std::string container_marker(const SystemView& view) {
  std::string marker;
  if (std::filesystem::exists(view.path("/.dockerenv"))) {
    marker = "/.dockerenv";
  } else if (std::filesystem::exists(view.path("/run/.containerenv"))) {
    marker = "/run/.containerenv";
  } else {
    const std::string cgroup = lowercase(view.read_file("/proc/1/cgroup").value_or(""));
    for (const char* word : {"docker", "kubepods", "containerd", "libpod", "lxc"}) {
      if (contains(cgroup, word)) {
        marker = std::string("/proc/1/cgroup mentions ") + word;
        break;
      }
    }
  }
  return marker;
}

bool in_container(const SystemView& view) { return !container_marker(view).empty(); }

std::string parse_runtime_version(const std::string& show_config, const std::string& runtime) {
  const std::string marker = "- " + runtime + " ";
  const auto at = show_config.find(marker);
  if (at == std::string::npos) return "";
  const auto start = at + marker.size();
  const auto end = show_config.find_first_of(" \t\r\n", start);
  return show_config.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string parse_nvidia_driver_version(const std::string& proc_text) {
  // The version is the first token after "Kernel Module" that starts with a digit.
  const std::string marker = "Kernel Module";
  auto at = proc_text.find(marker);
  if (at == std::string::npos) return "";
  at += marker.size();
  const auto line_end = proc_text.find('\n', at);
  std::string rest = proc_text.substr(at, line_end == std::string::npos ? std::string::npos : line_end - at);
  // Open kernel modules write "Open Kernel Module for x86_64  550.54.14 ...".
  std::size_t position = 0;
  while (position < rest.size()) {
    const auto start = rest.find_first_not_of(" \t", position);
    if (start == std::string::npos) break;
    const auto end = rest.find_first_of(" \t", start);
    const std::string token = rest.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!token.empty() && token[0] >= '0' && token[0] <= '9' && token.find('.') != std::string::npos) return token;
    if (end == std::string::npos) break;
    position = end;
  }
  return "";
}

}  // namespace trainbench::core
