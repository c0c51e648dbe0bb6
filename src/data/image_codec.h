#pragma once
// Reading and writing image files: JPEG through TurboJPEG, PNG through libpng.
// Every decoder returns 8-bit RGB, whatever the file held (grayscale, RGBA,
// palette, 16-bit, CMYK), the way PIL's convert("RGB") does.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/image.h"

namespace trainbench::data {

enum class ImageFormat { kUnknown, kJpeg, kPng };

// Guesses the format from the first bytes of the file (never from its name).
ImageFormat sniff_image_format(const std::uint8_t* bytes, std::size_t size);

// Decodes an in-memory JPEG or PNG. With min_long_side > 0, a JPEG may be decoded
// at a reduced DCT scale (1/2, 3/8, 1/4, ...) as long as its longer side stays at
// least min_long_side, which is much cheaper when the target is small.
// Throws DataError with a readable reason when the bytes are not a usable image:
// a header claiming more pixels than max_image_pixels() (image_limits.h) is
// refused before any pixel memory is allocated; a truncated file is refused, as
// PIL does by default; libjpeg's warnings about corrupt data are not (nor by PIL).
Image decode_image(const std::uint8_t* bytes, std::size_t size, int min_long_side = 0);

// Reads and decodes a file; errors name the file. Files bigger than any image
// within the pixel limit (image_limits.h) are refused before they are read.
Image read_image_file(const std::filesystem::path& path, int min_long_side = 0);

// The same, returning why the file is not a usable image ("" when *image
// holds it), without the path: "broken symbolic link (...)", "JPEG file is
// truncated (...)", "image claims 60000x60000 pixels, ...".
std::string read_image_problem(const std::filesystem::path& path, int min_long_side, Image* image);

// Reads a whole file into memory; throws DataError naming the file and the
// reason (see file_read.h).
std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path);

std::vector<std::uint8_t> encode_jpeg(const Image& image, int quality);
std::vector<std::uint8_t> encode_png(const Image& image);
// Encodes single-channel 8-bit pixels (width*height bytes) as a grayscale PNG.
std::vector<std::uint8_t> encode_png_gray(const std::uint8_t* pixels, int width, int height);

// Writes bytes to a file, creating nothing but the file; throws DataError on failure.
void write_file_bytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes);

}  // namespace trainbench::data
