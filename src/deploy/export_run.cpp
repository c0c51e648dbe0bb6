#include "deploy/export_run.h"

#include <torch/torch.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "deploy/convnext_onnx.h"
#include "deploy/mobile_onnx.h"
#include "deploy/onnx_library_check.h"
#include "deploy/vit_onnx.h"
#include "models/convnext_config.h"
#include "models/mobile_net_config.h"
#include "models/resnet.h"
#include "models/resnet_config.h"
#include "models/vision_transformer.h"
#include "train/trained_model.h"
#include "weights/model_card.h"
#include "weights/state_dict.h"

namespace trainbench::deploy {
namespace fs = std::filesystem;

namespace {

// A tensor's values on the host, row-major float32.
HostTensor host_tensor(const torch::Tensor& tensor) {
  const torch::Tensor values = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  HostTensor out;
  out.shape.assign(values.sizes().begin(), values.sizes().end());
  const float* data = values.data_ptr<float>();
  out.values.assign(data, data + values.numel());
  return out;
}

}  // namespace

HostWeights host_weights(models::Classifier& model) {
  HostWeights host;
  for (const auto& [name, tensor] : weights::state_dict(model)) {
    if (tensor.is_floating_point()) host[name] = host_tensor(tensor);
  }
  return host;
}

namespace {

nlohmann::ordered_json onnx_card(const OnnxModel& model, const OnnxExportOptions& options, int image_size,
                                 int num_classes) {
  const std::string dtype = type_name(options.dtype);
  nlohmann::ordered_json input;
  if (options.with_preprocessing) {
    input = {{"name", input_name()},
             {"dtype", "uint8"},
             {"layout", "NHWC"},
             {"shape", {"batch", image_size, image_size, 3}},
             {"expects", "RGB pixels 0-255 after resize_pad to image_size; the graph scales and normalises them"}};
  } else {
    input = {{"name", input_name()},
             {"dtype", dtype},
             {"layout", "NCHW"},
             {"shape", {"batch", 3, image_size, image_size}},
             {"expects", "RGB after resize_pad, scaled to [0, 1], minus mean, divided by std"}};
  }
  const nlohmann::ordered_json output = {
      {"name", output_name(options)},
      {"dtype", dtype},
      {"shape", {"batch", num_classes}},
      {"expects", options.with_preprocessing ? "softmax probabilities, in the order of classes"
                                             : "logits, in the order of classes"}};
  return {{"opset", model.opset},
          {"ir_version", model.ir_version},
          {"dtype", dtype},
          {"batch_norm_folded", options.fold_batch_norm},
          {"with_preprocessing", options.with_preprocessing},
          {"input", input},
          {"output", output}};
}

ExportResult export_onnx(const ExportRequest& request) {
  const train::RunWeights loaded = train::load_run_weights(request.run_dir, request.last);
  const weights::ModelCard& card = loaded.card;
  const ModelInterface interface{card.image_size, card.mean, card.std, static_cast<int>(card.classes.size())};
  OnnxModel model = classifier_to_onnx(*loaded.model, interface, request.onnx);
  nlohmann::ordered_json card_json = weights::to_json(card);
  card_json["format"] = "onnx";
  card_json["onnx"] = onnx_card(model, request.onnx, card.image_size, interface.num_classes);
  // The card travels inside the file too: a runtime's metadata API shows it.
  model.metadata.emplace_back("trainbench.model_card", card_json.dump());
  const std::string bytes = serialize_model(model);
  const bool checked = check_with_onnx_library(bytes, interface.num_classes);  // before anything is written
  std::error_code error;
  if (!request.out.parent_path().empty()) fs::create_directories(request.out.parent_path(), error);
  core::write_file_atomically(request.out, bytes);
  const fs::path card_path = weights::model_card_path(request.out);
  core::write_file_atomically(card_path, card_json.dump(2) + "\n");
  const std::string form = request.onnx.with_preprocessing ? "uint8 NHWC pixels in, probabilities out"
                                                           : "normalised NCHW input, logits out";
  return {request.out, card_path,
          card.architecture + " as ONNX opset " + std::to_string(model.opset) + ", " + type_name(request.onnx.dtype) +
              ", " + form + (request.onnx.fold_batch_norm ? ", batch norm folded" : "") + ", " +
              std::to_string(model.graph.nodes.size()) + " nodes, " + std::to_string(bytes.size() / 1024) + " KiB, " +
              (checked ? "checked by ONNX's checker and shape inference"
                       : "not checked by ONNX's library (this build has none: libonnx-dev)")};
}

}  // namespace

OnnxModel classifier_to_onnx(models::Classifier& model, const ModelInterface& interface,
                             const OnnxExportOptions& options) {
  if (dynamic_cast<models::ResNet*>(&model) != nullptr) {
    return resnet_to_onnx(models::find_resnet_config(model.architecture()), host_weights(model), interface, options,
                          TRAINBENCH_VERSION);
  }
  if (auto* vit = dynamic_cast<models::VisionTransformer*>(&model)) {
    // The graph has one image size: its position embeddings, resampled from
    // the native grid as the model's forward pass would at that size.
    HostWeights weights = host_weights(model);
    const models::VisionTransformerConfig& config = *models::find_vision_transformer_config(model.architecture());
    if (interface.image_size % config.patch == 0) {
      const std::int64_t grid = interface.image_size / config.patch;
      torch::NoGradGuard no_grad;
      weights["pos_embed"] = host_tensor(vit->position_embeddings(grid, grid));
    }
    return vit_to_onnx(config, weights, interface, options, TRAINBENCH_VERSION);
  }
  if (const models::ConvNeXtConfig* config = models::find_convnext_config(model.architecture())) {
    return convnext_to_onnx(*config, host_weights(model), interface, options, TRAINBENCH_VERSION);
  }
  if (const models::MobileNetConfig* config = models::find_mobile_net_config(model.architecture())) {
    return mobile_net_to_onnx(*config, host_weights(model), interface, options, TRAINBENCH_VERSION);
  }
  throw UsageError("ONNX export does not lower " + model.architecture() +
                   " yet; it exports to safetensors (--out FILE.safetensors), which timm and trainbench load");
}

ExportFormat resolve_export_format(const std::string& format, const fs::path& out) {
  const std::string extension = out.extension().string();
  ExportFormat resolved;
  if (format == "onnx") {
    resolved = ExportFormat::kOnnx;
  } else if (format == "safetensors") {
    resolved = ExportFormat::kSafetensors;
  } else if (format == "auto") {
    if (extension == ".onnx") return ExportFormat::kOnnx;
    if (extension == ".safetensors") return ExportFormat::kSafetensors;
    throw UsageError("--out " + out.string() + ": the format comes from the extension, .onnx or .safetensors");
  } else {
    throw UsageError("--format must be auto, onnx or safetensors, got '" + format + "'");
  }
  const std::string expected = resolved == ExportFormat::kOnnx ? ".onnx" : ".safetensors";
  if (extension != expected) {
    throw UsageError("--format " + format + " writes a " + expected + " file; --out " + out.string() + " has another extension");
  }
  return resolved;
}

OnnxType parse_export_dtype(const std::string& dtype) {
  if (dtype == "float32") return OnnxType::kFloat;
  if (dtype == "float16") return OnnxType::kFloat16;
  throw UsageError("--dtype must be float32 or float16, got '" + dtype + "'");
}

ExportResult export_run(const ExportRequest& request) {
  const ExportFormat format = resolve_export_format(request.format, request.out);
  std::error_code error;
  if (fs::exists(request.out, error) && !request.overwrite) {
    throw UsageError(request.out.string() + " exists; pass --overwrite to replace it");
  }
  if (format == ExportFormat::kSafetensors) {
    const fs::path card = train::export_weights(request.run_dir, request.last, request.out, request.overwrite);
    return {request.out, card, "weights as safetensors with timm names (fp32)"};
  }
  return export_onnx(request);
}

}  // namespace trainbench::deploy
