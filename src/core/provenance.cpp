#include "core/provenance.h"

#include <ctime>
#include <sstream>

namespace trainbench::core {
namespace {

// A value of os-release: "quoted text", 'quoted text' or bare_text, with the
// backslash escapes of a double-quoted shell string removed.
std::string unquote(std::string value) {
  while (!value.empty() && (value.back() == '\r' || value.back() == ' ' || value.back() == '\t')) value.pop_back();
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
    const char quote = value.front();
    value = value.substr(1, value.size() - 2);
    if (quote == '\'') return value;
  }
  std::string plain;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) ++i;
    plain += value[i];
  }
  return plain;
}

}  // namespace

std::string parse_os_release_pretty_name(const std::string& os_release) {
  std::istringstream lines(os_release);
  std::string line;
  const std::string key = "PRETTY_NAME=";
  while (std::getline(lines, line)) {
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line.compare(start, key.size(), key) != 0) continue;
    return unquote(line.substr(start + key.size()));
  }
  return "";
}

std::string utc_timestamp_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

const std::vector<Column>& provenance_columns() {
  static const std::vector<Column> columns = {
      {"trainbench_version", ColumnType::kText, "trainbench version that measured the row"},
      {"git_commit", ColumnType::kText, "git commit trainbench was built from (\"unknown\" outside a checkout)"},
      {"libtorch_version", ColumnType::kText, "LibTorch version (\"1.13.1\", \"2.11.0\")"},
      {"device_name", ColumnType::kText, "GPU name or CPU model of the device that ran"},
      {"driver_version", ColumnType::kText, "NVIDIA driver version (CUDA devices; empty when none)"},
      {"runtime_version", ColumnType::kText, "CUDA or HIP runtime LibTorch was built with (empty for CPU)"},
      {"cpu_model", ColumnType::kText, "host CPU model from /proc/cpuinfo"},
      {"threads", ColumnType::kInteger, "intra-op threads in use"},
      {"os", ColumnType::kText, "operating system (PRETTY_NAME of /etc/os-release)"},
      {"kernel", ColumnType::kText, "kernel release (uname -r)"},
      {"wsl", ColumnType::kBool, "running under WSL"},
      {"container", ColumnType::kBool, "running in a container (docker, podman, kubernetes, lxc)"},
      {"timestamp_utc", ColumnType::kText, "when the row was measured, UTC (YYYY-MM-DDTHH:MM:SSZ)"},
  };
  return columns;
}

nlohmann::ordered_json to_json(const Provenance& p) {
  return {{"trainbench_version", p.trainbench_version},
          {"git_commit", p.git_commit},
          {"libtorch_version", p.libtorch_version},
          {"device_name", p.device_name},
          {"driver_version", p.driver_version},
          {"runtime_version", p.runtime_version},
          {"cpu_model", p.cpu_model},
          {"threads", p.threads},
          {"os", p.os},
          {"kernel", p.kernel},
          {"wsl", p.wsl},
          {"container", p.container},
          {"timestamp_utc", p.timestamp_utc}};
}

Provenance provenance_from_json(const nlohmann::json& json) {
  Provenance p;
  read_field(json, "trainbench_version", &p.trainbench_version);
  read_field(json, "git_commit", &p.git_commit);
  read_field(json, "libtorch_version", &p.libtorch_version);
  read_field(json, "device_name", &p.device_name);
  read_field(json, "driver_version", &p.driver_version);
  read_field(json, "runtime_version", &p.runtime_version);
  read_field(json, "cpu_model", &p.cpu_model);
  read_field(json, "threads", &p.threads);
  read_field(json, "os", &p.os);
  read_field(json, "kernel", &p.kernel);
  read_field(json, "wsl", &p.wsl);
  read_field(json, "container", &p.container);
  read_field(json, "timestamp_utc", &p.timestamp_utc);
  return p;
}

}  // namespace trainbench::core
