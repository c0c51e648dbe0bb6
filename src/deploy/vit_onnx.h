#pragma once
// A Vision Transformer (models/vision_transformer_config.h) with its weights
// as an ONNX graph, mirroring models/vision_transformer.cpp's forward layer by
// layer (onnx_lowering.h): the patch embedding as a strided Conv, the class
// token expanded to the batch, the position embeddings added, pre-norm
// blocks of multi-head attention (MatMul, Softmax) and a GELU MLP, the final
// LayerNorm and the head on the class token.
//
// The graph is for one image size: "pos_embed" must hold the position
// embeddings of that size's patch grid (the model's position_embeddings(),
// resampled when the size is not the native one), [1, 1 + patches, dim].
#include <string>

#include "deploy/onnx_lowering.h"
#include "models/vision_transformer_config.h"

namespace trainbench::deploy {

// Throws ModelError listing every weight that is missing or mis-shaped,
// ModelError for an image size that is not a multiple of the patch, and
// UsageError for an opset or dtype lower_classifier refuses.
OnnxModel vit_to_onnx(const models::VisionTransformerConfig& config, const HostWeights& weights,
                      const ModelInterface& interface, const OnnxExportOptions& options,
                      const std::string& producer_version);

}  // namespace trainbench::deploy
