#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/device.h"
#include "core/memory_format.h"
#include "core/precision.h"
#include "core/text.h"
#include "core/threads.h"
#include "core/torch_compat.h"

namespace trainbench::cli {
namespace {

// What --amp accepts on the device, and what `auto` and the default layout
// choose there.
struct PrecisionAdvice {
  std::vector<std::string> amp_modes;
  std::string amp_auto;
  bool channels_last_default = false;
};

PrecisionAdvice precision_advice(const core::DeviceDescription& description) {
  const torch::Device device = core::resolve_device(description.id);
  PrecisionAdvice advice;
  for (core::AmpMode mode : core::supported_amp_modes(device)) advice.amp_modes.push_back(core::to_string(mode));
  const core::AmpMode automatic = core::default_amp_mode(device);
  advice.amp_auto = core::to_string(automatic);
  advice.channels_last_default = core::default_channels_last(device, automatic);
  return advice;
}

int run_devices(bool json) {
  const std::vector<core::DeviceDescription> devices = core::list_devices();
  if (json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const core::DeviceDescription& d : devices) {
      const PrecisionAdvice advice = precision_advice(d);
      out.push_back({{"id", d.id}, {"kind", d.kind}, {"name", d.name},
                     {"memory_bytes", d.memory_bytes < 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(d.memory_bytes)},
                     {"amp_modes", advice.amp_modes},
                     {"amp_auto", advice.amp_auto},
                     {"channels_last_default", advice.channels_last_default}});
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
    const PrecisionAdvice advice = precision_advice(d);
    std::printf("           --amp %s (auto: %s), default layout %s\n", core::join(advice.amp_modes).c_str(),
                advice.amp_auto.c_str(), advice.channels_last_default ? "channels-last" : "contiguous");
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
