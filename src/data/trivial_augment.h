#pragma once
// The workload's TrivialAugmentWide (torchvision.transforms.TrivialAugmentWide
// with the notebook's own magnitude ranges), applied to a whole uint8 batch as
// tensor ops on the batch's device. Each image gets one op drawn uniformly
// with one magnitude drawn uniformly from `bins` values; the batch is grouped
// by op so it costs a handful of kernel launches, and every op reproduces
// torchvision's tensor implementation for uint8 images (see the .cpp).
#include <torch/types.h>

#include <vector>

#include "core/random.h"

namespace trainbench::data {

// torchvision's op order in TrivialAugmentWide._augmentation_space
enum class AugmentOp {
  kIdentity,
  kShearX,
  kShearY,
  kTranslateX,
  kTranslateY,
  kRotate,
  kBrightness,
  kColor,
  kContrast,
  kSharpness,
  kPosterize,
  kSolarize,
  kAutoContrast,
  kEqualize
};
constexpr int kAugmentOpCount = 14;

struct AugmentDraw {
  AugmentOp op = AugmentOp::kIdentity;
  int magnitude_bin = 0;
  bool negative = false;
};

// The workload notebook's ranges (WORKLOAD.md), not torchvision's defaults.
struct TrivialAugmentRanges {
  double shear = 0.25;
  double translate_pixels = 32.0;
  double rotate_degrees = 45.0;
  double brightness = 0.75;
  double color = 0.99;
  double contrast = 0.99;
  double sharpness = 0.99;
  int bins = 31;  // at least 2 (posterize's bits divide by bins - 1)
};

// One image's draw, as torchvision draws it: op uniform over the 14, magnitude
// bin uniform over `bins`, sign negative with probability 1/2. The bin and the
// sign are drawn for every op (only ops with a magnitude use the bin, only
// signed ops the sign), so each draw takes the same three numbers from `rng`.
AugmentDraw draw_trivial_augment(core::Rng& rng, const TrivialAugmentRanges& ranges = {});

// The op's signed magnitude for a draw: linspace(0, max, bins)[bin] in float32
// as torch computes it, negated when drawn so for signed ops; posterize bits
// 8..2 and solarize threshold 255..0 as torchvision computes them; 0 for
// identity, autocontrast and equalize.
double augment_magnitude(const AugmentDraw& draw, const TrivialAugmentRanges& ranges = {});

// Applies each image's draw to a uint8 [n, h, w, 3] (NHWC) batch on whatever
// device it lives, returning uint8 [n, h, w, 3] on the same device.
// draws.size() == n.
torch::Tensor apply_trivial_augment(const torch::Tensor& images_nhwc, const std::vector<AugmentDraw>& draws,
                                    const TrivialAugmentRanges& ranges = {});

}  // namespace trainbench::data
