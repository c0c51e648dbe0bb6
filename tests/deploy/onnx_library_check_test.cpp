#include "deploy/onnx_library_check.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "deploy/onnx_model.h"

namespace trainbench::deploy {
namespace {

// x [batch, in] -> Gemm by w [classes, in] (transB) -> Relu.
OnnxModel gemm_relu_model(std::int64_t classes, std::int64_t in = 4) {
  OnnxModel model;
  model.ir_version = ir_version_for_opset(17);
  model.graph.name = "tiny";
  model.graph.inputs = {{"x", OnnxType::kFloat, {{-1, "batch"}, {in, ""}}}};
  model.graph.initializers = {make_tensor("w", OnnxType::kFloat, {classes, in},
                                          std::vector<float>(static_cast<std::size_t>(classes * in), 0.5f))};
  model.graph.nodes = {{"Gemm", "fc", {"x", "w"}, {"y"}, {int_attribute("transB", 1)}},
                       {"Relu", "relu", {"y"}, {"out"}, {}}};
  model.graph.outputs = {{"out", OnnxType::kFloat, {{-1, "batch"}, {classes, ""}}}};
  return model;
}

std::string refusal(const OnnxModel& model, std::int64_t classes) {
  try {
    check_with_onnx_library(serialize_model(model), classes);
  } catch (const ModelError& error) {
    return error.what();
  }
  return "";
}

// What ONNX's library sees that our own checks (check_model) cannot: shapes
// that do not fit an operator, operators it does not know, an output of
// another width than the classes; a sound model passes.
TEST(OnnxLibraryCheck, RefusesWhatOurChecksCannotSeeAndPassesASoundModel) {
  if (!onnx_library_available()) GTEST_SKIP() << "built without libonnx-dev";
  EXPECT_TRUE(check_with_onnx_library(serialize_model(gemm_relu_model(2)), 2));

  // [batch, 2] + [3]: no broadcast makes these fit.
  OnnxModel misfit = gemm_relu_model(2);
  misfit.graph.initializers.push_back(make_tensor("b", OnnxType::kFloat, {3}, {1.0f, 2.0f, 3.0f}));
  misfit.graph.nodes[1] = {"Add", "add", {"y", "b"}, {"out"}, {}};
  EXPECT_NO_THROW(check_model(misfit));
  EXPECT_NE(refusal(misfit, 2).find("ONNX's checker refuses"), std::string::npos) << refusal(misfit, 2);

  OnnxModel unknown = gemm_relu_model(2);
  unknown.graph.nodes[1].op_type = "Frobnicate";
  EXPECT_NE(refusal(unknown, 2).find("Frobnicate"), std::string::npos) << refusal(unknown, 2);

  EXPECT_NE(refusal(gemm_relu_model(2), 3).find("not [batch, 3]"), std::string::npos);
  EXPECT_THROW(check_with_onnx_library("not a model", 2), ModelError);
}

}  // namespace
}  // namespace trainbench::deploy
