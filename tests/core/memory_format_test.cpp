#include "core/memory_format.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace trainbench::core {
namespace {

struct TinyNet : torch::nn::Module {
  TinyNet()
      : conv(register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 8, 3).padding(1)))),
        fc(register_module("fc", torch::nn::Linear(8, 2))) {}
  torch::Tensor forward(const torch::Tensor& x) { return fc(torch::relu(conv(x)).mean({2, 3})); }
  torch::nn::Conv2d conv;
  torch::nn::Linear fc;
};

// 4-D weights become channels-last in place (the same tensors, so an
// optimizer built before or after sees them), their gradients follow, and
// the results equal the contiguous model's.
TEST(MemoryFormat, ConvertsConvWeightsAndGradientsFollow) {
  torch::manual_seed(0);
  TinyNet reference;
  TinyNet net;
  {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < net.parameters().size(); ++i) net.parameters()[i].copy_(reference.parameters()[i]);
  }
  const torch::Tensor weight_before = net.conv->weight;
  convert_to_channels_last(net);
  EXPECT_TRUE(net.conv->weight.is_contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_FALSE(net.conv->weight.is_contiguous());
  EXPECT_TRUE(net.fc->weight.is_contiguous());  // 2-D: untouched
  EXPECT_TRUE(weight_before.is_same(net.conv->weight));

  const torch::Tensor input = torch::randn({4, 3, 16, 16});
  net.forward(input.contiguous(torch::MemoryFormat::ChannelsLast)).sum().backward();
  reference.forward(input).sum().backward();
  EXPECT_TRUE(net.conv->weight.grad().is_contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::allclose(net.conv->weight.grad(), reference.conv->weight.grad(), 1e-5, 1e-6));
}

// The measured defaults (figures in memory_format.cpp).
TEST(MemoryFormat, DefaultLayoutFollowsTheMeasurements) {
  EXPECT_TRUE(default_channels_last(torch::Device(torch::kCPU), AmpMode::kOff));
  EXPECT_TRUE(default_channels_last(torch::Device(torch::kCPU), AmpMode::kBf16));
  EXPECT_TRUE(default_channels_last(torch::Device(torch::kCUDA, 0), AmpMode::kFp16));
  EXPECT_FALSE(default_channels_last(torch::Device(torch::kCUDA, 0), AmpMode::kOff));
}

TEST(MemoryFormat, NamesTheFormat) {
  EXPECT_EQ(memory_format(true), torch::MemoryFormat::ChannelsLast);
  EXPECT_EQ(memory_format(false), torch::MemoryFormat::Contiguous);
}

}  // namespace
}  // namespace trainbench::core
