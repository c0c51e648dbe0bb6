#include "cli/after_training.h"

#include "bench/compare_inputs.h"
#include "core/atomic_file.h"
#include "core/provenance.h"
#include "report/html_report.h"
#include "report/report_builder.h"
#include "report/report_run.h"
#include "telemetry/telemetry_log.h"
#include "train/run_folder.h"

namespace trainbench::cli {

std::string format_reference_standing(const train::RunRecord& run, const bench::Standing* measured,
                                      const std::string& program) {
  if (!run.summary) return "";  // killed before its end: nothing to stand on
  return bench::format_run_standing(bench::training_side_from_record(run), measured, program);
}

std::filesystem::path write_run_report(const train::RunRecord& run) {
  const std::filesystem::path run_dir = run.folder;
  report::ReportInput input;
  report::ReportRun report_run;
  report_run.record = run;
  report_run.telemetry = telemetry::read_telemetry_log(run_dir / train::RunFiles::kTelemetry);
  input.runs.push_back(std::move(report_run));
  input.references = {"titan-rtx"};
  input.generated_at = core::utc_timestamp_now();
  const std::filesystem::path output = run_dir / "report.html";
  core::write_file_atomically(output, report::render_html(report::build_report(input)));
  return output;
}

std::string format_next_commands(const std::string& program) {
  return "Next:\n"
         "  " + program + " train --data YOUR_FOLDER --output runs/mine   # your own images, one sub-folder per class\n"
         "  " + program + " bench --model resnet18d --img-size 288 -b 32   # this machine at the workload's settings\n"
         "  " + program + " doctor                                         # what, if anything, slows this machine\n";
}

}  // namespace trainbench::cli
