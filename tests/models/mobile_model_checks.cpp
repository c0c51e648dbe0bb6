#include "models/mobile_model_checks.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/memory_format.h"
#include "test_support.h"

namespace trainbench::testing {

void expect_matches_torchvision(const std::string& arch, models::Classifier& model) {
  TempDir dir;
  const auto file = dir / (arch + ".tensors");
  ASSERT_EQ(run_reference("mobile_reference.py", {arch, file.string()}), 0);
  const auto reference = read_tensor_file(file);
  const int gradients = expect_matches_reference(model, reference);
  // Every batch norm's two statistics, and every parameter, were in the file.
  int statistics = 0;
  for (const auto& entry : reference) statistics += entry.first.rfind("after.", 0) == 0 ? 1 : 0;
  EXPECT_EQ(statistics, 2 * static_cast<int>(model.named_buffers().size() / 3));
  EXPECT_EQ(gradients, static_cast<int>(model.named_parameters().size()));
}

void expect_channels_last_forward_matches(models::Classifier& model) {
  model.eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor images = torch::randn({2, 3, 64, 64});
  const torch::Tensor expected = model.forward(images);
  core::convert_to_channels_last(model);
  const torch::Tensor actual = model.forward(images.contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_LT(relative_error(actual, expected), 1e-4);
}

}  // namespace trainbench::testing
