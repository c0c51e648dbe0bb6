#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "models/registry.h"
#include "test_support.h"

namespace trainbench {
namespace {

using testing::trainbench_command;

nlohmann::json models_json(const std::string& flags) {
  int code = -1;
  const std::string out = testing::run_command(trainbench_command("models --json " + flags) + " 2>&1", &code);
  EXPECT_EQ(code, 0) << out;
  return nlohmann::json::parse(out);
}

const nlohmann::json& row_of(const nlohmann::json& rows, const std::string& model) {
  for (const auto& row : rows) {
    if (row["model"] == model) return row;
  }
  throw std::runtime_error("no row for " + model);
}

// The published figures: torchvision's resnet18 has 11,689,512 parameters
// and 1.82 GMACs at 224 px (3.64 GFLOPs); resnet50 25,557,032 and 4.09 GMACs.
// (The ViTs' matrix products include attention's: q k^T and the weighted v.)
TEST(ModelsCommand, ListsEveryModelWithItsPublishedParametersAndFlops) {
  const nlohmann::json rows = models_json("");
  ASSERT_EQ(rows.size(), models::model_names().size());
  const nlohmann::json& resnet18 = row_of(rows, "resnet18");
  EXPECT_EQ(resnet18["parameters"], 11689512);
  EXPECT_EQ(resnet18["native_image_size"], 224);
  EXPECT_EQ(resnet18["image_size"], 224);
  EXPECT_NEAR(resnet18["forward_flops_per_image"].get<double>() / 1e9, 3.64, 0.02);
  EXPECT_EQ(row_of(rows, "resnet50")["parameters"], 25557032);
  EXPECT_EQ(row_of(rows, "resnet34")["parameters"], 21797672);
  EXPECT_NEAR(row_of(rows, "resnet50")["forward_flops_per_image"].get<double>() / 1e9, 8.18, 0.05);
  EXPECT_EQ(row_of(rows, "resnet18d")["family"], "ResNet");
  // timm's tables: ViT-S/16 4.6 GMACs and 22.05M parameters, ViT-B/16 17.6 and 86.57M.
  const nlohmann::json& vit_small = row_of(rows, "vit_small_patch16_224");
  EXPECT_EQ(vit_small["family"], "ViT");
  EXPECT_EQ(vit_small["parameters"], 22050664);
  EXPECT_NEAR(vit_small["forward_flops_per_image"].get<double>() / 2e9, 4.6, 0.05);
  EXPECT_NEAR(row_of(rows, "vit_base_patch16_224")["forward_flops_per_image"].get<double>() / 2e9, 17.6, 0.1);
  // timm's tables: efficientnet_b0 0.39 GMACs and 5.29M parameters, mobilenetv3_large_100 0.22 and
  // 5.48M; torchvision's models under hooks on every conv and linear layer: 0.7716 and 0.4332 GFLOPs.
  const nlohmann::json& efficientnet = row_of(rows, "efficientnet_b0");
  EXPECT_EQ(efficientnet["family"], "EfficientNet");
  EXPECT_EQ(efficientnet["parameters"], 5288548);
  EXPECT_NEAR(efficientnet["forward_flops_per_image"].get<double>() / 1e9, 0.7716, 0.001);
  EXPECT_EQ(row_of(rows, "mobilenetv3_large_100")["parameters"], 5483032);
  EXPECT_NEAR(row_of(rows, "mobilenetv3_large_100")["forward_flops_per_image"].get<double>() / 1e9, 0.4332, 0.001);
  // timm's table: convnext_tiny 4.47 GMACs and 28.59M parameters (as torchvision's).
  const nlohmann::json& convnext = row_of(rows, "convnext_tiny");
  EXPECT_EQ(convnext["family"], "ConvNeXt");
  EXPECT_EQ(convnext["parameters"], 28589128);
  EXPECT_NEAR(convnext["forward_flops_per_image"].get<double>() / 2e9, 4.47, 0.05);

  // At another size and head: FLOPs follow the pixels ((128 / 224)^2, every
  // feature map dividing evenly), the head shrinks to 10 ways.
  const nlohmann::json small = models_json("--img-size 128 --classes 10");
  const nlohmann::json& resnet18_small = row_of(small, "resnet18");
  EXPECT_EQ(resnet18_small["image_size"], 128);
  EXPECT_NEAR(resnet18_small["forward_flops_per_image"].get<double>() / resnet18["forward_flops_per_image"].get<double>(),
              (128.0 * 128.0) / (224.0 * 224.0), 0.003);
  EXPECT_EQ(resnet18_small["parameters"], 11689512 - 990 * 513);  // 990 fewer outputs, 512 weights and a bias each
}

TEST(ModelsCommand, PrintsATableAndRefusesABadSize) {
  int code = -1;
  const std::string table = testing::run_command(trainbench_command("models") + " 2>&1", &code);
  EXPECT_EQ(code, 0) << table;
  EXPECT_NE(table.find("resnet50d"), std::string::npos) << table;
  EXPECT_NE(table.find("GFLOPs/image"), std::string::npos) << table;
  const std::string bad = testing::run_command(trainbench_command("models --img-size 2") + " 2>&1", &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(bad.find("--img-size"), std::string::npos) << bad;
}

}  // namespace
}  // namespace trainbench
