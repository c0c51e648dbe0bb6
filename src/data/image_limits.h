#pragma once
// The largest decoded image this process accepts, in pixels: a decompression
// bomb (a 100-byte file whose header claims 60000x60000 pixels) is refused
// from its header, before any pixel memory is allocated. One process-wide
// setting, because every decoder thread must apply the same limit; commands
// set it from --max-image-pixels before any image is read.
#include <cstdint>

namespace trainbench::data {

// PIL's default decompression-bomb error threshold: twice its MAX_IMAGE_PIXELS
// warning limit of 89,478,485 pixels (1 GiB of RGBA / 4 / 3), so any image PIL
// opens by default is accepted here too. About 13,400 x 13,400 pixels, 512 MiB
// as 8-bit RGB.
constexpr std::uint64_t kDefaultMaxImagePixels = 178956970;

// The limit in force; thread-safe.
std::uint64_t max_image_pixels();

// Sets the limit (at least 1); thread-safe, but meant to be called once,
// before decoding starts.
void set_max_image_pixels(std::uint64_t pixels);

// The largest file that can hold a valid image within the pixel limit (about
// 1.7 GB by default): a bigger file named .jpg (a video, a disk image) is
// refused before it is read into memory.
std::uint64_t max_image_file_bytes();

}  // namespace trainbench::data
