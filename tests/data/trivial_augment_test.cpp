#include "data/trivial_augment.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/random.h"
#include "test_support.h"
#include "weights/safetensors.h"

namespace trainbench::data {
namespace {

const char* const kOpNames[kAugmentOpCount] = {"Identity",  "ShearX",     "ShearY",       "TranslateX", "TranslateY",
                                               "Rotate",    "Brightness", "Color",        "Contrast",   "Sharpness",
                                               "Posterize", "Solarize",   "AutoContrast", "Equalize"};

bool is_signed(AugmentOp op) { return op >= AugmentOp::kShearX && op <= AugmentOp::kSharpness; }
bool is_geometric(AugmentOp op) { return op >= AugmentOp::kShearX && op <= AugmentOp::kRotate; }

torch::Tensor image_tensor(const Image& image) {
  return torch::from_blob(const_cast<std::uint8_t*>(image.pixels.data()), {image.height, image.width, 3}, torch::kUInt8)
      .clone();
}

// A uint8 [k, h, w, 3] batch of test patterns (gradients, a disc, noise).
// Odd seeds are mirrored and have their channels rotated, so the batch is
// not k copies of one histogram.
torch::Tensor pattern_batch(int width, int height, const std::vector<int>& seeds) {
  std::vector<torch::Tensor> images;
  for (int seed : seeds) {
    torch::Tensor image = image_tensor(testing::test_pattern(width, height, seed));
    if (seed % 2 == 1) image = image.flip({1}).roll({1}, {2});
    images.push_back(image);
  }
  return torch::stack(images).contiguous();
}

// Images that hit the ops' special cases: a flat grey (autocontrast and
// equalize leave it alone), two grey levels (equalize maps them through a
// step of (pixels - pixels at the maximum) // 255), one channel flat and the
// others not (per-channel min/max and histograms).
torch::Tensor special_batch(int width, int height) {
  torch::Tensor flat = torch::full({height, width, 3}, 77, torch::kUInt8);
  torch::Tensor two_levels = torch::full({height, width, 3}, 30, torch::kUInt8);
  two_levels.slice(1, 0, width / 3).fill_(200);
  torch::Tensor mixed = image_tensor(testing::test_pattern(width, height, 9));
  mixed.select(2, 1).fill_(128);
  return torch::stack({flat, two_levels, mixed}).contiguous();
}

torch::Tensor draws_tensor(const std::vector<std::array<std::int64_t, 4>>& rows) {
  torch::Tensor t = torch::empty({static_cast<std::int64_t>(rows.size()), 4}, torch::kInt64);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (int j = 0; j < 4; ++j) t[static_cast<std::int64_t>(i)][j] = rows[i][j];
  }
  return t;
}

TrivialAugmentRanges workload_ranges() { return {}; }

torch::Tensor ranges_maxima(const TrivialAugmentRanges& r) {
  return torch::tensor({r.shear, r.translate_pixels, r.rotate_degrees, r.brightness, r.color, r.contrast, r.sharpness},
                       torch::kFloat64);
}

// The (bin, negative) pairs each op is tried with: both signs at the extreme
// bins and a few between for signed ops; every posterize bit count and a
// spread of solarize thresholds; two arbitrary draws for ops without a
// magnitude (which must ignore them).
std::vector<std::pair<int, bool>> magnitudes_to_try(AugmentOp op, bool few) {
  std::vector<std::pair<int, bool>> out;
  if (is_signed(op)) {
    const std::vector<int> bins = few ? std::vector<int>{0, 17, 30} : std::vector<int>{0, 1, 8, 15, 23, 29, 30};
    for (int bin : bins) {
      out.push_back({bin, false});
      out.push_back({bin, true});
    }
  } else if (op == AugmentOp::kPosterize || op == AugmentOp::kSolarize) {
    const std::vector<int> bins =
        few ? std::vector<int>{0, 12, 30} : std::vector<int>{0, 1, 2, 5, 7, 12, 15, 17, 22, 25, 28, 29, 30};
    for (int bin : bins) out.push_back({bin, bin % 2 == 1});
  } else {
    out = {{0, false}, {30, true}};
  }
  return out;
}

struct CaseSet {
  std::string name;
  torch::Tensor images;
  bool few_magnitudes = false;
};

// Per set and op: the draws (image index, op, bin, negative) that go to the
// reference, each image with each magnitude.
std::vector<std::array<std::int64_t, 4>> case_draws(const CaseSet& set, AugmentOp op) {
  std::vector<std::array<std::int64_t, 4>> rows;
  for (const auto& [bin, negative] : magnitudes_to_try(op, set.few_magnitudes)) {
    for (std::int64_t image = 0; image < set.images.size(0); ++image) {
      rows.push_back({image, static_cast<std::int64_t>(op), bin, negative ? 1 : 0});
    }
  }
  return rows;
}

std::vector<AugmentDraw> to_draws(const torch::Tensor& rows) {
  std::vector<AugmentDraw> draws;
  for (std::int64_t i = 0; i < rows.size(0); ++i) {
    draws.push_back({static_cast<AugmentOp>(rows[i][1].item<std::int64_t>()),
                     static_cast<int>(rows[i][2].item<std::int64_t>()), rows[i][3].item<std::int64_t>() != 0});
  }
  return draws;
}

// Runs the reference over every case of every set; returns its output.
std::map<std::string, torch::Tensor> reference_outputs(const std::vector<CaseSet>& sets,
                                                       const TrivialAugmentRanges& ranges,
                                                       const testing::TempDir& dir) {
  std::map<std::string, torch::Tensor> inputs = {{"bins", torch::tensor({static_cast<std::int64_t>(ranges.bins)})},
                                                 {"maxima", ranges_maxima(ranges)}};
  for (const CaseSet& set : sets) {
    inputs["images_" + set.name] = set.images;
    for (int op = 0; op < kAugmentOpCount; ++op) {
      inputs["draws_" + set.name + "_" + std::to_string(op)] =
          draws_tensor(case_draws(set, static_cast<AugmentOp>(op)));
    }
  }
  testing::write_tensor_file(dir / "in.tensors", inputs);
  EXPECT_EQ(
      testing::run_reference("augment_reference.py", {(dir / "in.tensors").string(), (dir / "out.tensors").string()}),
      0);
  const auto file = weights::read_safetensors(dir / "out.tensors");
  std::printf("reference: torchvision %s, torch %s\n", file.metadata.at("torchvision").c_str(),
              file.metadata.at("torch").c_str());
  return testing::read_tensor_file(dir / "out.tensors");
}

struct Difference {
  int max_level = 0;          // largest |ours - theirs| over all values
  double pixel_fraction = 0;  // fraction of pixels (any channel) that differ
};

Difference compare(const torch::Tensor& ours, const torch::Tensor& theirs) {
  const torch::Tensor diff = (ours.to(torch::kInt32) - theirs.to(torch::kInt32)).abs();
  Difference d;
  d.max_level = diff.numel() ? diff.max().item<int>() : 0;
  d.pixel_fraction = diff.amax(-1).gt(0).to(torch::kFloat64).mean().item<double>();
  return d;
}

// Nearest-neighbour warps: a pixel whose sample point falls (within float32
// rounding) on the boundary between two source pixels can take either one;
// a last-bit difference in the sampling grid (e.g. a batched matrix product
// summing in another order) then moves it by one source pixel. Such points
// are rare, so a small fraction of pixels may differ.
constexpr double kGeometricPixelFraction = 0.005;

// Contrast may differ by one level (see below), in few pixels.
constexpr double kContrastPixelFraction = 0.01;

// Two augmentations of the same batch with the same draws, compared with the
// tolerances explained below: colour ops image by image exactly; contrast
// and geometric images pooled, since a flip of one pixel row (a tie in the
// sampling grid) is a visible fraction of one small image but not of all.
void expect_same_results(const torch::Tensor& a, const torch::Tensor& b, const std::vector<AugmentDraw>& draws) {
  ASSERT_EQ(a.sizes(), b.sizes());
  std::vector<std::int64_t> geometric, contrast;
  for (std::size_t i = 0; i < draws.size(); ++i) {
    const auto index = static_cast<std::int64_t>(i);
    if (is_geometric(draws[i].op)) {
      geometric.push_back(index);
    } else if (draws[i].op == AugmentOp::kContrast) {
      contrast.push_back(index);
    } else {
      EXPECT_EQ(compare(a.slice(0, index, index + 1), b.slice(0, index, index + 1)).max_level, 0)
          << kOpNames[static_cast<int>(draws[i].op)] << " image " << i;
    }
  }
  const auto pick = [](const torch::Tensor& t, const std::vector<std::int64_t>& indices) {
    return t.index_select(0, torch::tensor(indices));
  };
  if (!geometric.empty()) {
    EXPECT_LT(compare(pick(a, geometric), pick(b, geometric)).pixel_fraction, kGeometricPixelFraction);
  }
  if (!contrast.empty()) {
    const Difference d = compare(pick(a, contrast), pick(b, contrast));
    EXPECT_LE(d.max_level, 1);
    EXPECT_LT(d.pixel_fraction, kContrastPixelFraction);
  }
}

// Checks ours against torchvision for every op of the given sets. Tolerances:
// identity, brightness, color, sharpness, posterize, solarize, autocontrast
// and equalize exactly (the same float32 operations in the same order, the
// same truncation); contrast within 1 level, because its per-image mean is a
// float32 sum whose rounding depends on how the reduction is split (batch
// layout, thread count), which can move a blended value across an integer;
// geometric ops as above.
void expect_matches_torchvision(const std::vector<CaseSet>& sets, const std::vector<AugmentOp>& ops) {
  testing::TempDir dir;
  const TrivialAugmentRanges ranges = workload_ranges();
  const auto expected = reference_outputs(sets, ranges, dir);
  for (const CaseSet& set : sets) {
    for (AugmentOp op : ops) {
      const std::string key = set.name + "_" + std::to_string(static_cast<int>(op));
      SCOPED_TRACE(std::string(kOpNames[static_cast<int>(op)]) + " on set " + set.name);
      const torch::Tensor rows = draws_tensor(case_draws(set, op));
      const torch::Tensor batch = set.images.index_select(0, rows.select(1, 0));
      const torch::Tensor ours = apply_trivial_augment(batch, to_draws(rows), ranges);
      const torch::Tensor& theirs = expected.at("expected_" + key);
      ASSERT_EQ(ours.sizes(), theirs.sizes());
      ASSERT_EQ(ours.scalar_type(), torch::kUInt8);
      const Difference d = compare(ours, theirs);
      if (is_geometric(op)) {
        EXPECT_LT(d.pixel_fraction, kGeometricPixelFraction) << "max level difference " << d.max_level;
        // The warp really happened (not an identity that merely matches).
        EXPECT_FALSE(torch::equal(ours, batch));
      } else if (op == AugmentOp::kContrast) {
        EXPECT_LE(d.max_level, 1) << "differing pixels " << d.pixel_fraction;
        // ...and only where the mean's last bit can matter: rounding instead
        // of truncating, say, would move about half of all pixels.
        EXPECT_LT(d.pixel_fraction, kContrastPixelFraction);
      } else {
        EXPECT_EQ(d.max_level, 0) << "differing pixels " << d.pixel_fraction;
      }
    }
  }
}

const std::vector<AugmentOp> kColourOps = {AugmentOp::kIdentity, AugmentOp::kBrightness,   AugmentOp::kColor,
                                           AugmentOp::kContrast, AugmentOp::kSharpness,    AugmentOp::kPosterize,
                                           AugmentOp::kSolarize, AugmentOp::kAutoContrast, AugmentOp::kEqualize};
const std::vector<AugmentOp> kGeometricOps = {AugmentOp::kShearX, AugmentOp::kShearY, AugmentOp::kTranslateX,
                                              AugmentOp::kTranslateY, AugmentOp::kRotate};

// Non-square in both orientations, one workload-sized image, and the
// special cases; a 2-row image for sharpness's "too small to blur" rule.
std::vector<CaseSet> case_sets(bool with_special) {
  std::vector<CaseSet> sets = {{"wide", pattern_batch(53, 37, {1, 2}), false},
                               {"tall", pattern_batch(40, 64, {3}), false},
                               {"large", pattern_batch(288, 288, {4}), true}};
  if (with_special) {
    sets.push_back({"flat", special_batch(60, 40), false});
    sets.push_back({"thin", pattern_batch(7, 2, {5}), true});
  }
  return sets;
}

TEST(TrivialAugment, ColourOpsMatchTorchvision) { expect_matches_torchvision(case_sets(true), kColourOps); }

TEST(TrivialAugment, GeometricOpsMatchTorchvision) { expect_matches_torchvision(case_sets(false), kGeometricOps); }

// torchvision's TrivialAugmentWide.forward magnitudes (its table with the
// workload's maxima) for every op, bin and sign, exactly.
TEST(TrivialAugment, MagnitudesMatchTorchvisionTable) {
  testing::TempDir dir;
  const TrivialAugmentRanges ranges = workload_ranges();
  const auto expected = reference_outputs({}, ranges, dir).at("magnitudes");
  ASSERT_EQ(expected.sizes(), (std::vector<std::int64_t>{kAugmentOpCount, ranges.bins, 2}));
  for (int op = 0; op < kAugmentOpCount; ++op) {
    for (int bin = 0; bin < ranges.bins; ++bin) {
      for (int negative = 0; negative < 2; ++negative) {
        const AugmentDraw draw{static_cast<AugmentOp>(op), bin, negative == 1};
        EXPECT_EQ(augment_magnitude(draw, ranges), expected[op][bin][negative].item<double>())
            << kOpNames[op] << " bin " << bin << (negative ? " negative" : "");
      }
    }
  }
  // The ends of the ranges as WORKLOAD.md states them.
  // (float32 values, as torch's linspace gives them).
  EXPECT_EQ(augment_magnitude({AugmentOp::kShearX, 30, true}, ranges), -0.25);
  EXPECT_EQ(augment_magnitude({AugmentOp::kTranslateY, 30, false}, ranges), 32.0);
  EXPECT_EQ(augment_magnitude({AugmentOp::kRotate, 30, false}, ranges), 45.0);
  EXPECT_EQ(augment_magnitude({AugmentOp::kBrightness, 30, false}, ranges), 0.75);
  EXPECT_EQ(augment_magnitude({AugmentOp::kSharpness, 30, true}, ranges), -static_cast<double>(0.99f));
  EXPECT_EQ(augment_magnitude({AugmentOp::kPosterize, 0, false}, ranges), 8.0);
  EXPECT_EQ(augment_magnitude({AugmentOp::kPosterize, 30, false}, ranges), 2.0);
  EXPECT_EQ(augment_magnitude({AugmentOp::kSolarize, 0, false}, ranges), 255.0);
  EXPECT_EQ(augment_magnitude({AugmentOp::kSolarize, 30, false}, ranges), 0.0);
  EXPECT_EQ(augment_magnitude({AugmentOp::kEqualize, 30, true}, ranges), 0.0);
}

TEST(TrivialAugment, DrawsAreUniformAndSeeded) {
  const TrivialAugmentRanges ranges = workload_ranges();
  constexpr int kDraws = 140000;
  core::Rng rng(1234);
  std::vector<int> ops(kAugmentOpCount, 0), bins(static_cast<std::size_t>(ranges.bins), 0);
  int negative = 0;
  for (int i = 0; i < kDraws; ++i) {
    const AugmentDraw draw = draw_trivial_augment(rng, ranges);
    ASSERT_GE(static_cast<int>(draw.op), 0);
    ASSERT_LT(static_cast<int>(draw.op), kAugmentOpCount);
    ASSERT_GE(draw.magnitude_bin, 0);
    ASSERT_LT(draw.magnitude_bin, ranges.bins);
    ++ops[static_cast<std::size_t>(draw.op)];
    ++bins[static_cast<std::size_t>(draw.magnitude_bin)];
    negative += draw.negative ? 1 : 0;
  }
  // Each within 5% of its expectation (many standard deviations wide).
  const double per_op = kDraws / static_cast<double>(kAugmentOpCount);
  for (int op = 0; op < kAugmentOpCount; ++op)
    EXPECT_NEAR(ops[static_cast<std::size_t>(op)], per_op, 0.05 * per_op) << kOpNames[op];
  const double per_bin = kDraws / static_cast<double>(ranges.bins);
  for (int bin = 0; bin < ranges.bins; ++bin)
    EXPECT_NEAR(bins[static_cast<std::size_t>(bin)], per_bin, 0.05 * per_bin) << bin;
  EXPECT_NEAR(negative, kDraws / 2.0, 0.05 * kDraws / 2.0);

  // The same seed gives the same draws; another seed does not.
  core::Rng a(77), b(77), c(78);
  int same_as_other_seed = 0;
  for (int i = 0; i < 1000; ++i) {
    const AugmentDraw x = draw_trivial_augment(a, ranges), y = draw_trivial_augment(b, ranges),
                      z = draw_trivial_augment(c, ranges);
    ASSERT_EQ(x.op, y.op);
    ASSERT_EQ(x.magnitude_bin, y.magnitude_bin);
    ASSERT_EQ(x.negative, y.negative);
    same_as_other_seed += (x.op == z.op && x.magnitude_bin == z.magnitude_bin && x.negative == z.negative) ? 1 : 0;
  }
  EXPECT_LT(same_as_other_seed, 20);
}

// A batch with every op (several magnitudes each) in one call equals each
// image augmented alone: grouping, index_select/index_copy and per-image
// magnitude tensors change nothing. Also from a non-contiguous view.
TEST(TrivialAugment, MixedBatchEqualsEachImageAlone) {
  const TrivialAugmentRanges ranges = workload_ranges();
  core::Rng rng(99);
  std::vector<AugmentDraw> draws;
  std::vector<int> seeds;
  for (int i = 0; i < 3 * kAugmentOpCount; ++i) {
    AugmentDraw draw = draw_trivial_augment(rng, ranges);
    draw.op = static_cast<AugmentOp>(i % kAugmentOpCount);  // every op three times, in interleaved order
    draws.push_back(draw);
    seeds.push_back(i);
  }
  const torch::Tensor batch = pattern_batch(45, 34, seeds);
  const torch::Tensor together = apply_trivial_augment(batch, draws, ranges);
  std::vector<torch::Tensor> alone;
  for (std::size_t i = 0; i < draws.size(); ++i) {
    const auto index = static_cast<std::int64_t>(i);
    alone.push_back(apply_trivial_augment(batch.slice(0, index, index + 1), {draws[i]}, ranges));
  }
  expect_same_results(together, torch::cat(alone), draws);
  // The input is untouched, and a strided view of the same pixels gives the
  // same result.
  EXPECT_TRUE(torch::equal(batch, pattern_batch(45, 34, seeds)));
  torch::Tensor padded = torch::zeros({batch.size(0), 34, 50, 3}, torch::kUInt8);
  padded.slice(2, 0, 45).copy_(batch);
  EXPECT_TRUE(torch::equal(apply_trivial_augment(padded.slice(2, 0, 45), draws, ranges), together));
}

TEST(TrivialAugment, RejectsBadInput) {
  const torch::Tensor batch = pattern_batch(8, 8, {1, 2});
  EXPECT_THROW(apply_trivial_augment(batch, {AugmentDraw{}}), std::invalid_argument);
  EXPECT_THROW(apply_trivial_augment(batch.to(torch::kFloat32), {AugmentDraw{}, AugmentDraw{}}), std::invalid_argument);
  EXPECT_THROW(apply_trivial_augment(batch.select(3, 0), {AugmentDraw{}, AugmentDraw{}}), std::invalid_argument);
  EXPECT_THROW(augment_magnitude({AugmentOp::kRotate, 31, false}), std::invalid_argument);
  TrivialAugmentRanges one_bin;
  one_bin.bins = 1;
  core::Rng rng(1);
  EXPECT_THROW(draw_trivial_augment(rng, one_bin), std::invalid_argument);
  EXPECT_EQ(apply_trivial_augment(batch.slice(0, 0, 0), {}).size(0), 0);
}

// On a GPU the same draws give the CPU's result: exactly for colour ops
// but contrast (a float32 mean reduced in another order); geometric ops up to
// the rare nearest-neighbour ties, since CUDA's bmm and grid_sample round the
// sampling positions their own way.
TEST(TrivialAugment, CudaMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const TrivialAugmentRanges ranges = workload_ranges();
  core::Rng rng(5);
  std::vector<AugmentDraw> draws;
  std::vector<int> seeds;
  for (int i = 0; i < 4 * kAugmentOpCount; ++i) {
    AugmentDraw draw = draw_trivial_augment(rng, ranges);
    draw.op = static_cast<AugmentOp>(i % kAugmentOpCount);
    draws.push_back(draw);
    seeds.push_back(i);
  }
  const torch::Tensor batch = pattern_batch(96, 72, seeds);
  const torch::Tensor cuda = apply_trivial_augment(batch.to(torch::kCUDA), draws, ranges);
  ASSERT_TRUE(cuda.is_cuda());
  ASSERT_EQ(cuda.scalar_type(), torch::kUInt8);
  expect_same_results(cuda.cpu(), apply_trivial_augment(batch, draws, ranges), draws);
}

// Not a check (run with --gtest_also_run_disabled_tests): how long a
// workload batch, 32 x 288 x 288 x 3, takes on the CPU with 1 and 2 threads,
// averaged over batches with fresh draws as training makes them, and with
// every image given the same op (the worst case per op).
TEST(TrivialAugment, DISABLED_TimeWorkloadBatch) {
  constexpr int kBatch = 32, kRepeats = 20;
  std::vector<int> seeds;
  for (int i = 0; i < kBatch; ++i) seeds.push_back(i);
  const torch::Tensor batch = pattern_batch(288, 288, seeds);
  const auto time_ms = [&](const std::vector<std::vector<AugmentDraw>>& batches) {
    apply_trivial_augment(batch, batches.front());  // warm-up
    const auto start = std::chrono::steady_clock::now();
    for (const auto& draws : batches) apply_trivial_augment(batch, draws);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() /
           static_cast<double>(batches.size());
  };
  core::Rng rng(1);
  std::vector<std::vector<AugmentDraw>> mixed(kRepeats);
  for (auto& draws : mixed) {
    for (int i = 0; i < kBatch; ++i) draws.push_back(draw_trivial_augment(rng));
  }
  const int threads_before = torch::get_num_threads();
  for (int threads : {1, 2}) {
    torch::set_num_threads(threads);
    std::printf("%d thread(s): %.2f ms per batch (mixed ops)\n", threads, time_ms(mixed));
    for (int op = 0; op < kAugmentOpCount; ++op) {
      std::vector<std::vector<AugmentDraw>> same(5, mixed.front());
      for (auto& draws : same) {
        for (auto& draw : draws) draw.op = static_cast<AugmentOp>(op);
      }
      std::printf("  all %s: %.2f ms\n", kOpNames[op], time_ms(same));
    }
  }
  torch::set_num_threads(threads_before);
}

}  // namespace
}  // namespace trainbench::data
