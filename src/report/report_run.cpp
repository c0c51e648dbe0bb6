#include "report/report_run.h"

#include "core/error.h"
#include "telemetry/telemetry_log.h"
#include "train/run_folder.h"

namespace trainbench::report {

ReportRun load_report_run(const std::filesystem::path& folder) {
  ReportRun run;
  run.record = train::load_run_record(folder);
  try {
    run.telemetry = telemetry::read_telemetry_log(folder / train::RunFiles::kTelemetry);
  } catch (const RunError& bad) {
    throw UsageError(bad.what());
  }
  return run;
}

}  // namespace trainbench::report
