#include "models/drop_path.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace trainbench::models {
namespace {

// timm's drop_path: per sample, all or nothing; the kept samples scaled by
// 1 / (1 - p) so the expectation is the input; identity in eval or at p = 0.
TEST(DropPath, DropsWholeSamplesAndKeepsTheExpectation) {
  torch::manual_seed(2);
  const double p = 0.25;
  const torch::Tensor x = torch::rand({4000, 3, 2, 2}) + 0.5;
  const torch::Tensor y = drop_path(x, p, /*training=*/true);
  const torch::Tensor kept = (y != 0).flatten(1).all(1);
  const torch::Tensor dropped = (y == 0).flatten(1).all(1);
  EXPECT_TRUE((kept | dropped).all().item<bool>());  // never part of a sample
  EXPECT_TRUE(torch::allclose(y.index({kept}), x.index({kept}) / (1.0 - p)));
  EXPECT_NEAR(kept.to(torch::kFloat).mean().item<double>(), 1.0 - p, 0.03);
  EXPECT_NEAR(y.mean().item<double>() / x.mean().item<double>(), 1.0, 0.04);
  EXPECT_TRUE(drop_path(x, p, /*training=*/false).equal(x));
  EXPECT_TRUE(drop_path(x, 0.0, /*training=*/true).equal(x));
}

// A bf16 branch (under autocast) keeps its dtype: the mask is drawn in fp32
// and cast to it.
TEST(DropPath, KeepsTheBranchsDtype) {
  const torch::Tensor x = torch::ones({8, 4}, torch::kBFloat16);
  EXPECT_EQ(drop_path(x, 0.5, /*training=*/true).scalar_type(), torch::kBFloat16);
}

}  // namespace
}  // namespace trainbench::models
