#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "train/trained_model.h"

namespace trainbench::cli {
namespace {

struct ExportOptions {
  std::string run_dir;
  std::string out;
  bool last = false;
  bool overwrite = false;
};

int run_export(const ExportOptions& options) {
  const std::filesystem::path card = train::export_weights(options.run_dir, options.last, options.out, options.overwrite);
  std::printf("wrote %s and %s\n", options.out.c_str(), card.c_str());
  return 0;
}

}  // namespace

void add_export_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<ExportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Write a run's weights as one .safetensors file with timm parameter names, plus a JSON model card beside it "
      "(architecture, classes, image size, normalisation). In Python, timm.create_model(name, num_classes=N) or "
      "torchvision's resnet load_state_dict takes them unchanged.");
  cmd->add_option("--run", options->run_dir, "Run folder written by `trainbench train`")->required();
  cmd->add_option("--out", options->out, "File to write, ending in .safetensors (the card goes to the same name with .json)")
      ->required();
  cmd->add_flag("--last", options->last, "Export the last epoch's weights instead of the best (lowest validation loss)");
  cmd->add_flag("--overwrite", options->overwrite, "Replace an existing output file");
  cmd->callback([options, exit_code] { *exit_code = run_export(*options); });
}

}  // namespace trainbench::cli
