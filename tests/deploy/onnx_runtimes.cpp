#include "deploy/onnx_runtimes.h"

#include <torch/torch.h>

#include <fstream>

#include "test_support.h"

namespace trainbench::testing {
namespace fs = std::filesystem;
namespace {

std::string dtype_name(const torch::Tensor& t) {
  if (t.scalar_type() == torch::kFloat32) return "float32";
  if (t.scalar_type() == torch::kFloat16) return "float16";
  if (t.scalar_type() == torch::kUInt8) return "uint8";
  throw std::runtime_error("no ONNX job input of this dtype");
}

}  // namespace

void write_onnx_file(const fs::path& path, const deploy::OnnxModel& model) {
  const std::string bytes = deploy::serialize_model(model);
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

OnnxRuntimeResults run_onnx_runtimes(const std::vector<OnnxJob>& jobs, const fs::path& work) {
  nlohmann::json job_list = nlohmann::json::array();
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const torch::Tensor input = jobs[i].input.contiguous().cpu();
    const fs::path input_file = work / ("input" + std::to_string(i) + ".bin");
    std::ofstream(input_file, std::ios::binary)
        .write(static_cast<const char*>(input.data_ptr()), static_cast<std::streamsize>(input.nbytes()));
    job_list.push_back({{"model", jobs[i].model.string()},
                        {"input", input_file.string()},
                        {"dtype", dtype_name(input)},
                        {"shape", input.sizes().vec()}});
  }
  const fs::path jobs_file = work / "jobs.json";
  std::ofstream(jobs_file) << job_list.dump();
  OnnxRuntimeResults results;
  int code = -1;
  const std::string node_output = run_command(
      "node '" + (source_dir() / "tests" / "reference" / "onnx_runtime_reference.js").string() + "' '" +
          jobs_file.string() + "' '" + (work / "onnxruntime.json").string() + "' 2>&1",
      &code);
  if (code != 0) {
    ADD_FAILURE() << "ONNX Runtime (node, tools/onnxruntime: `scripts/setup test` installs it) failed:\n" << node_output;
    return {};
  }
  if (run_reference("onnx_reference.py", {jobs_file.string(), (work / "python.json").string()}) != 0) {
    ADD_FAILURE() << "the ONNX checker and OpenCV (python3-onnx, python3-opencv) failed; see above";
    return {};
  }
  for (const nlohmann::json& r : read_json(work / "onnxruntime.json")) results.onnxruntime.push_back(r);
  for (const nlohmann::json& r : read_json(work / "python.json")) {
    results.checker.push_back(r.at("checker").get<std::string>());
    results.opencv.push_back(r.at("opencv"));
  }
  return results;
}

torch::Tensor output_tensor(const nlohmann::json& result, std::string* error) {
  if (result.contains("error")) {
    *error = result["error"].get<std::string>();
    return {};
  }
  error->clear();
  const std::vector<double> values = result.at("values").get<std::vector<double>>();
  return torch::tensor(values, torch::kFloat64).to(torch::kFloat32).reshape(result.at("shape").get<std::vector<std::int64_t>>());
}

::testing::AssertionResult outputs_agree(const torch::Tensor& runtime, const torch::Tensor& reference, double tolerance) {
  if (!runtime.defined()) return ::testing::AssertionFailure() << "no output";
  if (runtime.sizes() != reference.sizes()) {
    return ::testing::AssertionFailure() << "shape " << runtime.sizes() << " where " << reference.sizes() << " was expected";
  }
  const torch::Tensor expected = reference.to(torch::kFloat32).cpu();
  const double difference = (runtime - expected).abs().max().item<double>();
  const double range = (expected.max() - expected.min()).item<double>();
  const double allowed = tolerance * std::max(1.0, range);
  if (!(difference <= allowed)) {
    return ::testing::AssertionFailure() << "max difference " << difference << " > " << allowed << " (range " << range << ")";
  }
  const auto top2 = expected.topk(2, 1);
  const torch::Tensor agree = runtime.argmax(1).eq(expected.argmax(1));
  for (std::int64_t row = 0; row < expected.size(0); ++row) {
    const double gap = (std::get<0>(top2)[row][0] - std::get<0>(top2)[row][1]).item<double>();
    if (!agree[row].item<bool>() && gap > 2 * difference) {
      return ::testing::AssertionFailure() << "row " << row << ": top-1 differs with a gap of " << gap;
    }
  }
  return ::testing::AssertionSuccess() << "max difference " << difference << " (range " << range << ")";
}

}  // namespace trainbench::testing
