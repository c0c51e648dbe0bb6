#pragma once
// --telemetry-interval and --no-telemetry for the commands that sample the
// machine while they run (train, bench).
#include <CLI/CLI.hpp>

namespace trainbench::cli {

// Sets *interval_seconds (0 with --no-telemetry).
void add_telemetry_flags(CLI::App* cmd, double* interval_seconds);

}  // namespace trainbench::cli
