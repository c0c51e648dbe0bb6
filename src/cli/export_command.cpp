#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "core/error.h"
#include "deploy/export_run.h"

namespace trainbench::cli {
namespace {

struct ExportFlags {
  deploy::ExportRequest request;
  std::string dtype = "float32";
  bool no_fold_bn = false;
};

int run_export(ExportFlags& flags, const CLI::App& cmd) {
  deploy::ExportRequest& request = flags.request;
  const deploy::ExportFormat format = deploy::resolve_export_format(request.format, request.out);
  if (format == deploy::ExportFormat::kSafetensors) {
    for (const char* onnx_only : {"--opset", "--no-fold-bn", "--with-preprocessing", "--dtype"}) {
      if (cmd.count(onnx_only) > 0) throw UsageError(std::string(onnx_only) + " applies to ONNX exports only (--out *.onnx)");
    }
  }
  request.onnx.dtype = deploy::parse_export_dtype(flags.dtype);
  request.onnx.fold_batch_norm = !flags.no_fold_bn;
  const deploy::ExportResult result = deploy::export_run(request);
  std::printf("wrote %s (%s) and its card %s\n", result.file.c_str(), result.description.c_str(), result.card.c_str());
  return 0;
}

}  // namespace

void add_export_command(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ExportFlags>();
  deploy::ExportRequest& request = flags->request;
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Write a run's weights for use elsewhere, with a JSON model card beside the file (architecture, classes, image "
      "size, normalisation, and for ONNX the input and output). .safetensors: timm parameter names, for PyTorch "
      "(timm.create_model(name, num_classes=N) or torchvision's resnet load_state_dict take them unchanged). .onnx: "
      "the whole network as an ONNX graph of standard operators, for ONNX Runtime, OpenCV DNN, OpenVINO and game "
      "engines; dynamic batch dimension, input named 'input', output 'logits'.");
  cmd->add_option("--run", request.run_dir, "Run folder written by `trainbench train`")->required();
  cmd->add_option("--out", request.out,
                  "File to write, ending in .onnx or .safetensors (the card goes to the same name with .json)")
      ->required();
  cmd->add_option("--format", request.format, "auto (from --out's extension), onnx or safetensors")
      ->capture_default_str();
  cmd->add_flag("--last", request.last, "Export the last epoch's weights instead of the best (lowest validation loss)");
  cmd->add_flag("--overwrite", request.overwrite, "Replace an existing output file");
  cmd->add_option("--opset", request.onnx.opset,
                  "ONNX: operator set version, " + std::to_string(deploy::kMinOpset) + " to " +
                      std::to_string(deploy::kMaxOpset) + " (13 for runtimes older than 2022)")
      ->capture_default_str()
      ->check(whole_number(std::to_string(deploy::kMinOpset) + " to " + std::to_string(deploy::kMaxOpset)));
  cmd->add_flag("--no-fold-bn", flags->no_fold_bn,
                "ONNX: keep BatchNormalization nodes instead of folding them into the convolutions");
  cmd->add_flag("--with-preprocessing", request.onnx.with_preprocessing,
                "ONNX: the graph takes uint8 RGB pixels (NHWC, the model's image size, after resize_pad), scales and "
                "normalises them itself, and ends in Softmax: output 'probabilities'");
  cmd->add_option("--dtype", flags->dtype, "ONNX: float32, or float16 for GPU runtimes (weights, input and output)")
      ->capture_default_str();
  cmd->callback([flags, cmd, exit_code] { *exit_code = run_export(*flags, *cmd); });
}

}  // namespace trainbench::cli
