#include "deploy/onnx_library_check.h"

#include "core/error.h"

#if defined(TRAINBENCH_WITH_ONNX_LIBRARY)
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#endif

namespace trainbench::deploy {

#if defined(TRAINBENCH_WITH_ONNX_LIBRARY)

bool onnx_library_available() { return true; }

bool check_with_onnx_library(const std::string& bytes, std::int64_t classes) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) throw ModelError("ONNX's library cannot parse the exported model");
  try {
    onnx::checker::check_model(model);
    // check_type: every input's type must fit its operator; error_mode 1:
    // an operator whose shapes do not fit is an error; no data propagation.
    const onnx::ShapeInferenceOptions strict{true, 1, false};
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), strict);
  } catch (const std::exception& error) {
    throw ModelError(std::string("ONNX's checker refuses the exported model: ") + error.what());
  }
  const onnx::GraphProto& graph = model.graph();
  if (graph.output_size() != 1) throw ModelError("the exported model has " + std::to_string(graph.output_size()) + " outputs");
  const onnx::TensorShapeProto& shape = graph.output(0).type().tensor_type().shape();
  if (shape.dim_size() != 2 || shape.dim(1).dim_value() != classes) {
    throw ModelError("ONNX's shape inference gives the output " + std::to_string(shape.dim_size()) +
                     " dimensions, not [batch, " + std::to_string(classes) + "]");
  }
  return true;
}

#else

bool onnx_library_available() { return false; }

bool check_with_onnx_library(const std::string&, std::int64_t) { return false; }

#endif

}  // namespace trainbench::deploy
