#include "deploy/convnext_onnx.h"

namespace trainbench::deploy {
namespace {

// x + gamma * mlp(norm(conv_dw(x))), the norm and MLP on the NHWC transpose.
std::string block(GraphBuilder& g, const std::string& x, const std::string& prefix, int dim,
                  const models::ConvNeXtConfig& config) {
  const int kernel = config.kernel_size;
  const std::string mixed = g.conv(x, prefix + "conv_dw", padded_conv(dim, dim, kernel, 1, dim), true);
  std::string y = g.transpose(mixed, prefix + "nhwc", {0, 2, 3, 1});
  y = g.layer_norm(y, prefix + "norm", dim, config.layer_norm_eps);
  y = g.gelu(g.linear(y, prefix + "mlp.fc1", dim, config.mlp_ratio * dim));
  y = g.linear(y, prefix + "mlp.fc2", config.mlp_ratio * dim, dim);
  y = g.mul(y, g.weight_constant(prefix + "gamma", {dim}), prefix + "layer_scale");
  return g.add(x, g.transpose(y, prefix + "nchw", {0, 3, 1, 2}), prefix + "residual");
}

}  // namespace

OnnxModel convnext_to_onnx(const models::ConvNeXtConfig& config, const HostWeights& weights,
                           const ModelInterface& interface, const OnnxExportOptions& options,
                           const std::string& producer_version) {
  const auto body = [&](GraphBuilder& g, const std::string& input) {
    const auto& dims = config.dims;
    std::string x = g.conv(input, "stem.0", {3, dims[0], 4, 4, 0, 1}, true);
    x = g.layer_norm_2d(x, "stem.1", dims[0], config.layer_norm_eps);
    for (int stage = 0; stage < 4; ++stage) {
      const std::string prefix = "stages." + std::to_string(stage) + ".";
      if (stage > 0) {
        x = g.layer_norm_2d(x, prefix + "downsample.0", dims[stage - 1], config.layer_norm_eps);
        x = g.conv(x, prefix + "downsample.1", {dims[stage - 1], dims[stage], 2, 2, 0, 1}, true);
      }
      for (int b = 0; b < config.depths[stage]; ++b) {
        x = block(g, x, prefix + "blocks." + std::to_string(b) + ".", dims[stage], config);
      }
    }
    x = g.node("Flatten", "flatten", {g.global_average_pool(x, "global_pool")}, {int_attribute("axis", 1)});
    x = g.layer_norm(x, "head.norm", dims[3], config.layer_norm_eps);
    return g.gemm(x, "head.fc", dims[3], interface.num_classes);
  };
  return lower_classifier(config.architecture, weights, interface, options, producer_version, body);
}

}  // namespace trainbench::deploy
