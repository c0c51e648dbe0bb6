#include "data/batched_affine.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace trainbench::data {
namespace {

constexpr double kDegreesToRadians = kPi / 180.0;

}  // namespace

std::array<double, 6> inverse_affine_matrix(std::array<double, 2> center, double angle_degrees,
                                            std::array<double, 2> translate, double scale,
                                            std::array<double, 2> shear_degrees) {
  // torchvision.transforms.functional._get_inverse_affine_matrix, inverted
  // branch, term for term: M^-1 = C * RotateScaleShear^-1 * C^-1 * T^-1. The
  // same operations in the same order give the same doubles (IEEE, no
  // contraction in ISO C++ mode), hence the same float32 theta.
  const double rot = angle_degrees * kDegreesToRadians;
  const double sx = shear_degrees[0] * kDegreesToRadians;
  const double sy = shear_degrees[1] * kDegreesToRadians;
  const double cx = center[0], cy = center[1];
  const double tx = translate[0], ty = translate[1];

  const double a = std::cos(rot - sy) / std::cos(sy);
  const double b = -std::cos(rot - sy) * std::tan(sx) / std::cos(sy) - std::sin(rot);
  const double c = std::sin(rot - sy) / std::cos(sy);
  const double d = -std::sin(rot - sy) * std::tan(sx) / std::cos(sy) + std::cos(rot);

  // det([[a, b], [c, d]]) == 1, so the inverse is the adjugate.
  std::array<double, 6> m = {d, -b, 0.0, -c, a, 0.0};
  for (double& value : m) value /= scale;
  m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty);
  m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty);
  m[2] += cx;
  m[5] += cy;
  return m;
}

torch::Tensor affine_nearest_nhwc(const torch::Tensor& images_nhwc,
                                  const std::vector<std::array<double, 6>>& inverse_matrices) {
  if (images_nhwc.dim() != 4 || images_nhwc.scalar_type() != torch::kUInt8 || images_nhwc.size(3) < 1 ||
      images_nhwc.size(3) > 3) {
    throw std::invalid_argument("affine_nearest_nhwc: expected a uint8 [n, h, w, c] batch with 1 to 3 channels");
  }
  const std::int64_t n = images_nhwc.size(0), h = images_nhwc.size(1), w = images_nhwc.size(2), c = images_nhwc.size(3);
  if (static_cast<std::int64_t>(inverse_matrices.size()) != n) {
    throw std::invalid_argument("affine_nearest_nhwc: " + std::to_string(inverse_matrices.size()) + " matrices for " +
                                std::to_string(n) + " images");
  }
  if (n == 0) return images_nhwc.clone();
  const torch::Device device = images_nhwc.device();
  const auto float_options = torch::TensorOptions().dtype(torch::kFloat32).device(device);

  // theta as torchvision builds it: torch.tensor(matrix, dtype=float32), one
  // 2x3 per image, sent to the device in one copy.
  std::vector<float> theta_host;
  theta_host.reserve(static_cast<std::size_t>(n) * 6);
  for (const auto& m : inverse_matrices) {
    for (double value : m) theta_host.push_back(static_cast<float>(value));
  }
  const torch::Tensor theta = torch::from_blob(theta_host.data(), {n, 2, 3}, torch::kFloat32).to(device);

  // _gen_affine_grid: pixel-centre coordinates relative to the image centre
  // (the same float32 linspace on the same device), multiplied by theta^T
  // scaled to grid_sample's [-1, 1] range. Output size is the input size
  // (TrivialAugmentWide never expands).
  constexpr double d = 0.5;  // torchvision's name for the pixel-centre offset
  torch::Tensor base_grid = torch::empty({1, h, w, 3}, float_options);
  base_grid.select(3, 0).copy_(torch::linspace(-w * 0.5 + d, w * 0.5 + d - 1, w, float_options));
  base_grid.select(3, 1).copy_(torch::linspace(-h * 0.5 + d, h * 0.5 + d - 1, h, float_options).unsqueeze(-1));
  base_grid.select(3, 2).fill_(1);
  const torch::Tensor half_size =
      torch::tensor({0.5 * static_cast<double>(w), 0.5 * static_cast<double>(h)}, float_options);
  const torch::Tensor rescaled_theta = theta.transpose(1, 2) / half_size;  // [n, 3, 2]
  // The same bmm torchvision runs per image, as one batched call: each
  // image's grid is its own [h*w, 3] x [3, 2] product.
  const torch::Tensor grid = base_grid.view({1, h * w, 3}).expand({n, h * w, 3}).bmm(rescaled_theta).view({n, h, w, 2});

  // _apply_grid_transform with fill=None: grid_sample, nearest, zeros
  // outside, align_corners=False. Nearest sampling copies one input value per
  // output pixel (or 0 outside), doing no arithmetic on it, and which pixel it
  // copies depends on the grid alone, not on the channel. So the channels of
  // a pixel travel together as one float32 value r + 256 g + 65536 b (an
  // integer below 2^24, exact in float32): one sampled channel instead of
  // three, and a third of the float memory. A pixel outside the image comes
  // back as 0, i.e. fill 0 in every channel, as in torchvision.
  torch::Tensor packed = images_nhwc.select(3, c - 1).to(torch::kInt32);
  for (std::int64_t channel = c - 2; channel >= 0; --channel) packed.mul_(256).add_(images_nhwc.select(3, channel));
  const torch::Tensor input = packed.to(torch::kFloat32).unsqueeze(1);  // [n, 1, h, w]
  constexpr int64_t kNearest = 1, kZerosPadding = 0;
  const torch::Tensor warped =
      torch::grid_sampler(input, grid, kNearest, kZerosPadding, /*align_corners=*/false).squeeze(1).to(torch::kInt32);
  // Unpack into uint8 NHWC. torchvision rounds before its uint8 cast; the
  // values are exact integers already.
  torch::Tensor out = torch::empty({n, h, w, c}, images_nhwc.options().memory_format(torch::MemoryFormat::Contiguous));
  for (std::int64_t channel = 0; channel < c; ++channel) {
    out.select(3, channel).copy_(warped.bitwise_right_shift(8 * channel).bitwise_and_(255));
  }
  return out;
}

}  // namespace trainbench::data
