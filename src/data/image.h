#pragma once
// An 8-bit RGB image in memory: the unit every decoder produces and every
// preprocessing step consumes. Rows are contiguous, pixels are R,G,B.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace trainbench::data {

struct Image {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  // height * width * 3 bytes, HWC order

  Image() = default;
  Image(int w, int h) : width(w), height(h), pixels(static_cast<std::size_t>(w) * h * 3, 0) {}

  bool empty() const { return width == 0 || height == 0; }
  std::uint8_t* pixel(int x, int y) { return pixels.data() + (static_cast<std::size_t>(y) * width + x) * 3; }
  const std::uint8_t* pixel(int x, int y) const {
    return pixels.data() + (static_cast<std::size_t>(y) * width + x) * 3;
  }
};

}  // namespace trainbench::data
