#include "models/efficientnet.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/mobile_model_checks.h"
#include "models/registry.h"
#include "test_support.h"

namespace trainbench::models {
namespace {

// torchvision 0.14's efficientnet_b0, same weights and statistics, same
// input: the same logits, statistics and gradients. Its batch norm is
// timm's (eps 1e-5, momentum 0.1); dropout and stochastic depth are off in
// both for the train-mode step.
TEST(EfficientNetParity, MatchesTorchvisionLogitsStatisticsAndGradients) {
  MobileNetOptions options;
  options.drop_rate = 0.0;
  options.drop_path_rate = 0.0;
  EfficientNet model(19, options);
  testing::expect_matches_torchvision("efficientnet_b0", model);
}

// The published count with a 1000-way head (timm, torchvision), and timm's names.
TEST(EfficientNet, HasThePublishedParameterCountAndTimmsNames) {
  std::shared_ptr<Classifier> model = create_model("efficientnet_b0", 1000);
  std::int64_t total = 0;
  for (const auto& p : model->parameters()) total += p.numel();
  EXPECT_EQ(total, 5288548);
  const auto params = model->named_parameters();
  for (const char* name : {"conv_stem.weight", "bn1.weight", "blocks.0.0.conv_dw.weight", "blocks.0.0.se.conv_reduce.bias",
                           "blocks.0.0.conv_pw.weight", "blocks.1.0.conv_pw.weight", "blocks.5.3.se.conv_expand.weight",
                           "blocks.6.0.conv_pwl.weight", "blocks.6.0.bn3.bias", "conv_head.weight", "bn2.weight",
                           "classifier.weight"}) {
    EXPECT_NE(params.find(name), nullptr) << name;
  }
  EXPECT_EQ(params["blocks.1.0.se.conv_reduce.weight"].sizes(), (std::vector<std::int64_t>{4, 96, 1, 1}));
  EXPECT_EQ(model->head_name(), "classifier");
}

TEST(EfficientNet, TrainsAStepUnderBf16Autocast) {
  EfficientNet model(3);
  testing::expect_trains_a_step_under_bf16_autocast(model);
}

TEST(EfficientNet, RunsChannelsLast) {
  EfficientNet model(5);
  testing::expect_channels_last_forward_matches(model);
}

}  // namespace
}  // namespace trainbench::models
