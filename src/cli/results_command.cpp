// `trainbench results`: lists what the results store holds, through the same
// printers as `bench`, so a stored row reads like a fresh one; `results
// export` and `results import` move rows between stores as bundles
// (store/result_bundle.h).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <utility>

#include "bench/printers.h"
#include "cli/commands.h"
#include "cli/option_checks.h"
#include "core/atomic_file.h"
#include "core/build_info.h"
#include "core/error.h"
#include "core/provenance.h"
#include "core/text.h"
#include "dist/network_checks.h"
#include "store/result_bundle.h"
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

// ---- export and import: bundles ----

struct ExportOptions {
  std::string db;  // empty: the listing's --db, else store::default_database_path()
  std::string out;
  std::string kind = "all";
  std::vector<std::string> filters;
  bool overwrite = false;
};

struct ImportOptions {
  std::string db;
  std::vector<std::string> files;
};

// A SQLite file or a postgresql:// URL.
std::string database_location(const std::string& own, const std::string& listing) {
  if (!own.empty()) return own;
  if (!listing.empty()) return listing;  // `results --db FILE export ...`
  return store::default_database_path().string();
}

// What this build's store keeps: what a bundle is checked against.
store::BundleSchema this_build_bundle_schema() {
  return {store::newest_schema_version(), store::stored_columns(store::ResultKind::kBench),
          store::stored_columns(store::ResultKind::kTrain)};
}

int run_export(const ExportOptions& options, const std::string& listing_db) {
  const std::string location = database_location(options.db, listing_db);
  if (!store::database_exists(location)) {
    throw UsageError("no results database at " + location +
                     (options.db.empty() && listing_db.empty() ? " (nothing has been stored yet)"
                                                               : " (--db names a file that `bench` or `train` stored results in)"));
  }
  std::error_code error;
  if (fs::exists(options.out, error) && !options.overwrite) {
    throw UsageError(options.out + " exists; pass --overwrite to replace it");
  }
  std::vector<store::Filter> filters;
  for (const std::string& text : options.filters) filters.push_back(store::parse_filter(text));

  const store::ResultsStore results = store::ResultsStore::open(location);
  store::ResultBundle bundle;
  bundle.schema_version = results.schema_version();
  bundle.exported_at = core::utc_timestamp_now();
  bundle.exported_from = {dist::this_host_name(), TRAINBENCH_VERSION, core::git_commit()};
  try {
    if (options.kind != "train") bundle.bench = results.export_rows(store::ResultKind::kBench, filters);
    if (options.kind != "bench") bundle.train = results.export_rows(store::ResultKind::kTrain, filters);
  } catch (const UsageError& e) {
    if (options.kind != "all" || filters.empty()) throw;
    throw UsageError(std::string(e.what()) +
                     " (with --kind all each filter applies to bench rows and training runs both: pass --kind bench "
                     "or --kind train)");
  }
  const std::string text = store::serialize_result_bundle(bundle);
  // Checked as `import` will check it: a bundle that cannot be imported is not written.
  try {
    store::parse_result_bundle(text, this_build_bundle_schema(), options.out);
  } catch (const UsageError& e) {
    throw StoreError(std::string("not exported, the bundle would be refused on import: ") + e.what());
  }
  core::write_file_atomically(options.out, text);
  std::printf("wrote %zu bench rows and %zu training runs from %s to %s (%.1f KB)\n", bundle.bench.size(),
              bundle.train.size(), results.name().c_str(), options.out.c_str(), static_cast<double>(text.size()) / 1e3);
  return 0;
}

int run_import(const ImportOptions& options, const std::string& listing_db) {
  // Every file is read and checked before the store is opened: one bad bundle changes nothing.
  const store::BundleSchema schema = this_build_bundle_schema();
  std::vector<std::pair<std::string, store::ResultBundle>> bundles;
  for (const std::string& file : options.files) bundles.emplace_back(file, store::read_result_bundle(file, schema));

  store::ResultsStore results = store::ResultsStore::open(database_location(options.db, listing_db));
  for (const auto& [file, bundle] : bundles) {
    store::ImportCounts bench, train;
    if (!bundle.bench.empty()) bench = results.import_rows(store::ResultKind::kBench, bundle.bench);
    if (!bundle.train.empty()) train = results.import_rows(store::ResultKind::kTrain, bundle.train);
    std::printf("%s: %zu new bench rows, %zu new runs, %zu already present\n", file.c_str(), bench.inserted,
                train.inserted, bench.already_present + train.already_present);
  }
  std::printf("into %s\n", results.name().c_str());
  return 0;
}

void add_export_subcommand(CLI::App* results, const std::shared_ptr<ResultsOptions>& listing, int* exit_code) {
  auto options = std::make_shared<ExportOptions>();
  CLI::App* cmd = results->add_subcommand(
      "export",
      "Write stored bench rows and training runs to a bundle, one JSON file (name it *.tbr.json) that `trainbench "
      "results import` adds to another machine's store. Every stored column goes with each row (provenance, and a "
      "run's summary.json and config.json), no ids: rows are known by their row_uid, so importing one twice adds it "
      "once.");
  cmd->add_option("--out", options->out, "Bundle file to write (replaced atomically; see --overwrite)")->required();
  cmd->add_option("--kind", options->kind, "What to export: bench rows, training runs or all")
      ->capture_default_str()
      ->check(one_of({"bench", "train", "all"}));
  cmd->add_option("--filter", options->filters,
                  "COLUMN OP VALUE as for `results` (ANDed; with --kind all a column both kinds have); repeatable");
  cmd->add_option("--db", options->db, "Results database to read (default: as for `results`)");
  cmd->add_flag("--overwrite", options->overwrite, "Replace an existing --out file");
  cmd->callback([options, listing, exit_code] { *exit_code = run_export(*options, listing->db); });
}

void add_import_subcommand(CLI::App* results, const std::shared_ptr<ResultsOptions>& listing, int* exit_code) {
  auto options = std::make_shared<ImportOptions>();
  CLI::App* cmd = results->add_subcommand(
      "import",
      "Add the rows of bundles written by `trainbench results export` to the results database. Every file is "
      "checked whole first (format, version, every row's columns and types, sizes): a bad one is reported and "
      "nothing is imported. Rows the database already holds (same row_uid) are skipped, so importing a bundle "
      "again adds nothing. Prints, per file, the new bench rows, the new runs and those already present.");
  cmd->add_option("files", options->files, "Bundle files (*.tbr.json)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--db", options->db, "Results database to add to (default: as for `results`; created if missing)");
  cmd->callback([options, listing, exit_code] { *exit_code = run_import(*options, listing->db); });
}

}  // namespace

void add_results_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<ResultsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "results",
      "List the bench rows and training runs stored in the results database, oldest first "
      "(filters are ANDed: --filter amp=bf16 --filter 'images_per_sec>100'); `results export` and `results import` "
      "move them to another machine's database as a bundle file.");
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
  add_export_subcommand(cmd, options, exit_code);
  add_import_subcommand(cmd, options, exit_code);
  // CLI11 runs this after a sub-command's callback: the listing is what runs when none was given.
  cmd->callback([options, exit_code, cmd] {
    if (cmd->get_subcommands().empty()) *exit_code = run_results(*options);
  });
}

}  // namespace trainbench::cli
