#include "bench/flop_count.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/memory_format.h"
#include "models/registry.h"
#include "test_support.h"

namespace trainbench::bench {
namespace {

using testing::TempDir;

constexpr int kClasses = 1000;  // the published figures are for ImageNet heads

FlopCount count(const std::string& arch, int image_size) {
  auto model = models::create_model(arch, kClasses);
  return count_forward_flops(*model, image_size);
}

// Counts of the same models by tests/reference/flops_reference.py: forward
// hooks on PyTorch's Conv2d/Linear (torchvision's resnet18/50, the timm-layout
// transcription for the -d variants), 2 * multiply-adds from the real output
// shapes. 97 px exercises odd sizes (rounding in strides, ceil-mode pooling of
// the average-pool shortcuts).
TEST(FlopCount, MatchesPyTorchHooksOnTheSameArchitectures) {
  const std::vector<std::pair<std::string, int>> cases = {
      {"resnet18", 224}, {"resnet50", 224}, {"resnet18d", 224}, {"resnet50d", 224}, {"resnet18", 160}, {"resnet18d", 97}};
  TempDir dir;
  const auto file = dir / "flops.json";
  std::vector<std::string> args = {file.string(), std::to_string(kClasses)};
  for (const auto& [arch, size] : cases) args.push_back(arch + "@" + std::to_string(size));
  ASSERT_EQ(testing::run_reference("flops_reference.py", args), 0);
  std::ifstream in(file);
  const nlohmann::json reference = nlohmann::json::parse(in);

  for (const auto& [arch, size] : cases) {
    const std::string key = arch + "@" + std::to_string(size);
    const nlohmann::json& expected = reference.at(key);
    const FlopCount ours = count(arch, size);
    const double forward = expected.at("forward_flops").get<double>();
    EXPECT_NEAR(ours.forward_flops, forward, 1e-3 * forward) << key;
    EXPECT_NEAR(ours.convolution_flops, expected.at("convolution_flops").get<double>(), 1e-3 * forward) << key;
    EXPECT_NEAR(ours.matmul_flops, expected.at("matmul_flops").get<double>(), 1e-3 * ours.matmul_flops) << key;
    EXPECT_EQ(ours.layers_counted, expected.at("layers").get<std::int64_t>()) << key;
    EXPECT_DOUBLE_EQ(ours.forward_flops, ours.convolution_flops + ours.matmul_flops) << key;
  }
}

TEST(FlopCount, AgreesWithThePublishedFigures) {
  // torchvision's model cards: resnet18 1.81 GMACs, resnet50 4.09 GMACs at
  // 224 px; a multiply-add is 2 FLOPs.
  EXPECT_NEAR(count("resnet18", 224).forward_flops / 1e9, 2 * 1.814, 0.01);
  EXPECT_NEAR(count("resnet50", 224).forward_flops / 1e9, 2 * 4.089, 0.02);
  // The fc layer alone: 512 x 1000 multiply-adds.
  EXPECT_DOUBLE_EQ(count("resnet18", 224).matmul_flops, 2.0 * 512 * 1000);
}

// resnet18d differs from resnet18 only in the stem (the average-pool
// shortcuts cost what the strided 1x1 convs did: the same convs at the same
// output size). At 224 px every stem conv writes 112 x 112 pixels:
//   7x7 stem:   3->64 x 49                                 = 64 x 147 MACs per pixel
//   deep stem:  3->32 x 9 + 32->32 x 9 + 32->64 x 9        = 32 x 27 + 32 x 288 + 64 x 288
TEST(FlopCount, DeepStemAddsExactlyItsConvolutions) {
  const double pixels = 112.0 * 112.0;
  const double plain_stem = pixels * 64 * 3 * 49;
  const double deep_stem = pixels * (32 * 3 * 9 + 32 * 32 * 9 + 64 * 32 * 9);
  const double difference = count("resnet18d", 224).forward_flops - count("resnet18", 224).forward_flops;
  EXPECT_DOUBLE_EQ(difference, 2.0 * (deep_stem - plain_stem));
  EXPECT_EQ(count("resnet18d", 224).layers_counted, count("resnet18", 224).layers_counted + 2);
}

TEST(FlopCount, ScalesWithTheImageArea) {
  for (const std::string arch : {"resnet18", "resnet50d"}) {
    const FlopCount small = count(arch, 160);
    const FlopCount large = count(arch, 320);
    EXPECT_NEAR(large.forward_flops / small.forward_flops, 4.0, 0.08) << arch;
    // The head sees one pooled vector whatever the size.
    EXPECT_DOUBLE_EQ(large.matmul_flops, small.matmul_flops) << arch;
  }
}

TEST(FlopCount, LeavesModesParametersAndStatisticsAsTheyWere) {
  auto model = models::create_model("resnet18d", 10);
  model->train();
  // A submodule in its own mode, and a frozen layer.
  std::shared_ptr<torch::nn::Module> frozen_norm = model->named_modules()["layer1.0.bn1"];
  frozen_norm->eval();
  torch::Tensor frozen = model->named_parameters()["conv1.0.weight"];
  frozen.requires_grad_(false);

  std::map<std::string, torch::Tensor> before;
  for (const auto& item : model->named_parameters()) before[item.key()] = item.value().detach().clone();
  for (const auto& item : model->named_buffers()) before[item.key()] = item.value().detach().clone();

  const FlopCount counted = count_forward_flops(*model, 64);
  EXPECT_GT(counted.forward_flops, 0.0);

  EXPECT_TRUE(model->is_training());
  EXPECT_FALSE(frozen_norm->is_training());
  EXPECT_TRUE(model->named_modules()["layer1.0.bn2"]->is_training());
  EXPECT_FALSE(frozen.requires_grad());
  EXPECT_TRUE(model->named_parameters()["fc.weight"].requires_grad());
  for (const auto& item : model->named_parameters()) {
    EXPECT_TRUE(torch::equal(item.value(), before.at(item.key()))) << item.key();
    EXPECT_FALSE(item.value().grad().defined()) << item.key() << " got a gradient";
  }
  // Batch-norm running statistics and num_batches_tracked did not move.
  for (const auto& item : model->named_buffers()) {
    EXPECT_TRUE(torch::equal(item.value(), before.at(item.key()))) << item.key();
  }
  // The frozen stem conv still counts: same total as a fresh model's.
  EXPECT_DOUBLE_EQ(counted.forward_flops, count("resnet18d", 64).forward_flops - 2.0 * 512 * (kClasses - 10));
}

TEST(FlopCount, CountsTheSameInsideNoGradAndInChannelsLast) {
  const double expected = count("resnet18", 128).forward_flops;
  {
    torch::NoGradGuard no_grad;
    EXPECT_DOUBLE_EQ(count("resnet18", 128).forward_flops, expected);
  }
  auto model = models::create_model("resnet18", kClasses);
  core::convert_to_channels_last(*model);
  EXPECT_DOUBLE_EQ(count_forward_flops(*model, 128).forward_flops, expected);
}

// Counting between seeding and a run's first draw must not change the draws.
TEST(FlopCount, LeavesTheRandomStreamAlone) {
  auto model = models::create_model("resnet18", 10);
  torch::manual_seed(7);
  const torch::Tensor expected = torch::rand({4});
  torch::manual_seed(7);
  count_forward_flops(*model, 32);
  EXPECT_TRUE(torch::equal(torch::rand({4}), expected));
}

TEST(FlopCount, RejectsSizesItCannotCount) {
  auto model = models::create_model("resnet18", 10);
  EXPECT_THROW(count_forward_flops(*model, 0), UsageError);
  EXPECT_THROW(count_forward_flops(*model, -3), UsageError);
}

}  // namespace
}  // namespace trainbench::bench
