#pragma once
// Reading telemetry.jsonl back (the report, the results store).
#include <filesystem>
#include <vector>

#include "telemetry/telemetry_sample.h"

namespace trainbench::telemetry {

// Every sample in the file, in order; empty when the file does not exist (a
// run made with --no-telemetry or by an older trainbench). A last line cut
// short by a crash is skipped; any other malformed line throws RunError
// naming the file and line.
std::vector<TelemetrySample> read_telemetry_log(const std::filesystem::path& jsonl);

}  // namespace trainbench::telemetry
