#include "models/mobile_model_checks.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>

#include "core/memory_format.h"
#include "core/precision.h"
#include "test_support.h"

namespace trainbench::testing {
namespace {

// The largest difference relative to the largest expected value.
double mobile_relative_error(const torch::Tensor& actual, const torch::Tensor& expected) {
  return (actual - expected).abs().max().item<double>() / expected.abs().max().item<double>();
}

bool is_weight(const std::string& name) {
  return name.rfind("grad.", 0) != 0 && name.rfind("after.", 0) != 0 && name != "input" && name != "labels" &&
         name.rfind("logits", 0) != 0;
}

}  // namespace

void expect_matches_torchvision(const std::string& arch, models::Classifier& model) {
  constexpr double kTolerance = 1e-4;
  TempDir dir;
  const auto file = dir / (arch + ".tensors");
  ASSERT_EQ(run_reference("mobile_reference.py", {arch, file.string()}), 0);
  const auto reference = read_tensor_file(file);
  std::map<std::string, torch::Tensor> weights;
  for (const auto& [name, tensor] : reference) {
    if (is_weight(name)) weights.emplace(name, tensor);
  }
  load_every_tensor(model, weights);

  model.eval();
  {
    torch::NoGradGuard no_grad;
    EXPECT_LT(mobile_relative_error(model.forward(reference.at("input")), reference.at("logits")), kTolerance);
  }
  model.train();
  const torch::Tensor logits = model.forward(reference.at("input"));
  EXPECT_LT(mobile_relative_error(logits.detach(), reference.at("logits_train")), kTolerance);
  int statistics = 0;
  for (const auto& item : model.named_buffers()) {
    const auto expected = reference.find("after." + item.key());
    if (expected == reference.end()) continue;  // num_batches_tracked
    EXPECT_LT(mobile_relative_error(item.value(), expected->second), kTolerance) << item.key();
    ++statistics;
  }
  torch::nn::functional::cross_entropy(logits, reference.at("labels")).backward();
  int gradients = 0;
  for (const auto& item : model.named_parameters()) {
    const auto expected = reference.find("grad." + item.key());
    ASSERT_NE(expected, reference.end()) << item.key();
    ASSERT_TRUE(item.value().grad().defined()) << item.key();
    EXPECT_LT(mobile_relative_error(item.value().grad(), expected->second), kTolerance) << item.key();
    ++gradients;
  }
  // Every batch norm's two statistics, and every parameter, were compared.
  EXPECT_EQ(statistics, 2 * static_cast<int>(model.named_buffers().size() / 3));
  EXPECT_EQ(gradients, static_cast<int>(model.named_parameters().size()));
}

void expect_trains_a_step_under_bf16_autocast(models::Classifier& model) {
  model.train();
  torch::Tensor logits;
  {
    const core::AutocastGuard autocast(core::AmpMode::kBf16, torch::kCPU);
    logits = model.forward(torch::randn({2, 3, 32, 32}));
  }
  EXPECT_EQ(logits.scalar_type(), torch::kBFloat16);  // the classifier is a matrix product
  torch::nn::functional::cross_entropy(logits.to(torch::kFloat), torch::tensor({0, 2})).backward();
  for (const auto& item : model.named_parameters()) {
    ASSERT_TRUE(item.value().grad().defined()) << item.key();
    EXPECT_TRUE(torch::isfinite(item.value().grad()).all().item<bool>()) << item.key();
  }
}

void expect_channels_last_forward_matches(models::Classifier& model) {
  model.eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor images = torch::randn({2, 3, 64, 64});
  const torch::Tensor expected = model.forward(images);
  core::convert_to_channels_last(model);
  const torch::Tensor actual = model.forward(images.contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_LT(mobile_relative_error(actual, expected), 1e-4);
}

}  // namespace trainbench::testing
