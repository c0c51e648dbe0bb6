#pragma once
// Running exported ONNX files in the runtimes people deploy with, for the
// export tests: ONNX Runtime (tests/reference/onnx_runtime_reference.js, the
// npm package in tools/onnxruntime) and the ONNX checker with OpenCV DNN
// (tests/reference/onnx_reference.py, Debian's python3-onnx and
// python3-opencv), each started once for a whole list of jobs.
#include <nlohmann/json.hpp>
#include <gtest/gtest.h>
#include <torch/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "deploy/onnx_model.h"

namespace trainbench::testing {

// The model's bytes (deploy::serialize_model) in a file.
void write_onnx_file(const std::filesystem::path& path, const deploy::OnnxModel& model);

struct OnnxJob {
  std::filesystem::path model;
  torch::Tensor input;  // written as raw bytes; float32, float16 or uint8
};

struct OnnxRuntimeResults {
  std::vector<nlohmann::json> onnxruntime;  // per job: {"shape", "values"} or {"error"}
  std::vector<nlohmann::json> opencv;       // the same
  std::vector<std::string> checker;         // per job: "ok" or the checker's complaint
};

// Writes the inputs under `work`, runs both scripts; fails the test (and
// returns empty lists) when a script cannot run at all.
OnnxRuntimeResults run_onnx_runtimes(const std::vector<OnnxJob>& jobs, const std::filesystem::path& work);

// A runtime's output as a float tensor of its shape; "" or the runtime's error.
torch::Tensor output_tensor(const nlohmann::json& result, std::string* error);

// Max |runtime - reference| is at most tolerance * max(1, reference's range)
// (1e-4: absolute, or relative to the logit range), and every row's top-1
// agrees unless the reference's two best are closer than the difference.
::testing::AssertionResult outputs_agree(const torch::Tensor& runtime, const torch::Tensor& reference, double tolerance);

}  // namespace trainbench::testing
