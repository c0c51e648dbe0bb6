// Every model of the family, exported to ONNX and run in ONNX Runtime and
// OpenCV, gives our own eval forward's logits (the bar: 1e-4,
// absolute or relative to the logit range, and the same top-1), with random
// and with trained weights, both forms, opsets 13 and 17, batch 8 and 1; the
// ONNX checker accepts every file.
#include "deploy/resnet_onnx.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "core/error.h"
#include "data/normalize.h"
#include "deploy/export_run.h"
#include "deploy/onnx_runtimes.h"
#include "models/registry.h"
#include "models/resnet_config.h"
#include "test_support.h"
#include "weights/state_dict.h"

namespace trainbench::deploy {
namespace {
namespace fs = std::filesystem;
using testing::OnnxJob;

constexpr int kClasses = 5;
constexpr int kBatch = 8;
// 28 px: the avg-down shortcuts meet odd sizes (7 -> 4), so their
// ceil_mode pooling's partial windows are exercised.
constexpr int kImageSize = 28;
constexpr double kTolerance = 1e-4;

ModelInterface interface_for_tests() {
  return {kImageSize, data::kImageNetMean, data::kImageNetStd, kClasses};
}

// Every parameter and statistic away from its initial value, so no weight
// (a zero-initialised last BN gamma, a unit running variance) hides a
// misplaced tensor.
void randomize(models::Classifier& model) {
  torch::NoGradGuard no_grad;
  // state_dict's tensors share the module's storage.
  for (auto& [name, tensor] : weights::state_dict(model)) {
    if (name.find("bn") != std::string::npos || name.find("downsample") != std::string::npos ||
        name.find("conv1.1") != std::string::npos || name.find("conv1.4") != std::string::npos) {
      if (tensor.dim() == 1) tensor.uniform_(0.5, 1.5).mul_(name.size() % 2 ? 1 : -0.5);
    }
    if (tensor.dim() == 1 && name.find(".bias") != std::string::npos) tensor.normal_(0.0, 0.2);
    if (name.find("running_mean") != std::string::npos) tensor.normal_(0.0, 0.2);
    if (name.find("running_var") != std::string::npos) tensor.uniform_(0.5, 2.0);
  }
}

// A few real optimisation steps in train mode: weights move and the batch
// norms' running statistics are the ones training left.
void train_a_little(models::Classifier& model) {
  model.train();
  torch::optim::SGD optimizer(model.parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  for (int step = 0; step < 3; ++step) {
    const torch::Tensor images = torch::randn({kBatch, 3, kImageSize, kImageSize});
    const torch::Tensor labels = torch::randint(kClasses, {kBatch}, torch::kInt64);
    optimizer.zero_grad();
    torch::nn::functional::cross_entropy(model.forward(images), labels).backward();
    optimizer.step();
  }
  model.eval();
}

// What one exported file is checked against.
struct Expectation {
  std::string label;
  torch::Tensor reference;
  double tolerance = kTolerance;
  bool opencv = true;  // OpenCV 4.6 reads no float16 weights
};

class ResNetOnnx : public ::testing::TestWithParam<std::string> {};

TEST_P(ResNetOnnx, RuntimesGiveOurLogits) {
  const std::string architecture = GetParam();
  testing::TempDir dir;
  torch::manual_seed(11);
  const torch::Tensor pixels = torch::randint(0, 256, {kBatch, kImageSize, kImageSize, 3}, torch::kUInt8);
  const torch::Tensor images = data::normalize_batch(pixels, torch::MemoryFormat::Contiguous).contiguous();

  std::vector<OnnxJob> jobs;
  std::vector<Expectation> expected;
  const std::set<std::string> allowed_ops = {"Conv", "BatchNormalization", "Relu", "MaxPool", "AveragePool", "Add",
                                             "GlobalAveragePool", "Flatten", "Gemm", "Softmax", "Cast", "Transpose"};
  for (const std::string weights : {"random", "trained"}) {
    std::shared_ptr<models::Classifier> model = models::create_model(architecture, kClasses);
    if (weights == "random") {
      randomize(*model);
      model->eval();
    } else {
      train_a_little(*model);
    }
    torch::Tensor logits;
    {
      torch::NoGradGuard no_grad;
      logits = model->forward(images);
    }
    const torch::Tensor probabilities = torch::softmax(logits, 1);
    auto add = [&](const std::string& label, OnnxExportOptions options, const torch::Tensor& input,
                   const torch::Tensor& reference, double tolerance = kTolerance) {
      const OnnxModel onnx = classifier_to_onnx(*model, interface_for_tests(), options);
      for (const OnnxNode& node : onnx.graph.nodes) {
        EXPECT_TRUE(allowed_ops.count(node.op_type)) << label << ": " << node.op_type << " (" << node.name << ")";
      }
      const fs::path file = dir / (label + ".onnx");
      testing::write_onnx_file(file, onnx);
      jobs.push_back({file, input});
      expected.push_back({label, reference, tolerance, options.dtype == OnnxType::kFloat});
    };
    for (const int opset : {13, 17}) {
      OnnxExportOptions options;
      options.opset = opset;
      const std::string suffix = weights + "-opset" + std::to_string(opset);
      add("logits-" + suffix, options, images, logits);
      options.with_preprocessing = true;
      add("pixels-" + suffix, options, pixels, probabilities);
    }
    // The dynamic batch at 1 (the files above ran at 8).
    jobs.push_back({dir / ("logits-" + weights + "-opset17.onnx"), images.slice(0, 0, 1)});
    expected.push_back({"batch1-" + weights, logits.slice(0, 0, 1), kTolerance, true});
    OnnxExportOptions unfolded;
    unfolded.fold_batch_norm = false;
    add("unfolded-" + weights, unfolded, images, logits);
    // float16: checked by ONNX Runtime at float16's precision (10-bit mantissa).
    OnnxExportOptions half;
    half.dtype = OnnxType::kFloat16;
    add("float16-" + weights, half, images.to(torch::kFloat16), logits, 3e-2);
  }

  const testing::OnnxRuntimeResults results = testing::run_onnx_runtimes(jobs, dir.path());
  ASSERT_EQ(results.onnxruntime.size(), jobs.size());
  ASSERT_EQ(results.opencv.size(), jobs.size());
  // The worst difference per runtime, float32 files only, for the log.
  double worst_onnxruntime = 0.0;
  double worst_opencv = 0.0;
  auto track = [](double* worst, const torch::Tensor& runtime, const torch::Tensor& reference) {
    if (runtime.defined() && runtime.sizes() == reference.sizes()) {
      *worst = std::max(*worst, (runtime - reference).abs().max().item<double>());
    }
  };
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    SCOPED_TRACE(architecture + " " + expected[i].label);
    EXPECT_EQ(results.checker[i], "ok");
    std::string error;
    const torch::Tensor from_onnxruntime = testing::output_tensor(results.onnxruntime[i], &error);
    EXPECT_EQ(error, "") << "ONNX Runtime";
    EXPECT_TRUE(testing::outputs_agree(from_onnxruntime, expected[i].reference, expected[i].tolerance)) << "ONNX Runtime";
    if (!expected[i].opencv) continue;
    track(&worst_onnxruntime, from_onnxruntime, expected[i].reference);
    const torch::Tensor from_opencv = testing::output_tensor(results.opencv[i], &error);
    EXPECT_EQ(error, "") << "OpenCV";
    EXPECT_TRUE(testing::outputs_agree(from_opencv, expected[i].reference, expected[i].tolerance)) << "OpenCV";
    track(&worst_opencv, from_opencv, expected[i].reference);
  }
  std::printf("%s, %zu runs: largest difference from our forward, float32: ONNX Runtime %.2g, OpenCV %.2g\n",
              architecture.c_str(), jobs.size(), worst_onnxruntime, worst_opencv);
}

std::vector<std::string> resnet_names() {
  std::vector<std::string> names;
  for (const models::ResNetConfig& config : models::resnet_configs()) names.push_back(config.architecture);
  return names;
}

// The family the exporter lowers (other families refuse by name: export tests).
INSTANTIATE_TEST_SUITE_P(Family, ResNetOnnx, ::testing::ValuesIn(resnet_names()));

// Every opset --opset accepts, not only 13 and 17, loads in OpenCV 4.6 (whose
// importer rejects PyTorch 1.13's own export at opsets 14 and 17) and ONNX
// Runtime: resnet18d has every operator the family uses.
TEST(ResNetOnnxOpsets, EveryOfferedOpsetRunsInBothRuntimes) {
  testing::TempDir dir;
  torch::manual_seed(5);
  std::shared_ptr<models::Classifier> model = models::create_model("resnet18d", kClasses);
  randomize(*model);
  model->eval();
  const torch::Tensor images = torch::randn({2, 3, kImageSize, kImageSize});
  torch::Tensor logits;
  {
    torch::NoGradGuard no_grad;
    logits = model->forward(images);
  }
  std::vector<OnnxJob> jobs;
  for (int opset = kMinOpset; opset <= kMaxOpset; ++opset) {
    OnnxExportOptions options;
    options.opset = opset;
    const fs::path file = dir / ("opset" + std::to_string(opset) + ".onnx");
    testing::write_onnx_file(file, classifier_to_onnx(*model, interface_for_tests(), options));
    jobs.push_back({file, images});
  }
  const testing::OnnxRuntimeResults results = testing::run_onnx_runtimes(jobs, dir.path());
  ASSERT_EQ(results.onnxruntime.size(), jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    SCOPED_TRACE(jobs[i].model.filename().string());
    EXPECT_EQ(results.checker[i], "ok");
    std::string error;
    EXPECT_TRUE(testing::outputs_agree(testing::output_tensor(results.onnxruntime[i], &error), logits, kTolerance))
        << "ONNX Runtime " << error;
    EXPECT_TRUE(testing::outputs_agree(testing::output_tensor(results.opencv[i], &error), logits, kTolerance))
        << "OpenCV " << error;
  }
}

TEST(ResNetOnnxErrors, MissingAndMisShapedWeightsAreListedTogether) {
  std::shared_ptr<models::Classifier> model = models::create_model("resnet18", kClasses);
  HostWeights host = host_weights(*model);
  ASSERT_EQ(host.erase("layer2.1.bn2.running_var"), 1u);
  host["fc.weight"].shape = {kClasses + 1, 512};
  host["fc.weight"].values.resize((kClasses + 1) * 512);
  try {
    resnet_to_onnx(models::find_resnet_config("resnet18"), host, interface_for_tests(), {}, "test");
    FAIL() << "bad weights exported";
  } catch (const ModelError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("the weights do not fit resnet18"), std::string::npos) << message;
    EXPECT_NE(message.find("layer2.1.bn2.running_var: missing"), std::string::npos) << message;
    EXPECT_NE(message.find("fc.weight: [6, 512] where the architecture needs [5, 512]"), std::string::npos) << message;
  }
  OnnxExportOptions options;
  options.opset = 12;
  EXPECT_THROW(resnet_to_onnx(models::find_resnet_config("resnet18"), host_weights(*model), interface_for_tests(), options, ""),
               UsageError);
}

// The graph's interface: names, dtypes and the symbolic batch dimension.
TEST(ResNetOnnxErrors, InputsAndOutputsAreNamedAndBatchIsDynamic) {
  std::shared_ptr<models::Classifier> model = models::create_model("resnet18d", kClasses);
  OnnxExportOptions options;
  options.with_preprocessing = true;
  const OnnxModel onnx = resnet_to_onnx(models::find_resnet_config("resnet18d"), host_weights(*model),
                                        interface_for_tests(), options, "test");
  ASSERT_EQ(onnx.graph.inputs.size(), 1u);
  EXPECT_EQ(onnx.graph.inputs[0].name, "input");
  EXPECT_EQ(onnx.graph.inputs[0].type, OnnxType::kUint8);
  EXPECT_EQ(onnx.graph.inputs[0].dims[0].param, "batch");
  EXPECT_EQ(onnx.graph.inputs[0].dims[3].value, 3);
  ASSERT_EQ(onnx.graph.outputs.size(), 1u);
  EXPECT_EQ(onnx.graph.outputs[0].name, "probabilities");
  EXPECT_EQ(onnx.graph.nodes.back().op_type, "Softmax");
  EXPECT_EQ(onnx.ir_version, 8);
  for (const OnnxNode& node : onnx.graph.nodes) {
    EXPECT_EQ(node.op_type == "BatchNormalization", false) << "folded by default";
  }
}

}  // namespace
}  // namespace trainbench::deploy
