#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "cli/execution_flags.h"
#include "cli/image_limit_flag.h"
#include "core/threads.h"
#include "train/progress_bar.h"
#include "train/trained_model.h"

namespace trainbench::cli {
namespace {

struct EvalOptions {
  std::string run_dir;
  std::string data;
  train::ExecutionRequest execution{"auto", "off", std::nullopt};  // full precision unless asked
  int batch_size = 64;
  int workers = 0;
  int threads = 0;
  bool json = false;
  bool progress = true;
};

void print_text(const train::FolderEvaluation& evaluation, const std::vector<std::string>& classes) {
  const train::EvalResult& r = evaluation.result;
  std::printf("%lld images: loss %.4f, accuracy %.4f (%.1f s)\n", static_cast<long long>(r.metrics.samples()),
              r.metrics.mean_loss(), r.metrics.accuracy(), r.seconds);
  if (evaluation.skipped_files > 0) {
    std::printf("%lld files could not be read and were skipped, e.g. %s: %s\n",
                static_cast<long long>(evaluation.skipped_files), evaluation.skipped_examples[0].path.c_str(),
                evaluation.skipped_examples[0].reason.c_str());
  }
  std::size_t width = 5;
  for (const std::string& name : classes) width = std::max(width, name.size());
  std::printf("\n%-*s  %8s  %6s\n", static_cast<int>(width), "class", "accuracy", "images");
  for (int c = 0; c < r.confusion.classes(); ++c) {
    const double accuracy = r.confusion.class_accuracy(c);
    if (accuracy < 0) {
      std::printf("%-*s  %8s  %6d\n", static_cast<int>(width), classes[c].c_str(), "-", 0);
    } else {
      std::printf("%-*s  %8.4f  %6lld\n", static_cast<int>(width), classes[c].c_str(), accuracy,
                  static_cast<long long>(r.confusion.class_total(c)));
    }
  }
  // Confusion matrix: rows are the true class ("<index> <name>"), columns the
  // predicted class index, to keep it narrow.
  const int label_width = static_cast<int>(width + 1 + std::to_string(r.confusion.classes() - 1).size());
  std::printf("\nconfusion matrix (row: true class, column: predicted class index)\n%-*s", label_width, "");
  for (int p = 0; p < r.confusion.classes(); ++p) std::printf(" %5d", p);
  std::printf("\n");
  for (int t = 0; t < r.confusion.classes(); ++t) {
    std::printf("%-*s", label_width, (std::to_string(t) + " " + classes[t]).c_str());
    for (int p = 0; p < r.confusion.classes(); ++p) std::printf(" %5lld", static_cast<long long>(r.confusion.count(t, p)));
    std::printf("\n");
  }
}

int run_eval(const EvalOptions& options) {
  core::configure_threads(options.threads);
  train::TrainedModel trained = train::load_trained_model(options.run_dir, options.execution);
  const int workers = options.workers > 0 ? options.workers : core::available_cores();
  train::FolderEvaluation evaluation;
  if (options.progress && !options.json) {
    // Progress goes to stderr so that stdout stays the result alone.
    train::ProgressBoard board(stderr, train::ProgressBoard::is_terminal(stderr));
    bool started = false;
    evaluation = train::evaluate_folder(trained, options.data, options.batch_size, workers,
                                        [&](std::int64_t n, std::int64_t total) {
                                          if (!started) {
                                            board.begin_pass("Eval", total);
                                            started = true;
                                          }
                                          board.update_pass(n);
                                        });
    if (started) board.end_pass();
  } else {
    evaluation = train::evaluate_folder(trained, options.data, options.batch_size, workers);
  }
  if (options.json) {
    std::printf("%s\n", train::to_json(evaluation, trained.classes).dump(2).c_str());
  } else {
    print_text(evaluation, trained.classes);
  }
  return 0;
}

}  // namespace

void add_eval_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate a trained run on a labelled image folder: loss, accuracy, "
                                             "per-class accuracy and the confusion matrix.");
  cmd->add_option("--run", options->run_dir, "Run folder written by `trainbench train`")->required();
  cmd->add_option("--data", options->data, "Image folder with one sub-folder per class (names as in training)")->required();
  add_execution_flags(cmd, &options->execution.device, &options->execution.amp, &options->execution.channels_last,
                      "auto: the device's usual choice (fp16 on NVIDIA, bf16 on XPU/MPS, off on CPU).");
  cmd->add_option("-b,--batch-size", options->batch_size, "Images per batch")->capture_default_str()->check(positive_whole_number());
  cmd->add_option("--workers", options->workers, "Loader threads (0: one per core)")
      ->capture_default_str()->check(non_negative_whole_number("0: one per core"));
  cmd->add_option("--threads", options->threads, "Compute threads (0: all cores)")
      ->capture_default_str()->check(non_negative_whole_number("0: all cores"));
  cmd->add_flag("--json", options->json, "Print the result as JSON");
  add_max_image_pixels_flag(cmd);
  cmd->add_flag("!--no-progress", options->progress, "No progress bar");
  cmd->callback([options, exit_code] { *exit_code = run_eval(*options); });
}

}  // namespace trainbench::cli
