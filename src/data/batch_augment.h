#pragma once
// `--augment`: the augmentation training batches get, applied on the device
// to the uint8 batch after its copy there. Each image's random draw comes
// from (seed, epoch, position in the epoch), so the augmented batches are the
// same for any number of loader workers, and validation is never augmented.
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/batch_loader.h"
#include "data/trivial_augment.h"

namespace trainbench::data {

// trivial-wide: the workload's TrivialAugmentWide, its ranges in pixels
// whatever the image's size (translations up to 32 px wipe out most of a
// 28 px image). trivial-wide-scaled: the same ops and ranges, with the
// translation read as a fraction of 224 px, the size torchvision's 32 px
// were set for (4 px at 28 px, 41 px at 288 px). The other ranges (shear,
// rotation, colour) do not depend on the size.
enum class AugmentKind { kNone, kTrivialWide, kTrivialWideScaled };

// "none", "trivial-wide", "trivial-wide-scaled"; anything else is a
// UsageError naming them.
AugmentKind parse_augment_kind(const std::string& text);
std::string to_string(AugmentKind kind);
// The names parse_augment_kind takes, in that order.
const std::vector<std::string>& augment_kind_names();

// The ranges `kind` draws from for images of `image_size` pixels.
TrivialAugmentRanges augment_ranges(AugmentKind kind, int image_size);

struct BatchAugment {
  AugmentKind kind = AugmentKind::kNone;
  std::uint64_t seed = 0;
  TrivialAugmentRanges ranges;  // the workload's

  // The draw for each image of `batch`, in batch order.
  std::vector<AugmentDraw> draws(const Batch& batch) const;
  // `images` is the batch's uint8 [n, h, w, 3] on the device; returns it
  // augmented (the same tensor when kind is kNone).
  torch::Tensor apply(const torch::Tensor& images, const Batch& batch) const;
};

// When the training device is the CPU, augmentation is one more CPU stage:
// done per batch in the loader workers it runs in parallel, where done in the
// trainer's thread it would serialise with every step. Sets the loader's
// finish_batch hook accordingly; returns whether it did.
bool augment_in_workers(LoaderOptions& loader, const BatchAugment& augment, const torch::Device& device);

}  // namespace trainbench::data
