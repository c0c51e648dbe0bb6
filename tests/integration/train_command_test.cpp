// Whole commands of the built binary on tiny data the test makes itself.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "data/image_codec.h"
#include "test_support.h"

namespace trainbench {
namespace {

namespace fs = std::filesystem;
using testing::read_json;
using testing::TempDir;
using testing::trainbench_command;

// Three classes told apart by colour and by a stripe's direction, with noise,
// mixed JPEG and PNG: learnable in a few epochs by a small ResNet.
void make_stripe_set(const fs::path& root, int per_class) {
  std::mt19937 rng(5);
  const char* names[3] = {"horizontal", "plain", "vertical"};
  for (int c = 0; c < 3; ++c) {
    fs::create_directories(root / names[c]);
    for (int i = 0; i < per_class; ++i) {
      const int w = 40 + static_cast<int>(rng() % 20), h = 36 + static_cast<int>(rng() % 16);
      data::Image image(w, h);
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          const bool stripe = (c == 0 && (y / 4) % 2 == 0) || (c == 2 && (x / 4) % 2 == 0);
          std::uint8_t* p = image.pixel(x, y);
          for (int k = 0; k < 3; ++k) p[k] = static_cast<std::uint8_t>((stripe ? 200 : 60) + rng() % 40);
        }
      }
      const fs::path file = root / names[c] / ("img" + std::to_string(i) + (i % 2 ? ".png" : ".jpg"));
      data::write_file_bytes(file, i % 2 ? data::encode_png(image) : data::encode_jpeg(image, 90));
    }
  }
}

// A family other than ResNet through the train command: `model` at 32 px
// learns the stripes from scratch (lr 1e-3, no augmentation, batch 8) in
// `epochs`, far above chance. Returns the run folder, under `dir`.
std::string train_from_scratch(const TempDir& dir, const std::string& model, int epochs) {
  make_stripe_set(dir / "data", 24);
  int code = -1;
  const std::string run = (dir / "run").string();
  const std::string out = testing::run_command(
      trainbench_command("train --data '" + (dir / "data").string() + "' --model " + model +
                         " --img-size 32 -b 8 --epochs " + std::to_string(epochs) +
                         " --lr 1e-3 --augment none --val-split 0.25 --threads 2 --workers 2 --no-progress --no-db"
                         " --no-report --output '" + run + "'") + " 2>&1",
      &code);
  EXPECT_EQ(code, 0) << out;
  const nlohmann::json summary = read_json(dir / "run" / "summary.json");
  EXPECT_EQ(summary["model"], model);
  EXPECT_GE(summary["val_accuracy"].get<double>(), 0.6) << summary.dump(2);  // chance is 0.33
  return run;
}

// What one training run left behind, checked by the parts of the test below.
struct TrainedRun {
  fs::path data;
  fs::path run;
  std::string output;
};

void expect_learned_far_above_chance(const TrainedRun& t) {
  const nlohmann::json summary = read_json(t.run / "summary.json");
  EXPECT_GE(summary["val_accuracy"].get<double>(), 0.8) << summary.dump(2);  // chance is 0.33
  EXPECT_LT(summary["val_loss"].get<double>(), 1.0);
  EXPECT_EQ(summary["epochs"], 5);
  // 73 files split 54 / 19 (--val-split 0.25); the corrupt one, in the
  // training part, is reported, passed over and not counted as used.
  EXPECT_EQ(summary["train_files_scanned"], 54);
  EXPECT_EQ(summary["val_files_scanned"], 19);
  EXPECT_EQ(summary["skipped_files"], 1);
  EXPECT_EQ(summary["train_images"], 53);
  EXPECT_EQ(summary["val_images"], 19);
  EXPECT_EQ(summary["augment"], "trivial-wide");  // the default, and it still learns
  EXPECT_GT(summary["train_images_per_sec"].get<double>(), 0.0);
  EXPECT_GE(summary["data_wait_fraction"].get<double>(), 0.0);
  EXPECT_LT(summary["data_wait_fraction"].get<double>(), 1.0);
}

void expect_every_run_file(const TrainedRun& t) {
  for (const char* name : {"config.json", "classes.json", "metrics.jsonl", "training_metadata.json", "summary.json",
                           "best_model.safetensors", "best_model.json", "last_model.safetensors", "last_model.json",
                           "checkpoint.safetensors", "provenance.json", "telemetry.jsonl"}) {
    EXPECT_TRUE(fs::exists(t.run / name)) << name;
  }
  EXPECT_EQ(read_json(t.run / "classes.json")["classes"], nlohmann::json({"horizontal", "plain", "vertical"}));
  const nlohmann::json metadata = read_json(t.run / "training_metadata.json");
  EXPECT_EQ(metadata["model_architecture"], "resnet18");
  for (const char* key : {"epoch", "train_loss", "valid_loss", "metric_value", "learning_rate"}) {
    EXPECT_TRUE(metadata.contains(key)) << key;
  }
  // One line per step plus a train_epoch and an eval line per epoch, each
  // pass over as many images as summary.json says were used.
  const nlohmann::json summary = read_json(t.run / "summary.json");
  std::ifstream metrics(t.run / "metrics.jsonl");
  int steps = 0, evals = 0;
  for (std::string line; std::getline(metrics, line);) {
    const nlohmann::json record = nlohmann::json::parse(line);
    steps += record["type"] == "train_step";
    evals += record["type"] == "eval";
    if (record["type"] == "train_epoch") {
      EXPECT_EQ(record["images"], summary["train_images"]) << line;
    }
    if (record["type"] == "eval") {
      EXPECT_EQ(record["images"], summary["val_images"]) << line;
    }
  }
  EXPECT_EQ(steps, summary["steps"].get<int>());
  EXPECT_EQ(evals, 5);
}

// Without a terminal: one plain tqdm-style line per pass and per epoch.
void expect_plain_progress_lines(const TrainedRun& t) {
  int train_lines = 0, eval_lines = 0;
  std::istringstream lines(t.output);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_EQ(line.find('\r'), std::string::npos);
    EXPECT_EQ(line.find('\x1b'), std::string::npos);
    if (line.rfind("Train: 100%|##########|", 0) == 0) ++train_lines;
    if (line.rfind("Eval: 100%|##########|", 0) == 0) ++eval_lines;
  }
  EXPECT_EQ(train_lines, 5) << t.output;
  EXPECT_EQ(eval_lines, 5);
  EXPECT_NE(t.output.find("accuracy="), std::string::npos);
  EXPECT_NE(t.output.find("lr=]"), std::string::npos);  // Eval shows an empty lr, like the notebook
}

void expect_eval_reports_accuracy_and_confusion(const TrainedRun& t) {
  int code = -1;
  const std::string out = testing::run_command(
      trainbench_command("eval --json --run '" + t.run.string() + "' --data '" + t.data.string() + "'"), &code);
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json result = nlohmann::json::parse(out);
  EXPECT_EQ(result["images"], 72);
  EXPECT_EQ(result["skipped_files"], 1);
  EXPECT_GE(result["accuracy"].get<double>(), 0.8);
  int total = 0;
  for (const auto& row : result["confusion_matrix"]) {
    for (const auto& cell : row) total += cell.get<int>();
  }
  EXPECT_EQ(total, 72);
  EXPECT_TRUE(result["per_class"].contains("vertical"));
}

void expect_predict_names_the_class(const TrainedRun& t) {
  int code = -1;
  const std::string image = (t.data / "vertical" / "img3.png").string();
  const std::string out = testing::run_command(
      trainbench_command("predict --json --top-k 2 --run '" + t.run.string() + "' '" + image + "'"), &code);
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json result = nlohmann::json::parse(out);
  ASSERT_EQ(result[0]["top"].size(), 2u);
  EXPECT_EQ(result[0]["top"][0]["class"], "vertical");
  const std::string bad = (t.data / "plain" / "corrupt.jpg").string();
  testing::run_command(trainbench_command("predict --run '" + t.run.string() + "' '" + bad + "' 2>/dev/null"), &code);
  EXPECT_EQ(code, 1);  // an unreadable image is reported, and the exit code says so
}

// The run ends by saying what it got: where the machine stands against the
// published cards (a run of other work than theirs gets no verdict, only an
// estimate labelled as one), the report it wrote beside the run, and three
// commands to run next.
void expect_the_ending_says_what_the_run_shows(const TrainedRun& t) {
  const std::string& out = t.output;
  const auto standing = out.find("Against the workload's published cards (published figures");
  ASSERT_NE(standing, std::string::npos) << out;
  const std::string after = out.substr(standing);
  EXPECT_NE(after.find("  no verdict: this run did other work than the cards (model (cards: resnet18d, this run: "
                       "resnet18); image_size (cards: 288, this run: 32); batch_size (cards: 32, this run: 8))\n"),
            std::string::npos)
      << after;
  EXPECT_NE(after.find("  At the cards' work (resnet18d, 288 px) this machine would do about "), std::string::npos)
      << after;
  EXPECT_NE(after.find(" images/s (estimate: FLOP-normalised from "), std::string::npos) << after;
  EXPECT_NE(after.find(" bench --model resnet18d --img-size 288 -b 32 (or train --standing"), std::string::npos) << after;
  const std::string verdicts = after.substr(0, after.find("\nNext:\n"));
  EXPECT_EQ(verdicts.find("slower than"), std::string::npos) << verdicts;  // no verdict from other work
  EXPECT_EQ(verdicts.find("faster than"), std::string::npos) << verdicts;
  EXPECT_EQ(verdicts.find("within 10% of"), std::string::npos) << verdicts;
  const std::string report = (t.run / "report.html").string();
  EXPECT_NE(after.find("  report: " + report + "\n"), std::string::npos) << after;
  std::ifstream file(report);
  const std::string html((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("Titan RTX"), std::string::npos);  // the published figures beside the run
  const auto next = after.find("\nNext:\n");
  ASSERT_NE(next, std::string::npos) << after;
  const std::string commands = after.substr(next);
  EXPECT_NE(commands.find(" train --data YOUR_FOLDER --output runs/mine "), std::string::npos) << commands;
  EXPECT_NE(commands.find(" bench --model resnet18d --img-size 288 -b 32 "), std::string::npos) << commands;
  EXPECT_NE(commands.find(" doctor "), std::string::npos) << commands;
}

// One training run (the slow part), then everything a user does with it.
TEST(TrainCommand, TrainsEvaluatesAndPredictsOnTinyData) {
  TempDir dir;
  TrainedRun t{dir / "data", dir / "run", ""};
  make_stripe_set(t.data, 24);
  data::write_file_bytes(t.data / "plain" / "corrupt.jpg", {0xFF, 0xD8, 0xFF, 0xE0, 0, 1, 2});
  int code = -1;
  t.output = testing::run_command(
      trainbench_command("train --data '" + t.data.string() + "' --model resnet18 --img-size 32 -b 8 --epochs 5 " +
                         "--lr 3e-3 --val-split 0.25 --threads 2 --workers 2 --no-progress --output '" + t.run.string() + "'"),
      &code);
  ASSERT_EQ(code, 0) << t.output;
  {
    SCOPED_TRACE("summary");
    expect_learned_far_above_chance(t);
  }
  {
    SCOPED_TRACE("run files");
    expect_every_run_file(t);
  }
  {
    SCOPED_TRACE("progress lines");
    expect_plain_progress_lines(t);
  }
  {
    SCOPED_TRACE("eval");
    expect_eval_reports_accuracy_and_confusion(t);
  }
  {
    SCOPED_TRACE("predict");
    expect_predict_names_the_class(t);
  }
  {
    SCOPED_TRACE("ending");
    expect_the_ending_says_what_the_run_shows(t);
  }
}

// A family other than ResNet through the same command: ViT-S/16 at 32 px
// (a 2 x 2 grid of patches, its position embeddings resampled) learns the
// stripes from scratch, and exports to safetensors and ONNX.
TEST(TrainCommand, AVisionTransformerLearnsAndExportsToSafetensorsAndOnnx) {
  TempDir dir;
  const std::string run = train_from_scratch(dir, "vit_small_patch16_224", 8);
  int code = -1;
  const std::string exported = testing::run_command(
      trainbench_command("export --run '" + run + "' --out '" + (dir / "vit.safetensors").string() + "'") + " 2>&1",
      &code);
  EXPECT_EQ(code, 0) << exported;
  EXPECT_TRUE(fs::exists(dir / "vit.safetensors"));
  const std::string onnx = testing::run_command(
      trainbench_command("export --run '" + run + "' --out '" + (dir / "vit.onnx").string() + "'") + " 2>&1", &code);
  EXPECT_EQ(code, 0) << onnx;
  EXPECT_TRUE(fs::exists(dir / "vit.onnx"));
}

// The depthwise families through the same command: efficientnet_b0 and
// mobilenetv3_large_100 at 32 px learn the stripes from scratch with timm's
// initialisation, dropout and stochastic depth, and export to safetensors
// under timm's names. They need more epochs than a ResNet: batches of 8 on
// the 1 x 1 maps of their last stages give batch-norm statistics that swing,
// and the validation loss with them, until the schedule anneals.
TEST(TrainCommand, EfficientNetAndMobileNetV3LearnAndExportUnderTimmsNames) {
  TempDir dir;
  make_stripe_set(dir / "data", 24);
  for (const std::string model : {"efficientnet_b0", "mobilenetv3_large_100"}) {
    SCOPED_TRACE(model);
    int code = -1;
    const std::string run = (dir / model).string();
    const std::string out = testing::run_command(
        trainbench_command("train --data '" + (dir / "data").string() + "' --model " + model +
                           " --img-size 32 -b 8 --epochs 15 --lr 1e-3 --augment none --val-split 0.25 --threads 2 "
                           "--workers 2 --no-progress --no-db --no-report --output '" + run + "'") + " 2>&1",
        &code);
    ASSERT_EQ(code, 0) << out;
    const nlohmann::json summary = read_json(fs::path(run) / "summary.json");
    EXPECT_EQ(summary["model"], model);
    EXPECT_GE(summary["val_accuracy"].get<double>(), 0.6) << summary.dump(2);  // chance is 0.33
    const fs::path exported = dir / (model + ".safetensors");
    const std::string export_out = testing::run_command(
        trainbench_command("export --run '" + run + "' --out '" + exported.string() + "'") + " 2>&1", &code);
    ASSERT_EQ(code, 0) << export_out;
    const auto tensors = testing::read_tensor_file(exported);
    EXPECT_EQ(tensors.count("blocks.1.0.conv_dw.weight"), 1u);
    EXPECT_EQ(tensors.count("classifier.weight"), 1u);
  }
}

// Another family through the same command: convnext_tiny at 32 px (a 1 x 1
// map in the last stage) learns the stripes from scratch, with timm's layer
// scale of 1e-6, and exports to safetensors under timm's names.
TEST(TrainCommand, AConvNeXtLearnsFromScratchAndExportsToSafetensors) {
  TempDir dir;
  const std::string run = train_from_scratch(dir, "convnext_tiny", 6);
  int code = -1;
  const std::string exported = testing::run_command(
      trainbench_command("export --run '" + run + "' --out '" + (dir / "convnext.safetensors").string() + "'") +
          " 2>&1",
      &code);
  EXPECT_EQ(code, 0) << exported;
  const auto tensors = testing::read_tensor_file(dir / "convnext.safetensors");
  EXPECT_EQ(tensors.count("stages.2.blocks.8.gamma"), 1u);
  EXPECT_EQ(tensors.count("head.fc.weight"), 1u);
}

// train --standing measures the cards' own work after the run, and the
// verdicts come from that measurement; the line names the bench command that
// measures the same alone, and how far this run's FLOP estimate landed.
TEST(TrainCommand, StandingMeasuresTheCardsWorkAndJudgesFromIt) {
  TempDir dir;
  make_stripe_set(dir / "data", 6);
  int code = -1;
  const std::string out = testing::run_command(
      trainbench_command("train --data '" + (dir / "data").string() + "' --model resnet18 --img-size 32 -b 8 " +
                         "--epochs 1 --threads 2 --workers 1 --no-progress --no-report --standing --standing-seconds 1 " +
                         "--db '" + (dir / "r.db").string() + "' --output '" + (dir / "run").string() + "'"),
      &code);
  ASSERT_EQ(code, 0) << out;
  const auto standing = out.find("the cards' own work measured here: resnet18d, 288 px, batch 32, training steps on cpu");
  ASSERT_NE(standing, std::string::npos) << out;
  const std::string after = out.substr(standing);
  // A 2-core CPU is far slower than every card at the cards' own work.
  for (const char* card : {"Titan RTX, fp16 AMP, native Ubuntu: 707 images/s there, ",
                           "Arc A770, bf16, default oneDNN layout: 137 images/s there, "}) {
    const auto line = after.find(card);
    ASSERT_NE(line, std::string::npos) << after;
    const std::string text = after.substr(line, after.find('\n', line) - line);
    EXPECT_NE(text.find(" slower than "), std::string::npos) << text;
  }
  EXPECT_EQ(after.find("faster than"), std::string::npos) << after;
  EXPECT_NE(after.find("  measured: 3 windows of "), std::string::npos) << after;
  EXPECT_NE(after.find(" bench --model resnet18d --img-size 288 -b 32 --amp "), std::string::npos) << after;
  EXPECT_NE(after.find("gave an estimate of "), std::string::npos) << after;
  EXPECT_NE(after.find(": how far a FLOP-normalised estimate lands here"), std::string::npos) << after;
}

TEST(Commands, BadInputIsOneClearLineAndANonZeroExit) {
  TempDir dir;
  int code = 0;
  const std::string out = testing::run_command(
      trainbench_command("train --data '" + (dir / "nowhere").string() + "' --output '" + (dir / "run").string() + "' 2>&1"), &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("trainbench: error: data folder"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir / "run"));  // nothing created for a run that cannot start
  make_stripe_set(dir / "data", 2);
  const std::string unknown_model = testing::run_command(
      trainbench_command("train --data '" + (dir / "data").string() + "' --model nonet --output '" + (dir / "run").string() + "' 2>&1"),
      &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(unknown_model.find("unknown model 'nonet'"), std::string::npos) << unknown_model;
  EXPECT_FALSE(fs::exists(dir / "run"));
  testing::run_command(trainbench_command("train --data x --device cuda:3 2>&1"), &code);
  EXPECT_EQ(code, 1);
  testing::run_command(trainbench_command("train --img-size 0 2>&1"), &code);
  EXPECT_NE(code, 0);
}

TEST(Commands, DevicesListsTheCpu) {
  int code = -1;
  const nlohmann::json devices = nlohmann::json::parse(testing::run_command(trainbench_command("devices --json"), &code));
  EXPECT_EQ(code, 0);
  EXPECT_EQ(devices[0]["id"], "cpu");
  EXPECT_EQ(devices[0]["amp_auto"], "off");
  EXPECT_EQ(devices[0]["amp_modes"][0], "off");
}

// The JPEGs in each class folder of a data set, by class.
std::map<std::string, int> jpegs_per_class(const fs::path& root) {
  std::map<std::string, int> counts;
  for (const auto& entry : fs::directory_iterator(root)) {
    int& count = counts[entry.path().filename().string()];
    for (const auto& file : fs::directory_iterator(entry.path())) count += file.path().extension() == ".jpg";
  }
  return counts;
}

TEST(Commands, SynthWritesTheRequestedClassFolders) {
  TempDir dir;
  int code = -1;
  const std::string out = testing::run_command(
      trainbench_command("data synth --classes 3 --per-class 2 --seed 9 --out '" + (dir / "s").string() + "'"), &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(jpegs_per_class(dir / "s"), (std::map<std::string, int>{{"call", 2}, {"dislike", 2}, {"fist", 2}}));
}

// As with argparse, an option given twice takes its last value (here a
// script's defaults first, then what the user asked for).
TEST(Commands, ARepeatedOptionTakesItsLastValue) {
  TempDir dir;
  int code = -1;
  const std::string out = testing::run_command(
      trainbench_command("data synth --classes 3 --per-class 2 --seed 9 --classes 2 --per-class 3 --out '" +
                         (dir / "s").string() + "'"),
      &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(jpegs_per_class(dir / "s"), (std::map<std::string, int>{{"call", 3}, {"dislike", 3}}));
}

// Mixed precision and layout from the command line to summary.json; a run's
// weights start another (--pretrained) and export to a file with its card;
// a precision the device lacks is one clear error.
TEST(Commands, Bf16ChannelsLastPretrainedAndExport) {
  TempDir dir;
  make_stripe_set(dir / "data", 6);
  const std::string common = "train --data '" + (dir / "data").string() +
                             "' --model resnet18 --img-size 32 -b 4 --epochs 1 --max-steps 2 --threads 2 --workers 2 "
                             "--no-progress --amp bf16 --channels-last";
  int code = -1;
  std::string out =
      testing::run_command(trainbench_command(common + " --no-report --output '" + (dir / "first").string() + "'"), &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_FALSE(fs::exists(dir / "first" / "report.html"));  // --no-report
  EXPECT_EQ(out.find("  report: "), std::string::npos) << out;
  nlohmann::json summary = read_json(dir / "first" / "summary.json");
  EXPECT_EQ(summary["amp"], "bf16");
  EXPECT_EQ(summary["channels_last"], true);
  EXPECT_EQ(summary["steps"], 2);
  EXPECT_EQ(read_json(dir / "first" / "config.json")["amp"], "bf16");
  EXPECT_NE(out.find("amp bf16, channels-last"), std::string::npos) << out;

  const std::string weights = (dir / "first" / "best_model.safetensors").string();
  out = testing::run_command(
      trainbench_command(common + " --pretrained '" + weights + "' --output '" + (dir / "second").string() + "'"), &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("pretrained best_model.safetensors: 122 tensors loaded"), std::string::npos) << out;
  EXPECT_EQ(read_json(dir / "second" / "summary.json")["pretrained"], weights);

  out = testing::run_command(trainbench_command("export --run '" + (dir / "second").string() + "' --out '" +
                                                (dir / "exported" / "gestures.safetensors").string() + "'"),
                             &code);
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json card = read_json(dir / "exported" / "gestures.json");
  EXPECT_EQ(card["architecture"], "resnet18");
  EXPECT_EQ(card["classes"], nlohmann::json({"horizontal", "plain", "vertical"}));
  EXPECT_EQ(card["image_size"], 32);
  EXPECT_EQ(card["mean"].size(), 3u);
  testing::run_command(trainbench_command("export --run '" + (dir / "second").string() + "' --out '" +
                                          (dir / "exported" / "gestures.safetensors").string() + "' 2>/dev/null"),
                       &code);
  EXPECT_EQ(code, 1);  // no silent overwrite

  out = testing::run_command(
      trainbench_command("eval --amp fp16 --run '" + (dir / "second").string() + "' --data '" + (dir / "data").string() + "' 2>&1"),
      &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("--amp fp16 cannot run on cpu"), std::string::npos) << out;
  out = testing::run_command(trainbench_command("eval --json --amp bf16 --run '" + (dir / "second").string() +
                                                "' --data '" + (dir / "data").string() + "'"),
                             &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out)["images"], 18);
}

// The loader alone: images/s and per core, as JSON a script can read.
TEST(Commands, DataBenchMeasuresTheLoader) {
  TempDir dir;
  make_stripe_set(dir / "data", 4);
  int code = -1;
  const std::string out = testing::run_command(
      trainbench_command("data bench --json --seconds 0.5 --img-size 32 -b 4 --workers 2 --data '" + (dir / "data").string() + "'"),
      &code);
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json result = nlohmann::json::parse(out);
  EXPECT_GT(result["images"].get<int>(), 0);
  EXPECT_GE(result["seconds"].get<double>(), 0.5);
  EXPECT_NEAR(result["images_per_sec"].get<double>(), result["images"].get<double>() / result["seconds"].get<double>(), 1e-6);
  EXPECT_EQ(result["workers"], 2);
  EXPECT_EQ(result["augment"], "trivial-wide");
  EXPECT_EQ(result["dct_scaling"], true);
}

bool file_contains(const fs::path& path, const std::string& text) {
  std::ifstream in(path);
  const std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return contents.find(text) != std::string::npos;
}

// SIGINT in the middle of training stops after the current step, leaves a
// consistent run folder and exits with 130.
TEST(Commands, InterruptSavesTheRunAndExits130) {
  TempDir dir;
  make_stripe_set(dir / "data", 16);
  const pid_t pid = testing::spawn_trainbench({"train", "--data", (dir / "data").string(), "--model", "resnet18", "--img-size",
                                      "32", "-b", "4", "--epochs", "1000", "--threads", "1", "--workers", "1",
                                      "--no-progress", "--output", (dir / "run").string()});
  ASSERT_GT(pid, 0);
  // Interrupt once training has really started (its first step is logged).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!file_contains(dir / "run" / "metrics.jsonl", "train_step") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const nlohmann::json summary = read_json(dir / "run" / "summary.json");
  EXPECT_TRUE(summary["interrupted"].get<bool>());
  EXPECT_GT(summary["steps"].get<int>(), 0);
  EXPECT_LT(summary["epochs"].get<int>(), 1000);
  EXPECT_TRUE(fs::exists(dir / "run" / "last_model.safetensors"));
}

}  // namespace
}  // namespace trainbench
