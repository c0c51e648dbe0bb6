#include "models/mobilenet_v3.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/mobile_model_checks.h"
#include "models/registry.h"
#include "test_support.h"

namespace trainbench::models {
namespace {

// torchvision 0.14's mobilenet_v3_large, same weights and statistics, same
// input: the same logits, statistics and gradients, with torchvision's batch
// norm (eps 1e-3, momentum 0.01; timm's are 1e-5 and 0.1) and no dropout.
TEST(MobileNetV3Parity, MatchesTorchvisionLogitsStatisticsAndGradients) {
  MobileNetOptions options;
  options.drop_rate = 0.0;
  options.drop_path_rate = 0.0;
  options.bn_eps = 1e-3;
  options.bn_momentum = 0.01;
  MobileNetV3 model(19, options);
  testing::expect_matches_torchvision("mobilenetv3_large_100", model);
}

// The published count with a 1000-way head (timm, torchvision), and timm's names.
TEST(MobileNetV3, HasThePublishedParameterCountAndTimmsNames) {
  std::shared_ptr<Classifier> model = create_model("mobilenetv3_large_100", 1000);
  std::int64_t total = 0;
  for (const auto& p : model->parameters()) total += p.numel();
  EXPECT_EQ(total, 5483032);
  const auto params = model->named_parameters();
  for (const char* name : {"conv_stem.weight", "bn1.bias", "blocks.0.0.conv_dw.weight", "blocks.0.0.bn2.weight",
                           "blocks.1.1.conv_pwl.weight", "blocks.2.0.se.conv_reduce.bias", "blocks.3.3.bn3.weight",
                           "blocks.6.0.conv.weight", "blocks.6.0.bn1.weight", "conv_head.bias", "classifier.bias"}) {
    EXPECT_NE(params.find(name), nullptr) << name;
  }
  EXPECT_EQ(params["blocks.2.0.se.conv_reduce.weight"].sizes(), (std::vector<std::int64_t>{24, 72, 1, 1}));
  EXPECT_EQ(params["conv_head.weight"].sizes(), (std::vector<std::int64_t>{1280, 960, 1, 1}));
  EXPECT_EQ(model->head_name(), "classifier");
}

TEST(MobileNetV3, TrainsAStepUnderBf16Autocast) {
  MobileNetV3 model(3);
  testing::expect_trains_a_step_under_bf16_autocast(model);
}

TEST(MobileNetV3, RunsChannelsLast) {
  MobileNetV3 model(5);
  testing::expect_channels_last_forward_matches(model);
}

}  // namespace
}  // namespace trainbench::models
