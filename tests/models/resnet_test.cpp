#include "models/resnet.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "models/registry.h"
#include "test_support.h"

namespace trainbench::models {
namespace {

using testing::TempDir;

class ResNetParity : public ::testing::TestWithParam<std::string> {};

// Same weights, same input: our logits equal PyTorch's within 1e-4 relative.
TEST_P(ResNetParity, MatchesPyTorchReference) {
  const std::string arch = GetParam();
  TempDir dir;
  const auto file = dir / (arch + ".tensors");
  ASSERT_EQ(testing::run_reference("resnet_reference.py", {arch, file.string()}), 0);
  const auto reference = testing::read_tensor_file(file);

  std::shared_ptr<Classifier> model = create_model(arch, 19);
  testing::load_every_tensor(*model, reference);
  model->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor logits = model->forward(reference.at("input"));
  const torch::Tensor expected = reference.at("logits");
  ASSERT_EQ(logits.sizes(), expected.sizes());
  const double max_error = (logits - expected).abs().max().item<double>();
  const double scale = expected.abs().max().item<double>();
  EXPECT_LT(max_error / scale, 1e-4) << arch << ": max |diff| " << max_error << " for logits up to " << scale;
}

// torchvision's resnet18/50 (the requirement) and the -d variants
// against a transcription of timm's layout.
INSTANTIATE_TEST_SUITE_P(Architectures, ResNetParity, ::testing::Values("resnet18", "resnet50", "resnet18d", "resnet50d"));

TEST(ResNet, ParameterCountsMatchThePublishedModels) {
  auto count = [](const std::string& name, int classes) {
    std::int64_t n = 0;
    for (const auto& p : create_model(name, classes)->parameters()) n += p.numel();
    return n;
  };
  // torchvision: resnet18 11,689,512 and resnet50 25,557,032 with 1000 classes;
  // timm resnet18d 11,708,744.
  EXPECT_EQ(count("resnet18", 1000), 11689512);
  EXPECT_EQ(count("resnet50", 1000), 25557032);
  EXPECT_EQ(count("resnet18d", 1000), 11708744);
  // The workload's 19-way head: 11.2M parameters.
  EXPECT_NEAR(count("resnet18d", 19) / 1e6, 11.2, 0.05);
}

TEST(ResNet, UsesTimmParameterNames) {
  auto model = create_model("resnet18d", 19);
  const auto params = model->named_parameters();
  for (const char* name : {"conv1.0.weight", "conv1.1.weight", "conv1.3.weight", "conv1.6.weight", "bn1.weight",
                           "layer1.0.conv1.weight", "layer2.0.downsample.1.weight", "layer2.0.downsample.2.bias",
                           "fc.weight", "fc.bias"}) {
    EXPECT_NE(params.find(name), nullptr) << name;
  }
  EXPECT_EQ(params["fc.weight"].sizes(), (std::vector<std::int64_t>{19, 512}));
}

TEST(ResNet, ZeroInitialisesTheLastNormOfEachBlock) {
  auto model = create_model("resnet18", 10);
  const auto params = model->named_parameters();
  EXPECT_EQ(params["layer1.0.bn2.weight"].abs().sum().item<double>(), 0.0);
  EXPECT_EQ(params["layer1.0.bn1.weight"].mean().item<double>(), 1.0);
}

TEST(Registry, EveryModelHasOneLogitPerClass) {
  for (const std::string& name : model_names()) {
    auto model = create_model(name, 7);
    model->eval();
    torch::NoGradGuard no_grad;
    EXPECT_EQ(model->forward(torch::randn({2, 3, 32, 48})).sizes(), (std::vector<std::int64_t>{2, 7})) << name;
    EXPECT_EQ(model->architecture(), name);
  }
}

TEST(Registry, RejectsUnknownNamesAndListsTheKnownOnes) {
  try {
    create_model("resnet19", 10);
    FAIL() << "no error";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("resnet18d"), std::string::npos) << e.what();
  }
  EXPECT_THROW(create_model("resnet18", 1), ModelError);
}

}  // namespace
}  // namespace trainbench::models
