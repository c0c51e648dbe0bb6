#include "data/image_codec.h"

#include <png.h>
#include <turbojpeg.h>

#include <csetjmp>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>

#include "core/error.h"
#include "data/file_read.h"
#include "data/image_limits.h"

namespace trainbench::data {
namespace {

// Owns a TurboJPEG handle for the length of one call. Handles are cheap to
// create compared with a decode, and a per-call handle keeps decoding
// thread-safe without any shared state.
struct TurboHandle {
  explicit TurboHandle(bool compress) : handle(compress ? tjInitCompress() : tjInitDecompress()) {
    if (!handle) throw DataError("cannot initialise libjpeg-turbo");
  }
  ~TurboHandle() { tjDestroy(handle); }
  TurboHandle(const TurboHandle&) = delete;
  TurboHandle& operator=(const TurboHandle&) = delete;
  tjhandle handle;
};

// The smallest TurboJPEG scale factor that keeps the longer side >= min_long_side.
// TurboJPEG scales in the DCT domain, so a 1/4 decode does about 1/4 the work.
tjscalingfactor choose_scale(int width, int height, int min_long_side) {
  tjscalingfactor best{1, 1};
  if (min_long_side <= 0) return best;
  int count = 0;
  const tjscalingfactor* factors = tjGetScalingFactors(&count);
  for (int i = 0; i < count; ++i) {
    const tjscalingfactor f = factors[i];
    if (f.num > f.denom) continue;  // never upscale while decoding
    const int w = TJSCALED(width, f);
    const int h = TJSCALED(height, f);
    if (std::max(w, h) < min_long_side) continue;
    if (w < TJSCALED(width, best)) best = f;
  }
  return best;
}

// Refuses images whose decoded size would be absurd before any memory is
// allocated for them (a 100-byte file can claim 60000x60000 pixels).
// Returns why an image of this size is refused, or an empty string.
std::string image_size_problem(std::uint64_t width, std::uint64_t height) {
  if (width == 0 || height == 0) return "image has zero width or height";
  const std::uint64_t limit = max_image_pixels();
  if (width * height > limit) {
    return "image claims " + std::to_string(width) + "x" + std::to_string(height) + " pixels, more than the limit of " +
           std::to_string(limit) + " (a decompression bomb?); if the file is trusted, raise the limit with "
           "--max-image-pixels";
  }
  return {};
}

// Where a JPEG's data ends, read from its structure: the marker segments
// before the first scan are walked by their lengths (so an EXIF thumbnail's
// own end marker is not taken for the image's), and inside scan data a 0xFF
// byte is always followed by 0x00 or a restart marker, so 0xFF 0xD9 after the
// first scan header is the end of the image.
enum class JpegEnd {
  kComplete,      // the end-of-image marker is there
  kNoEndMarker,   // cut off in the image data
  kEndsInHeader,  // cut off before the image data starts
};

JpegEnd jpeg_end(const std::uint8_t* bytes, std::size_t size) {
  std::size_t i = 2;  // after SOI
  for (;;) {
    if (i + 1 >= size) return JpegEnd::kEndsInHeader;
    if (bytes[i] != 0xFF) break;  // not a marker where one should be: let the decoder judge the rest
    const std::uint8_t marker = bytes[i + 1];
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == 0xD9) return JpegEnd::kComplete;
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // markers without a length
      i += 2;
      continue;
    }
    if (i + 3 >= size) return JpegEnd::kEndsInHeader;
    i += 2 + ((static_cast<std::size_t>(bytes[i + 2]) << 8) | bytes[i + 3]);
    if (i > size) return JpegEnd::kEndsInHeader;
    if (marker == 0xDA) break;  // start of scan: the entropy-coded data follows its header
  }
  for (; i + 1 < size; ++i) {
    if (bytes[i] == 0xFF && bytes[i + 1] == 0xD9) return JpegEnd::kComplete;
  }
  return JpegEnd::kNoEndMarker;
}

Image decode_jpeg(const std::uint8_t* bytes, std::size_t size, int min_long_side) {
  const JpegEnd end = jpeg_end(bytes, size);
  TurboHandle tj(false);
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  const int header = tjDecompressHeader3(tj.handle, bytes, static_cast<unsigned long>(size), &width, &height,
                                         &subsampling, &colorspace);
  // Cut off in its header, a JPEG may still "read" (as 0x0 pixels): say what happened.
  if (end == JpegEnd::kEndsInHeader) throw DataError("JPEG file is truncated (it ends inside its header)");
  if (header != 0) throw DataError(std::string("not a readable JPEG: ") + tjGetErrorStr2(tj.handle));
  if (std::string problem = image_size_problem(width, height); !problem.empty()) throw DataError(problem);
  // PIL refuses a JPEG whose data ends before the decoder is done ("image file
  // is truncated") unless told to LOAD_TRUNCATED_IMAGES; a half image padded
  // with grey is not a training sample. Checked before any pixel memory.
  if (end != JpegEnd::kComplete) throw DataError("JPEG file is truncated (no end-of-image marker)");
  const tjscalingfactor scale = choose_scale(width, height, min_long_side);
  const int out_w = TJSCALED(width, scale);
  const int out_h = TJSCALED(height, scale);
  // CMYK/YCCK cannot be converted to RGB by TurboJPEG itself: decode the ink
  // values and convert below.
  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  const int pixel_format = cmyk ? TJPF_CMYK : TJPF_RGB;
  std::vector<std::uint8_t> buffer(static_cast<std::size_t>(out_w) * out_h * tjPixelSize[pixel_format]);
  // TJFLAG_LIMITSCANS: a progressive JPEG with thousands of tiny scans costs
  // minutes of CPU from a few kilobytes (libjpeg-turbo's own guard, 500 scans).
  if (tjDecompress2(tj.handle, bytes, static_cast<unsigned long>(size), buffer.data(), out_w, 0, out_h, pixel_format,
                    TJFLAG_LIMITSCANS) != 0) {
    const std::string message = tjGetErrorStr2(tj.handle);
    // Like PIL, which ignores libjpeg's warnings ("Corrupt JPEG data: 3
    // extraneous bytes before marker 0xd9"): the picture is there. Running out
    // of data is the exception: that is a truncated file.
    if (tjGetErrorCode(tj.handle) == TJERR_FATAL) throw DataError("corrupt JPEG: " + message);
    if (message.find("Premature end") != std::string::npos) throw DataError("JPEG file is truncated (" + message + ")");
  }
  Image image(out_w, out_h);
  if (!cmyk) {
    image.pixels = std::move(buffer);
    return image;
  }
  // Adobe writes CMYK JPEGs with inverted ink values, which is what nearly
  // every CMYK JPEG in the wild is; then R = C*K/255 (likewise G, B).
  for (std::size_t i = 0, n = static_cast<std::size_t>(out_w) * out_h; i < n; ++i) {
    const unsigned k = buffer[i * 4 + 3];
    for (int c = 0; c < 3; ++c) image.pixels[i * 3 + c] = static_cast<std::uint8_t>(buffer[i * 4 + c] * k / 255);
  }
  return image;
}

// libpng reports errors through longjmp; this keeps the message for the exception.
struct PngErrorState {
  char message[256] = "unknown error";
};

void png_error_to_jump(png_structp png, png_const_charp message) {
  auto* state = static_cast<PngErrorState*>(png_get_error_ptr(png));
  std::snprintf(state->message, sizeof state->message, "%s", message);
  png_longjmp(png, 1);
}

void png_ignore_warning(png_structp, png_const_charp) {}

struct PngMemoryReader {
  const std::uint8_t* bytes;
  std::size_t size;
  std::size_t offset;
};

void png_read_from_memory(png_structp png, png_bytep out, png_size_t length) {
  auto* reader = static_cast<PngMemoryReader*>(png_get_io_ptr(png));
  if (reader->size - reader->offset < length) png_error(png, "file is truncated");
  std::memcpy(out, reader->bytes + reader->offset, length);
  reader->offset += length;
}

// Runs the libpng read sequence. setjmp lives here, and every C++ object that
// must survive a longjmp lives in the caller and is reached through pointers,
// so no destructor is skipped and no local is left indeterminate.
// *pixels_read turns true once every row is in: like PIL, a problem in the
// chunks after the image data (a missing IEND, a bad text chunk) then loses
// nothing and is not a reason to refuse the file.
bool read_png_guarded(png_structp png, png_infop info, Image* image, std::vector<png_bytep>* rows, bool* pixels_read) {
  if (setjmp(png_jmpbuf(png))) return *pixels_read;
  png_read_info(png, info);
  const png_uint_32 width = png_get_image_width(png, info);
  const png_uint_32 height = png_get_image_height(png, info);
  bool size_ok = true;
  {  // scoped so the string is destroyed before any longjmp
    const std::string problem = image_size_problem(width, height);
    if (!problem.empty()) {
      auto* state = static_cast<PngErrorState*>(png_get_error_ptr(png));
      std::snprintf(state->message, sizeof state->message, "%s", problem.c_str());
      size_ok = false;
    }
  }
  if (!size_ok) png_longjmp(png, 1);
  const int color_type = png_get_color_type(png, info);
  // The same conversions PIL's convert("RGB") makes: 16-bit keeps its high
  // byte, palettes and low bit depths expand, gray is replicated, alpha is
  // dropped (not composited).
  png_set_strip_16(png);
  png_set_packing(png);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
  png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_rowbytes(png, info) != static_cast<png_size_t>(width) * 3) png_error(png, "unsupported pixel layout");
  *image = Image(static_cast<int>(width), static_cast<int>(height));
  rows->resize(height);
  for (png_uint_32 y = 0; y < height; ++y) (*rows)[y] = image->pixel(0, static_cast<int>(y));
  png_read_image(png, rows->data());
  *pixels_read = true;
  png_read_end(png, nullptr);
  return true;
}

Image decode_png(const std::uint8_t* bytes, std::size_t size) {
  PngErrorState error_state;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &error_state, png_error_to_jump, png_ignore_warning);
  if (!png) throw DataError("cannot initialise libpng");
  png_infop info = png_create_info_struct(png);
  PngMemoryReader reader{bytes, size, 0};
  png_set_read_fn(png, &reader, png_read_from_memory);
  // Our pixel limit is the one that decides, with a message naming its flag:
  // libpng's own width and height limits (a million each by default) are
  // lifted to the format's maximum. Its limit on the memory one ancillary
  // chunk may take (a compressed text or ICC chunk can inflate to gigabytes)
  // is set explicitly, so it does not depend on how libpng was built.
  png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
  png_set_chunk_malloc_max(png, 8000000);
  png_set_chunk_cache_max(png, 1000);
  // Only the chunks that make the pixels are read (libpng always processes
  // IHDR, PLTE, tRNS, IDAT and IEND); text, ICC profiles, gamma and the rest
  // are skipped unread, as they change nothing in the RGB produced here
  // (no gamma or colour management, as PIL's convert("RGB")). Read, a text
  // chunk's buffer is allocated at the length its header claims, before its
  // bytes arrive: the chunk_malloc_max check above is only a warning in
  // libpng 1.6.39, so a 126-byte file asked for 1.18 GB (fuzz_image_decode,
  // fuzz/regressions/fuzz_image_decode/oom-png-ztxt-claims-1.18GB).
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, nullptr, -1);
  Image image;
  std::vector<png_bytep> rows;
  bool pixels_read = false;
  const bool ok = info != nullptr && read_png_guarded(png, info, &image, &rows, &pixels_read);
  png_destroy_read_struct(&png, &info, nullptr);
  if (!ok) throw DataError(std::string("unreadable PNG: ") + error_state.message);
  return image;
}

struct PngMemoryWriter {
  std::vector<std::uint8_t> bytes;
};

void png_write_to_memory(png_structp png, png_bytep data, png_size_t length) {
  auto* writer = static_cast<PngMemoryWriter*>(png_get_io_ptr(png));
  writer->bytes.insert(writer->bytes.end(), data, data + length);
}

std::vector<std::uint8_t> encode_png_rows(const std::uint8_t* pixels, int width, int height, int channels) {
  if (width <= 0 || height <= 0) throw DataError("cannot encode an empty image");
  PngErrorState error_state;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error_state, png_error_to_jump, png_ignore_warning);
  if (!png) throw DataError("cannot initialise libpng");
  png_infop info = png_create_info_struct(png);
  PngMemoryWriter writer;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw DataError(std::string("cannot encode PNG: ") + error_state.message);
  }
  png_set_write_fn(png, &writer, png_write_to_memory, nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < height; ++y) {
    png_write_row(png, const_cast<png_bytep>(pixels + static_cast<std::size_t>(y) * width * channels));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return std::move(writer.bytes);
}

// Says what a file misnamed .jpg/.png really is, for the formats met most
// often (PIL opens GIF, BMP, WebP and TIFF whatever their name; we decode only
// JPEG and PNG); "" when it is none of them.
std::string other_format_reason(const std::uint8_t* bytes, std::size_t size) {
  const auto at = [&](std::size_t offset, const char* signature, std::size_t n) {
    return size >= offset + n && std::memcmp(bytes + offset, signature, n) == 0;
  };
  const char* format = nullptr;
  if (at(0, "GIF87a", 6) || at(0, "GIF89a", 6)) format = "GIF";
  if (at(0, "BM", 2) && size >= 18 && at(15, "\0\0\0", 3)) {
    const int header = bytes[14];  // the DIB header's size: one of a few known values
    for (int known : {12, 40, 52, 56, 64, 108, 124}) {
      if (header == known) format = "BMP";
    }
  }
  if (at(0, "RIFF", 4) && at(8, "WEBP", 4)) format = "WebP";
  if (at(0, "II*\0", 4) || at(0, "MM\0*", 4)) format = "TIFF";
  if (at(4, "ftypheic", 8) || at(4, "ftypheix", 8) || at(4, "ftypmif1", 8)) format = "HEIC";
  if (at(4, "ftypavif", 8)) format = "AVIF";
  if (format) return std::string("a ") + format + " image, not JPEG or PNG (convert it, e.g. to PNG)";
  if (at(0, "<!DOCTYPE html", 14) || at(0, "<!doctype html", 14) || at(0, "<html", 5)) {
    return "an HTML page, not an image (a download that saved an error page?)";
  }
  return {};
}

}  // namespace

ImageFormat sniff_image_format(const std::uint8_t* bytes, std::size_t size) {
  static const std::uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) return ImageFormat::kJpeg;
  if (size >= 8 && std::memcmp(bytes, kPngSignature, 8) == 0) return ImageFormat::kPng;
  return ImageFormat::kUnknown;
}

Image decode_image(const std::uint8_t* bytes, std::size_t size, int min_long_side) {
  if (size == 0) throw DataError("empty file");
  switch (sniff_image_format(bytes, size)) {
    case ImageFormat::kJpeg:
      return decode_jpeg(bytes, size, min_long_side);
    case ImageFormat::kPng:
      return decode_png(bytes, size);
    case ImageFormat::kUnknown:
      break;
  }
  const std::string other = other_format_reason(bytes, size);
  if (!other.empty()) throw DataError(other);
  throw DataError("not a JPEG or PNG file (the first bytes are neither signature)");
}

std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path) {
  std::vector<std::uint8_t> bytes;
  const std::string problem = read_whole_file(path, &bytes);
  if (!problem.empty()) throw DataError(path.string() + ": " + problem);
  return bytes;
}

std::string read_image_problem(const std::filesystem::path& path, int min_long_side, Image* image) {
  std::vector<std::uint8_t> bytes;
  if (std::string problem = read_whole_file(path, &bytes, max_image_file_bytes()); !problem.empty()) return problem;
  try {
    *image = decode_image(bytes.data(), bytes.size(), min_long_side);
  } catch (const DataError& e) {
    return e.what();
  } catch (const std::bad_alloc&) {
    // Within the pixel limit but more than this machine can hold now: this
    // file is unusable here, the rest of the data set may well be fine.
    return "not enough memory to decode this image";
  }
  return {};
}

Image read_image_file(const std::filesystem::path& path, int min_long_side) {
  Image image;
  const std::string problem = read_image_problem(path, min_long_side, &image);
  if (!problem.empty()) throw DataError(path.string() + ": " + problem);
  return image;
}

std::vector<std::uint8_t> encode_jpeg(const Image& image, int quality) {
  if (image.empty()) throw DataError("cannot encode an empty image");
  TurboHandle tj(true);
  unsigned char* jpeg = nullptr;
  unsigned long jpeg_size = 0;
  if (tjCompress2(tj.handle, image.pixels.data(), image.width, 0, image.height, TJPF_RGB, &jpeg, &jpeg_size,
                  TJSAMP_420, quality, TJFLAG_ACCURATEDCT) != 0) {
    throw DataError(std::string("cannot encode JPEG: ") + tjGetErrorStr2(tj.handle));
  }
  std::vector<std::uint8_t> bytes(jpeg, jpeg + jpeg_size);
  tjFree(jpeg);
  return bytes;
}

std::vector<std::uint8_t> encode_png(const Image& image) {
  return encode_png_rows(image.pixels.data(), image.width, image.height, 3);
}

std::vector<std::uint8_t> encode_png_gray(const std::uint8_t* pixels, int width, int height) {
  return encode_png_rows(pixels, width, height, 1);
}

void write_file_bytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw DataError("cannot create " + path.string() + ": " + std::strerror(errno));
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw DataError("cannot write " + path.string() + " (disk full?)");
}

}  // namespace trainbench::data
