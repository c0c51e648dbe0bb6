#include "data/batch_augment.h"

#include "core/error.h"
#include "core/random.h"

namespace trainbench::data {
namespace {

// Separates augmentation draws from the other streams drawn from the seed
// (sample order, synthetic data).
constexpr std::uint64_t kAugmentStream = 0xA06;

}  // namespace

const std::vector<std::string>& augment_kind_names() {
  static const std::vector<std::string> names = {"trivial-wide", "trivial-wide-scaled", "none"};
  return names;
}

AugmentKind parse_augment_kind(const std::string& text) {
  if (text == "none") return AugmentKind::kNone;
  if (text == "trivial-wide") return AugmentKind::kTrivialWide;
  if (text == "trivial-wide-scaled") return AugmentKind::kTrivialWideScaled;
  throw UsageError("--augment must be trivial-wide, trivial-wide-scaled or none (got '" + text + "')");
}

std::string to_string(AugmentKind kind) {
  switch (kind) {
    case AugmentKind::kTrivialWide: return "trivial-wide";
    case AugmentKind::kTrivialWideScaled: return "trivial-wide-scaled";
    case AugmentKind::kNone: break;
  }
  return "none";
}

TrivialAugmentRanges augment_ranges(AugmentKind kind, int image_size) {
  TrivialAugmentRanges ranges;
  if (kind == AugmentKind::kTrivialWideScaled) {
    constexpr double kTorchvisionImageSize = 224.0;
    ranges.translate_pixels = ranges.translate_pixels * image_size / kTorchvisionImageSize;
  }
  return ranges;
}

std::vector<AugmentDraw> BatchAugment::draws(const Batch& batch) const {
  std::vector<AugmentDraw> out;
  out.reserve(batch.positions.size());
  for (std::int64_t position : batch.positions) {
    core::Rng rng(core::mix_seed(seed, {kAugmentStream, static_cast<std::uint64_t>(batch.epoch),
                                        static_cast<std::uint64_t>(position)}));
    out.push_back(draw_trivial_augment(rng, ranges));
  }
  return out;
}

torch::Tensor BatchAugment::apply(const torch::Tensor& images, const Batch& batch) const {
  if (kind == AugmentKind::kNone) return images;
  return apply_trivial_augment(images, draws(batch), ranges);
}

bool augment_in_workers(LoaderOptions& loader, const BatchAugment& augment, const torch::Device& device) {
  if (!device.is_cpu() || augment.kind == AugmentKind::kNone) return false;
  loader.finish_batch = [augment](Batch& batch) { batch.images = augment.apply(batch.images, batch); };
  return true;
}

}  // namespace trainbench::data
