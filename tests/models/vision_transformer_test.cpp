#include "models/vision_transformer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "models/registry.h"
#include "test_support.h"

namespace trainbench::models {
namespace {

using testing::TempDir;

class VisionTransformerParity : public ::testing::TestWithParam<std::string> {};

// torchvision 0.14's VisionTransformer at the same size, same weights, same
// input: the same logits in eval and train mode (no dropout, no batch norm)
// within 1e-4, and the same gradients of the cross-entropy within 1e-4 of
// each tensor's largest.
TEST_P(VisionTransformerParity, MatchesTorchvisionLogitsAndGradients) {
  const std::string arch = GetParam();
  TempDir dir;
  const auto file = dir / (arch + ".tensors");
  ASSERT_EQ(testing::run_reference("vit_reference.py", {arch, file.string()}), 0);
  const auto reference = testing::read_tensor_file(file);
  std::shared_ptr<Classifier> model = create_model(arch, 19);
  SCOPED_TRACE(arch);
  // Two blocks of 12 tensors, and the 8 outside the blocks.
  EXPECT_GE(testing::expect_matches_reference(*model, reference), 2 * 12 + 8);
}

INSTANTIATE_TEST_SUITE_P(Sizes, VisionTransformerParity,
                         ::testing::Values("vit_small_patch16_224", "vit_base_patch16_224"));

// The published counts with a 1000-way head (timm, torchvision).
TEST(VisionTransformer, ParameterCountsMatchThePublishedModels) {
  const auto count = [](const std::string& name) {
    std::int64_t total = 0;
    for (const auto& p : create_model(name, 1000)->parameters()) total += p.numel();
    return total;
  };
  EXPECT_EQ(count("vit_small_patch16_224"), 22050664);
  EXPECT_EQ(count("vit_base_patch16_224"), 86567656);
}

// Any multiple of 16 px: the position embeddings are resampled to the grid;
// 224 px uses them as they are. Other sizes are refused by name.
TEST(VisionTransformer, TakesAnyMultipleOfThePatchSize) {
  std::shared_ptr<Classifier> model = create_model("vit_small_patch16_224", 5);
  model->eval();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(model->forward(torch::randn({2, 3, 32, 48})).sizes(), (std::vector<std::int64_t>{2, 5}));
  EXPECT_EQ(model->head_name(), "head");
  EXPECT_THROW(model->forward(torch::randn({1, 3, 30, 30})), UsageError);
}

// Under bf16 autocast (the CPU's native precision here) a training step runs:
// the matrix products in bf16, the residual stream and LayerNorm in fp32.
TEST(VisionTransformer, TrainsAStepUnderBf16Autocast) {
  std::shared_ptr<Classifier> model = create_model("vit_small_patch16_224", 3);
  testing::expect_trains_a_step_under_bf16_autocast(*model);
}

}  // namespace
}  // namespace trainbench::models
