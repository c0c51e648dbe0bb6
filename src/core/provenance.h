#pragma once
// Where a number came from: the software, the device and the machine that
// produced it, recorded with every bench row and every stored training run so
// that a figure can be trusted (and questioned) later. The schema is here;
// collect_provenance.h measures one on this machine.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/table.h"

namespace trainbench::core {

struct Provenance {
  std::string trainbench_version;  // TRAINBENCH_VERSION
  std::string git_commit;          // git_commit(): short hash, "-dirty" with uncommitted changes
  std::string libtorch_version;    // "1.13.1", "2.11.0"
  std::string device_name;         // GPU name or CPU model
  std::string driver_version;      // NVIDIA driver from /proc/driver/nvidia/version (CUDA devices); empty when none
  std::string runtime_version;     // "CUDA 13.0" / "HIP 6.2" from at::show_config(); empty for CPU devices and CPU builds
  std::string cpu_model;
  int threads = 0;                 // intra-op threads in use
  std::string os;                  // PRETTY_NAME from /etc/os-release
  std::string kernel;              // uname release
  bool wsl = false;
  bool container = false;
  std::string timestamp_utc;       // "2026-11-27T10:14:14Z"
};

// One column per field, named as the fields are (bench rows and stored
// training runs end with these).
const std::vector<Column>& provenance_columns();

// Keys exactly the column names.
nlohmann::ordered_json to_json(const Provenance& provenance);
// Reads the provenance keys of `json` (other keys are ignored, missing ones
// keep their defaults); throws UsageError naming a field of the wrong type.
Provenance provenance_from_json(const nlohmann::json& json);

// "2026-11-27T10:14:14Z" for now.
std::string utc_timestamp_now();

// PRETTY_NAME from the text of /etc/os-release ("Debian GNU/Linux 12
// (bookworm)"), quotes and shell escapes removed; empty when it has none.
std::string parse_os_release_pretty_name(const std::string& os_release);

}  // namespace trainbench::core
