#include "models/convnext.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/memory_format.h"
#include "models/registry.h"
#include "test_support.h"

namespace trainbench::models {
namespace {

using testing::TempDir;

// convnext_tiny with torchvision's settings where they differ from timm's:
// stochastic depth off, as the reference builds it (stochastic_depth_prob=0).
ConvNeXtConfig torchvision_tiny() {
  ConvNeXtConfig config = convnext_configs().front();
  config.drop_path_rate = 0.0;
  return config;
}

// torchvision 0.14's convnext_tiny, same weights (timm's names), same 64 px
// input: the same logits in eval and train mode (stochastic depth off, no
// dropout or batch norm) within 1e-4, and the same gradients of the
// cross-entropy within 1e-4 of each tensor's largest.
TEST(ConvNeXtParity, MatchesTorchvisionLogitsAndGradients) {
  TempDir dir;
  const auto file = dir / "convnext_tiny.tensors";
  ASSERT_EQ(testing::run_reference("convnext_reference.py", {file.string()}), 0);
  const auto reference = testing::read_tensor_file(file);
  auto model = std::make_shared<ConvNeXt>(torchvision_tiny(), 19);
  // Two blocks of 9 tensors; stem 4, three downsamplings of 4, head 4.
  EXPECT_EQ(testing::expect_matches_reference(*model, reference), 2 * 9 + 4 + 3 * 4 + 4);
}

// The published count with a 1000-way head (timm and torchvision agree).
TEST(ConvNeXt, ParameterCountMatchesThePublishedModel) {
  std::int64_t total = 0;
  for (const auto& p : create_model("convnext_tiny", 1000)->parameters()) total += p.numel();
  EXPECT_EQ(total, 28589128);
}

// timm's initialisation: layer scale at 1e-6, zero biases, LayerNorms at
// ones, convolution and linear weights normal with std 0.02.
TEST(ConvNeXt, InitialisesAsTimmDoes) {
  std::shared_ptr<Classifier> model = create_model("convnext_tiny", 10);
  const auto params = model->named_parameters();
  EXPECT_TRUE(torch::allclose(params["stages.2.blocks.5.gamma"], torch::full({384}, 1e-6)));
  EXPECT_TRUE(torch::all(params["stages.1.downsample.0.weight"] == 1).item<bool>());
  EXPECT_TRUE(torch::all(params["stages.3.blocks.2.mlp.fc2.bias"] == 0).item<bool>());
  EXPECT_TRUE(torch::all(params["stem.0.bias"] == 0).item<bool>());
  EXPECT_NEAR(params["stages.2.blocks.0.mlp.fc1.weight"].std().item<double>(), 0.02, 0.001);
  EXPECT_NEAR(params["stages.0.blocks.0.conv_dw.weight"].std().item<double>(), 0.02, 0.002);
  EXPECT_NEAR(params["head.fc.weight"].std().item<double>(), 0.02, 0.002);
  EXPECT_EQ(model->head_name(), "head.fc");
}

// Channels-last weights and input give what the contiguous model gives, at
// any size from 32 px; smaller images are refused by name.
TEST(ConvNeXt, RunsChannelsLastAtAnySizeFrom32) {
  torch::manual_seed(1);
  std::shared_ptr<Classifier> model = create_model("convnext_tiny", 5);
  {
    // Blocks that count (timm's layer scale 1e-6 makes them vanish).
    torch::NoGradGuard no_grad;
    for (auto& item : model->named_parameters()) {
      if (item.key().find("gamma") != std::string::npos) item.value().fill_(0.5);
    }
  }
  model->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor images = torch::randn({2, 3, 64, 96});
  const torch::Tensor contiguous = model->forward(images);
  EXPECT_EQ(contiguous.sizes(), (std::vector<std::int64_t>{2, 5}));
  core::convert_to_channels_last(*model);
  const torch::Tensor channels_last = model->forward(images.contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_LT(testing::relative_error(channels_last, contiguous), 1e-4);
  EXPECT_EQ(model->forward(torch::randn({1, 3, 32, 32})).sizes(), (std::vector<std::int64_t>{1, 5}));
  EXPECT_THROW(model->forward(torch::randn({1, 3, 16, 16})), UsageError);
}

// Under bf16 autocast (the CPU's native precision here) a training step runs
// on a channels-last model: convolutions and linear layers in bf16, the
// residual stream and every LayerNorm in fp32.
TEST(ConvNeXt, TrainsAStepUnderBf16Autocast) {
  std::shared_ptr<Classifier> model = create_model("convnext_tiny", 3);
  testing::expect_trains_a_step_under_bf16_autocast(*model, torch::MemoryFormat::ChannelsLast);
}

// With stochastic depth the model's training forward differs from call to
// call; in eval it does not, nor in training without it (timm's default).
TEST(ConvNeXt, StochasticDepthOnlyInTraining) {
  ConvNeXtConfig config = convnext_configs().front();
  EXPECT_EQ(config.drop_path_rate, 0.0);
  config.drop_path_rate = 0.5;
  config.layer_scale_init = 0.5;  // blocks that count
  ConvNeXt model(config, 4);
  const torch::Tensor images = torch::randn({4, 3, 32, 32});
  torch::NoGradGuard no_grad;
  model.train();
  EXPECT_FALSE(model.forward(images).equal(model.forward(images)));
  model.eval();
  EXPECT_TRUE(model.forward(images).equal(model.forward(images)));
  std::shared_ptr<Classifier> plain = create_model("convnext_tiny", 4);
  plain->train();
  EXPECT_TRUE(plain->forward(images).equal(plain->forward(images)));
}

}  // namespace
}  // namespace trainbench::models
