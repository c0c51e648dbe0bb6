#include "data/resize_pad.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/error.h"

namespace trainbench::data {
namespace {

// PIL keeps resampling weights as fixed-point integers with this many
// fractional bits for 8-bit images (Resample.c: PRECISION_BITS = 32 - 8 - 2).
constexpr int kPrecisionBits = 22;

// The taps of one output pixel along one axis.
struct Taps {
  int first = 0;                  // first input index
  std::vector<std::int32_t> weights;  // fixed-point, sum ~ 1 << kPrecisionBits
};

double bilinear_filter(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

// Mirrors PIL's precompute_coeffs() for the bilinear filter (support 1).
std::vector<Taps> precompute_taps(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = 1.0 * filter_scale;
  std::vector<Taps> taps(static_cast<std::size_t>(out_size));
  std::vector<double> weights;
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double inverse_scale = 1.0 / filter_scale;
    // C truncation, as PIL does; clamped to the image right after.
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    const int count = xmax - xmin;
    weights.assign(static_cast<std::size_t>(std::max(count, 0)), 0.0);
    double total = 0.0;
    for (int x = 0; x < count; ++x) {
      weights[x] = bilinear_filter((x + xmin - center + 0.5) * inverse_scale);
      total += weights[x];
    }
    Taps& t = taps[xx];
    t.first = xmin;
    t.weights.resize(weights.size());
    for (std::size_t x = 0; x < weights.size(); ++x) {
      const double w = total != 0.0 ? weights[x] / total : 0.0;
      t.weights[x] = static_cast<std::int32_t>(w * (1 << kPrecisionBits) + (w < 0 ? -0.5 : 0.5));
    }
  }
  return taps;
}

std::uint8_t clip_fixed_point(std::int64_t sum) {
  const std::int64_t v = (sum + (std::int64_t{1} << (kPrecisionBits - 1))) >> kPrecisionBits;
  return static_cast<std::uint8_t>(std::clamp<std::int64_t>(v, 0, 255));
}

// One pass along x (horizontal) from src (w_in x h) into dst (w_out x h).
void resample_horizontal(const std::uint8_t* src, int w_in, int h, std::uint8_t* dst, int w_out) {
  const std::vector<Taps> taps = precompute_taps(w_in, w_out);
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* row = src + static_cast<std::size_t>(y) * w_in * 3;
    std::uint8_t* out = dst + static_cast<std::size_t>(y) * w_out * 3;
    for (int x = 0; x < w_out; ++x) {
      const Taps& t = taps[x];
      std::int64_t sum[3] = {0, 0, 0};
      for (std::size_t k = 0; k < t.weights.size(); ++k) {
        const std::uint8_t* p = row + (t.first + k) * 3;
        for (int c = 0; c < 3; ++c) sum[c] += static_cast<std::int64_t>(p[c]) * t.weights[k];
      }
      for (int c = 0; c < 3; ++c) out[x * 3 + c] = clip_fixed_point(sum[c]);
    }
  }
}

// One pass along y (vertical) from src (w x h_in) into dst (w x h_out).
void resample_vertical(const std::uint8_t* src, int w, int h_in, std::uint8_t* dst, int h_out) {
  const std::vector<Taps> taps = precompute_taps(h_in, h_out);
  const std::size_t row_bytes = static_cast<std::size_t>(w) * 3;
  std::vector<std::int64_t> sums(row_bytes);
  for (int y = 0; y < h_out; ++y) {
    const Taps& t = taps[y];
    std::fill(sums.begin(), sums.end(), 0);
    for (std::size_t k = 0; k < t.weights.size(); ++k) {
      const std::uint8_t* row = src + (t.first + k) * row_bytes;
      const std::int64_t weight = t.weights[k];
      for (std::size_t i = 0; i < row_bytes; ++i) sums[i] += row[i] * weight;
    }
    std::uint8_t* out = dst + static_cast<std::size_t>(y) * row_bytes;
    for (std::size_t i = 0; i < row_bytes; ++i) out[i] = clip_fixed_point(sums[i]);
  }
}

}  // namespace

Image resize_bilinear(const Image& source, int width, int height) {
  if (source.empty()) throw DataError("cannot resize an empty image");
  if (width <= 0 || height <= 0) throw DataError("resize target must be positive");
  // Like PIL: horizontal pass first, then vertical, each only when needed,
  // with 8-bit rounding in between.
  Image current = source;
  if (width != current.width) {
    Image next(width, current.height);
    resample_horizontal(current.pixels.data(), current.width, current.height, next.pixels.data(), width);
    current = std::move(next);
  }
  if (height != current.height) {
    Image next(current.width, height);
    resample_vertical(current.pixels.data(), current.width, current.height, next.pixels.data(), height);
    current = std::move(next);
  }
  return current;
}

void resize_pad_scaled_size(int width, int height, int size, int* scaled_width, int* scaled_height) {
  if (width >= height) {
    *scaled_width = size;
    *scaled_height = std::max(1, static_cast<int>(std::lround(static_cast<double>(height) * size / width)));
  } else {
    *scaled_height = size;
    *scaled_width = std::max(1, static_cast<int>(std::lround(static_cast<double>(width) * size / height)));
  }
}

void resize_pad_into(const Image& source, int size, std::uint8_t* out) {
  if (size <= 0) throw DataError("image size must be positive");
  int scaled_w = 0, scaled_h = 0;
  resize_pad_scaled_size(source.width, source.height, size, &scaled_w, &scaled_h);
  const Image scaled = resize_bilinear(source, scaled_w, scaled_h);
  // Centre the scaled image; the odd pixel of padding goes right/bottom.
  const int left = (size - scaled_w) / 2;
  const int top = (size - scaled_h) / 2;
  for (int y = 0; y < size; ++y) {
    const int sy = std::clamp(y - top, 0, scaled_h - 1);
    std::uint8_t* out_row = out + static_cast<std::size_t>(y) * size * 3;
    const std::uint8_t* left_edge = scaled.pixel(0, sy);
    const std::uint8_t* right_edge = scaled.pixel(scaled_w - 1, sy);
    for (int x = 0; x < left; ++x) std::memcpy(out_row + x * 3, left_edge, 3);
    std::memcpy(out_row + static_cast<std::size_t>(left) * 3, scaled.pixel(0, sy), static_cast<std::size_t>(scaled_w) * 3);
    for (int x = left + scaled_w; x < size; ++x) std::memcpy(out_row + x * 3, right_edge, 3);
  }
}

Image resize_pad(const Image& source, int size) {
  Image out(size, size);
  resize_pad_into(source, size, out.pixels.data());
  return out;
}

}  // namespace trainbench::data
