#include "data/trivial_augment.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

#include "data/batched_affine.h"

// Every op reproduces torchvision 0.14's tensor implementation for uint8
// images (transforms/functional_tensor.py, reached through
// TrivialAugmentWide._apply_op), batched: per-image magnitudes travel as
// [g, 1, 1, 1] tensors broadcast over an op's group, and the float32
// arithmetic is done as the same separate operations in the same order, so
// the rounding (and the truncating float -> uint8 cast) agrees.

namespace trainbench::data {
namespace {

constexpr double kRadiansToDegrees = 180.0 / kPi;

void check_ranges(const TrivialAugmentRanges& ranges) {
  // Posterize's table divides by (bins - 1) / 6; torchvision would make NaN
  // bit counts from a single bin.
  if (ranges.bins < 2) {
    throw std::invalid_argument("TrivialAugmentWide needs at least 2 magnitude bins (got " +
                                std::to_string(ranges.bins) + ")");
  }
}

bool is_signed(AugmentOp op) { return op >= AugmentOp::kShearX && op <= AugmentOp::kSharpness; }

bool is_geometric(AugmentOp op) { return op >= AugmentOp::kShearX && op <= AugmentOp::kRotate; }

// The magnitudes _augmentation_space lists for `op`, with the workload's
// maxima, as the doubles `float(magnitudes[i].item())` gives. The table comes
// from torch itself (a float32 linspace on the CPU), because its float32
// rounding decides e.g. int(translate) at a bin like 32 * 15 / 30.
std::vector<double> magnitude_table(AugmentOp op, const TrivialAugmentRanges& ranges) {
  const auto from_tensor = [&](const torch::Tensor& values) {
    const torch::Tensor as_double = values.to(torch::kFloat64).contiguous();
    return std::vector<double>(as_double.data_ptr<double>(), as_double.data_ptr<double>() + ranges.bins);
  };
  const auto linspace = [&](double start, double end) {
    return from_tensor(torch::linspace(start, end, ranges.bins, torch::kFloat32));
  };
  switch (op) {
    case AugmentOp::kShearX:
    case AugmentOp::kShearY:
      return linspace(0.0, ranges.shear);
    case AugmentOp::kTranslateX:
    case AugmentOp::kTranslateY:
      return linspace(0.0, ranges.translate_pixels);
    case AugmentOp::kRotate:
      return linspace(0.0, ranges.rotate_degrees);
    case AugmentOp::kBrightness:
      return linspace(0.0, ranges.brightness);
    case AugmentOp::kColor:
      return linspace(0.0, ranges.color);
    case AugmentOp::kContrast:
      return linspace(0.0, ranges.contrast);
    case AugmentOp::kSharpness:
      return linspace(0.0, ranges.sharpness);
    case AugmentOp::kPosterize:
      // 8 - (arange(bins) / ((bins - 1) / 6)).round().int(): float32
      // division, round half to even.
      return from_tensor(8 - torch::arange(ranges.bins).div((ranges.bins - 1) / 6.0).round().to(torch::kInt32));
    case AugmentOp::kSolarize:
      return linspace(255.0, 0.0);
    case AugmentOp::kIdentity:
    case AugmentOp::kAutoContrast:
    case AugmentOp::kEqualize:
      break;
  }
  return std::vector<double>(static_cast<std::size_t>(ranges.bins), 0.0);
}

double magnitude_from_table(const std::vector<double>& table, const AugmentDraw& draw) {
  if (draw.magnitude_bin < 0 || draw.magnitude_bin >= static_cast<int>(table.size())) {
    throw std::invalid_argument("augment magnitude bin " + std::to_string(draw.magnitude_bin) + " is outside 0.." +
                                std::to_string(table.size() - 1));
  }
  const double magnitude = table[static_cast<std::size_t>(draw.magnitude_bin)];
  return is_signed(draw.op) && draw.negative ? -magnitude : magnitude;
}

// _apply_op's F.affine / F.rotate arguments for a geometric op, turned into
// the inverse matrix F.affine builds for tensors (centre relative to the
// image centre).
std::array<double, 6> geometric_matrix(AugmentOp op, double magnitude, std::int64_t h, std::int64_t w) {
  // Shears go through F.affine(..., center=[0, 0]): about the top-left
  // corner, which torchvision's tensor path places at (-w/2, -h/2).
  const std::array<double, 2> corner = {0 - static_cast<double>(w) * 0.5, 0 - static_cast<double>(h) * 0.5};
  switch (op) {
    case AugmentOp::kShearX:
      return inverse_affine_matrix(corner, 0.0, {0.0, 0.0}, 1.0, {std::atan(magnitude) * kRadiansToDegrees, 0.0});
    case AugmentOp::kShearY:
      return inverse_affine_matrix(corner, 0.0, {0.0, 0.0}, 1.0, {0.0, std::atan(magnitude) * kRadiansToDegrees});
    case AugmentOp::kTranslateX:  // translate=[int(magnitude), 0]: truncated
      return inverse_affine_matrix({0.0, 0.0}, 0.0, {std::trunc(magnitude), 0.0}, 1.0, {0.0, 0.0});
    case AugmentOp::kTranslateY:
      return inverse_affine_matrix({0.0, 0.0}, 0.0, {0.0, std::trunc(magnitude)}, 1.0, {0.0, 0.0});
    case AugmentOp::kRotate:
      // F.rotate is counter-clockwise and passes -angle to the clockwise matrix.
      return inverse_affine_matrix({0.0, 0.0}, -magnitude, {0.0, 0.0}, 1.0, {0.0, 0.0});
    default:
      throw std::logic_error("geometric_matrix: not a geometric op");
  }
}

// A per-image value as a [g, 1, 1, 1] tensor that broadcasts over NHWC.
torch::Tensor per_image(const torch::Tensor& params, int column) {
  return params.select(1, column).view({-1, 1, 1, 1});
}

// The ops below work in place on float32 copies wherever they can: a fresh
// full-size temporary per step costs more than the arithmetic on the CPU.
// In-place steps round exactly as torchvision's out-of-place ones do (a uint8
// value converts to float32 exactly, and a Python float scalar is cast to
// float32 before it multiplies).

// _blend(img1, img2, ratio) = (ratio * img1 + (1 - ratio) * img2)
// .clamp(0, 255).to(uint8): float32 products and their sum as separate
// operations (a fused multiply-add could round differently); the cast
// truncates toward zero. Takes float32 img1 and img2 (img2 may broadcast)
// and overwrites both. params columns: float32(ratio), float32(1 - ratio
// computed in double).
torch::Tensor blend(torch::Tensor img1, torch::Tensor img2, const torch::Tensor& params) {
  img1.mul_(per_image(params, 0));
  img1.add_(img2.mul_(per_image(params, 1)));
  return img1.clamp_(0, 255).to(torch::kUInt8);
}

// rgb_to_grayscale for uint8, (0.2989 r + 0.587 g + 0.114 b) summed in that
// order in float32 and truncated to uint8, kept as float32 [g, h, w, 1] (the
// form both of its users need). The weights sum below 1, so every value lies
// in [0, 255) and trunc() is the uint8 cast.
torch::Tensor grayscale(const torch::Tensor& images) {
  torch::Tensor gray = images.select(3, 0).to(torch::kFloat32).mul_(0.2989);
  gray.add_(images.select(3, 1).to(torch::kFloat32).mul_(0.587));
  gray.add_(images.select(3, 2).to(torch::kFloat32).mul_(0.114));
  return gray.trunc_().unsqueeze(3);
}

torch::Tensor brightness(const torch::Tensor& images, const torch::Tensor& params) {
  // _blend with a zero image: the (1 - ratio) * 0 term adds nothing.
  return images.to(torch::kFloat32).mul_(per_image(params, 0)).clamp_(0, 255).to(torch::kUInt8);
}

torch::Tensor color(const torch::Tensor& images, const torch::Tensor& params) {
  return blend(images.to(torch::kFloat32), grayscale(images), params);
}

torch::Tensor contrast(const torch::Tensor& images, const torch::Tensor& params) {
  // Blend towards each image's mean grayscale level (the float32 mean of the
  // truncated grayscale, as adjust_contrast computes it).
  return blend(images.to(torch::kFloat32), grayscale(images).mean({1, 2, 3}, /*keepdim=*/true), params);
}

torch::Tensor sharpness(const torch::Tensor& images, const torch::Tensor& params) {
  const std::int64_t h = images.size(1), w = images.size(2);
  if (h <= 2 || w <= 2) return images;  // adjust_sharpness leaves such images alone
  // _blurred_degenerate_image: the kernel [[1,1,1],[1,5,1],[1,1,1]] / 13 on
  // the interior, rounded to uint8; the border keeps the original pixels.
  // Here: the 3x3 box sum (separably) plus 4 x the centre, all exact integers
  // in float32, divided by 13 and rounded. k / 13 is never within 1/26 of a
  // half, so this rounding and that of torchvision's float convolution
  // (whatever its summation order) agree.
  const torch::Tensor pixels = images.to(torch::kFloat32);
  torch::Tensor rows = pixels.slice(2, 0, w - 2) + pixels.slice(2, 1, w - 1);
  rows.add_(pixels.slice(2, 2, w));
  torch::Tensor blurred_interior = rows.slice(1, 0, h - 2) + rows.slice(1, 1, h - 1);
  blurred_interior.add_(rows.slice(1, 2, h)).add_(pixels.slice(1, 1, h - 1).slice(2, 1, w - 1), 4);
  blurred_interior.div_(13).round_();
  torch::Tensor blurred = pixels.clone();
  blurred.slice(1, 1, h - 1).slice(2, 1, w - 1).copy_(blurred_interior);
  return blend(pixels, blurred, params);
}

torch::Tensor posterize(const torch::Tensor& images, const torch::Tensor& params) {
  // img & -(2 ** (8 - bits)): params carries the mask as a byte value.
  return images.bitwise_and(per_image(params, 0).to(torch::kUInt8));
}

torch::Tensor solarize(const torch::Tensor& images, const torch::Tensor& params) {
  // where(img >= threshold, 255 - img, img). For integer pixels, img >=
  // threshold is img >= ceil(threshold), which params carries as a byte.
  const torch::Tensor threshold = per_image(params, 0).to(torch::kUInt8);
  return torch::where(images >= threshold, 255 - images, images);
}

torch::Tensor autocontrast(const torch::Tensor& images) {
  // Per image and channel: (img - min) * (255 / (max - min)), clamped and
  // truncated; a flat channel (max == min) is left as it is. Python's
  // `255.0 / t` is t.reciprocal() * 255.0, which rounds differently from a
  // division, so it is spelled that way here.
  torch::Tensor minimum = images.amin({1, 2}, /*keepdim=*/true).to(torch::kFloat32);
  const torch::Tensor maximum = images.amax({1, 2}, /*keepdim=*/true).to(torch::kFloat32);
  torch::Tensor scale = (maximum - minimum).reciprocal() * 255.0;
  const torch::Tensor flat = torch::isfinite(scale).logical_not();
  minimum = minimum.masked_fill(flat, 0);
  scale = scale.masked_fill(flat, 1);
  return images.to(torch::kFloat32).sub_(minimum).mul_(scale).clamp_(0, 255).to(torch::kUInt8);
}

torch::Tensor equalize(const torch::Tensor& images) {
  // torchvision's _scale_channel for every image and channel at once: one
  // histogram per (image, channel) from a single index_add over a combined
  // bin index, per-channel lookup tables, then one gather through them.
  const std::int64_t g = images.size(0), h = images.size(1), w = images.size(2), c = images.size(3);
  const auto options = torch::TensorOptions().device(images.device());
  // int32 bins: half the memory traffic of int64, and index_add_ and
  // index_select take them (scatter_add_ would need int64; bincount reads
  // the maximum back to the host on CUDA).
  const torch::Tensor channel_offset = torch::arange(g * c, options.dtype(torch::kInt32)).view({g, 1, 1, c}) * 256;
  const torch::Tensor bin = images.to(torch::kInt32).add_(channel_offset).view({-1});
  // Integer counts: the order of CUDA's atomic adds does not matter.
  const torch::Tensor hist = torch::zeros({g * c * 256}, options.dtype(torch::kInt32))
                                 .index_add_(0, bin, torch::ones({1}, options.dtype(torch::kInt32)).expand_as(bin))
                                 .view({g * c, 256})
                                 .to(torch::kInt64);
  // step = sum(nonzero_hist[:-1]) // 255: every pixel except those in the
  // last non-empty bin, which is the channel's maximum.
  const torch::Tensor channel_max = images.amax({1, 2}).view({g * c, 1}).to(torch::kInt64);
  const torch::Tensor step = torch::div(h * w - hist.gather(1, channel_max), 255, "floor");  // [g * c, 1]
  const torch::Tensor flat = step.eq(0);  // torchvision returns such a channel unchanged
  // lut = (cumsum(hist) + step // 2) // step, shifted right by one bin
  // (lut[0] = 0) and clamped to 0..255; identity where step == 0.
  torch::Tensor lut = torch::div(hist.cumsum(1) + torch::div(step, 2, "floor"), step.masked_fill(flat, 1), "floor");
  lut = torch::cat({torch::zeros({g * c, 1}, options.dtype(torch::kInt64)), lut.slice(1, 0, 255)}, 1).clamp_(0, 255);
  lut = torch::where(flat, torch::arange(256, options.dtype(torch::kInt64)).view({1, 256}), lut);
  return lut.to(torch::kUInt8).view({-1}).index_select(0, bin).view({g, h, w, c});
}

}  // namespace

AugmentDraw draw_trivial_augment(core::Rng& rng, const TrivialAugmentRanges& ranges) {
  check_ranges(ranges);
  AugmentDraw draw;
  draw.op = static_cast<AugmentOp>(rng.uniform_index(kAugmentOpCount));
  draw.magnitude_bin = static_cast<int>(rng.uniform_index(static_cast<std::uint64_t>(ranges.bins)));
  draw.negative = rng.uniform_index(2) == 1;
  return draw;
}

double augment_magnitude(const AugmentDraw& draw, const TrivialAugmentRanges& ranges) {
  check_ranges(ranges);
  return magnitude_from_table(magnitude_table(draw.op, ranges), draw);
}

torch::Tensor apply_trivial_augment(const torch::Tensor& images_nhwc, const std::vector<AugmentDraw>& draws,
                                    const TrivialAugmentRanges& ranges) {
  check_ranges(ranges);
  if (images_nhwc.dim() != 4 || images_nhwc.size(3) != 3 || images_nhwc.scalar_type() != torch::kUInt8) {
    throw std::invalid_argument("apply_trivial_augment: expected a uint8 [n, h, w, 3] batch");
  }
  const std::int64_t n = images_nhwc.size(0), h = images_nhwc.size(1), w = images_nhwc.size(2);
  if (static_cast<std::int64_t>(draws.size()) != n) {
    throw std::invalid_argument("apply_trivial_augment: " + std::to_string(draws.size()) + " draws for " +
                                std::to_string(n) + " images");
  }

  // Magnitudes, through one table per op (each is a small torch call).
  std::array<std::vector<double>, kAugmentOpCount> tables;
  std::vector<double> magnitudes(draws.size());
  for (std::size_t i = 0; i < draws.size(); ++i) {
    auto& table = tables[static_cast<std::size_t>(draws[i].op)];
    if (table.empty()) table = magnitude_table(draws[i].op, ranges);
    magnitudes[i] = magnitude_from_table(table, draws[i]);
  }

  // Groups: all geometric ops share one batched affine (under kShearX's
  // slot); every other op is its own group; identity needs no work. Sample
  // indices and per-image parameters go to the device in one copy each,
  // laid out group after group.
  const auto group_of = [](AugmentOp op) { return is_geometric(op) ? AugmentOp::kShearX : op; };
  std::array<std::vector<std::int64_t>, kAugmentOpCount> members;
  for (std::size_t i = 0; i < draws.size(); ++i) {
    if (draws[i].op != AugmentOp::kIdentity) {
      members[static_cast<std::size_t>(group_of(draws[i].op))].push_back(static_cast<std::int64_t>(i));
    }
  }
  std::vector<std::int64_t> order;
  // Two float32 per image: blend ratio and 1 - ratio; posterize's mask;
  // solarize's threshold. Geometric ops carry their matrices instead.
  std::vector<float> params;
  std::array<std::int64_t, kAugmentOpCount + 1> group_begin{};
  std::vector<std::array<double, 6>> matrices;
  for (int group = 0; group < kAugmentOpCount; ++group) {
    group_begin[group] = static_cast<std::int64_t>(order.size());
    for (std::int64_t i : members[static_cast<std::size_t>(group)]) {
      const AugmentOp op = draws[static_cast<std::size_t>(i)].op;
      const double magnitude = magnitudes[static_cast<std::size_t>(i)];
      order.push_back(i);
      float first = 0.0f, second = 0.0f;
      if (is_geometric(op)) {
        matrices.push_back(geometric_matrix(op, magnitude, h, w));
      } else if (op == AugmentOp::kPosterize) {
        // -int(2 ** (8 - bits)) as the uint8 bit mask it is for uint8 images.
        const int bits = static_cast<int>(magnitude);
        first = static_cast<float>((256 - (1 << (8 - bits))) & 0xFF);
      } else if (op == AugmentOp::kSolarize) {
        first = static_cast<float>(std::min(255.0, std::max(0.0, std::ceil(magnitude))));
      } else {
        // Brightness, Color, Contrast, Sharpness: factor 1 + magnitude, and
        // _blend's 1 - ratio, each computed in double and then cast to
        // float32 as torch casts a Python float scalar.
        const double ratio = 1.0 + magnitude;
        first = static_cast<float>(ratio);
        second = static_cast<float>(1.0 - ratio);
      }
      params.push_back(first);
      params.push_back(second);
    }
  }
  group_begin[kAugmentOpCount] = static_cast<std::int64_t>(order.size());

  torch::Tensor result = images_nhwc.clone(torch::MemoryFormat::Contiguous);
  if (order.empty()) return result;
  const torch::Device device = images_nhwc.device();
  const auto count = static_cast<std::int64_t>(order.size());
  const torch::Tensor order_device = torch::from_blob(order.data(), {count}, torch::kInt64).to(device);
  const torch::Tensor params_device = torch::from_blob(params.data(), {count, 2}, torch::kFloat32).to(device);

  for (int group = 0; group < kAugmentOpCount; ++group) {
    const std::int64_t begin = group_begin[group], end = group_begin[group + 1];
    if (begin == end) continue;
    const torch::Tensor index = order_device.slice(0, begin, end);
    const torch::Tensor group_params = params_device.slice(0, begin, end);
    const torch::Tensor images = images_nhwc.index_select(0, index);
    torch::Tensor out;
    switch (static_cast<AugmentOp>(group)) {
      case AugmentOp::kShearX:  // every geometric op
        out = affine_nearest_nhwc(images, matrices);
        break;
      case AugmentOp::kBrightness:
        out = brightness(images, group_params);
        break;
      case AugmentOp::kColor:
        out = color(images, group_params);
        break;
      case AugmentOp::kContrast:
        out = contrast(images, group_params);
        break;
      case AugmentOp::kSharpness:
        out = sharpness(images, group_params);
        break;
      case AugmentOp::kPosterize:
        out = posterize(images, group_params);
        break;
      case AugmentOp::kSolarize:
        out = solarize(images, group_params);
        break;
      case AugmentOp::kAutoContrast:
        out = autocontrast(images);
        break;
      case AugmentOp::kEqualize:
        out = equalize(images);
        break;
      default:
        continue;
    }
    result.index_copy_(0, index, out);
  }
  return result;
}

}  // namespace trainbench::data
