#include "train/optimizer_state.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>

#include "core/error.h"

namespace trainbench::train {
namespace {

using torch::optim::AdamW;
using torch::optim::AdamWOptions;

// Two parameter groups with different options, one of them under amsgrad,
// so that the per-group options and max_exp_avg_sq are both exercised.
struct TwoGroups {
  TwoGroups() : first(torch::nn::LinearOptions(4, 3)), second(torch::nn::LinearOptions(3, 2).bias(false)) {}
  std::unique_ptr<AdamW> optimizer() {
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(first->parameters(), std::make_unique<AdamWOptions>(AdamWOptions(0.01).weight_decay(0.05)));
    groups.emplace_back(second->parameters(),
                        std::make_unique<AdamWOptions>(AdamWOptions(0.003).betas({0.8, 0.95}).eps(1e-6).amsgrad(true)));
    return std::make_unique<AdamW>(std::move(groups), AdamWOptions(0.1));
  }
  std::vector<torch::Tensor> parameters() {
    auto all = first->parameters();
    for (const auto& p : second->parameters()) all.push_back(p);
    return all;
  }
  void copy_from(TwoGroups& other) {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < parameters().size(); ++i) parameters()[i].copy_(other.parameters()[i]);
  }
  void step(AdamW& optimizer, const torch::Tensor& input) {
    optimizer.zero_grad();
    second->forward(first->forward(input).relu()).pow(2).mean().backward();
    optimizer.step();
  }
  torch::nn::Linear first;
  torch::nn::Linear second;
};

TEST(OptimizerState, ALoadedStateStepsBitwiseAsTheOriginal) {
  torch::manual_seed(3);
  TwoGroups original;
  auto optimizer = original.optimizer();
  for (int i = 0; i < 3; ++i) original.step(*optimizer, torch::randn({8, 4}));
  const OptimizerState saved = adamw_state(*optimizer);

  // 3 parameters (weight, bias; weight) x step, exp_avg, exp_avg_sq, and max_exp_avg_sq for the amsgrad one.
  EXPECT_EQ(saved.tensors.size(), 3u * 3u + 1u);
  EXPECT_EQ(saved.tensors[0].first, "0/step");
  EXPECT_EQ(saved.tensors[0].second.item<std::int64_t>(), 3);
  EXPECT_EQ(saved.tensors.back().first, "2/max_exp_avg_sq");
  ASSERT_EQ(saved.groups.size(), 2u);
  EXPECT_EQ(saved.groups[0]["parameters"], 2);
  EXPECT_DOUBLE_EQ(saved.groups[0]["weight_decay"].get<double>(), 0.05);
  EXPECT_DOUBLE_EQ(saved.groups[1]["beta1"].get<double>(), 0.8);
  EXPECT_EQ(saved.groups[1]["amsgrad"], true);

  TwoGroups copy;
  copy.copy_from(original);
  auto resumed = copy.optimizer();
  // The fresh optimizer's options differ from the saved ones until the load.
  static_cast<AdamWOptions&>(resumed->param_groups()[1].options()).lr(0.5);
  // Through JSON text, as the checkpoint stores the groups.
  OptimizerState reread = saved;
  reread.groups = nlohmann::json::parse(saved.groups.dump());
  load_adamw_state(*resumed, reread, "test");
  EXPECT_DOUBLE_EQ(static_cast<AdamWOptions&>(resumed->param_groups()[1].options()).lr(), 0.003);

  for (int i = 0; i < 2; ++i) {
    const torch::Tensor input = torch::randn({8, 4});
    original.step(*optimizer, input);
    copy.step(*resumed, input);
  }
  for (std::size_t i = 0; i < original.parameters().size(); ++i) {
    EXPECT_TRUE(torch::equal(original.parameters()[i], copy.parameters()[i])) << i;
  }
  EXPECT_EQ(adamw_state(*resumed).tensors[0].second.item<std::int64_t>(), 5);
}

TEST(OptimizerState, BeforeTheFirstStepThereAreGroupsAndNoTensors) {
  TwoGroups model;
  auto optimizer = model.optimizer();
  const OptimizerState saved = adamw_state(*optimizer);
  EXPECT_TRUE(saved.tensors.empty());
  EXPECT_EQ(saved.groups.size(), 2u);
  auto other = model.optimizer();
  EXPECT_NO_THROW(load_adamw_state(*other, saved, "test"));
  EXPECT_TRUE(other->state().empty());
}

// Each broken state is refused with a message naming what is wrong, and the
// optimizer keeps its state and options.
TEST(OptimizerState, AStateOfAnotherOptimizerIsRefusedAndChangesNothing) {
  torch::manual_seed(4);
  TwoGroups model;
  auto optimizer = model.optimizer();
  model.step(*optimizer, torch::randn({8, 4}));
  const OptimizerState good = adamw_state(*optimizer);
  const auto tensor_named = [](OptimizerState& state, const std::string& name) -> torch::Tensor& {
    for (auto& [n, t] : state.tensors) {
      if (n == name) return t;
    }
    throw std::logic_error("no " + name);
  };
  const std::vector<std::pair<std::function<void(OptimizerState&)>, std::string>> cases = {
      {[](OptimizerState& s) { s.groups.erase(1); }, "has 1 parameter groups; the run's optimizer has 2"},
      {[](OptimizerState& s) { s.groups = nlohmann::json::object(); }, "has no parameter groups"},
      {[](OptimizerState& s) { s.groups[0]["parameters"] = 3; }, "another model"},
      {[](OptimizerState& s) { s.groups[0]["parameters"] = -2; }, "another model"},
      {[](OptimizerState& s) { s.groups[1] = 7; }, "group 1 is not a JSON object"},
      {[](OptimizerState& s) { s.groups[0]["lr"] = "fast"; }, "\"lr\" must be a finite number"},
      {[](OptimizerState& s) { s.groups[0].erase("eps"); }, "\"eps\" must be a finite number"},
      {[](OptimizerState& s) { s.groups[0]["beta1"] = 1.0; }, "out of range"},
      {[](OptimizerState& s) { s.groups[0]["eps"] = 0.0; }, "out of range"},
      {[](OptimizerState& s) { s.groups[0]["amsgrad"] = 1; }, "\"amsgrad\" must be true or false"},
      {[&](OptimizerState& s) { tensor_named(s, "1/exp_avg") = torch::zeros({2}); }, "1/exp_avg is Float [2]; the parameter is Float [3]"},
      {[&](OptimizerState& s) { tensor_named(s, "0/exp_avg_sq") = torch::zeros({3, 4}, torch::kDouble); }, "is Double"},
      {[&](OptimizerState& s) { tensor_named(s, "0/step") = torch::tensor(-1, torch::kInt64); }, "non-negative int64 scalar"},
      {[&](OptimizerState& s) { tensor_named(s, "0/step") = torch::tensor(1.0); }, "non-negative int64 scalar"},
      {[&](OptimizerState& s) { tensor_named(s, "0/step") = torch::ones({1}, torch::kInt64); }, "non-negative int64 scalar"},
      {[](OptimizerState& s) { s.tensors.erase(s.tensors.begin() + 2); }, "parameter 0 needs step, exp_avg and exp_avg_sq"},
      {[](OptimizerState& s) { s.tensors.pop_back(); }, "and max_exp_avg_sq (amsgrad)"},
      {[](OptimizerState& s) { s.tensors.emplace_back("0/max_exp_avg_sq", torch::zeros({3, 4})); }, "no max_exp_avg_sq"},
      {[](OptimizerState& s) { s.tensors.emplace_back("3/exp_avg", torch::zeros({1})); }, "unexpected tensor 'optimizer/3/exp_avg'"},
      {[](OptimizerState& s) { s.tensors.emplace_back("01/exp_avg", torch::zeros({1})); }, "unexpected tensor"},
      {[](OptimizerState& s) { s.tensors.emplace_back("0/momentum", torch::zeros({1})); }, "unexpected tensor"},
      {[](OptimizerState& s) { s.tensors.emplace_back("0", torch::zeros({1})); }, "unexpected tensor"},
      {[](OptimizerState& s) { s.tensors.emplace_back("99999999999/step", torch::zeros({1})); }, "unexpected tensor"},
      {[](OptimizerState& s) { s.tensors.emplace_back("-1/step", torch::zeros({1})); }, "unexpected tensor"},
  };
  for (const auto& [breaks, expected] : cases) {
    OptimizerState broken = good;
    breaks(broken);
    auto target = model.optimizer();  // fresh: no state, lr 0.01 and 0.003
    static_cast<AdamWOptions&>(target->param_groups()[0].options()).lr(0.25);
    std::string message = "no error";
    try {
      load_adamw_state(*target, broken, "cp.safetensors");
    } catch (const RunError& error) {
      message = error.what();
    }
    EXPECT_NE(message.find(expected), std::string::npos) << "expected '" << expected << "' in: " << message;
    EXPECT_EQ(message.rfind("cp.safetensors: optimizer", 0), 0u) << message;
    EXPECT_TRUE(target->state().empty()) << expected;
    EXPECT_DOUBLE_EQ(static_cast<AdamWOptions&>(target->param_groups()[0].options()).lr(), 0.25) << expected;
  }
}

}  // namespace
}  // namespace trainbench::train
