#include "models/vision_transformer.h"

#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/nn/init.h>
#include <torch/torch.h>

#include <cmath>

#include "core/error.h"
#include "core/torch_compat.h"

namespace trainbench::models {
namespace {

torch::nn::LayerNorm layer_norm(int dim) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(kVisionTransformerLayerNormEps));
}

// timm's Attention: one linear layer makes queries, keys and values for all
// heads; softmax(q k^T / sqrt(head_dim)) v per head; a linear projection.
struct AttentionImpl : torch::nn::Module {
  AttentionImpl(int dim, int heads) : heads(heads) {
    qkv = register_module("qkv", torch::nn::Linear(dim, 3 * dim));
    proj = register_module("proj", torch::nn::Linear(dim, dim));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    const std::int64_t batch = x.size(0), tokens = x.size(1), dim = x.size(2);
    const torch::Tensor split = qkv(x).reshape({batch, tokens, 3, heads, dim / heads}).permute({2, 0, 3, 1, 4});
    const torch::Tensor mixed = compat::scaled_dot_product_attention(split[0], split[1], split[2]);
    return proj(mixed.transpose(1, 2).reshape({batch, tokens, dim}));
  }
  int heads;
  torch::nn::Linear qkv{nullptr}, proj{nullptr};
};
TORCH_MODULE(Attention);

struct MlpImpl : torch::nn::Module {
  MlpImpl(int dim, int hidden) {
    fc1 = register_module("fc1", torch::nn::Linear(dim, hidden));
    fc2 = register_module("fc2", torch::nn::Linear(hidden, dim));
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::gelu(fc1(x))); }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(Mlp);

// A pre-norm transformer block: x + attn(norm1(x)), then + mlp(norm2(.)).
struct BlockImpl : torch::nn::Module {
  BlockImpl(int dim, int heads, int mlp_dim) {
    norm1 = register_module("norm1", layer_norm(dim));
    attn = register_module("attn", Attention(dim, heads));
    norm2 = register_module("norm2", layer_norm(dim));
    mlp = register_module("mlp", Mlp(dim, mlp_dim));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = x + attn(norm1(x));
    return x + mlp(norm2(x));
  }
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  Attention attn{nullptr};
  Mlp mlp{nullptr};
};
TORCH_MODULE(Block);

}  // namespace

VisionTransformer::VisionTransformer(const VisionTransformerConfig& config, int num_classes)
    : config_(config), num_classes_(num_classes) {
  const int grid = config.native_image_size / config.patch;
  auto patch_embed = register_module("patch_embed", std::make_shared<torch::nn::Module>());
  patch_embedding_ = patch_embed->register_module(
      "proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, config.dim, config.patch).stride(config.patch)));
  class_token_ = register_parameter("cls_token", torch::zeros({1, 1, config.dim}));
  position_embedding_ = register_parameter("pos_embed", torch::zeros({1, 1 + grid * grid, config.dim}));
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  for (int i = 0; i < config.depth; ++i) blocks_->push_back(Block(config.dim, config.heads, config.mlp_dim));
  norm_ = register_module("norm", layer_norm(config.dim));
  head_ = register_module("head", torch::nn::Linear(config.dim, num_classes));
  initialize_weights();
}

void VisionTransformer::initialize_weights() {
  // timm's default ViT initialisation: truncated normal (std 0.02) for the
  // linear layers and position embeddings, zero biases, a near-zero class
  // token; LayerNorm at ones and zeros; the patch convolution as PyTorch's.
  torch::NoGradGuard no_grad;
  const auto truncated_normal = [](torch::Tensor& tensor, double std) {
    tensor.normal_(0.0, std).clamp_(-2.0 * std, 2.0 * std);
  };
  truncated_normal(position_embedding_, 0.02);
  class_token_.normal_(0.0, 1e-6);
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* linear = module->as<torch::nn::Linear>()) {
      truncated_normal(linear->weight, 0.02);
      torch::nn::init::zeros_(linear->bias);
    }
  }
}

torch::Tensor VisionTransformer::position_embeddings(std::int64_t rows, std::int64_t columns) const {
  const std::int64_t grid = config_.native_image_size / config_.patch;
  if (rows == grid && columns == grid) return position_embedding_;
  // timm's resample_abs_pos_embed: the patch part as a grid, bicubic, back.
  const torch::Tensor patches = position_embedding_.narrow(1, 1, grid * grid)
                                    .reshape({1, grid, grid, config_.dim})
                                    .permute({0, 3, 1, 2});
  const torch::Tensor resized = torch::nn::functional::interpolate(
      patches, torch::nn::functional::InterpolateFuncOptions()
                   .size(std::vector<std::int64_t>{rows, columns})
                   .mode(torch::kBicubic)
                   .align_corners(false));
  return torch::cat({position_embedding_.narrow(1, 0, 1), resized.permute({0, 2, 3, 1}).reshape({1, rows * columns, config_.dim})},
                    1);
}

torch::Tensor VisionTransformer::forward(torch::Tensor images) {
  if (images.size(2) % config_.patch != 0 || images.size(3) % config_.patch != 0) {
    throw UsageError(config_.architecture + " takes images whose sides are multiples of " +
                     std::to_string(config_.patch) + " px (got " + std::to_string(images.size(2)) + "x" +
                     std::to_string(images.size(3)) + "; e.g. --img-size " +
                     std::to_string(std::max<std::int64_t>(config_.patch, images.size(2) / config_.patch * config_.patch)) +
                     ")");
  }
  // The residual stream stays in the parameters' dtype (fp32) under
  // autocast, as in timm: each block's matrix products run in bf16/fp16 and
  // add back into it. LayerNorm then sees matching dtypes (1.13's CPU
  // LayerNorm has no bf16-input, fp32-weight kernel, and autocast leaves it).
  torch::Tensor x = patch_embedding_(images).to(position_embedding_.scalar_type());  // [n, dim, rows, columns]
  const std::int64_t rows = x.size(2), columns = x.size(3);
  x = x.flatten(2).transpose(1, 2);  // [n, patches, dim]
  x = torch::cat({class_token_.expand({x.size(0), -1, -1}), x}, 1);
  x = x + position_embeddings(rows, columns);
  for (const auto& block : *blocks_) x = block->as<BlockImpl>()->forward(x);
  return head_(norm_(x).select(1, 0));
}

}  // namespace trainbench::models
