#include <unistd.h>

#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/image_limit_flag.h"
#include "cli/option_checks.h"
#include "core/device.h"
#include "core/memory_format.h"
#include "core/precision.h"
#include "core/error.h"
#include "train/execution.h"
#include "core/threads.h"
#include "data/data_verify.h"
#include "data/fashion_mnist.h"
#include "data/image_folder.h"
#include "data/loader_bench.h"
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
  cmd->add_option("--classes", options->classes, "How many of HaGRID's 19 classes")->capture_default_str()->check(whole_number_in(2, 19));
  cmd->add_option("--per-class", options->per_class, "Images per class")->capture_default_str()->check(positive_whole_number());
  cmd->add_option("--seed", options->seed, "Seed; the same seed gives the same files")
      ->capture_default_str()->check(non_negative_whole_number({}, UINT64_MAX));
  cmd->add_option("--threads", options->threads, "Generator threads (0: all cores)")
      ->capture_default_str()->check(non_negative_whole_number("0: all cores"));
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

struct BenchOptions {
  std::string data;
  int image_size = 288;
  int batch_size = 32;
  int workers = 0;
  int threads = 0;
  std::string device = "auto";
  std::string augment = "trivial-wide";
  double seconds = 20.0;
  bool dct_scaling = true;
  bool json = false;
};

int run_bench(const BenchOptions& options) {
  const int threads = core::configure_threads(options.threads);
  data::LoaderBenchOptions bench;
  bench.loader.image_size = options.image_size;
  bench.loader.batch_size = options.batch_size;
  bench.loader.workers = options.workers > 0 ? options.workers : core::available_cores();
  bench.loader.dct_scaling = options.dct_scaling;
  bench.augment.kind = data::parse_augment_kind(options.augment);
  bench.augment.ranges = data::augment_ranges(bench.augment.kind, options.image_size);
  // The layout the device trains in by default: the batches are made in it.
  const train::Execution execution = train::resolve_execution({options.device, "auto", std::nullopt}, std::nullopt);
  bench.device = execution.device;
  bench.format = execution.memory_format();
  bench.seconds = options.seconds;
  const data::ImageFolder folder = data::scan_image_folder(options.data);
  const bool terminal = !options.json && isatty(fileno(stderr));
  const data::LoaderBenchResult r = data::bench_loader(folder.samples, bench, [&](double elapsed, std::int64_t images) {
    if (terminal) std::fprintf(stderr, "\rdata bench: %.0f/%.0f s, %.1f images/s", elapsed, options.seconds, images / elapsed);
  });
  if (terminal) std::fprintf(stderr, "\n");
  if (options.json) {
    const nlohmann::ordered_json out = {{"images_per_sec", r.images_per_sec},
                                        {"images_per_sec_per_core", r.images_per_sec_per_core},
                                        {"images", r.images},
                                        {"seconds", r.seconds},
                                        {"workers", r.workers},
                                        {"cores", r.cores},
                                        {"threads", threads},
                                        {"image_size", options.image_size},
                                        {"batch_size", options.batch_size},
                                        {"augment", options.augment},
                                        {"device", core::device_id(bench.device)},
                                        {"dct_scaling", options.dct_scaling},
                                        {"skipped_files", r.skipped_files}};
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("%.1f images/s (%.1f per core, %d workers on %d cores), %lld images in %.1f s at %d px, augment %s%s\n",
                r.images_per_sec, r.images_per_sec_per_core, r.workers, r.cores, static_cast<long long>(r.images),
                r.seconds, options.image_size, options.augment.c_str(), options.dct_scaling ? "" : ", no DCT scaling");
    if (r.skipped_files > 0) std::printf("%lld files could not be read\n", static_cast<long long>(r.skipped_files));
  }
  return 0;
}

void add_bench(CLI::App& data, int* exit_code) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* cmd = data.add_subcommand(
      "bench", "Measure the input pipeline alone (decode, ResizePad, augmentation, normalisation; no model): "
               "training images/s, and per core, to tell whether this storage and CPU can feed a GPU.");
  cmd->add_option("--data", options->data, "Image folder: DATA/<class>/*.jpg|png")->required();
  cmd->add_option("--img-size", options->image_size, "Square size after ResizePad")->capture_default_str()->check(whole_number_in(8, 4096, "pixels"));
  cmd->add_option("-b,--batch-size", options->batch_size, "Images per batch")->capture_default_str()->check(positive_whole_number());
  cmd->add_option("--workers", options->workers, "Loader threads (0: one per available core)")
      ->capture_default_str()->check(non_negative_whole_number("0: one per available core"));
  cmd->add_option("--threads", options->threads, "Threads for augmentation and normalisation (0: all cores)")
      ->capture_default_str()->check(non_negative_whole_number("0: all cores"));
  cmd->add_option("--device", options->device,
                  "Where training would run: batches go there for augmentation and normalisation, as in training "
                  "(auto, cpu, cuda[:N], ...)")
      ->capture_default_str();
  cmd->add_option("--augment", options->augment, "trivial-wide, trivial-wide-scaled or none (see train --help)")
      ->capture_default_str()->check(one_of(data::augment_kind_names()));
  cmd->add_option("--seconds", options->seconds, "How long to measure, after 5 warm-up batches")
      ->capture_default_str()->check(positive_number("seconds"));
  cmd->add_flag("!--no-dct-scaling", options->dct_scaling, "Decode JPEGs at full size (to measure what DCT scaling gains)");
  cmd->add_flag("--json", options->json, "Print the result as JSON");
  add_max_image_pixels_flag(cmd);
  cmd->callback([options, exit_code] { *exit_code = run_bench(*options); });
}

struct VerifyOptions {
  std::string folder;
  int workers = 0;
  bool json = false;
};

// Exit codes: 0 every image decodes, 1 some cannot be used, 2 the folder
// itself cannot be verified (missing, no class folders), so that a script can
// tell "fix these files" from "wrong path".
int run_verify(const VerifyOptions& options) {
  const bool terminal = !options.json && isatty(fileno(stderr));
  data::VerifyReport report;
  try {
    const auto progress = [terminal](std::int64_t done, std::int64_t total) {
      if (terminal && (done % 64 == 0 || done == total)) {
        std::fprintf(stderr, "\rverify: %lld/%lld images", static_cast<long long>(done), static_cast<long long>(total));
      }
    };
    report = data::verify_image_folder(options.folder, options.workers, progress);
  } catch (const DataError& e) {
    std::fprintf(stderr, "trainbench: error: %s\n", e.what());
    return 2;
  }
  if (terminal) std::fprintf(stderr, "\n");
  if (options.json) {
    // Replace, not throw, on file names that are not UTF-8: they are real.
    const auto replace = nlohmann::ordered_json::error_handler_t::replace;
    std::printf("%s\n", data::to_json(report).dump(2, ' ', false, replace).c_str());
  } else {
    std::printf("%s", data::format_verify_text(report).c_str());
  }
  return report.exit_code();
}

void add_verify(CLI::App& data, int* exit_code) {
  auto options = std::make_shared<VerifyOptions>();
  CLI::App* cmd = data.add_subcommand(
      "verify", "Decode every image that `train --data DIR` would use, and list each one it would skip with the "
                "reason (truncated, not an image, broken link, too large, ...), the files it ignores (hidden, other "
                "names), and the counts per class. Exit code 1 if any image is bad, 2 if DIR cannot be scanned.");
  cmd->add_option("DIR", options->folder, "Image folder: DIR/<class>/*.jpg|png")->required();
  cmd->add_option("--workers", options->workers, "Decoding threads (0: one per available core)")
      ->capture_default_str()->check(non_negative_whole_number("0: one per available core"));
  cmd->add_flag("--json", options->json, "Print the report as JSON");
  add_max_image_pixels_flag(cmd);
  cmd->callback([options, exit_code] { *exit_code = run_verify(*options); });
}

}  // namespace

void add_data_command(CLI::App& app, int* exit_code) {
  CLI::App* data = app.add_subcommand("data", "Make, import, verify and benchmark data sets");
  data->require_subcommand(1);
  add_synth(*data, exit_code);
  add_import(*data, exit_code);
  add_verify(*data, exit_code);
  add_bench(*data, exit_code);
}

}  // namespace trainbench::cli
