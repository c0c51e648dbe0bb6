#include "train/grad_scaler.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.h"

// PyTorch's GradScaler disables itself without CUDA (torch 1.13 on this
// machine is CPU-only), so these check its documented rules with real numbers
// on CPU rather than against a Python run.
namespace trainbench::train {
namespace {

const torch::Device kCpu(torch::kCPU);
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// A 4 -> 3 linear layer with fixed weights, so two calls give identical models.
torch::nn::Linear make_model() {
  torch::nn::Linear model(4, 3);
  const torch::NoGradGuard no_grad;
  model->weight.copy_(torch::arange(12, torch::kFloat).reshape({3, 4}).mul(0.1).sub(0.55));
  model->bias.copy_(torch::tensor({0.1f, -0.2f, 0.3f}));
  return model;
}

torch::Tensor loss_of(torch::nn::Linear& model) {
  const torch::Tensor input = torch::linspace(-1.0, 1.0, 20).reshape({5, 4});
  const torch::Tensor target = torch::linspace(0.5, -0.5, 15).reshape({5, 3});
  return (model->forward(input) - target).pow(2).mean();
}

std::vector<torch::Tensor> clones(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> copies;
  for (const auto& tensor : tensors) {
    copies.push_back(tensor.detach().clone());
  }
  return copies;
}

bool bitwise_equal(const torch::Tensor& a, const torch::Tensor& b) {
  return a.sizes() == b.sizes() && torch::equal(a.contiguous().view(torch::kInt), b.contiguous().view(torch::kInt));
}

// Relative 1e-6, elementwise (exact zeros must stay exact).
void expect_close(const torch::Tensor& actual, const torch::Tensor& expected, const std::string& what) {
  EXPECT_TRUE(torch::allclose(actual, expected, /*rtol=*/1e-6, /*atol=*/0.0))
      << what << "\nactual\n" << actual << "\nexpected\n" << expected;
}

// One iteration of the documented loop; `poison` (inf or NaN) goes into one
// weight gradient after backward. Returns what step() returned.
bool train_step(GradScaler& scaler, torch::nn::Linear& model, torch::optim::Optimizer& optimizer,
                float poison = 0.0f) {
  optimizer.zero_grad();
  scaler.scale(loss_of(model)).backward();
  if (poison != 0.0f) {
    const torch::NoGradGuard no_grad;
    model->weight.grad()[1][2].fill_(poison);
  }
  const bool stepped = scaler.step(optimizer);
  scaler.update();
  return stepped;
}

std::int64_t growth_tracker(const GradScaler& scaler) {
  return static_cast<std::int64_t>(scaler.state().at("growth_tracker"));
}

TEST(GradScaler, ScaleMultipliesLossBy65536Initially) {
  const GradScaler scaler(kCpu);
  EXPECT_EQ(scaler.options().init_scale, 65536.0);
  EXPECT_EQ(scaler.options().growth_factor, 2.0);
  EXPECT_EQ(scaler.options().backoff_factor, 0.5);
  EXPECT_EQ(scaler.options().growth_interval, 2000);
  EXPECT_EQ(scaler.current_scale(), 65536.0);
  EXPECT_EQ(scaler.skipped_steps(), 0);

  const torch::Tensor loss = torch::tensor(1.5f);
  const torch::Tensor scaled = scaler.scale(loss);
  EXPECT_EQ(scaled.dim(), 0);  // a scalar loss stays a scalar
  EXPECT_EQ(scaled.scalar_type(), torch::kFloat);
  EXPECT_EQ(scaled.item<float>(), 1.5f * 65536.0f);

  const torch::Tensor batch = torch::tensor({0.25f, -3.0f});
  EXPECT_TRUE(torch::equal(scaler.scale(batch), torch::tensor({16384.0f, -196608.0f})));
}

TEST(GradScaler, UnscaledGradientsEqualUnscaledBackward) {
  auto reference = make_model();
  loss_of(reference).backward();

  auto model = make_model();
  // A parameter that gets no gradient must be left alone.
  torch::Tensor unused = torch::ones({2}, torch::requires_grad());
  torch::optim::SGD optimizer({model->weight, model->bias, unused}, torch::optim::SGDOptions(0.1));
  GradScaler scaler(kCpu);
  scaler.scale(loss_of(model)).backward();
  // Scaled, the gradients are far from the originals.
  EXPECT_FALSE(torch::allclose(model->weight.grad(), reference->weight.grad()));
  scaler.unscale(optimizer);

  expect_close(model->weight.grad(), reference->weight.grad(), "weight grad");
  expect_close(model->bias.grad(), reference->bias.grad(), "bias grad");
  EXPECT_FALSE(unused.grad().defined());
  EXPECT_EQ(scaler.current_scale(), 65536.0);  // unscale() does not change the scale
}

TEST(GradScaler, OverflowSkipsStepAndHalvesScale) {
  for (const float poison : {kInf, -kInf, kNaN}) {
    SCOPED_TRACE("poison " + std::to_string(poison));
    auto model = make_model();
    torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-2));
    GradScaler scaler(kCpu);
    const auto before = clones(model->parameters());

    EXPECT_FALSE(train_step(scaler, model, optimizer, poison));

    const auto after = model->parameters();
    for (std::size_t i = 0; i < before.size(); ++i) {
      EXPECT_TRUE(bitwise_equal(after[i], before[i])) << "parameter " << i;
    }
    EXPECT_TRUE(optimizer.state().empty()) << "AdamW ran: it has state";
    EXPECT_EQ(scaler.skipped_steps(), 1);
    EXPECT_EQ(scaler.current_scale(), 32768.0);
    EXPECT_EQ(growth_tracker(scaler), 0);

    // The next clean step runs AdamW once.
    EXPECT_TRUE(train_step(scaler, model, optimizer));
    ASSERT_EQ(optimizer.state().size(), 2u);
    for (const auto& entry : optimizer.state()) {
      EXPECT_EQ(static_cast<const torch::optim::AdamWParamState&>(*entry.second).step(), 1);
    }
    EXPECT_EQ(scaler.skipped_steps(), 1);
    EXPECT_EQ(scaler.current_scale(), 32768.0);
  }
}

TEST(GradScaler, OverflowFoundInAnyGradientOfAnyDtype) {
  // float32 and float64 gradients go through separate groups; an inf in the
  // second group must still be seen.
  torch::Tensor a = torch::zeros({3}, torch::requires_grad());
  torch::Tensor b = torch::zeros({2}, torch::dtype(torch::kDouble).requires_grad(true));
  torch::optim::SGD optimizer({a, b}, torch::optim::SGDOptions(1.0));
  GradScaler scaler(kCpu);
  a.mutable_grad() = torch::full({3}, 65536.0f);
  b.mutable_grad() = torch::tensor({131072.0, std::numeric_limits<double>::infinity()}, torch::kDouble);
  EXPECT_FALSE(scaler.step(optimizer));
  EXPECT_TRUE(torch::equal(a.grad(), torch::ones({3})));  // unscaled all the same
  EXPECT_EQ(b.grad()[0].item<double>(), 2.0);
  EXPECT_TRUE(torch::equal(a, torch::zeros({3})));
  scaler.update();
  EXPECT_EQ(scaler.current_scale(), 32768.0);
}

TEST(GradScaler, GrowsAfterIntervalAndOverflowRestartsCount) {
  auto model = make_model();
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(1e-3));
  GradScalerOptions options;
  options.growth_interval = 3;
  GradScaler scaler(kCpu, options);

  EXPECT_TRUE(train_step(scaler, model, optimizer));
  EXPECT_EQ(scaler.current_scale(), 65536.0);
  EXPECT_EQ(growth_tracker(scaler), 1);
  EXPECT_TRUE(train_step(scaler, model, optimizer));
  EXPECT_EQ(scaler.current_scale(), 65536.0);
  EXPECT_EQ(growth_tracker(scaler), 2);
  EXPECT_TRUE(train_step(scaler, model, optimizer));
  EXPECT_EQ(scaler.current_scale(), 131072.0);  // doubles exactly at the third
  EXPECT_EQ(growth_tracker(scaler), 0);

  EXPECT_TRUE(train_step(scaler, model, optimizer));
  EXPECT_TRUE(train_step(scaler, model, optimizer));
  EXPECT_EQ(growth_tracker(scaler), 2);
  EXPECT_FALSE(train_step(scaler, model, optimizer, kInf));  // overflow one short of growing
  EXPECT_EQ(scaler.current_scale(), 65536.0);
  EXPECT_EQ(growth_tracker(scaler), 0);

  EXPECT_TRUE(train_step(scaler, model, optimizer));
  EXPECT_TRUE(train_step(scaler, model, optimizer));
  EXPECT_EQ(scaler.current_scale(), 65536.0);  // the count started over
  EXPECT_TRUE(train_step(scaler, model, optimizer));
  EXPECT_EQ(scaler.current_scale(), 131072.0);
  EXPECT_EQ(scaler.skipped_steps(), 1);
}

TEST(GradScaler, DoesNotGrowPastFloatMax) {
  torch::Tensor p = torch::zeros({2}, torch::requires_grad());
  torch::optim::SGD optimizer({p}, torch::optim::SGDOptions(1.0));
  GradScalerOptions options;
  options.init_scale = std::ldexp(1.0, 127);  // doubling gives inf in float32
  options.growth_interval = 1;
  GradScaler scaler(kCpu, options);
  p.mutable_grad() = torch::ones({2});
  EXPECT_TRUE(scaler.step(optimizer));
  scaler.update();
  EXPECT_EQ(scaler.current_scale(), std::ldexp(1.0, 127));
  EXPECT_EQ(growth_tracker(scaler), 0);  // the interval still restarts
}

TEST(GradScaler, FactorProductsRoundOnceFromDouble) {
  // The kernels compute float * double in double and round to float once;
  // a float32 product would round the factor first. For this scale and 1.1
  // the two differ, so the test tells them apart.
  const float start = 0x1.0002ap+0f;
  const float expected = static_cast<float>(static_cast<double>(start) * 1.1);
  ASSERT_NE(expected, start * 1.1f);
  torch::Tensor p = torch::zeros({1}, torch::requires_grad());
  torch::optim::SGD optimizer({p}, torch::optim::SGDOptions(1.0));
  GradScalerOptions options;
  options.init_scale = start;
  options.growth_factor = 1.1;
  options.growth_interval = 1;
  GradScaler scaler(kCpu, options);
  p.mutable_grad() = torch::ones({1});
  scaler.step(optimizer);
  scaler.update();
  EXPECT_EQ(scaler.current_scale(), static_cast<double>(expected));
}

TEST(GradScaler, CleanStepMatchesPlainSgd) {
  auto reference = make_model();
  torch::optim::SGD reference_optimizer(reference->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  auto model = make_model();
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  GradScaler scaler(kCpu);
  const auto before = clones(model->parameters());

  for (int step = 0; step < 3; ++step) {
    reference_optimizer.zero_grad();
    loss_of(reference).backward();
    reference_optimizer.step();
    EXPECT_TRUE(train_step(scaler, model, optimizer));
  }
  const auto expected = reference->parameters();
  const auto actual = model->parameters();
  for (std::size_t i = 0; i < actual.size(); ++i) {
    EXPECT_FALSE(torch::equal(actual[i], before[i])) << "parameter " << i << " did not move";
    expect_close(actual[i], expected[i], "parameter " + std::to_string(i));
  }
  EXPECT_EQ(scaler.skipped_steps(), 0);
}

TEST(GradScaler, UnscaleTwiceInOneStepThrows) {
  auto model = make_model();
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));
  GradScaler scaler(kCpu);
  EXPECT_THROW(scaler.update(), std::logic_error);  // nothing recorded yet

  scaler.scale(loss_of(model)).backward();
  scaler.unscale(optimizer);
  const auto unscaled = clones({model->weight.grad(), model->bias.grad()});
  EXPECT_THROW(scaler.unscale(optimizer), std::logic_error);
  // The failed call divided nothing again, and step() does not unscale twice.
  EXPECT_TRUE(torch::equal(model->weight.grad(), unscaled[0]));
  EXPECT_TRUE(scaler.step(optimizer));
  EXPECT_TRUE(torch::equal(model->weight.grad(), unscaled[0]));
  EXPECT_TRUE(torch::equal(model->bias.grad(), unscaled[1]));
  EXPECT_THROW(scaler.step(optimizer), std::logic_error);
  EXPECT_THROW(scaler.unscale(optimizer), std::logic_error);

  scaler.update();
  optimizer.zero_grad();
  scaler.scale(loss_of(model)).backward();
  EXPECT_NO_THROW(scaler.unscale(optimizer));
  EXPECT_NO_THROW(scaler.step(optimizer));
  EXPECT_NO_THROW(scaler.update());
}

TEST(GradScaler, StateRoundTripContinuesSameSequence) {
  GradScalerOptions options;
  options.growth_interval = 3;
  auto model = make_model();
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(1e-3));
  GradScaler original(kCpu, options);
  EXPECT_FALSE(train_step(original, model, optimizer, kNaN));
  EXPECT_TRUE(train_step(original, model, optimizer));
  EXPECT_TRUE(train_step(original, model, optimizer));
  const auto saved = original.state();
  EXPECT_EQ(saved, (std::map<std::string, double>{{"scale", 32768.0}, {"growth_tracker", 2.0}, {"skipped_steps", 1.0}}));

  GradScaler resumed(kCpu, options);
  resumed.load_state(saved);
  EXPECT_EQ(resumed.state(), saved);
  auto resumed_model = make_model();
  torch::optim::SGD resumed_optimizer(resumed_model->parameters(), torch::optim::SGDOptions(1e-3));
  // Both continue the same way: grow on the next clean step, then back off.
  EXPECT_TRUE(train_step(original, model, optimizer));
  EXPECT_TRUE(train_step(resumed, resumed_model, resumed_optimizer));
  for (const GradScaler* scaler : {&original, &resumed}) {
    EXPECT_EQ(scaler->current_scale(), 65536.0);
    EXPECT_EQ(growth_tracker(*scaler), 0);
  }
  EXPECT_FALSE(train_step(original, model, optimizer, kInf));
  EXPECT_FALSE(train_step(resumed, resumed_model, resumed_optimizer, kInf));
  for (const GradScaler* scaler : {&original, &resumed}) {
    EXPECT_EQ(scaler->current_scale(), 32768.0);
    EXPECT_EQ(scaler->skipped_steps(), 2);
  }
  EXPECT_EQ(resumed.state(), original.state());
}

TEST(GradScaler, LoadStateRejectsWhatCannotBeAState) {
  GradScalerOptions options;
  options.growth_interval = 3;
  GradScaler scaler(kCpu, options);
  const std::map<std::string, double> good{{"scale", 1024.0}, {"growth_tracker", 2.0}, {"skipped_steps", 5.0}};
  for (const auto& [key, value] : std::vector<std::pair<std::string, double>>{
           {"scale", 0.0}, {"scale", -1.0}, {"scale", kInf}, {"scale", kNaN}, {"scale", 1e39},
           {"growth_tracker", 3.0}, {"growth_tracker", -1.0}, {"growth_tracker", 0.5},
           {"skipped_steps", -1.0}, {"skipped_steps", 1.5}}) {
    auto bad = good;
    bad[key] = value;
    EXPECT_THROW(scaler.load_state(bad), RunError) << key << " = " << value;
  }
  auto missing = good;
  missing.erase("growth_tracker");
  EXPECT_THROW(scaler.load_state(missing), RunError);
  EXPECT_EQ(scaler.current_scale(), 65536.0);  // nothing half-loaded
  scaler.load_state(good);
  EXPECT_EQ(scaler.state(), good);
}

TEST(GradScaler, RejectsWhatPyTorchRejects) {
  GradScalerOptions options;
  options.growth_factor = 1.0;
  EXPECT_THROW(GradScaler(kCpu, options), UsageError);
  options = {};
  options.backoff_factor = 1.0;
  EXPECT_THROW(GradScaler(kCpu, options), UsageError);
  options = {};
  options.growth_interval = 0;
  EXPECT_THROW(GradScaler(kCpu, options), UsageError);

  // float16 gradients: PyTorch's "Attempting to unscale FP16 gradients".
  torch::Tensor half = torch::zeros({2}, torch::dtype(torch::kHalf).requires_grad(true));
  torch::optim::SGD optimizer({half}, torch::optim::SGDOptions(1.0));
  half.mutable_grad() = torch::ones({2}, torch::kHalf);
  GradScaler scaler(kCpu);
  EXPECT_THROW(scaler.unscale(optimizer), std::invalid_argument);
  EXPECT_THROW(scaler.update(), std::logic_error);  // the failed unscale recorded nothing
}

TEST(GradScaler, UnscalesBfloat16InFloat32AndSparseValues) {
  // bfloat16 grads are multiplied in float32 and rounded once, like the
  // kernels; rounding 1/3 to bfloat16 first gives 1.671875 for 5/3, not 1.6640625.
  GradScalerOptions options;
  options.init_scale = 3.0;
  GradScaler scaler(kCpu, options);
  torch::Tensor p = torch::zeros({1}, torch::dtype(torch::kBFloat16).requires_grad(true));
  torch::Tensor s = torch::zeros({4}, torch::requires_grad());
  torch::optim::SGD optimizer({p, s}, torch::optim::SGDOptions(1.0));
  p.mutable_grad() = torch::full({1}, 5.0, torch::kBFloat16);
  s.mutable_grad() = torch::sparse_coo_tensor(torch::tensor({{1, 3}}), torch::tensor({6.0f, -9.0f}), {4});
  scaler.unscale(optimizer);
  const float inv_scale = static_cast<float>(1.0 / 3.0);
  const float expected = static_cast<float>(c10::BFloat16(5.0f * inv_scale));
  ASSERT_EQ(expected, 1.6640625f);
  EXPECT_EQ(p.grad().to(torch::kFloat).item<float>(), expected);
  EXPECT_TRUE(torch::equal(s.grad().to_dense(), torch::tensor({0.0f, 6.0f * inv_scale, 0.0f, -9.0f * inv_scale})));
  EXPECT_TRUE(scaler.step(optimizer));
}

}  // namespace
}  // namespace trainbench::train
