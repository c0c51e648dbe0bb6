#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "cli/execution_flags.h"
#include "cli/image_limit_flag.h"
#include "core/threads.h"
#include "train/trained_model.h"

namespace trainbench::cli {
namespace {

struct PredictOptions {
  std::string run_dir;
  std::vector<std::string> images;
  train::ExecutionRequest execution{"auto", "off", std::nullopt};  // full precision unless asked
  int top_k = 5;
  int threads = 0;
  bool json = false;
};

int run_predict(const PredictOptions& options) {
  core::configure_threads(options.threads);
  train::TrainedModel trained = train::load_trained_model(options.run_dir, options.execution);
  std::vector<std::filesystem::path> paths(options.images.begin(), options.images.end());
  const std::vector<train::Prediction> predictions = train::predict_images(trained, paths, options.top_k);
  int failures = 0;
  if (options.json) std::printf("%s\n", train::to_json(predictions).dump(2).c_str());
  for (const train::Prediction& p : predictions) {
    if (!p.error.empty()) {
      ++failures;
      std::fprintf(stderr, "trainbench: cannot predict %s: %s\n", p.path.c_str(), p.error.c_str());
      continue;
    }
    if (options.json) continue;
    std::printf("%s\n", p.path.c_str());
    for (const auto& [name, probability] : p.top) std::printf("  %-24s %.4f\n", name.c_str(), probability);
  }
  return failures > 0 ? 1 : 0;
}

}  // namespace

void add_predict_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<PredictOptions>();
  CLI::App* cmd = app.add_subcommand("predict", "Classify images with a trained run (same preprocessing as validation).");
  cmd->add_option("--run", options->run_dir, "Run folder written by `trainbench train`")->required();
  cmd->add_option("images", options->images, "JPEG or PNG files")->required();
  cmd->add_option("--top-k", options->top_k, "How many classes to show per image")
      ->capture_default_str()->check(positive_whole_number());
  add_execution_flags(cmd, &options->execution.device, &options->execution.amp, &options->execution.channels_last,
                      "auto: the device's usual choice (fp16 on NVIDIA, bf16 on XPU/MPS, off on CPU).");
  cmd->add_option("--threads", options->threads, "Compute threads (0: all cores)")
      ->capture_default_str()->check(non_negative_whole_number("0: all cores"));
  cmd->add_flag("--json", options->json, "Print the predictions as JSON");
  add_max_image_pixels_flag(cmd);
  cmd->callback([options, exit_code] { *exit_code = run_predict(*options); });
}

}  // namespace trainbench::cli
