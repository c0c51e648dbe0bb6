#include "deploy/vit_onnx.h"

#include <cmath>

#include "core/error.h"

namespace trainbench::deploy {
namespace {

// timm's Attention: qkv in one linear layer, split per head, softmax(q k^T /
// sqrt(head_dim)) v, heads joined, projected.
std::string attention(GraphBuilder& g, const std::string& x, const std::string& prefix,
                      const models::VisionTransformerConfig& config) {
  const int head_dim = config.dim / config.heads;
  const std::string qkv = g.linear(x, prefix + "qkv", config.dim, 3 * config.dim);  // [n, tokens, 3 dim]
  const std::string split = g.transpose(g.reshape(qkv, prefix + "split", {0, 0, 3, config.heads, head_dim}),
                                        prefix + "heads", {2, 0, 3, 1, 4});  // [3, n, heads, tokens, head_dim]
  const auto part = [&](int index, const char* name) {
    return g.node("Gather", prefix + name,
                  {split, g.int64_constant(prefix + name + ".index", {}, {index})}, {int_attribute("axis", 0)});
  };
  const std::string q = part(0, "q"), k = part(1, "k"), v = part(2, "v");
  const std::string scores =
      g.node("Mul", prefix + "scores",
             {g.node("MatMul", prefix + "qk", {q, g.transpose(k, prefix + "k_t", {0, 1, 3, 2})}),
              g.scalar(static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim))))});
  const std::string weights = g.node("Softmax", prefix + "softmax", {scores}, {int_attribute("axis", -1)});
  const std::string mixed = g.node("MatMul", prefix + "mixed", {weights, v});  // [n, heads, tokens, head_dim]
  const std::string joined =
      g.reshape(g.transpose(mixed, prefix + "tokens_first", {0, 2, 1, 3}), prefix + "joined", {0, 0, config.dim});
  return g.linear(joined, prefix + "proj", config.dim, config.dim);
}

// A pre-norm block: x + attn(norm1(x)), then + mlp(norm2(.)).
std::string block(GraphBuilder& g, const std::string& x, const std::string& prefix,
                  const models::VisionTransformerConfig& config) {
  const double eps = models::kVisionTransformerLayerNormEps;
  const std::string attended =
      g.add(x, attention(g, g.layer_norm(x, prefix + "norm1", config.dim, eps), prefix + "attn.", config),
            prefix + "attn_residual");
  const std::string hidden =
      g.gelu(g.linear(g.layer_norm(attended, prefix + "norm2", config.dim, eps), prefix + "mlp.fc1", config.dim,
                      config.mlp_dim));
  return g.add(attended, g.linear(hidden, prefix + "mlp.fc2", config.mlp_dim, config.dim), prefix + "mlp_residual");
}

}  // namespace

OnnxModel vit_to_onnx(const models::VisionTransformerConfig& config, const HostWeights& weights,
                      const ModelInterface& interface, const OnnxExportOptions& options,
                      const std::string& producer_version) {
  if (interface.image_size % config.patch != 0) {
    throw ModelError(config.architecture + " takes images whose sides are multiples of " +
                     std::to_string(config.patch) + " px; the model card says " +
                     std::to_string(interface.image_size));
  }
  const std::int64_t grid = interface.image_size / config.patch;
  const auto body = [&](GraphBuilder& g, const std::string& input) {
    const std::string patches =
        g.conv(input, "patch_embed.proj", {3, config.dim, config.patch, config.patch, 0, 1}, true);
    const std::string tokens = g.transpose(g.reshape(patches, "patch_embed.flatten", {0, config.dim, -1}),
                                           "patch_embed.tokens", {0, 2, 1});  // [n, patches, dim]
    // The class token, one per image: expanded to [n, 1, dim].
    const std::string batch =
        g.node("Slice", "batch_size",
               {g.node("Shape", "tokens_shape", {tokens}), g.int64_constant("batch_size.starts", {1}, {0}),
                g.int64_constant("batch_size.ends", {1}, {1}), g.int64_constant("batch_size.axes", {1}, {0})});
    const std::string class_shape =
        g.node("Concat", "class_shape", {batch, g.int64_constant("class_shape.rest", {2}, {1, config.dim})},
               {int_attribute("axis", 0)});
    const std::string classes =
        g.node("Expand", "class_tokens", {g.weight_constant("cls_token", {1, 1, config.dim}), class_shape});
    std::string x = g.node("Concat", "with_class_token", {classes, tokens}, {int_attribute("axis", 1)});
    x = g.add(x, g.weight_constant("pos_embed", {1, 1 + grid * grid, config.dim}), "with_positions");
    for (int i = 0; i < config.depth; ++i) x = block(g, x, "blocks." + std::to_string(i) + ".", config);
    x = g.layer_norm(x, "norm", config.dim, models::kVisionTransformerLayerNormEps);
    x = g.node("Gather", "class_token_out", {x, g.int64_constant("class_token_out.index", {}, {0})},
               {int_attribute("axis", 1)});  // [n, dim]
    return g.gemm(x, "head", config.dim, interface.num_classes);
  };
  return lower_classifier(config.architecture, weights, interface, options, producer_version, body);
}

}  // namespace trainbench::deploy
