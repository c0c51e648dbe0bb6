#pragma once
// The workload's ResizePad: scale the longer side to `size` (keeping the
// aspect ratio), pad the shorter side to a square by repeating edge pixels,
// giving exactly size x size. Resampling reproduces PIL's antialiased
// bilinear filter (what torchvision's Resize does on PIL images), so our
// pixels match the Python reference.
#include <cstdint>

#include "data/image.h"

namespace trainbench::data {

// PIL-compatible resize (Image.resize(..., BILINEAR), including its
// antialiasing support widening when downscaling and its fixed-point rounding).
Image resize_bilinear(const Image& source, int width, int height);

// The size the image is scaled to before padding: longer side `size`, shorter
// side rounded to nearest, at least 1.
void resize_pad_scaled_size(int width, int height, int size, int* scaled_width, int* scaled_height);

// ResizePad into a caller-owned size*size*3 buffer (a slot of a batch).
void resize_pad_into(const Image& source, int size, std::uint8_t* out);

Image resize_pad(const Image& source, int size);

}  // namespace trainbench::data
