#include <unistd.h>

#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "data/fashion_mnist.h"
#include "data/synth.h"

namespace trainbench::cli {
namespace {

// A one-line counter on a terminal, nothing otherwise.
std::function<void(int, int)> counter(const char* what) {
  const bool terminal = isatty(fileno(stderr));
  return [terminal, what](int done, int total) {
    if (terminal) std::fprintf(stderr, "\r%s: %d/%d images", what, done, total);
    if (terminal && done == total) std::fprintf(stderr, "\n");
  };
}

void add_synth(CLI::App& data, int* exit_code) {
  auto options = std::make_shared<data::SynthOptions>();
  auto out = std::make_shared<std::string>();
  CLI::App* cmd = data.add_subcommand(
      "synth", "Generate a synthetic stand-in for the HaGRID gesture data set: JPEG pictures of drawn hands whose\n"
               "finger pattern and orientation encode HaGRID's 19 classes. Deterministic for a seed.");
  cmd->add_option("--out", *out, "Folder to create (must not exist or be empty)")->required();
  cmd->add_option("--classes", options->classes, "How many of HaGRID's 19 classes")->capture_default_str()->check(CLI::Range(2, 19));
  cmd->add_option("--per-class", options->per_class, "Images per class")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--seed", options->seed, "Seed; the same seed gives the same files")->capture_default_str();
  cmd->add_option("--threads", options->threads, "Generator threads (0: all cores)")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->callback([options, out, exit_code] {
    options->out = *out;
    const data::SynthSummary summary = data::write_synthetic_dataset(*options, counter("synth"));
    std::printf("wrote %d images in %d classes (%.1f MB) to %s\n", summary.images, summary.classes,
                static_cast<double>(summary.bytes) / 1e6, out->c_str());
    *exit_code = 0;
  });
}

void add_import(CLI::App& data, int* exit_code) {
  CLI::App* import = data.add_subcommand("import", "Turn a public data set into an image folder");
  import->require_subcommand(1);
  auto source = std::make_shared<std::string>(data::kFashionMnistDefaultSource);
  auto out = std::make_shared<std::string>();
  CLI::App* cmd = import->add_subcommand(
      "fashion-mnist", "Fashion-MNIST (from Debian's dataset-fashion-mnist) as OUT/train/<class>/*.png and "
                       "OUT/test/<class>/*.png: 60,000 + 10,000 images, 10 classes.");
  cmd->add_option("--out", *out, "Folder to create (must not exist or be empty)")->required();
  cmd->add_option("--src", *source, "Folder with the four *-ubyte.gz files")->capture_default_str();
  cmd->callback([source, out, exit_code] {
    const data::ImportSummary summary = data::import_fashion_mnist(*source, *out, counter("fashion-mnist"));
    std::printf("wrote %d train and %d test images to %s/train and %s/test\n", summary.train_images,
                summary.test_images, out->c_str(), out->c_str());
    *exit_code = 0;
  });
}

}  // namespace

void add_data_command(CLI::App& app, int* exit_code) {
  CLI::App* data = app.add_subcommand("data", "Make and import data sets");
  data->require_subcommand(1);
  add_synth(*data, exit_code);
  add_import(*data, exit_code);
}

}  // namespace trainbench::cli
