#pragma once
// Affine warps of a whole uint8 NHWC batch in one grid_sample, each image with
// its own matrix, computed the way torchvision's tensor path computes them
// (functional.affine / functional.rotate for tensors), so a batch warped here
// matches torchvision warping each image alone.
#include <torch/types.h>

#include <array>
#include <vector>

namespace trainbench::data {

// Python's math.radians and math.degrees multiply by kPi / 180 and 180 / kPi
// (CPython's degToRad, radToDeg); computing the same products keeps every
// matrix entry bit-identical to torchvision's.
inline constexpr double kPi = 3.14159265358979323846;

// torchvision's _get_inverse_affine_matrix(center, angle, translate, scale,
// shear): the output-to-input map [a, b, c, d, e, f] (x_in = a x + b y + c,
// y_in = d x + e y + f) in pixels, with the origin at the image centre as
// torchvision's tensor path places it. Angles are degrees, clockwise (as
// F.affine takes them); `center` is relative to the image centre. Computed in
// double with the same expressions, so the float32 theta agrees bit for bit.
std::array<double, 6> inverse_affine_matrix(std::array<double, 2> center, double angle_degrees,
                                            std::array<double, 2> translate, double scale,
                                            std::array<double, 2> shear_degrees);

// Warps uint8 [n, h, w, c] (c <= 3) by one inverse matrix per image (as above), with
// nearest-neighbour sampling and 0 outside the image: torchvision's
// _gen_affine_grid + _apply_grid_transform (align_corners=False, fill=None),
// batched. Returns uint8 [n, h, w, c] on the images' device.
torch::Tensor affine_nearest_nhwc(const torch::Tensor& images_nhwc,
                                  const std::vector<std::array<double, 6>>& inverse_matrices);

}  // namespace trainbench::data
