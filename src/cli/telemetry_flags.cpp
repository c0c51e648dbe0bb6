#include "cli/telemetry_flags.h"

#include "cli/option_checks.h"
namespace trainbench::cli {

void add_telemetry_flags(CLI::App* cmd, double* interval_seconds) {
  cmd->add_option("--telemetry-interval", *interval_seconds,
                  "Seconds between telemetry samples: process and system CPU, memory, storage reads, and per GPU "
                  "(NVIDIA through NVML, Intel through sysfs, where present) utilisation, memory, power, clocks, "
                  "temperature and throttling; written to telemetry.jsonl and the results store")
      ->capture_default_str()
      ->check(number_in(0.01, 3600.0, "seconds; --no-telemetry for none"));
  cmd->add_flag_callback("--no-telemetry", [interval_seconds] { *interval_seconds = 0.0; }, "Sample nothing");
}

}  // namespace trainbench::cli
