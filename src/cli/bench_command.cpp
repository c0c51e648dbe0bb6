#include <errno.h>  // program_invocation_name
#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>

#include "bench/bench_matrix.h"
#include "bench/bench_runner.h"
#include "bench/bench_session.h"
#include "bench/printers.h"
#include "bench/profile.h"
#include "bench/scaling.h"
#include "bench/scaling_runner.h"
#include "cli/commands.h"
#include "cli/image_limit_flag.h"
#include "cli/gradient_flags.h"
#include "cli/option_checks.h"
#include "cli/store_flags.h"
#include "cli/telemetry_flags.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/precision.h"
#include "core/text.h"
#include "core/threads.h"
#include "dist/communicator.h"
#include "dist/local_launcher.h"
#include "models/registry.h"
#include "train/data_parallel.h"

namespace trainbench::cli {
namespace {

struct BenchFlags {
  std::string models = "resnet18d";
  std::string devices = "auto";
  std::string image_sizes = "288";
  std::string batch_sizes = "32";
  std::string amps = "auto";
  std::string channels_last = "auto";
  std::string inputs = "synthetic";
  std::string workers = "0";  // 0: one per available core
  std::string mode = "train";
  bench::BenchOptions options;
  std::string data;
  double delay_seconds = 0.0;
  int threads = 0;
  std::string output_format = "md";
  std::string output_file;
  StoreFlags store;
  bool no_progress = false;
  bool quiet = false;  // no "bench: N tests" and "wrote N rows" lines (a parent reads the rows: train --standing)
  double telemetry_interval = telemetry::kDefaultIntervalSeconds;  // 0: none
  // Data-parallel (under launch, torchrun or srun), and --scaling N.
  std::string dist_backend = "auto";
  bool overlap = true;
  GradientFlags gradients;
  std::optional<int> dist_timeout;  // --dist-timeout when given; run_bench resolves it once (launch_environment.h)
  int scaling = 0;  // 0: one bench; N: the bench under 1..N local ranks
  bool profile = false;   // --profile: the device profile's tests instead of the matrix
  std::string rows_file;  // --rows: the bench rows as JSON, whatever table stdout gets
  // Matrix options given on the command line, which --profile refuses
  // (it chooses them itself), and whether the timing was left as it is.
  std::vector<std::string> matrix_options_given;
  bool timing_given = false;
  bool image_sizes_given = false;
};

// The sampler for the whole bench (null with --no-telemetry); a GPU source
// that is missing is said once on stderr.
std::unique_ptr<telemetry::Sampler> start_telemetry(double interval_seconds) {
  if (interval_seconds <= 0) return nullptr;
  std::vector<std::string> unavailable;
  auto sampler = std::make_unique<telemetry::Sampler>(telemetry::open_default_sources(&unavailable), interval_seconds);
  if (!unavailable.empty()) std::fprintf(stderr, "telemetry: not sampled: %s\n", core::join(unavailable, "; ").c_str());
  sampler->start();
  return sampler;
}

// A LIST option: each value is a comma-separated list, and repeating the
// option adds to it, as in llama-bench (`--amp off --amp bf16` is
// `--amp off,bf16`), instead of the last value replacing the others.
CLI::Option* add_list_option(CLI::App* cmd, const std::string& name, std::string* list, const std::string& help) {
  return cmd
      ->add_option_function<std::vector<std::string>>(
          name, [list](const std::vector<std::string>& values) { *list = core::join(values, ","); }, help)
      ->allow_extra_args(false)  // one value per use of the option, as for the others
      ->default_str(*list);
}

bench::BenchMatrix matrix_from(const BenchFlags& flags, const std::optional<dist::LaunchIdentity>& identity) {
  bench::BenchMatrix matrix;
  matrix.models = bench::parse_text_list(flags.models, "--model");
  matrix.devices = bench::parse_text_list(flags.devices, "--device");
  matrix.image_sizes = bench::parse_int_list(flags.image_sizes, "--img-size");
  matrix.batch_sizes = bench::parse_int_list(flags.batch_sizes, "-b/--batch-size");
  matrix.amps = bench::parse_text_list(flags.amps, "--amp");
  matrix.channels_last = bench::parse_layout_list(flags.channels_last);
  matrix.inputs = bench::parse_text_list(flags.inputs, "--input");
  // "0" (the default) is one worker per available core, as in `train`.
  matrix.workers = flags.workers == "0" ? std::vector<int>{train::rank_core_share(identity)}
                                        : bench::parse_int_list(flags.workers, "--workers");
  matrix.modes = bench::parse_modes(flags.mode);
  // Unknown names fail here, before any test runs, rather than as N failed rows.
  const std::vector<std::string> known = models::model_names();
  for (const std::string& model : matrix.models) {
    if (std::find(known.begin(), known.end(), model) == known.end()) {
      throw UsageError("--model: unknown model '" + model + "'; known: " + core::join(known));
    }
  }
  for (const std::string& amp : matrix.amps) {
    if (amp != "auto") (void)core::parse_amp_mode(amp);
  }
  return matrix;
}

// In a data-parallel job (torchrun's or Slurm's environment), this rank's
// place in it; null for a lone bench. Every rank runs on the one --device.
std::unique_ptr<train::DataParallel> join_bench_job(const BenchFlags& flags, const bench::BenchMatrix& matrix,
                                                    const std::optional<dist::LaunchIdentity>& identity) {
  if (!identity) {
    if (!flags.overlap) std::fprintf(stderr, "note: --no-overlap has no effect in a single process\n");
    return nullptr;
  }
  if (matrix.devices.size() != 1) {
    throw UsageError("--device: a data-parallel bench runs every rank on one kind of device; give one (got " +
                     core::join(matrix.devices) + ")");
  }
  train::DataParallelOptions options;
  options.backend = flags.dist_backend;
  options.gradients = train::gradient_reducer_options(flags.gradients.bucket_mb, flags.gradients.compression,
                                                      flags.gradients.find_unused_parameters);
  options.gradients.overlap = flags.overlap;
  options.timeout = std::chrono::seconds(flags.dist_timeout.value());
  const train::Execution execution = train::resolve_execution({matrix.devices.front(), "off", false}, identity);
  return train::join_data_parallel(options, execution.device, identity);
}

int run_scaling(const BenchFlags& flags, const std::optional<dist::LaunchIdentity>& identity);  // below

// The profile's timing when none was given: a few warm-up steps and about 10
// seconds of timed steps per test, so a CPU profiles in minutes and a GPU
// still times hundreds of steps.
constexpr int kProfileWarmupSteps = 3;
constexpr double kProfileTimedSeconds = 10.0;

// --profile: the family representatives of the catalog, at the device's
// best precision (resolved here, so a device whose best is fp32 runs each
// test once) and at fp32. -b and --img-size take one value each.
std::vector<bench::BenchCase> profile_tests(BenchFlags& flags, const std::optional<dist::LaunchIdentity>& identity) {
  if (identity) throw UsageError("--profile measures one process: run it alone, not under launch, torchrun or srun");
  if (!flags.matrix_options_given.empty()) {
    throw UsageError("--profile chooses the models, precisions, layouts, input and modes itself; drop " +
                     core::join(flags.matrix_options_given) + " (it takes --device, -b and --img-size)");
  }
  const std::vector<std::string> devices = bench::parse_text_list(flags.devices, "--device");
  const std::vector<int> batches = bench::parse_int_list(flags.batch_sizes, "-b/--batch-size");
  if (devices.size() != 1 || batches.size() != 1) {
    throw UsageError("--profile: give one --device and one -b (a profile is one device at one batch)");
  }
  bench::ProfileRequest request;
  for (const models::ModelInfo& info : models::model_catalog()) {
    if (info.represents_family) request.models.push_back({info.family, info.name, info.native_image_size});
  }
  request.device = devices.front();
  request.best_amp = core::to_string(train::resolve_execution({request.device, "auto", std::nullopt}, identity).amp);
  request.batch_size = batches.front();
  if (flags.image_sizes_given) {
    const std::vector<int> sizes = bench::parse_int_list(flags.image_sizes, "--img-size");
    if (sizes.size() != 1) throw UsageError("--profile: give one --img-size (or none: each model's native size)");
    request.image_size = sizes.front();
  }
  if (!flags.timing_given) {
    flags.options.warmup_steps = kProfileWarmupSteps;
    flags.options.timed_seconds = kProfileTimedSeconds;
  }
  return bench::profile_cases(request);
}

// "ResNet (resnet50), ViT (vit_small_patch16_224)": what --help says the profile measures.
std::string profile_families() {
  std::vector<std::string> families;
  for (const models::ModelInfo& info : models::model_catalog()) {
    if (info.represents_family) families.push_back(info.family + " (" + info.name + ")");
  }
  return core::join(families);
}

std::map<std::string, std::string> family_of_models() {
  std::map<std::string, std::string> families;
  for (const models::ModelInfo& info : models::model_catalog()) families[info.name] = info.family;
  return families;
}

int run_bench(BenchFlags flags) {
  // Who this process is in a data-parallel job: read once, passed down.
  const std::optional<dist::LaunchIdentity> identity = dist::read_launch_environment(dist::process_environment());
  // One source for the collective timeout: the flag given, else launch's, else 300.
  flags.dist_timeout = dist::resolve_collective_timeout(flags.dist_timeout, identity);
  if (flags.scaling > 0 && flags.profile) throw UsageError("--profile and --scaling are two different benches: give one");
  if (flags.scaling > 0) return run_scaling(flags, identity);
  const bench::OutputFormat format = bench::parse_output_format(flags.output_format);
  const bench::BenchMatrix matrix = matrix_from(flags, identity);
  const std::vector<bench::BenchCase> tests = flags.profile ? profile_tests(flags, identity) : bench::expand(matrix);
  flags.options.data = flags.data;
  bench::validate(flags.options, tests);
  core::configure_threads(flags.threads == 0 ? train::rank_core_share(identity) : flags.threads);
  core::install_interrupt_handlers();
  const std::unique_ptr<train::DataParallel> parallel = join_bench_job(flags, matrix, identity);
  flags.options.parallel = parallel.get();
  // Rank 0 speaks for a data-parallel job: the others print, store and
  // sample nothing (their errors still reach stderr).
  const bool speaks = !parallel || parallel->leads();
  std::optional<store::ResultsStore> results_store;
  if (speaks) results_store = open_store_for_writing(flags.store);
  if (speaks && !flags.quiet) {
    std::fprintf(stderr, "bench: %zu tests%s; Ctrl-C stops and prints the rows finished so far\n", tests.size(),
                 parallel ? (", " + std::to_string(parallel->world_size()) + " ranks over " + parallel->backend())
                                .c_str()
                          : "");
  }
  const std::unique_ptr<telemetry::Sampler> sampler = start_telemetry(speaks ? flags.telemetry_interval : 0.0);
  std::fflush(stderr);

  bench::BenchSessionResult session;
  {
    const bool live = speaks && !flags.no_progress && train::ProgressBoard::is_terminal(stderr);
    train::ProgressBoard board(speaks ? stderr : nullptr, live);
    session = bench::run_bench_session(tests, flags.options, board, sampler.get(),
                                       results_store ? &*results_store : nullptr, flags.delay_seconds);
  }
  const bool stopped = session.interrupted;
  const int failed = session.failed;
  if (!speaks) return stopped ? 128 + std::max(core::interrupt_signal(), SIGINT) : (failed > 0 ? 1 : 0);

  core::Table table{"bench_results", store::bench_columns(), {}};
  for (const store::BenchRow& row : session.rows) table.rows.push_back(store::to_row(row));
  if (!flags.rows_file.empty()) {
    core::write_file_atomically(flags.rows_file, bench::format_table(table, bench::OutputFormat::kJson));
    if (!flags.quiet) std::fprintf(stderr, "wrote %zu rows to %s\n", table.rows.size(), flags.rows_file.c_str());
  }
  const core::Table shown = flags.profile ? bench::profile_table(session.rows, family_of_models()) : table;
  const std::string text = bench::format_table(shown, format);
  if (flags.output_file.empty()) {
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
  } else {
    core::write_file_atomically(flags.output_file, text);
    if (!flags.quiet) std::fprintf(stderr, "wrote %zu rows to %s\n", shown.rows.size(), flags.output_file.c_str());
  }
  if (results_store) {
    std::fprintf(stderr, "stored %zu rows in %s\n", table.rows.size(), results_store->name().c_str());
  }
  if (stopped) {
    std::fprintf(stderr, "interrupted after %zu of %zu tests\n", table.rows.size(), tests.size());
    return 128 + std::max(core::interrupt_signal(), SIGINT);
  }
  if (failed > 0) std::fprintf(stderr, "%d of %zu tests failed\n", failed, tests.size());
  return failed > 0 ? 1 : 0;
}

// The bench each rank of a --scaling run gets: this one's tests and
// options, its table as JSON into `output`, nothing stored, drawn or sampled.
std::vector<std::string> rank_bench_command(const BenchFlags& flags, const std::string& output) {
  std::vector<std::string> args = {"bench",
                                   "--model", flags.models,
                                   "--device", flags.devices,
                                   "--img-size", flags.image_sizes,
                                   "--batch-size", flags.batch_sizes,
                                   "--amp", flags.amps,
                                   "--channels-last", flags.channels_last,
                                   "--input", flags.inputs,
                                   "--workers", flags.workers,
                                   "--mode", flags.mode,
                                   "--repetitions", std::to_string(flags.options.repetitions),
                                   "--warmup-steps", std::to_string(flags.options.warmup_steps),
                                   "--steps", std::to_string(flags.options.steps),
                                   "--seconds", core::format("%g", flags.options.timed_seconds),
                                   "--seed", std::to_string(flags.options.seed),
                                   "--threads", std::to_string(flags.threads),
                                   "--dist-backend", flags.dist_backend,
                                   "--dist-timeout", std::to_string(flags.dist_timeout.value()),
                                   "--output", "json",
                                   "--output-file", output,
                                   "--no-db", "--no-progress", "--no-telemetry"};
  if (!flags.data.empty()) args.insert(args.end(), {"--data", flags.data});
  if (flags.options.detail) args.push_back("--detail");
  if (flags.options.peak) args.push_back("--peak");
  if (!flags.overlap) args.push_back("--no-overlap");
  const std::vector<std::string> gradients = flags.gradients.as_arguments();
  args.insert(args.end(), gradients.begin(), gradients.end());
  return args;
}

// `bench --scaling N`: the same bench under `launch` with 1, 2, ... N local
// ranks, one after the other, and the table of how the job's images/s grew.
int run_scaling(const BenchFlags& flags, const std::optional<dist::LaunchIdentity>& identity) {
  if (identity) {
    throw UsageError("--scaling starts its own ranks (1 to N on this machine): run it alone, not under launch, "
                     "torchrun or srun");
  }
  const bench::OutputFormat format = bench::parse_output_format(flags.output_format);
  bench::BenchOptions checked = flags.options;
  checked.data = flags.data;
  const bench::BenchMatrix matrix = matrix_from(flags, identity);
  bench::validate(checked, bench::expand(matrix));
  if (matrix.devices.size() != 1) throw UsageError("--scaling: give one --device (every rank runs on its kind)");
  std::optional<store::ResultsStore> results_store = open_store_for_writing(flags.store);

  bench::ScalingSeries series = bench::run_scaling_series(
      flags.scaling, flags.dist_timeout.value(), [&](const std::string& output) { return rank_bench_command(flags, output); },
      "/proc/self/exe", program_invocation_name);
  const std::vector<store::BenchRow>& rows = series.rows;
  const int code = series.exit_code;
  if (rows.empty()) return code;

  if (results_store) {
    for (const store::BenchRow& row : rows) (void)results_store->insert_bench(row);
    std::fprintf(stderr, "stored %zu rows in %s\n", rows.size(), results_store->name().c_str());
  }
  const std::string text = bench::format_table(bench::scaling_table(rows), format);
  if (flags.output_file.empty()) {
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
  } else {
    core::write_file_atomically(flags.output_file, text);
    std::fprintf(stderr, "wrote the scaling table to %s\n", flags.output_file.c_str());
  }
  return code;
}

}  // namespace

void add_bench_command(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<BenchFlags>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Measure training (and inference) throughput over a matrix of settings. Every option below that says LIST "
      "takes comma-separated values and ranges (16-128*2 = 16,32,64,128; 32-96+32 = 32,64,96), and given twice adds "
      "to the list; the tests are their cartesian product. Each test builds a fresh model and optimizer, times its "
      "cold first step, runs the warm-up untimed, then reports images/s over timed windows (mean and sample "
      "standard deviation over repetitions). The table goes to stdout (progress to stderr); every row is also stored in the results "
      "database (see `trainbench results`). Exit code 1 when any test failed.");
  std::vector<CLI::Option*> matrix_options;  // what --profile chooses itself
  matrix_options.push_back(
      add_list_option(cmd, "--model", &flags->models, "LIST of architectures: " + core::join(models::model_names())));
  add_list_option(cmd, "--device", &flags->devices, "LIST of devices: auto, cpu, cuda[:N], xpu[:N], mps");
  CLI::Option* image_sizes =
      add_list_option(cmd, "--img-size", &flags->image_sizes, "LIST of square input sizes (pixels)");
  add_list_option(cmd, "-b,--batch-size", &flags->batch_sizes, "LIST of batch sizes");
  matrix_options.push_back(
      add_list_option(cmd, "--amp", &flags->amps,
                      "LIST of precisions: off, bf16, fp16, auto (the device's training default)")
          ->check(list_of({"auto", "off", "bf16", "fp16"})));
  matrix_options.push_back(add_list_option(cmd, "--channels-last", &flags->channels_last,
                                           "LIST of memory layouts: 1 (channels-last), 0 (contiguous), auto (the "
                                           "device's default)"));
  matrix_options.push_back(add_list_option(cmd, "--input", &flags->inputs,
                                           "LIST of inputs: synthetic (one random batch already on the device: the "
                                           "model alone) or real (the data pipeline from --data: decode, resize, "
                                           "copy, augment)"));
  matrix_options.push_back(add_list_option(cmd, "--workers", &flags->workers,
                                           "LIST of loader threads for real input (0: one per available core)"));
  matrix_options.push_back(
      cmd->add_option("--data", flags->data, "Image folder (DATA/<class>/*.jpg|png) for --input real"));
  matrix_options.push_back(cmd->add_option("--mode", flags->mode, "train, infer (eval mode, no gradients) or both")
                               ->capture_default_str()
                               ->check(one_of({"train", "infer", "both"})));
  std::vector<CLI::Option*> timing_options;  // when none is given, --profile times by its own defaults
  timing_options.push_back(cmd->add_option("-r,--repetitions", flags->options.repetitions, "Timed windows per test")
                               ->capture_default_str()
                               ->check(positive_whole_number()));
  timing_options.push_back(cmd->add_option("--warmup-steps", flags->options.warmup_steps,
                                           "Untimed steps first (the first is the cold step)")
                               ->capture_default_str()
                               ->check(positive_whole_number()));
  timing_options.push_back(cmd->add_option("--steps", flags->options.steps, "Timed steps per repetition")
                               ->capture_default_str()
                               ->check(positive_whole_number()));
  timing_options.push_back(
      cmd->add_option("--seconds", flags->options.timed_seconds,
                      "Instead of --steps: choose the timed steps per test from the warm-up's step time, so that all "
                      "its timed windows take about this many seconds (a slow CPU then times a few steps, a GPU many)")
          ->check(non_negative_number("seconds; 0: use --steps")));
  cmd->add_flag("--profile", flags->profile,
                "The device profile: one model of each family (" + profile_families() +
                    ") at its native size (or --img-size), trained and run for inference at the device's best "
                    "precision and at fp32, in its default layout, at one -b. Prints a line per model and precision: "
                    "train and infer images/s, achieved TFLOP/s (the figure that compares across families) and peak "
                    "memory. Unless timing options are given: " +
                    std::to_string(kProfileWarmupSteps) + " warm-up steps and about " +
                    core::format("%g", kProfileTimedSeconds) +
                    " s of timed steps per test. Rows are stored as any bench's; --rows keeps them for `compare` "
                    "and `report --bench`");
  cmd->add_option("--rows", flags->rows_file,
                  "Also write the bench rows as JSON to this file (what `compare` and `report --bench` read), "
                  "whatever table stdout gets");
  cmd->add_option("--delay", flags->delay_seconds, "Seconds to wait between tests (lets a GPU cool down)")
      ->capture_default_str()->check(non_negative_number("seconds"));
  cmd->add_flag("--detail", flags->options.detail,
                "Also time each phase of a step (data wait, forward, backward, optimizer) with the device "
                "synchronised between phases, over extra steps after the timed ones");
  cmd->add_flag("--peak", flags->options.peak,
                "Also measure the device's matrix-product rate in each precision, and each test's share of it");
  cmd->add_flag("!--no-retry", flags->options.retry_oom, "On out of memory, fail the test instead of halving the batch");
  cmd->add_option("--threads", flags->threads, "Compute threads (0: one per available core)")
      ->capture_default_str()->check(non_negative_whole_number("0: one per available core"));
  cmd->add_option("--seed", flags->options.seed, "Seed of the weights and the synthetic batch")
      ->capture_default_str()->check(non_negative_whole_number({}, UINT64_MAX));
  cmd->add_option("-o,--output", flags->output_format, "Table format: md, csv, json, jsonl, sql")
      ->capture_default_str()->check(one_of({"md", "csv", "json", "jsonl", "sql"}, {}, {"markdown"}));
  cmd->add_option("--output-file", flags->output_file, "Write the table to this file instead of stdout");
  add_store_flags(cmd, &flags->store);
  add_telemetry_flags(cmd, &flags->telemetry_interval);
  add_max_image_pixels_flag(cmd);
  cmd->add_flag("--no-progress", flags->no_progress, "No live progress bars (plain lines on stderr)");
  const char* kParallel =
      "Data-parallel (under `trainbench launch`, torchrun or srun: every rank runs each test in step, -b images "
      "each, gradients averaged as in train; rank 0 prints the job's images/s, each rank's, and the all-reduce wait)";
  cmd->add_option("--scaling", flags->scaling,
                  "Run the bench under 1, 2, ... N local ranks in turn (as `launch --nproc-per-node K`, the cores "
                  "shared between them, or a GPU each) and print each world size's images/s and its efficiency "
                  "against K x one rank's")
      ->check(positive_whole_number("local ranks"))
      ->group(kParallel);
  cmd->add_option("--dist-backend", flags->dist_backend, "auto (NCCL for CUDA devices, Gloo otherwise), gloo or nccl")
      ->capture_default_str()
      ->check(one_of({"auto", "gloo", "nccl"}))
      ->group(kParallel);
  cmd->add_flag("!--no-overlap", flags->overlap,
                "All-reduce the gradients after the backward pass instead of during it, bucket by bucket (to "
                "measure what the overlap gains, with --detail's backward ms and the all-reduce wait)")
      ->group(kParallel);
  add_gradient_flags(cmd, &flags->gradients, kParallel);
  auto dist_timeout = std::make_shared<int>(dist::kDefaultCollectiveTimeoutSeconds);
  CLI::Option* dist_timeout_option =
      cmd->add_option("--dist-timeout", *dist_timeout,
                      "Seconds a rank waits for the others (rendezvous, each collective) before failing. Given here it "
                      "wins; else what `launch --timeout` passed; else 300")
          ->check(positive_whole_number("seconds"))
          ->group(kParallel);
  // For tests: makes batches above N fail as out of memory, to exercise the
  // back-off on a machine that has plenty.
  cmd->add_option("--simulate-oom-above", flags->options.simulate_oom_above)->group("");
  // For a parent process that reads the rows itself (train --standing).
  cmd->add_flag("--quiet", flags->quiet)->group("");
  cmd->callback([flags, dist_timeout, dist_timeout_option, matrix_options, timing_options, image_sizes, exit_code] {
    if (dist_timeout_option->count() > 0) flags->dist_timeout = *dist_timeout;
    for (const CLI::Option* option : matrix_options) {
      if (option->count() > 0) flags->matrix_options_given.push_back(option->get_name());
    }
    for (const CLI::Option* option : timing_options) flags->timing_given = flags->timing_given || option->count() > 0;
    flags->image_sizes_given = image_sizes->count() > 0;
    *exit_code = run_bench(*flags);
  });
}

}  // namespace trainbench::cli
