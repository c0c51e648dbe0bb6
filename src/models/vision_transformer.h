#pragma once
// The Vision Transformer (Dosovitskiy et al.) as timm builds
// vit_small_patch16_224 and vit_base_patch16_224, with timm's parameter names
// so its safetensors load: a 16x16 patch embedding (a strided convolution),
// a class token and learned position embeddings, pre-norm blocks of
// multi-head self-attention and a GELU MLP, a final LayerNorm and a linear
// head on the class token. The hardware paths it leans on are the ones a
// ResNet barely touches: large matrix products, softmax, LayerNorm, GELU.
//
// The position embeddings are learned for 224 px (14 x 14 patches). At
// another size (a multiple of 16) they are resampled bicubically to the
// patch grid in each forward pass, as timm's dynamic_img_size does, so the
// same weights serve any --img-size.
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <string>
#include <vector>

#include "models/classifier.h"
#include "models/vision_transformer_config.h"

namespace trainbench::models {

class VisionTransformer : public Classifier {
 public:
  VisionTransformer(const VisionTransformerConfig& config, int num_classes);
  // images: [n, 3, h, w] with h and w multiples of the patch size.
  torch::Tensor forward(torch::Tensor images) override;
  const std::string& architecture() const override { return config_.architecture; }
  int num_classes() const override { return num_classes_; }
  std::string head_name() const override { return "head"; }

  // The position embeddings for a grid of `rows` x `columns` patches: the
  // learned ones at the native grid, resampled otherwise (what an ONNX
  // graph of a fixed size bakes in).
  torch::Tensor position_embeddings(std::int64_t rows, std::int64_t columns) const;

 private:
  void initialize_weights();

  VisionTransformerConfig config_;
  int num_classes_;
  torch::nn::Conv2d patch_embedding_{nullptr};  // "patch_embed.proj"
  torch::Tensor class_token_;                    // "cls_token" [1, 1, dim]
  torch::Tensor position_embedding_;             // "pos_embed" [1, 1 + patches, dim]
  torch::nn::ModuleList blocks_{nullptr};
  torch::nn::LayerNorm norm_{nullptr};
  torch::nn::Linear head_{nullptr};
};

}  // namespace trainbench::models
