#include "train/model_weights.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "core/error.h"
#include "models/registry.h"
#include "test_support.h"
#include "weights/safetensors.h"

namespace trainbench::train {
namespace {

using testing::TempDir;

double max_relative_difference(const torch::Tensor& actual, const torch::Tensor& expected) {
  return (actual - expected).abs().max().item<double>() / expected.abs().max().item<double>();
}

torch::Tensor logits_of(models::Classifier& model, const torch::Tensor& input) {
  torch::NoGradGuard no_grad;
  model.eval();
  return model.forward(input);
}

weights::ModelCard card_for(const models::Classifier& model) {
  weights::ModelCard card;
  card.architecture = model.architecture();
  for (int i = 0; i < model.num_classes(); ++i) card.classes.push_back("class" + std::to_string(i));
  card.image_size = 64;
  card.mean = {0.485f, 0.456f, 0.406f};
  card.std = {0.229f, 0.224f, 0.225f};
  card.amp = "off";
  return card;
}

// torchvision resnet18 with random weights, saved as safetensors by Python:
// loaded with --pretrained's loader, our logits equal torchvision's.
TEST(ModelWeights, TorchvisionWeightsGiveTorchvisionLogits) {
  TempDir dir;
  const auto weights_file = dir / "tv.safetensors";
  const auto check_file = dir / "check.tensors";
  ASSERT_EQ(testing::run_reference("weights_reference.py",
                                   {"make", "resnet18", "10", weights_file.string(), check_file.string()}),
            0);
  const auto check = testing::read_tensor_file(check_file);
  std::shared_ptr<models::Classifier> model = models::create_model("resnet18", 10);
  const PretrainedLoad load = load_pretrained(*model, weights_file, /*strict=*/true);
  EXPECT_TRUE(load.report.clean()) << load.report.describe_problems();
  EXPECT_TRUE(load.report.reinitialized.empty());
  EXPECT_EQ(load.report.loaded, 122);  // 62 parameters + 60 BatchNorm buffers of resnet18
  EXPECT_LT(max_relative_difference(logits_of(*model, check.at("input")), check.at("logits")), 1e-4);
}

// And back: weights trainbench writes load into torchvision (strict) and give
// trainbench's logits.
TEST(ModelWeights, SavedWeightsLoadIntoTorchvision) {
  TempDir dir;
  torch::manual_seed(3);
  std::shared_ptr<models::Classifier> model = models::create_model("resnet18", 7);
  {
    // Fresh models have zeroed last BNs and unit statistics; perturb every
    // tensor so the comparison exercises all of them.
    torch::NoGradGuard no_grad;
    for (auto& [name, tensor] : weights::state_dict(*model)) {
      if (name.find("running_var") != std::string::npos) {
        tensor.uniform_(0.5, 1.5);
      } else if (tensor.is_floating_point()) {
        tensor.normal_(0.0, 0.05);
      }
    }
  }
  const torch::Tensor input = torch::randn({2, 3, 64, 64});
  const torch::Tensor logits = logits_of(*model, input);
  const auto weights_file = dir / "ours.safetensors";
  save_model_weights(*model, card_for(*model), weights_file);
  testing::write_tensor_file(dir / "check.tensors", {{"input", input}, {"logits", logits}});
  EXPECT_EQ(testing::run_reference("weights_reference.py", {"check", "resnet18", "7", weights_file.string(),
                                                            (dir / "check.tensors").string()}),
            0);
  // The card beside it says how to use them.
  const weights::ModelCard card = weights::read_model_card(dir / "ours.json");
  EXPECT_EQ(card.architecture, "resnet18");
  EXPECT_EQ(card.classes.size(), 7u);
  EXPECT_EQ(card.image_size, 64);
}

// A 1000-class ImageNet head on a 5-class model: the head stays freshly
// initialised and is reported; every other tensor loads.
TEST(ModelWeights, PretrainedHeadForOtherClassCountIsReinitialised) {
  TempDir dir;
  std::shared_ptr<models::Classifier> imagenet = models::create_model("resnet18d", 1000);
  save_model_weights(*imagenet, card_for(*imagenet), dir / "imagenet.safetensors");

  torch::manual_seed(11);
  std::shared_ptr<models::Classifier> model = models::create_model("resnet18d", 5);
  const torch::Tensor fresh_head = model->named_parameters()["fc.weight"].clone();
  const PretrainedLoad load = load_pretrained(*model, dir / "imagenet.safetensors", /*strict=*/true);
  ASSERT_EQ(load.report.reinitialized.size(), 2u);
  EXPECT_NE(load.report.reinitialized[0].find("fc.weight"), std::string::npos);
  EXPECT_TRUE(torch::equal(model->named_parameters()["fc.weight"], fresh_head));
  EXPECT_TRUE(torch::equal(model->named_parameters()["conv1.0.weight"], imagenet->named_parameters()["conv1.0.weight"]));
  EXPECT_NE(load.summary.find("re-initialised for 5 classes"), std::string::npos) << load.summary;
}

// DataParallel's "module." prefix is mapped away; a missing tensor outside the
// head is an error listing it, or a warning with --pretrained-strict off.
TEST(ModelWeights, PrefixesAreStrippedAndMismatchesListed) {
  TempDir dir;
  std::shared_ptr<models::Classifier> source = models::create_model("resnet18", 4);
  weights::NamedTensors tensors;
  for (const auto& [name, tensor] : weights::state_dict(*source)) {
    if (name != "layer1.0.bn1.running_mean") tensors.emplace_back("module." + name, tensor);
  }
  tensors.emplace_back("module.extra.weight", torch::zeros({3}));
  weights::write_safetensors(dir / "wrapped.safetensors", tensors);

  std::shared_ptr<models::Classifier> model = models::create_model("resnet18", 4);
  try {
    load_pretrained(*model, dir / "wrapped.safetensors", /*strict=*/true);
    FAIL() << "expected a ModelError";
  } catch (const ModelError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("layer1.0.bn1.running_mean"), std::string::npos) << message;
    EXPECT_NE(message.find("extra.weight"), std::string::npos) << message;
    EXPECT_NE(message.find("--pretrained-strict off"), std::string::npos) << message;
  }
  const PretrainedLoad lax = load_pretrained(*model, dir / "wrapped.safetensors", /*strict=*/false);
  EXPECT_EQ(lax.report.missing, std::vector<std::string>{"layer1.0.bn1.running_mean"});
  EXPECT_EQ(lax.report.unexpected, std::vector<std::string>{"extra.weight"});
  EXPECT_NE(lax.summary.find("WARNING"), std::string::npos);
}

// A PyTorch .pth converted by scripts/pth-to-safetensors loads; the .pth
// itself is refused with a message naming the converter.
TEST(ModelWeights, PthIsRefusedAndTheConverterFixesIt) {
  TempDir dir;
  const auto pth = dir / "tv.pth";
  ASSERT_EQ(testing::run_reference("weights_reference.py", {"make", "resnet18", "10", (dir / "unused.safetensors").string(),
                                                            (dir / "check.tensors").string(), pth.string()}),
            0);
  std::shared_ptr<models::Classifier> model = models::create_model("resnet18", 10);
  try {
    load_pretrained(*model, pth, true);
    FAIL() << "expected a ModelError";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("pth-to-safetensors"), std::string::npos) << e.what();
  }
  int code = -1;
  testing::run_command("/usr/bin/python3 " + (testing::source_dir() / "scripts/pth-to-safetensors").string() + " " +
                           pth.string() + " " + (dir / "converted.safetensors").string(),
                       &code);
  ASSERT_EQ(code, 0);
  const PretrainedLoad load = load_pretrained(*model, dir / "converted.safetensors", true);
  EXPECT_TRUE(load.report.clean());
  const auto check = testing::read_tensor_file(dir / "check.tensors");
  EXPECT_LT(max_relative_difference(logits_of(*model, check.at("input")), check.at("logits")), 1e-4);
}

// Our own files load strictly; a file for another class count is an error.
TEST(ModelWeights, LoadModelWeightsIsStrict) {
  TempDir dir;
  std::shared_ptr<models::Classifier> model = models::create_model("resnet18d", 3);
  save_model_weights(*model, card_for(*model), dir / "w.safetensors");
  std::shared_ptr<models::Classifier> same = models::create_model("resnet18d", 3);
  load_model_weights(*same, dir / "w.safetensors");
  EXPECT_TRUE(torch::equal(same->named_parameters()["fc.weight"], model->named_parameters()["fc.weight"]));
  std::shared_ptr<models::Classifier> other = models::create_model("resnet18d", 4);
  EXPECT_THROW(load_model_weights(*other, dir / "w.safetensors"), ModelError);
  EXPECT_THROW(load_model_weights(*other, dir / "missing.safetensors"), ModelError);
}

}  // namespace
}  // namespace trainbench::train
