#include "deploy/onnx_model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "core/error.h"

namespace trainbench::deploy {
namespace {

// Our float -> half against LibTorch's on values that exercise every branch:
// normals, ties to even, subnormals, the largest half, overflow, zeros.
TEST(OnnxModel, HalfConversionMatchesLibTorch) {
  std::vector<float> values = {0.0f, -0.0f, 1.0f, -2.5f, 0.1f, 3.14159f, 65504.0f, 65519.0f, 65520.0f, 1e6f, -1e6f,
                               6.1035156e-05f, 6.0e-05f, 5.96e-08f, 2.98e-08f, 2.99e-08f, 1e-9f, 1.00048828125f,
                               1.00146484375f, 2049.0f, 2051.0f, std::numeric_limits<float>::infinity()};
  torch::manual_seed(3);
  const torch::Tensor random = torch::randn({2000}) * torch::pow(10.0, torch::randint(-8, 5, {2000}).to(torch::kFloat32));
  for (std::int64_t i = 0; i < random.numel(); ++i) values.push_back(random[i].item<float>());
  const torch::Tensor halves = torch::tensor(values).to(torch::kHalf);
  int mismatches = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::uint16_t expected;
    const at::Half h = halves[static_cast<std::int64_t>(i)].item<at::Half>();
    std::memcpy(&expected, &h, 2);
    if (float_to_half(values[i]) != expected && ++mismatches < 5) {
      ADD_FAILURE() << values[i] << ": ours " << float_to_half(values[i]) << ", LibTorch's " << expected;
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(float_to_half(std::nanf("")) & 0x7C00u, 0x7C00u);
  EXPECT_NE(float_to_half(std::nanf("")) & 0x03FFu, 0u);  // still a NaN
}

OnnxModel tiny_model() {
  OnnxModel model;
  model.graph.inputs = {{"x", OnnxType::kFloat, {{-1, "batch"}, {4, ""}}}};
  model.graph.initializers = {make_tensor("w", OnnxType::kFloat, {2, 4}, std::vector<float>(8, 0.5f))};
  model.graph.nodes = {{"Gemm", "fc", {"x", "w"}, {"y"}, {int_attribute("transB", 1)}},
                       {"Relu", "relu", {"y"}, {"out"}, {}}};
  model.graph.outputs = {{"out", OnnxType::kFloat, {{-1, "batch"}, {2, ""}}}};
  return model;
}

TEST(OnnxModel, CheckAcceptsAWellFormedGraphAndListsEveryProblem) {
  EXPECT_NO_THROW(check_model(tiny_model()));
  OnnxModel broken = tiny_model();
  broken.graph.nodes[1].inputs = {"nowhere"};
  broken.graph.initializers[0].raw.pop_back();
  broken.graph.nodes.push_back({"Relu", "again", {"x"}, {"y"}, {}});
  broken.graph.outputs[0].name = "missing";
  try {
    check_model(broken);
    FAIL() << "a broken graph passed";
  } catch (const ModelError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("node 'relu' reads 'nowhere'"), std::string::npos) << message;
    EXPECT_NE(message.find("initializer 'w' holds 31 bytes, its dims and type need 32"), std::string::npos) << message;
    EXPECT_NE(message.find("'y' redefines a name"), std::string::npos) << message;
    EXPECT_NE(message.find("graph output 'missing' is produced by no node"), std::string::npos) << message;
  }
}

TEST(OnnxModel, IrVersionFollowsTheOpset) {
  EXPECT_EQ(ir_version_for_opset(13), 7);
  EXPECT_EQ(ir_version_for_opset(14), 7);
  EXPECT_EQ(ir_version_for_opset(15), 8);
  EXPECT_EQ(ir_version_for_opset(17), 8);
}

}  // namespace
}  // namespace trainbench::deploy
