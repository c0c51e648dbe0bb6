#include <algorithm>
#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>

#include "bench/standing.h"
#include "cli/after_training.h"
#include "cli/commands.h"
#include "cli/execution_flags.h"
#include "cli/image_limit_flag.h"
#include "cli/gradient_flags.h"
#include "cli/option_checks.h"
#include "cli/store_flags.h"
#include "cli/telemetry_flags.h"
#include "core/device.h"
#include "core/error.h"
#include "train/run_folder.h"
#include "core/interrupt.h"
#include "core/text.h"
#include "dist/launch_environment.h"
#include "models/registry.h"
#include "telemetry/telemetry_log.h"
#include "train/data_parallel.h"
#include "train/trainer.h"

namespace trainbench::cli {
namespace {

// runs/<model>-<UTC time> when --output is not given.
std::string default_output(const std::string& model) {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &utc);
  return "runs/" + model + "-" + stamp;
}

// Adds the finished (or interrupted) run to the results store: its
// summary.json and config.json as the record holds them (settings resolved:
// device, amp, layout) and the provenance the run wrote.
void store_run(const train::RunRecord& run, const StoreFlags& flags) {
  std::optional<store::ResultsStore> results = open_store_for_writing(flags);
  if (!results) return;
  const std::filesystem::path run_dir = std::filesystem::absolute(run.folder);
  store::TrainRecord record;
  record.run_dir = run_dir.string();
  record.summary = train::to_json(run.finished_summary());
  record.config = train::to_json(run.settings());
  if (run.provenance) record.provenance = *run.provenance;
  try {
    const std::int64_t id = results->insert_train(record);
    results->insert_telemetry(store::ResultKind::kTrain, id,
                              telemetry::read_telemetry_log(run_dir / train::RunFiles::kTelemetry));
    std::printf("  stored as train:%lld in %s\n", static_cast<long long>(id), results->name().c_str());
  } catch (const Error& error) {
    std::fprintf(stderr, "trainbench: warning: run not stored: %s\n", error.what());
  }
}

// Where the run stands against the published cards, its report, and what to
// run next. A run that could not be compared or reported still succeeded: say
// why and go on.
void tell_what_the_run_shows(const train::RunRecord& run, bool write_report, const bench::Standing* measured) {
  try {
    const std::string standing = format_reference_standing(run, measured, program_invocation_name);
    if (!standing.empty()) std::printf("\n%s", standing.c_str());
  } catch (const Error& error) {
    std::fprintf(stderr, "trainbench: warning: no comparison with the published figures: %s\n", error.what());
  }
  if (write_report) {
    try {
      std::printf("  report: %s\n", write_run_report(run).c_str());
    } catch (const Error& error) {
      std::fprintf(stderr, "trainbench: warning: report.html not written: %s\n", error.what());
    }
  }
  // program_invocation_name is argv[0] as typed ("build/trainbench"), so the
  // commands can be pasted as they are.
  std::printf("\n%s", format_next_commands(program_invocation_name).c_str());
}

// What `train --resume RUN_DIR` does: the run's own settings (only the
// display flags of this invocation are kept), and whether there is anything
// to continue. Returns nullopt when the run is finished (said on stdout).
std::optional<train::TrainConfig> resume_config(const std::filesystem::path& run_dir, const train::TrainConfig& flags,
                                                bool* from_checkpoint) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_regular_file(run_dir / train::RunFiles::kConfig, error)) {
    throw UsageError("--resume " + run_dir.string() + ": not a run folder (no config.json)");
  }
  const train::RunRecord run = train::load_run_record(run_dir);
  train::TrainConfig config = *run.config;
  config.output = run_dir;
  config.progress = flags.progress;
  if (run.summary && !run.summary->interrupted && run.summary->stopped.empty()) {
    std::printf("%s is finished (%d epochs, %lld steps): nothing to resume\n", run_dir.c_str(), run.summary->epochs,
                static_cast<long long>(run.summary->steps));
    return std::nullopt;
  }
  *from_checkpoint = fs::is_regular_file(run_dir / train::RunFiles::kCheckpoint, error);
  if (!*from_checkpoint) {
    std::printf("%s has no checkpoint yet: starting it again from the beginning\n", run_dir.c_str());
    config.overwrite = true;
  }
  return config;
}

// train --standing: the cards' own work measured on the run's device once the
// run is over (about a minute on a slow CPU), each precision by `bench` in a
// fresh process, so the verdicts compare the same work as `bench` alone does.
std::optional<bench::Standing> measure_cards_work(const train::RunSummary& summary,
                                                  const bench::StandingOptions& options) {
  std::printf("\nMeasuring the published cards' work here (%s, %d px, batch %d) for a like-for-like standing:\n",
              bench::kCardModel, bench::kCardImageSize, bench::kCardBatchSize);
  std::fflush(stdout);
  return bench::measure_standing(core::resolve_device(summary.device), program_invocation_name, options);
}

int run_train(train::TrainConfig config, std::optional<int> dist_timeout_flag, const StoreFlags& store_flags,
              const std::string& resume, bool write_report, bool measure_standing,
              const bench::StandingOptions& standing_options) {
  // Who this process is in a data-parallel job: read once, passed down.
  const std::optional<dist::LaunchIdentity> identity = dist::read_launch_environment(dist::process_environment());
  bool from_checkpoint = false;
  if (!resume.empty()) {
    const std::optional<train::TrainConfig> resumed = resume_config(resume, config, &from_checkpoint);
    if (!resumed) return 0;
    config = *resumed;
  } else if (config.data.empty()) {
    throw UsageError("--data is required (or --resume RUN_DIR to continue a run)");
  }
  if (config.output.empty()) config.output = default_output(config.model);
  // One source for the collective timeout: the flag given, else launch's,
  // else 300 (a resumed run: its own).
  config.dist_timeout = dist::resolve_collective_timeout(
      dist_timeout_flag, identity, resume.empty() ? dist::kDefaultCollectiveTimeoutSeconds : config.dist_timeout);
  // In a data-parallel job rank 0 speaks for all: the other ranks draw no
  // bars and print, store and report nothing (their errors still reach stderr).
  if (identity && identity->rank != 0) {
    train::RunRecord run;
    {
      train::ProgressBoard board(nullptr, /*live=*/false);
      run = train::run_training(config, identity, board, from_checkpoint);
    }
    if (run.summary->interrupted) return 128 + std::max(core::interrupt_signal(), SIGINT);
    return run.summary->stopped.empty() ? 0 : 1;
  }
  const bool live = config.progress && train::ProgressBoard::is_terminal(stdout);
  train::RunRecord run;
  {
    train::ProgressBoard board(stdout, live);
    run = train::run_training(config, identity, board, from_checkpoint);
  }
  const train::RunSummary& summary = run.finished_summary();
  std::printf("\n%s", train::format_summary_text(summary).c_str());
  std::printf("  run folder: %s\n", run.folder.c_str());
  store_run(run, store_flags);
  std::optional<bench::Standing> standing;
  if (measure_standing && !summary.interrupted && summary.train_images_per_sec > 0) {
    try {
      standing = measure_cards_work(summary, standing_options);
    } catch (const Error& error) {
      std::fprintf(stderr, "trainbench: warning: the cards' work was not measured: %s\n", error.what());
    }
  }
  tell_what_the_run_shows(run, write_report, standing ? &*standing : nullptr);
  std::fflush(stdout);
  if (summary.interrupted) return 128 + core::interrupt_signal();
  return summary.stopped.empty() ? 0 : 1;
}

}  // namespace

void add_train_command(CLI::App& app, int* exit_code) {
  auto config = std::make_shared<train::TrainConfig>();
  CLI::App* cmd = app.add_subcommand(
      "train", "Train a classifier on an image folder (one sub-folder per class) with live progress.\n"
               "Defaults reproduce the reference workload: resnet18d, 288 px, batch 32, 3 epochs, AdamW + OneCycle.");
  std::string output;
  auto resume = std::make_shared<std::string>();
  cmd->add_option("--data", config->data, "Image folder to train on: DATA/<class>/*.jpg|png (required unless --resume)");
  cmd->add_option("--resume", *resume,
                  "Continue the run in this folder from its last checkpoint, with its own settings (no other flag "
                  "needed; on a CPU it ends bitwise equal to a run never stopped). A run with no checkpoint yet "
                  "starts again; a finished run says so")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--val-data", config->val_data, "Separate validation folder (default: split --data)");
  cmd->add_option("--val-split", config->val_split, "Fraction of --data held out for validation")
      ->capture_default_str()->check(number_in(0.0, 1.0, "the fraction of --data held out"));
  cmd->add_option("--model", config->model, "Architecture: " + core::join(models::model_names()))->capture_default_str();
  cmd->add_option("--img-size", config->image_size, "Square input size after ResizePad (pixels)")
      ->capture_default_str()->check(whole_number_in(8, 4096, "pixels"));
  cmd->add_option("-b,--batch-size", config->batch_size, "Images per batch")->capture_default_str()->check(positive_whole_number());
  cmd->add_option("--accumulate", config->accumulate,
                  "Gradient accumulation: each optimizer step sums the gradients of N micro-batches of -b images "
                  "(a step's batch is N x B, each forward pass holds B); data-parallel ranks average once per step")
      ->capture_default_str()
      ->check(positive_whole_number("micro-batches per step", 4096));
  cmd->add_option("--epochs", config->epochs, "Passes over the training set")->capture_default_str()->check(positive_whole_number());
  cmd->add_option("--lr", config->lr, "Peak learning rate of the OneCycle schedule")
      ->capture_default_str()->check(positive_number("the peak learning rate, e.g. 1e-3"));
  cmd->add_option("--weight-decay", config->weight_decay, "AdamW weight decay")
      ->capture_default_str()->check(non_negative_number("e.g. 0.01"));
  cmd->add_option("--seed", config->seed, "Seed for the split, sample order and initial weights")
      ->capture_default_str()->check(non_negative_whole_number({}, UINT64_MAX));
  cmd->add_option("--workers", config->workers, "Loader threads (0: one per available core)")
      ->capture_default_str()->check(non_negative_whole_number("0: one per available core"));
  cmd->add_option("--prefetch", config->prefetch_per_worker, "Batches each worker may prepare ahead")
      ->capture_default_str()->check(positive_whole_number());
  cmd->add_option("--threads", config->threads, "Compute threads (0: all available cores)")
      ->capture_default_str()->check(non_negative_whole_number("0: all available cores"));
  add_execution_flags(cmd, &config->device, &config->amp, &config->channels_last,
                      "auto is the workload's choice: fp16 on NVIDIA GPUs, bf16 on Intel XPU and Apple MPS, off on CPUs.");
  cmd->add_option("--augment", config->augment,
                  "Training-batch augmentation, on the device: trivial-wide (the workload's TrivialAugmentWide, "
                  "translations up to 32 px whatever the image size), trivial-wide-scaled (the same, translations "
                  "scaled to the image: 32 px at 224, 4 px at 28) or none; validation is never augmented")
      ->capture_default_str()
      ->check(one_of({"trivial-wide", "trivial-wide-scaled", "none"}));
  cmd->add_flag("!--no-cudnn-benchmark", config->cudnn_benchmark,
                "CUDA: use cuDNN's default convolution algorithms instead of timing them per shape");
  cmd->add_option("--pretrained", config->pretrained,
                  "Start from these weights: a .safetensors file with timm or torchvision ResNet names "
                  "(e.g. timm's resnet18d.ra2_in1k); a head for another class count is re-initialised")
      ->check(CLI::ExistingFile);
  cmd->add_option("--pretrained-strict", config->pretrained_strict,
                  "on: any other missing, unexpected or mis-shaped tensor is an error; off: load what fits and warn")
      ->default_str(config->pretrained_strict ? "on" : "off")
      ->check(one_of({"on", "off"}));
  cmd->add_option("-o,--output", config->output, "Run folder to write (default: runs/<model>-<UTC time>)");
  cmd->add_option("--max-steps", config->max_steps, "Stop after this many optimizer steps (0: no limit); the schedule spans them")
      ->capture_default_str()->check(non_negative_whole_number("0: no limit", INT64_MAX));
  cmd->add_flag("--overwrite", config->overwrite, "Reuse a non-empty run folder, replacing its results");
  cmd->add_option("--checkpoint-every", config->checkpoint_every,
                  "Also write a checkpoint every N steps within an epoch (one is always written after each epoch, "
                  "and on Ctrl-C/SIGTERM); 0: at epoch ends only")
      ->capture_default_str()
      ->check(non_negative_whole_number("steps; 0: at epoch ends only", INT64_MAX));
  cmd->add_flag("!--no-progress", config->progress, "Print one line per pass instead of live bars");
  const char* kParallel = "Data-parallel (under `trainbench launch`, torchrun or srun; each rank takes -b images a step)";
  cmd->add_option("--dist-backend", config->dist_backend,
                  "auto (NCCL for CUDA devices, Gloo otherwise), gloo or nccl")
      ->capture_default_str()
      ->check(one_of({"auto", "gloo", "nccl"}))
      ->group(kParallel);
  cmd->add_flag("--sync-bn", config->sync_bn,
                "Batch norm over all ranks' batches together (SyncBatchNorm): N ranks of -b B then train like one "
                "process of -b N*B; default: each rank's own batch, as DDP does")
      ->group(kParallel);
  cmd->add_flag("!--no-broadcast-buffers", config->broadcast_buffers,
                "Keep each rank's own batch-norm running statistics; default: rank 0's go to every rank before each "
                "forward pass and before evaluating (DDP's default), so the job evaluates the model it saves")
      ->group(kParallel);
  auto gradients = std::make_shared<GradientFlags>();
  add_gradient_flags(cmd, gradients.get(), kParallel);
  CLI::Option* dist_timeout = cmd->add_option(
                  "--dist-timeout", config->dist_timeout,
                  "Seconds a rank waits for the others (rendezvous, each collective) before failing. Given here it "
                  "wins; else what `launch --timeout` passed; else 300")
      ->check(positive_whole_number("seconds"))
      ->group(kParallel);
  auto write_report = std::make_shared<bool>(true);
  cmd->add_flag("!--no-report", *write_report, "Do not write report.html into the run folder at the end");
  auto measure_standing = std::make_shared<bool>(false);
  cmd->add_flag("--standing", *measure_standing,
                "After the run, measure the published cards' own work here (resnet18d, 288 px, batch 32, at each "
                "card's precision where this device has it; about a minute on a slow CPU, seconds on a GPU) and give "
                "the verdicts against the cards from it. Without it a run at other settings gets an estimate, "
                "labelled, and no verdict");
  // For tests: seconds of timed steps per precision (StandingOptions).
  auto standing_options = std::make_shared<bench::StandingOptions>();
  cmd->add_option("--standing-seconds", standing_options->timed_seconds)->group("");
  // For tests: step N fails as out of device memory (see TrainConfig).
  cmd->add_option("--simulate-oom-at-step", config->simulate_oom_at_step)->group("");
  add_telemetry_flags(cmd, &config->telemetry_interval);
  add_max_image_pixels_flag(cmd);
  auto store_flags = std::make_shared<StoreFlags>();
  add_store_flags(cmd, store_flags.get());
  cmd->callback([config, gradients, dist_timeout, store_flags, resume, write_report, measure_standing, standing_options,
                 exit_code] {
    config->bucket_mb = gradients->bucket_mb;
    config->grad_compression = gradients->compression;
    config->find_unused_parameters = gradients->find_unused_parameters;
    const std::optional<int> timeout_given =
        dist_timeout->count() > 0 ? std::optional<int>(config->dist_timeout) : std::nullopt;
    *exit_code = run_train(*config, timeout_given, *store_flags, *resume, *write_report, *measure_standing,
                           *standing_options);
  });
}

}  // namespace trainbench::cli
