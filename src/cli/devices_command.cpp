#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/device.h"
#include "core/threads.h"
#include "core/torch_compat.h"

namespace trainbench::cli {
namespace {

int run_devices(bool json) {
  const std::vector<core::DeviceDescription> devices = core::list_devices();
  if (json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const core::DeviceDescription& d : devices) {
      out.push_back({{"id", d.id}, {"kind", d.kind}, {"name", d.name},
                     {"memory_bytes", d.memory_bytes < 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(d.memory_bytes)}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("LibTorch %s; `--device auto` picks %s\n", compat::torch_version().c_str(),
              core::device_id(core::resolve_device("auto")).c_str());
  for (const core::DeviceDescription& d : devices) {
    std::string detail = d.kind == "cpu" ? std::to_string(core::available_cores()) + " cores available" : "";
    if (d.memory_bytes > 0) detail = std::to_string(d.memory_bytes / (1024 * 1024)) + " MiB";
    std::printf("  %-8s %s%s\n", d.id.c_str(), d.name.c_str(), detail.empty() ? "" : (" (" + detail + ")").c_str());
  }
  return 0;
}

}  // namespace

void add_devices_command(CLI::App& app, int* exit_code) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("devices", "List the devices this build of trainbench can train on.");
  cmd->add_flag("--json", *json, "Print the list as JSON");
  cmd->callback([json, exit_code] { *exit_code = run_devices(*json); });
}

}  // namespace trainbench::cli
