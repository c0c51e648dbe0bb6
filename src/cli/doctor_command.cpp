#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "doctor/doctor.h"

namespace trainbench::cli {
namespace {

int run_doctor_command(const doctor::DoctorOptions& options, bool json) {
  const std::vector<doctor::CheckResult> results = doctor::run_doctor(core::SystemView::current(), options);
  if (json) {
    std::printf("%s\n", doctor::to_json(results).dump(2).c_str());
  } else {
    std::printf("%s", doctor::format_report(results).c_str());
  }
  return doctor::any_failed(results) ? 1 : 0;
}

}  // namespace

void add_doctor_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<doctor::DoctorOptions>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "doctor", "Check this machine for what slows training down or breaks it (exit code 1 when a check fails).");
  cmd->add_option("--data", options->data, "Also check this data folder");
  cmd->add_option("--runs", options->runs_dir, "Folder runs are written to (checked for free space)")->capture_default_str();
  cmd->add_flag("--json", *json, "Print the checks as JSON");
  cmd->callback([options, json, exit_code] { *exit_code = run_doctor_command(*options, *json); });
}

}  // namespace trainbench::cli
