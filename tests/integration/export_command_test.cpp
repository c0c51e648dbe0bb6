// `trainbench export` end to end: a trained run to ONNX with the
// preprocessing inside, run by ONNX Runtime on the pixels `predict` sees,
// gives `predict`'s probabilities; and every bad request is one clear error
// that writes nothing.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <fstream>

#include "data/image_codec.h"
#include "data/resize_pad.h"
#include "deploy/onnx_runtimes.h"
#include "test_support.h"

namespace trainbench {
namespace {

namespace fs = std::filesystem;
using testing::quoted;
using testing::read_json;
using testing::TempDir;
using testing::trainbench_command;

constexpr int kImageSize = 32;


// A small synthetic gesture set and a two-step resnet18 run on it.
void train_run(const TempDir& dir) {
  int code = -1;
  std::string out = testing::run_command(
      trainbench_command("data synth --classes 3 --per-class 4 --out " + quoted(dir / "data") + " 2>&1"), &code);
  ASSERT_EQ(code, 0) << out;
  out = testing::run_command(trainbench_command("train --data " + quoted(dir / "data") +
                                                " --model resnet18 --img-size 32 -b 4 --epochs 1 --max-steps 2 "
                                                "--threads 2 --workers 2 --no-progress --no-report --output " +
                                                quoted(dir / "run") + " 2>&1"),
                             &code);
  ASSERT_EQ(code, 0) << out;
}

fs::path first_image(const fs::path& data) {
  for (const auto& entry : fs::recursive_directory_iterator(data)) {
    if (entry.is_regular_file() && entry.path().extension() == ".jpg") return entry.path();
  }
  return {};
}

TEST(ExportCommand, OnnxWithPreprocessingGivesPredictsProbabilities) {
  TempDir dir;
  train_run(dir);
  int code = -1;
  const fs::path onnx = dir / "deploy" / "gestures.onnx";
  std::string out =
      testing::run_command(trainbench_command("export --run " + quoted(dir / "run") + " --out " + quoted(onnx) +
                                              " --with-preprocessing --opset 13"),
                           &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("resnet18 as ONNX opset 13, float32, uint8 NHWC pixels in, probabilities out, batch norm folded"),
            std::string::npos)
      << out;
  const nlohmann::json card = read_json(dir / "deploy" / "gestures.json");
  EXPECT_EQ(card["format"], "onnx");
  EXPECT_EQ(card["architecture"], "resnet18");
  EXPECT_EQ(card["image_size"], kImageSize);
  EXPECT_EQ(card["classes"].size(), 3u);
  EXPECT_EQ(card["onnx"]["opset"], 13);
  EXPECT_EQ(card["onnx"]["input"]["dtype"], "uint8");
  EXPECT_EQ(card["onnx"]["input"]["shape"], nlohmann::json({"batch", kImageSize, kImageSize, 3}));
  EXPECT_EQ(card["onnx"]["output"]["name"], "probabilities");

  // predict's answer for one image, every class.
  const fs::path image = first_image(dir / "data");
  ASSERT_FALSE(image.empty());
  out = testing::run_command(
      trainbench_command("predict --json --top-k 3 --run " + quoted(dir / "run") + " " + quoted(image)), &code);
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json predicted = nlohmann::json::parse(out)[0]["top"];
  // The same image as predict prepares it, into the exported graph.
  const data::Image decoded = data::read_image_file(image, kImageSize);
  torch::Tensor pixels = torch::empty({1, kImageSize, kImageSize, 3}, torch::kUInt8);
  data::resize_pad_into(decoded, kImageSize, pixels.data_ptr<std::uint8_t>());
  const testing::OnnxRuntimeResults results = testing::run_onnx_runtimes({{onnx, pixels}}, dir.path());
  ASSERT_EQ(results.onnxruntime.size(), 1u);
  EXPECT_EQ(results.checker[0], "ok");
  std::string error;
  const torch::Tensor probabilities = testing::output_tensor(results.onnxruntime[0], &error);
  ASSERT_EQ(error, "");
  std::vector<std::string> classes = card["classes"].get<std::vector<std::string>>();
  for (const nlohmann::json& entry : predicted) {
    const auto index = std::find(classes.begin(), classes.end(), entry["class"].get<std::string>()) - classes.begin();
    EXPECT_NEAR(probabilities[0][index].item<double>(), entry["probability"].get<double>(), 1e-4) << entry;
  }
}

TEST(ExportCommand, BadRequestsAreOneClearErrorAndWriteNothing) {
  TempDir dir;
  train_run(dir);
  const std::string run = " --run " + quoted(dir / "run");
  fs::remove(dir / "run" / "last_model.safetensors");  // as in a run stopped before its last epoch ended
  struct Case {
    std::string args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"--out " + quoted(dir / "m.onnx") + " --opset 12", "--opset must be between 13 and 17, got 12"},
      {"--out " + quoted(dir / "m.onnx") + " --dtype float64", "--dtype must be float32 or float16, got 'float64'"},
      {"--out " + quoted(dir / "m.safetensors") + " --format onnx", "--format onnx writes a .onnx file"},
      {"--out " + quoted(dir / "m.pt"), "the format comes from the extension, .onnx or .safetensors"},
      {"--out " + quoted(dir / "m.safetensors") + " --with-preprocessing",
       "--with-preprocessing applies to ONNX exports only"},
      {"--out " + quoted(dir / "m.onnx") + " --last", "has no last_model.safetensors"},
  };
  for (const Case& c : cases) {
    int code = -1;
    const std::string out = testing::run_command(trainbench_command("export" + run + " " + c.args + " 2>&1"), &code);
    EXPECT_EQ(code, 1) << c.args << "\n" << out;
    EXPECT_NE(out.find(c.message), std::string::npos) << c.args << "\n" << out;
  }
  for (const char* name : {"m.onnx", "m.json", "m.safetensors", "m.pt"}) EXPECT_FALSE(fs::exists(dir / name)) << name;

  // An existing file stays as it was without --overwrite.
  std::ofstream(dir / "kept.onnx") << "mine";
  int code = -1;
  std::string out =
      testing::run_command(trainbench_command("export" + run + " --out " + quoted(dir / "kept.onnx") + " 2>&1"), &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("exists; pass --overwrite"), std::string::npos) << out;
  std::ifstream kept(dir / "kept.onnx");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(kept), {}), "mine");

  // Weights that do not fit the architecture the card names.
  const fs::path card_file = dir / "run" / "best_model.json";
  nlohmann::json card = read_json(card_file);
  card["architecture"] = "resnet34";
  std::ofstream(card_file) << card.dump();
  out = testing::run_command(trainbench_command("export" + run + " --out " + quoted(dir / "bad.onnx") + " 2>&1"), &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("layer1.2.conv1.weight"), std::string::npos) << out;  // resnet34 has a third block
  EXPECT_FALSE(fs::exists(dir / "bad.onnx"));
}

}  // namespace
}  // namespace trainbench
