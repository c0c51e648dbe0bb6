#include "train/adamw.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "train/optimizer_state.h"

namespace trainbench::train {
namespace {

// A small network with parameters of several shapes, one of which gets no
// gradient on odd steps (so its step count falls behind the others').
struct Net : torch::nn::Module {
  Net() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 8, 3).padding(1)));
    bn = register_module("bn", torch::nn::BatchNorm2d(8));
    fc = register_module("fc", torch::nn::Linear(8, 4));
    side = register_module("side", torch::nn::Linear(8, 4));
  }
  torch::Tensor forward(const torch::Tensor& x, bool use_side) {
    torch::Tensor h = torch::relu(bn(conv(x))).mean({2, 3});
    return use_side ? fc(h) + side(h) : fc(h);
  }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  torch::nn::Linear fc{nullptr};
  torch::nn::Linear side{nullptr};
};

// Trains a copy of the same net for `steps` with the given optimizer kind,
// changing lr each step as OneCycle does; returns its parameters.
std::vector<torch::Tensor> train_steps(AdamWKind kind, int steps, const torch::Device& device,
                                       std::vector<torch::Tensor>* exp_avg_sq = nullptr, bool channels_last = false) {
  torch::manual_seed(7);
  auto net = std::make_shared<Net>();
  net->to(device);
  if (channels_last) {
    torch::NoGradGuard no_grad;
    net->conv->weight.set_data(net->conv->weight.contiguous(torch::MemoryFormat::ChannelsLast));
  }
  auto optimizer = make_adamw(net->parameters(), torch::optim::AdamWOptions(3e-3).eps(1e-5).weight_decay(0.01), kind);
  torch::manual_seed(8);
  for (int step = 0; step < steps; ++step) {
    for (auto& group : optimizer->param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(3e-3 * (1.0 + 0.5 * std::sin(step)));
    }
    const torch::Tensor x = torch::randn({6, 3, 8, 8}).to(device);
    const torch::Tensor y = torch::randint(4, {6}, torch::kInt64).to(device);
    optimizer->zero_grad();
    torch::nn::functional::cross_entropy(net->forward(x, step % 2 == 0), y).backward();
    optimizer->step();
  }
  std::vector<torch::Tensor> out;
  for (const auto& p : net->parameters()) out.push_back(p.detach().cpu().clone());
  if (exp_avg_sq) {
    const OptimizerState state = adamw_state(*optimizer);
    for (const auto& [name, tensor] : state.tensors) {
      if (name.find("exp_avg_sq") != std::string::npos) exp_avg_sq->push_back(tensor.cpu());
    }
  }
  return out;
}

// `kind` against torch::optim::AdamW's own step over 50 steps.
void expect_same_updates(AdamWKind kind, const torch::Device& device, double tolerance, bool channels_last = false,
                         double moment_tolerance = -1) {
  if (moment_tolerance < 0) moment_tolerance = tolerance;
  std::vector<torch::Tensor> plain_moments, multi_moments;
  const std::vector<torch::Tensor> plain = train_steps(AdamWKind::kPlain, 50, device, &plain_moments, channels_last);
  const std::vector<torch::Tensor> multi = train_steps(kind, 50, device, &multi_moments, channels_last);
  ASSERT_EQ(plain.size(), multi.size());
  const std::vector<torch::Tensor> start = train_steps(AdamWKind::kPlain, 0, device);
  for (std::size_t i = 0; i < plain.size(); ++i) {
    EXPECT_FALSE(torch::equal(plain[i], start[i])) << "parameter " << i << " never moved";
    EXPECT_LE((plain[i] - multi[i]).abs().max().item<double>(), tolerance) << "parameter " << i;
  }
  ASSERT_EQ(plain_moments.size(), multi_moments.size());
  ASSERT_FALSE(plain_moments.empty());
  for (std::size_t i = 0; i < plain_moments.size(); ++i) {
    EXPECT_LE((plain_moments[i] - multi_moments[i]).abs().max().item<double>(), moment_tolerance) << "moment " << i;
  }
}

// On the CPU the _foreach_ operations run the same per-tensor arithmetic,
// so 50 steps agree to the last bit.
TEST(MultiTensorAdamW, MatchesPlainAdamWOver50Steps) { expect_same_updates(AdamWKind::kMultiTensor, torch::kCPU, 0.0); }

TEST(MultiTensorAdamW, MatchesPlainAdamWOver50StepsOnCuda) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  expect_same_updates(AdamWKind::kMultiTensor, torch::Device(torch::kCUDA, 0), 1e-6);
}

// One pass per tensor, each operation in float32 in ATen's order. ATen's
// vectorised kernels fuse some multiply-adds (one rounding instead of two),
// so single steps differ in the last bit of a moment; over 50 steps, with
// elements whose second moment is near 0 amplifying that, the weights agree
// within 1e-4 and the moments within 1e-8, channels-last parameters included.
TEST(FusedAdamW, MatchesPlainAdamWOver50Steps) {
  expect_same_updates(AdamWKind::kFused, torch::kCPU, 1e-4, false, 1e-8);
  expect_same_updates(AdamWKind::kFused, torch::kCPU, 1e-4, /*channels_last=*/true, 1e-8);
  EXPECT_EQ(default_adamw_kind(torch::kCPU), AdamWKind::kFused);
  EXPECT_EQ(to_string(AdamWKind::kFused), "fused");
}

// What it cannot walk as one array (here: double parameters) takes the
// tensor operations, with the same result.
TEST(FusedAdamW, OtherTensorsTakeTheTensorOperations) {
  torch::manual_seed(3);
  const torch::Tensor start = torch::randn({5, 7}, torch::kDouble);
  std::vector<torch::Tensor> results;
  for (AdamWKind kind : {AdamWKind::kPlain, AdamWKind::kFused}) {
    torch::Tensor weight = start.clone().requires_grad_(true);
    auto optimizer = make_adamw({weight}, torch::optim::AdamWOptions(1e-2).weight_decay(0.1), kind);
    for (int step = 0; step < 5; ++step) {
      optimizer->zero_grad();
      (weight * weight).sum().backward();
      optimizer->step();
    }
    results.push_back(weight.detach());
  }
  EXPECT_FALSE(torch::equal(results[0], start));
  EXPECT_TRUE(torch::equal(results[0], results[1]));  // the same kernels ran
}

// Its state is torch::optim::AdamW's: a checkpoint taken from one kind loads
// into the other and training continues as if nothing changed.
TEST(MultiTensorAdamW, StateMovesBetweenKinds) {
  torch::manual_seed(1);
  auto net = std::make_shared<Net>();
  const torch::optim::AdamWOptions options = torch::optim::AdamWOptions(1e-2).weight_decay(0.05);
  auto multi = make_adamw(net->parameters(), options, AdamWKind::kMultiTensor);
  const torch::Tensor x = torch::randn({4, 3, 8, 8});
  const torch::Tensor y = torch::tensor({0, 1, 2, 3}, torch::kInt64);
  for (int step = 0; step < 3; ++step) {
    multi->zero_grad();
    torch::nn::functional::cross_entropy(net->forward(x, true), y).backward();
    multi->step();
  }
  auto plain = make_adamw(net->parameters(), options, AdamWKind::kPlain);
  load_adamw_state(*plain, adamw_state(*multi), "test");
  const OptimizerState loaded = adamw_state(*plain);
  const OptimizerState saved = adamw_state(*multi);
  ASSERT_EQ(loaded.tensors.size(), saved.tensors.size());
  ASSERT_EQ(saved.tensors.size(), 8u * 3u);  // conv, bn, fc, side: weight and bias; step, exp_avg, exp_avg_sq each
  for (std::size_t i = 0; i < saved.tensors.size(); ++i) {
    EXPECT_EQ(loaded.tensors[i].first, saved.tensors[i].first);
    EXPECT_TRUE(torch::equal(loaded.tensors[i].second, saved.tensors[i].second)) << saved.tensors[i].first;
  }
  EXPECT_EQ(loaded.groups, saved.groups);
  EXPECT_EQ(to_string(default_adamw_kind(torch::kCPU)), "fused");
  EXPECT_EQ(to_string(default_adamw_kind(torch::Device(torch::kCUDA, 0))), "multi-tensor");
}

}  // namespace
}  // namespace trainbench::train
