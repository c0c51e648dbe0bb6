#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/compare_inputs.h"
#include "core/provenance.h"
#include "bench/reference_figures.h"
#include "cli/commands.h"
#include "cli/option_checks.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/text.h"
#include "report/html_report.h"
#include "report/markdown_report.h"
#include "report/report_builder.h"
#include "store/results_store.h"

namespace trainbench::cli {
namespace {

namespace fs = std::filesystem;

struct ReportOptions {
  std::vector<std::string> runs;
  std::vector<std::string> bench_files;
  std::vector<std::string> db_filters;
  bool from_db = false;  // --db-filter given (possibly as "all")
  std::string db;
  std::vector<std::string> references;
  std::string output = "report.html";
};

std::vector<std::string> reference_names() {
  std::vector<std::string> names;
  for (const bench::ReferenceFigures& reference : bench::reference_figures()) names.push_back(reference.name);
  return names;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Bench rows of the results store that match every filter ("all": every row).
std::vector<store::BenchRow> stored_bench_rows(const ReportOptions& options, std::string* source) {
  std::vector<store::Filter> filters;
  for (const std::string& text : options.db_filters) {
    if (text != "all") filters.push_back(store::parse_filter(text));
  }
  const fs::path path = options.db.empty() ? store::default_database_path() : fs::path(options.db);
  if (!store::database_exists(path)) throw UsageError("no results database at " + path.string() + " (see --db)");
  const store::ResultsStore results = store::ResultsStore::open(path);
  const core::Table table = results.query(store::ResultKind::kBench, filters);
  std::vector<store::BenchRow> rows;
  for (const core::Row& row : table.rows) {
    if (const auto stored = results.bench_by_id(row["id"].get<std::int64_t>())) rows.push_back(*stored);
  }
  if (rows.empty()) throw UsageError("no stored bench rows in " + results.name() + " match " + core::join(options.db_filters, " and "));
  *source = "the results store " + results.name() + (filters.empty() ? "" : " (" + core::join(options.db_filters, " and ") + ")");
  return rows;
}

int run_report(const ReportOptions& options) {
  const bool markdown = ends_with(options.output, ".md");
  if (!markdown && !ends_with(options.output, ".html") && !ends_with(options.output, ".htm")) {
    throw UsageError("-o " + options.output + ": the report is written as .html (one self-contained page) or .md");
  }
  report::ReportInput input;
  for (const std::string& run : options.runs) input.runs.push_back(report::load_report_run(run));
  std::vector<std::string> sources;
  for (const std::string& file : options.bench_files) {
    std::vector<store::BenchRow> rows = bench::load_bench_file(file);
    input.bench_rows.insert(input.bench_rows.end(), rows.begin(), rows.end());
    sources.push_back(file);
  }
  if (options.from_db) {
    std::string source;
    std::vector<store::BenchRow> rows = stored_bench_rows(options, &source);
    input.bench_rows.insert(input.bench_rows.end(), rows.begin(), rows.end());
    sources.push_back(source);
  }
  input.bench_source = core::join(sources, " and ");
  input.references = options.references;
  input.generated_at = core::utc_timestamp_now();

  const report::Document document = report::build_report(input);
  const fs::path output = options.output;
  if (output.has_parent_path()) fs::create_directories(output.parent_path());
  if (markdown) {
    const fs::path charts = report::write_markdown_report(document, output);
    std::printf("wrote %s (charts in %s)\n", output.c_str(), charts.c_str());
  } else {
    core::write_file_atomically(output, report::render_html(document));
    std::printf("wrote %s\n", output.c_str());
  }
  return 0;
}

}  // namespace

void add_report_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Write a report of training runs and bench results that a person can read and share: settings and provenance, "
      "loss, accuracy and learning-rate curves, throughput over time with the first pass and evaluations marked, the "
      "data-wait share, telemetry lanes (CPU, memory, storage, GPU) on the same time axis, and for several runs or "
      "bench rows, throughput bars with each one's ratio to the first. -o report.html is one self-contained page "
      "(inline SVG, no script, nothing fetched when opened); -o report.md writes Markdown with the charts as SVG "
      "files in report_files/ beside it.");
  cmd->add_option("runs", options->runs, "Run folders written by `trainbench train`")->check(CLI::ExistingDirectory);
  cmd->add_option("--bench", options->bench_files, "Bench results written by `bench -o json|jsonl --output-file FILE`")
      ->check(CLI::ExistingFile);
  cmd->add_option_function<std::vector<std::string>>(
         "--db-filter",
         [options](const std::vector<std::string>& filters) {
           options->from_db = true;
           options->db_filters = filters;
         },
         "Bench rows of the results store matching this filter (as `results --filter`: amp=bf16, "
         "'images_per_sec>100', device_name~H100; repeat to AND them; 'all' for every row)");
  cmd->add_option("--db", options->db, "Results database for --db-filter (default: as `trainbench results`)");
  cmd->add_option("--reference", options->references,
                  "Also show the workload's published figures (repeatable): " + core::join(reference_names()))
      ->check(one_of(reference_names()));
  cmd->add_option("-o,--output", options->output, "The report: FILE.html or FILE.md")->capture_default_str();
  cmd->callback([options, exit_code] { *exit_code = run_report(*options); });
}

}  // namespace trainbench::cli
