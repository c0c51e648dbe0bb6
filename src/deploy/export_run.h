#pragma once
// `trainbench export`: a finished run's weights in the form people deploy:
// safetensors (timm names, for PyTorch) or ONNX (for ONNX Runtime, OpenCV,
// OpenVINO, game engines), each with its JSON model card beside it.
#include <filesystem>
#include <string>

#include "deploy/resnet_onnx.h"
#include "models/classifier.h"

namespace trainbench::deploy {

enum class ExportFormat { kSafetensors, kOnnx };

// FORMAT is "auto" (from OUT's extension), "onnx" or "safetensors"; OUT's
// extension must agree with it. Throws UsageError otherwise.
ExportFormat resolve_export_format(const std::string& format, const std::filesystem::path& out);

// "float32" or "float16"; throws UsageError for anything else.
OnnxType parse_export_dtype(const std::string& dtype);

struct ExportRequest {
  std::filesystem::path run_dir;
  std::filesystem::path out;
  std::string format = "auto";
  bool last = false;       // the last epoch's weights instead of the best
  bool overwrite = false;  // replace an existing OUT
  OnnxExportOptions onnx;  // ONNX only
};

struct ExportResult {
  std::filesystem::path file;
  std::filesystem::path card;
  std::string description;  // one line: what the file holds
};

// The model's float tensors (parameters and batch-norm statistics) by name,
// as host float32 arrays: what resnet_to_onnx reads. The integer
// num_batches_tracked counters are not weights and are left out.
HostWeights host_weights(models::Classifier& model);

// A model of the ResNet family as an ONNX graph, its weights as they are now
// (what export_run writes; the tests export models they made themselves).
OnnxModel classifier_to_onnx(models::Classifier& model, const ModelInterface& interface,
                             const OnnxExportOptions& options);

// Checks the run's weights against their architecture before anything is
// written; each file is written atomically (never half a file), the ONNX
// graph checked in memory first (deploy/onnx_model.h's check_model).
ExportResult export_run(const ExportRequest& request);

}  // namespace trainbench::deploy
