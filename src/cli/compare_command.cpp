#include <cstdio>
#include <memory>

#include "bench/compare.h"
#include "bench/compare_inputs.h"
#include "bench/compare_report.h"
#include "bench/reference_figures.h"
#include "cli/commands.h"
#include "cli/option_checks.h"
#include "core/error.h"
#include "store/results_store.h"

namespace trainbench::cli {
namespace {

struct CompareOptions {
  std::vector<std::string> inputs;
  std::string reference;
  std::string database;
  std::string output = "md";
  bench::CompareOptions compare;  // --normalise
};

// Two sides with one name (two folders called "run") would make the table
// unreadable: fall back to the arguments as typed, then to A and B.
void make_labels_distinct(std::string* a, std::string* b, const std::string& a_argument, const std::string& b_argument) {
  if (*a != *b) return;
  *a = a_argument;
  *b = b_argument;
  if (*a == *b) {
    *a += " (A)";
    *b += " (B)";
  }
}

bench::Comparison compare_two(const std::string& a_argument, const std::string& b_argument,
                              const std::filesystem::path& database, const bench::CompareOptions& options) {
  bench::CompareInput a = bench::load_compare_input(a_argument, database);
  bench::CompareInput b = bench::load_compare_input(b_argument, database);
  if (a.kind != b.kind) {
    throw UsageError("cannot compare a training run with bench rows ('" + a_argument + "' and '" + b_argument +
                     "'): give two run folders (or train:ID) or two bench files (or bench row ids)");
  }
  if (a.kind == bench::CompareInput::Kind::kTrainingRun) {
    make_labels_distinct(&a.training.label, &b.training.label, a_argument, b_argument);
    return bench::compare_training_runs(a.training, b.training, options);
  }
  make_labels_distinct(&a.bench.label, &b.bench.label, a_argument, b_argument);
  return bench::compare_benches(a.bench, b.bench);
}

bench::Comparison compare_with_reference(const std::string& name, const std::string& argument,
                                         const std::filesystem::path& database, const bench::CompareOptions& options) {
  const bench::ReferenceFigures& reference = bench::find_reference(name);
  const bench::CompareInput input = bench::load_compare_input(argument, database);
  if (input.kind == bench::CompareInput::Kind::kTrainingRun) {
    return bench::compare_training_runs(reference.side, input.training, options);
  }
  return bench::compare_reference_with_bench(reference.side, input.bench, options);
}

int run_compare(const CompareOptions& options) {
  const bench::CompareFormat format = bench::parse_compare_format(options.output);
  if (options.reference == "list") {
    std::printf("%s", bench::format_reference_list().c_str());
    return 0;
  }
  const std::filesystem::path database =
      options.database.empty() ? store::default_database_path() : std::filesystem::path(options.database);
  bench::Comparison comparison;
  if (!options.reference.empty()) {
    if (options.inputs.size() != 1) {
      throw UsageError("compare --reference " + options.reference +
                       " takes one run to hold against it (a run folder, a bench file or a stored id), got " +
                       std::to_string(options.inputs.size()));
    }
    comparison = compare_with_reference(options.reference, options.inputs[0], database, options.compare);
  } else {
    if (options.inputs.size() != 2) {
      throw UsageError("compare takes two results, A and B (run folders, bench JSON files or stored ids), or "
                       "--reference NAME and one; got " + std::to_string(options.inputs.size()));
    }
    comparison = compare_two(options.inputs[0], options.inputs[1], database, options.compare);
  }
  std::printf("%s", bench::format_comparison(comparison, format).c_str());
  return 0;  // a slower B is a finding, not a failure
}

}  // namespace

void add_compare_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "Put two results side by side: throughput with the ratio B/A and whether the difference is larger than the "
      "run-to-run spread; for training runs also final loss and accuracy against seed-to-seed noise. A and B are run "
      "folders, bench JSON/JSONL files (`bench -o json`), stored bench row ids (ID or bench:ID) or stored training "
      "runs (train:ID). `--reference titan-rtx RUN` holds a run against the reference workload's published figures. "
      "Only the same work (model, image size, batch, mode) gets a faster/slower verdict; otherwise the differing "
      "settings are listed instead.");
  cmd->add_option("inputs", options->inputs, "A and B (or one result with --reference)");
  cmd->add_option("--reference", options->reference,
                  "Compare with published figures of the reference workload: titan-rtx, arc-a770, "
                  "arc-a770-blocked-layout, arc-a770-wsl, arc-a770-wsl-windows-drive; `list` shows them");
  cmd->add_option("--db", options->database,
                  "Results database for stored ids: a SQLite file or a postgresql:// URL (default: $TRAINBENCH_DB, "
                  "else ~/.local/share/trainbench/results.db)");
  cmd->add_option("-o,--output", options->output, "Output format: md or json")
      ->capture_default_str()
      ->check(one_of({"md", "json"}));
  cmd->add_flag("--normalise,--normalize", options->compare.normalise,
                "Between different work (model, image size, batch or mode differ, which otherwise get no verdict): "
                "estimate B at A's work from the FLOP/s B achieved and the FLOPs per image of each, labelled as an "
                "estimate");
  cmd->callback([options, exit_code] { *exit_code = run_compare(*options); });
}

}  // namespace trainbench::cli
