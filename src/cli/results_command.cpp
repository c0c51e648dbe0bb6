// `trainbench results`: lists what the results store holds, through the same
// printers as `bench`, so a stored row reads like a fresh one.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "bench/printers.h"
#include "cli/commands.h"
#include "cli/option_checks.h"
#include "core/error.h"
#include "core/text.h"
#include "store/results_store.h"

namespace trainbench::cli {
namespace {

namespace fs = std::filesystem;

struct ResultsOptions {
  std::string db;  // empty: store::default_database_path()
  std::string kind = "bench";
  std::vector<std::string> filters;
  int last = 0;
  std::string output = "md";
};

// Nothing to list is not a failure: markdown says so on stdout; the machine
// formats print their empty form there (a csv header, "[]") so a script
// still parses it, and say why on stderr.
void print_nothing(const core::Table& empty_table, bench::OutputFormat format, const std::string& message) {
  if (format == bench::OutputFormat::kMarkdown) {
    std::printf("%s\n", message.c_str());
    return;
  }
  std::fprintf(stderr, "%s\n", message.c_str());
  std::printf("%s", bench::format_table(empty_table, format).c_str());
}

int run_results(const ResultsOptions& options) {
  const bench::OutputFormat format = bench::parse_output_format(options.output);
  const store::ResultKind kind = options.kind == "train" ? store::ResultKind::kTrain : store::ResultKind::kBench;
  std::vector<store::Filter> filters;
  for (const std::string& text : options.filters) filters.push_back(store::parse_filter(text));
  const fs::path path = options.db.empty() ? store::default_database_path() : fs::path(options.db);
  const std::string what = kind == store::ResultKind::kBench ? "bench results" : "training runs";

  if (!store::database_exists(path)) {
    // Listing must not create an empty database where a mistyped --db points.
    if (!options.db.empty()) {
      throw UsageError("no results database at " + path.string() +
                       " (--db names a file that `bench` or `train` stored results in)");
    }
    core::Table empty{kind == store::ResultKind::kBench ? "bench_results" : "train_runs",
                       {{"id", core::ColumnType::kInteger, ""}}, {}};
    const std::vector<core::Column>& columns =
        kind == store::ResultKind::kBench ? store::bench_columns() : store::train_columns();
    empty.columns.insert(empty.columns.end(), columns.begin(), columns.end());
    print_nothing(empty, format, "no stored " + what + " in " + path.string() + " (nothing has been stored yet)");
    return 0;
  }
  const store::ResultsStore store = store::ResultsStore::open(path);
  const core::Table table = store.query(kind, filters, options.last);
  if (table.rows.empty()) {
    // store.name(): a server's URL without its password.
    const std::string message =
        filters.empty() ? "no stored " + what + " in " + store.name()
                        : "no stored " + what + " in " + store.name() + " match " + core::join(options.filters, " and ");
    print_nothing(table, format, message);
    return 0;
  }
  std::printf("%s", bench::format_table(table, format).c_str());
  return 0;
}

}  // namespace

void add_results_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<ResultsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "results",
      "List the bench rows and training runs stored in the results database, oldest first "
      "(filters are ANDed: --filter amp=bf16 --filter 'images_per_sec>100').");
  cmd->add_option("--db", options->db,
                  "Results database: a SQLite file or a postgresql://user@host/db URL (default: $TRAINBENCH_DB, "
                  "else $XDG_DATA_HOME/trainbench/results.db, else ~/.local/share/trainbench/results.db)");
  cmd->add_option("--kind", options->kind, "What to list: bench rows or train runs")
      ->capture_default_str()
      ->check(one_of({"bench", "train"}));
  cmd->add_option("--filter", options->filters,
                  "COLUMN OP VALUE with OP one of = != < > <= >= ~ (substring, any case); repeatable");
  cmd->add_option("--last", options->last, "Only the newest N (0: all)")
      ->check(non_negative_whole_number("0: all"));
  cmd->add_option("-o,--output", options->output, "Output format: md, csv, json, jsonl, sql")
      ->capture_default_str()
      ->check(one_of({"md", "csv", "json", "jsonl", "sql"}, {}, {"markdown"}));
  cmd->callback([options, exit_code] { *exit_code = run_results(*options); });
}

}  // namespace trainbench::cli
