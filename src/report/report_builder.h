#pragma once
// Turns training runs, bench rows and reference figures into a report
// Document: settings and provenance, curves of loss, accuracy and learning
// rate, throughput over time with the first pass and evaluations marked, the
// data-wait share, telemetry lanes on the run's time axis, and for several
// runs or bench rows, throughput bars with each one's ratio to the first.
#include <string>
#include <vector>

#include "store/bench_row.h"
#include "report/report_document.h"
#include "report/report_run.h"

namespace trainbench::report {

struct ReportInput {
  std::vector<ReportRun> runs;
  std::vector<store::BenchRow> bench_rows;
  std::string bench_source;             // where the rows came from ("bench.json", "the results store, amp=bf16")
  std::vector<std::string> references;  // names of reference_figures() to show beside the runs
  std::string generated_at;             // UTC timestamp for the subtitle
};

// Throws UsageError when there is nothing to report or a reference is unknown.
Document build_report(const ReportInput& input);

}  // namespace trainbench::report
