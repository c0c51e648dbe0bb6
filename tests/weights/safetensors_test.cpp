#include "weights/safetensors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>

#include "core/error.h"
#include "test_support.h"

namespace trainbench::weights {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;
using Bytes = std::vector<std::uint8_t>;

// The tensors tests/reference/safetensors_reference.py builds, in its order;
// every value exactly representable in its dtype.
NamedTensors python_reference_tensors() {
  return {
      {"f32", torch::tensor({1.5f, -2.25f, 3.0f, 0.0f, std::ldexp(1.0f, -100), -7.125f}, torch::kFloat32).reshape({2, 3})},
      {"f16", torch::tensor({0.5, -1.0, 1024.0, -0.125}, torch::kFloat16)},
      {"bf16", torch::tensor({0.25, -3.0, 256.0, 1.0}, torch::kBFloat16).reshape({2, 2})},
      {"f64", torch::scalar_tensor(3.141592653589793, torch::kFloat64)},
      {"i64", torch::tensor({std::int64_t{0}, std::int64_t{-1}, std::int64_t{1} << 40, -(std::int64_t{1} << 62)}, torch::kInt64)},
      {"i32", torch::tensor({-7, 0, INT32_MAX, INT32_MIN}, torch::kInt32).reshape({2, 2})},
      {"i16", torch::tensor({-32768, 32767, 5}, torch::kInt16)},
      {"i8", torch::tensor({-128, 127}, torch::kInt8)},
      {"u8", torch::tensor({0, 1, 127, 255}, torch::kUInt8)},
      {"bool", torch::tensor({true, false, true}, torch::kBool)},
      {"empty", torch::zeros({0, 3}, torch::kFloat32)},
  };
}
const std::map<std::string, std::string> kPythonReferenceMetadata = {{"format", "pt"}, {"architecture", "resnet18d"}};

// Same names in the same order, same dtype, shape and values (bit for bit
// here, since no value is NaN and no test stores -0).
void expect_same_tensors(const NamedTensors& actual, const NamedTensors& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& [name, want] = expected[i];
    const torch::Tensor& got = actual[i].second;
    SCOPED_TRACE(name);
    EXPECT_EQ(actual[i].first, name);
    EXPECT_EQ(got.scalar_type(), want.scalar_type());
    EXPECT_EQ(got.sizes(), want.sizes());
    EXPECT_TRUE(got.device().is_cpu());
    EXPECT_TRUE(got.is_contiguous());
    if (got.scalar_type() == want.scalar_type() && got.sizes() == want.sizes()) {
      EXPECT_TRUE(torch::equal(got, want.contiguous())) << got << "\nwant\n" << want;
    }
  }
}

std::uint64_t read_le64(const Bytes& bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= std::uint64_t{bytes[static_cast<std::size_t>(i)]} << (8 * i);
  return value;
}

Bytes le64(std::uint64_t value) {
  Bytes bytes(8);
  for (int i = 0; i < 8; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value >> (8 * i));
  return bytes;
}

// resize + memcpy rather than vector::insert, which trips GCC 12's -Warray-bounds.
void append(Bytes& bytes, const void* data, std::size_t size) {
  const std::size_t at = bytes.size();
  bytes.resize(at + size);
  if (size > 0) std::memcpy(bytes.data() + at, data, size);
}

// A file with this header text and `data_bytes` zero bytes of data.
Bytes file_with_header(const std::string& header, std::size_t data_bytes) {
  Bytes bytes = le64(header.size());
  append(bytes, header.data(), header.size());
  bytes.resize(bytes.size() + data_bytes, 0);
  return bytes;
}

Bytes read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> folder_entries(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// ---- round trips in C++ ----

// Every dtype, a 0-d scalar, an empty [0, 3], odd byte offsets (the 2-byte
// I8 first), metadata: what we write we read back exactly, in our order.
TEST(SafetensorsRoundTrip, EveryDtypeShapeAndMetadata) {
  NamedTensors tensors = {
      {"odd.first", torch::tensor({-3, 9}, torch::kInt8)},  // leaves every later tensor at an unaligned offset
      {"weight", torch::tensor({0.5f, -1.75f, 3.0e8f, 1.0f / 64}, torch::kFloat32).reshape({2, 2})},
      {"half", torch::tensor({65504.0, -0.5, 0.0009765625}, torch::kFloat16)},
      {"brain", torch::tensor({-1.5, std::ldexp(1.0, 100), 0.0078125}, torch::kBFloat16)},
      {"double", torch::tensor({1.0 / 3.0, -1e300}, torch::kFloat64)},
      {"bn.num_batches_tracked", torch::scalar_tensor(std::int64_t{12345678901}, torch::kInt64)},
      {"i32", torch::tensor({INT32_MIN, 17}, torch::kInt32)},
      {"i16", torch::tensor({-300, 300}, torch::kInt16)},
      {"u8", torch::tensor({255, 0, 7}, torch::kUInt8).reshape({3, 1})},
      {"flags", torch::tensor({false, true}, torch::kBool)},
      {"nothing", torch::zeros({0, 3}, torch::kFloat32)},
  };
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "ünïcode, \"quotes\"\nand a newline"}};
  TempDir dir;
  const fs::path file = dir / "all.safetensors";
  write_safetensors(file, tensors, metadata);
  const SafetensorsContents contents = read_safetensors(file);
  expect_same_tensors(contents.tensors, tensors);
  EXPECT_EQ(contents.metadata, metadata);
  EXPECT_EQ(contents.tensors[5].second.dim(), 0);
  EXPECT_EQ(contents.tensors[5].second.item<std::int64_t>(), std::int64_t{12345678901});
  // The tensors own their memory: the file can go.
  fs::remove(file);
  EXPECT_EQ(contents.tensors[1].second[1][0].item<float>(), 3.0e8f);
}

// Views, transposes and tensors that require grad are written as their
// contiguous values; no metadata means no "__metadata__" key at all.
TEST(SafetensorsRoundTrip, NonContiguousInputsAndNoMetadata) {
  const torch::Tensor base = torch::arange(12, torch::kFloat32).reshape({3, 4});
  const torch::Tensor transposed = base.t();
  const torch::Tensor strided = base.index({torch::indexing::Slice(), torch::indexing::Slice(0, 4, 2)});
  const torch::Tensor trainable = torch::ones({2}, torch::kFloat32).requires_grad_(true);
  const Bytes bytes = serialize_safetensors({{"t", transposed}, {"s", strided}, {"p", trainable}});
  const std::string header(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(read_le64(bytes)));
  EXPECT_EQ(header.find("__metadata__"), std::string::npos);
  const SafetensorsContents contents = parse_safetensors(bytes.data(), bytes.size(), "memory");
  expect_same_tensors(contents.tensors, {{"t", transposed}, {"s", strided}, {"p", trainable.detach()}});
  EXPECT_TRUE(contents.metadata.empty());
  EXPECT_FALSE(contents.tensors[2].second.requires_grad());
}

// The layout the Rust writer produces, byte for byte: compact JSON with
// "__metadata__" first and entries in order, spaces up to a multiple of 8.
TEST(SafetensorsWrite, ProducesTheReferenceLayoutByteForByte) {
  const Bytes bytes = serialize_safetensors({{"b", torch::tensor({1.0f, 2.0f})}, {"a", torch::tensor({std::int64_t{-2}})}},
                                            {{"format", "pt"}});
  std::string header =
      R"({"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("a":{"dtype":"I64","shape":[1],"data_offsets":[8,16]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  ASSERT_EQ(header.size() % 8, 0u);
  Bytes expected = le64(header.size());
  append(expected, header.data(), header.size());
  const float floats[2] = {1.0f, 2.0f};
  const std::int64_t minus_two = -2;
  append(expected, floats, sizeof floats);
  append(expected, &minus_two, sizeof minus_two);
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), std::string(expected.begin(), expected.end()));

  TempDir dir;
  write_safetensors(dir / "x.safetensors", {{"b", torch::tensor({1.0f, 2.0f})}, {"a", torch::tensor({std::int64_t{-2}})}},
                    {{"format", "pt"}});
  EXPECT_EQ(read_file(dir / "x.safetensors"), expected);
}

// Writing refuses what the format cannot say (complex numbers), a repeated
// or empty name, and the reserved "__metadata__" name, leaving no file.
TEST(SafetensorsWrite, RejectsUnsupportedDtypeAndBadNames) {
  TempDir dir;
  const fs::path file = dir / "bad.safetensors";
  const torch::Tensor ok = torch::zeros({2});
  const auto message = [&](const NamedTensors& tensors) {
    try {
      write_safetensors(file, tensors);
    } catch (const ModelError& e) {
      return std::string(e.what());
    }
    return std::string("no ModelError");
  };
  const std::string complex = message({{"ok", ok}, {"z", torch::zeros({2}, torch::kComplexFloat)}});
  EXPECT_NE(complex.find("\"z\""), std::string::npos) << complex;
  EXPECT_NE(complex.find("ComplexFloat"), std::string::npos) << complex;
  EXPECT_NE(message({{"a", ok}, {"a", ok}}).find("duplicate tensor name \"a\""), std::string::npos);
  EXPECT_NE(message({{"", ok}}).find("empty name"), std::string::npos);
  EXPECT_NE(message({{"__metadata__", ok}}).find("__metadata__"), std::string::npos);
  EXPECT_NE(message({{"u", torch::Tensor()}}).find("undefined"), std::string::npos);
  EXPECT_TRUE(folder_entries(dir.path()).empty());
}

// Replacing goes through a temporary file and a rename: afterwards the folder
// holds the new file only, and a failed write leaves the old one intact.
TEST(SafetensorsWrite, IsAtomicAndLeavesNoTemporaryFile) {
  TempDir dir;
  const fs::path file = dir / "model.safetensors";
  write_safetensors(file, {{"w", torch::full({1000}, 1.0f)}});
  write_safetensors(file, {{"w", torch::full({3}, 2.0f)}}, {{"epoch", "2"}});
  EXPECT_EQ(folder_entries(dir.path()), std::vector<std::string>{"model.safetensors"});
  const SafetensorsContents second = read_safetensors(file);
  expect_same_tensors(second.tensors, {{"w", torch::full({3}, 2.0f)}});
  EXPECT_EQ(second.metadata.at("epoch"), "2");

  EXPECT_THROW(write_safetensors(file, {{"z", torch::zeros({1}, torch::kComplexDouble)}}), ModelError);
  EXPECT_EQ(folder_entries(dir.path()), std::vector<std::string>{"model.safetensors"});
  expect_same_tensors(read_safetensors(file).tensors, {{"w", torch::full({3}, 2.0f)}});
}

// ---- against Python ----

// Python (tests/reference/tensor_file.py, written from the format's
// description) writes every dtype plus metadata; we read the same values.
TEST(SafetensorsPython, ReadsWhatPythonWrites) {
  TempDir dir;
  const fs::path file = dir / "python.safetensors";
  ASSERT_EQ(testing::run_reference("safetensors_reference.py", {"write", file.string()}), 0);
  const SafetensorsContents contents = read_safetensors(file);
  expect_same_tensors(contents.tensors, python_reference_tensors());
  EXPECT_EQ(contents.metadata, kPythonReferenceMetadata);
}

// We write the same tensors; Python reads them, checks that they tile the
// data area, and exits 0 only when names, order, dtypes, shapes, values and
// metadata all equal its own.
TEST(SafetensorsPython, PythonReadsWhatWeWrite) {
  TempDir dir;
  const fs::path file = dir / "ours.safetensors";
  write_safetensors(file, python_reference_tensors(), kPythonReferenceMetadata);
  EXPECT_EQ(testing::run_reference("safetensors_reference.py", {"check", file.string()}), 0);
}

// ---- hostile input ----

// A small valid file with several dtypes, a BOOL, an empty tensor and metadata.
Bytes small_valid_file() {
  return serialize_safetensors({{"w", torch::tensor({1.5f, -2.0f, 0.25f}, torch::kFloat32)},
                                {"h", torch::tensor({0.5, 2.0}, torch::kFloat16)},
                                {"n", torch::scalar_tensor(7, torch::kInt64)},
                                {"e", torch::zeros({0, 2}, torch::kBFloat16)},
                                {"b", torch::tensor({true, false}, torch::kBool)}},
                               {{"format", "pt"}});
}

// Parses a copy of exactly `size` bytes on the heap (so a sanitizer sees any
// read past it). Returns "" on success, the ModelError message otherwise;
// any other exception fails the test.
std::string parse_copy(const std::uint8_t* data, std::size_t size, SafetensorsContents* contents = nullptr) {
  const std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[size == 0 ? 1 : size]);
  if (size > 0) std::memcpy(copy.get(), data, size);
  try {
    SafetensorsContents parsed = parse_safetensors(copy.get(), size, "fuzz.safetensors");
    if (contents) *contents = std::move(parsed);
    return "";
  } catch (const ModelError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a ModelError: " << e.what();
    return e.what();
  }
}

// Cutting the file anywhere short of its end is always an error: either the
// header length runs past the end or the data no longer covers the tensors.
TEST(SafetensorsFuzz, EveryTruncationThrows) {
  const Bytes bytes = small_valid_file();
  ASSERT_EQ(parse_copy(bytes.data(), bytes.size()), "");
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    const std::string message = parse_copy(bytes.data(), size);
    EXPECT_NE(message, "") << "truncated to " << size << " of " << bytes.size() << " bytes, still parsed";
    EXPECT_EQ(message.rfind("fuzz.safetensors: ", 0), 0u) << message;
  }
}

// Thousands of seeded random corruptions, biased towards the header (where
// the parsing happens) and towards JSON's structural characters: each parses
// or throws ModelError. What parses still satisfies the format's invariants.
TEST(SafetensorsFuzz, RandomCorruptionsParseOrThrow) {
  const Bytes original = small_valid_file();
  const std::size_t header_end = 8 + read_le64(original);
  std::mt19937 rng(20240607);
  const std::string interesting = "{}[]\",:-0123456789e. \\_";
  int parsed = 0, rejected = 0;
  for (int round = 0; round < 4000; ++round) {
    Bytes bytes = original;
    const int changes = 1 + static_cast<int>(rng() % 4);
    for (int c = 0; c < changes; ++c) {
      const bool in_data = rng() % 3 == 0;
      const std::size_t at = in_data ? header_end + rng() % (bytes.size() - header_end) : rng() % header_end;
      bytes[at] = rng() % 2 ? static_cast<std::uint8_t>(rng()) : static_cast<std::uint8_t>(interesting[rng() % interesting.size()]);
    }
    SafetensorsContents contents;
    const std::string message = parse_copy(bytes.data(), bytes.size(), &contents);
    if (!message.empty()) {
      ++rejected;
      continue;
    }
    ++parsed;
    std::uint64_t total = 0;
    for (const auto& [name, tensor] : contents.tensors) {
      EXPECT_TRUE(tensor.is_contiguous() && tensor.device().is_cpu()) << name;
      total += tensor.nbytes();
    }
    EXPECT_EQ(total, bytes.size() - 8 - read_le64(bytes)) << "round " << round;
  }
  // Both outcomes occur, so the corruptions reach the checks and the data.
  EXPECT_GT(parsed, 100);
  EXPECT_GT(rejected, 1000);
}

struct Hostile {
  const char* what;
  Bytes bytes;
  const char* expected;  // a piece of the message
};

std::vector<Hostile> hostile_cases() {
  std::vector<Hostile> cases;
  Bytes huge = le64(std::uint64_t{1} << 63);
  huge.push_back('{');
  huge.push_back('}');
  cases.push_back({"header length 2^63", huge, "header length 9223372036854775808 exceeds the limit"});
  Bytes beyond = le64(1000);
  beyond.push_back('{');
  beyond.push_back('}');
  cases.push_back({"header length beyond the file", beyond, "header length 1000 runs past the end of the file (10 bytes)"});
  cases.push_back({"file shorter than the length", Bytes{1, 0, 0}, "too short"});
  cases.push_back({"header not JSON", file_with_header("hello world", 0), "header is not valid JSON"});
  cases.push_back({"header invalid UTF-8", file_with_header("{\"a\xff\":1}", 0), "header is not valid JSON"});
  cases.push_back({"header a JSON array", file_with_header("[1,2]", 0), "header is an array, not a JSON object"});
  cases.push_back({"header with leading space", file_with_header(" {}", 0), "must start with '{'"});
  cases.push_back({"header nested 100 deep",
                   file_with_header("{\"__metadata__\":" + std::string(100, '[') + std::string(100, ']') + "}", 0),
                   "nests deeper than 64"});
  cases.push_back({"offsets past the end",
                   file_with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4),
                   "tensor \"a\": data_offsets [0, 8] run past the end of the data (4 bytes)"});
  cases.push_back({"begin after end", file_with_header(R"({"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}})", 4),
                   "tensor \"a\": data_offsets [4, 0]: begin is after end"});
  cases.push_back({"overlapping entries",
                   file_with_header(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                                    R"("b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})", 6),
                   "tensor \"b\": its data at [2, 6) overlaps tensor \"a\" at [0, 4)"});
  cases.push_back({"gap between entries",
                   file_with_header(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                                    R"("b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}})", 6),
                   "tensor \"b\": gap of 2 bytes"});
  cases.push_back({"bytes after the last tensor", file_with_header("{}", 4), "the last 4 of 4 data bytes belong to no tensor"});
  cases.push_back({"byte count against dtype x shape",
                   file_with_header(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8),
                   "tensor \"a\": data_offsets [0, 8] hold 8 bytes but F32 [3] needs 12"});
  cases.push_back({"shape product overflowing 64 bits",
                   file_with_header(R"({"a":{"dtype":"U8","shape":[4294967296,4294967296,2],"data_offsets":[0,0]}})", 0),
                   "tensor \"a\": shape [4294967296, 4294967296, 2] overflows a 64-bit element count"});
  cases.push_back({"byte count overflowing 64 bits",
                   file_with_header(R"({"a":{"dtype":"F64","shape":[4294967296,1073741824],"data_offsets":[0,0]}})", 0),
                   "overflows a 64-bit byte count"});
  cases.push_back({"dimension too large for LibTorch",
                   file_with_header(R"({"a":{"dtype":"U8","shape":[0,18446744073709551615],"data_offsets":[0,0]}})", 0),
                   "dimension 18446744073709551615 is too large"});
  cases.push_back({"negative dimension", file_with_header(R"({"a":{"dtype":"F32","shape":[-1,2],"data_offsets":[0,0]}})", 0),
                   "tensor \"a\": negative dimension -1"});
  cases.push_back({"fractional dimension", file_with_header(R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,0]}})", 0),
                   "not an integer"});
  cases.push_back({"unknown dtype", file_with_header(R"({"a":{"dtype":"F128","shape":[],"data_offsets":[0,16]}})", 16),
                   "tensor \"a\": unsupported dtype \"F128\""});
  cases.push_back({"missing dtype", file_with_header(R"({"a":{"shape":[],"data_offsets":[0,4]}})", 4), "tensor \"a\": no \"dtype\""});
  cases.push_back({"offsets not a pair", file_with_header(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}})", 1),
                   "\"data_offsets\" must be [begin, end]"});
  cases.push_back({"negative offset", file_with_header(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}})", 1),
                   "\"data_offsets\" must be [begin, end]"});
  cases.push_back({"entry not an object", file_with_header(R"({"a":5})", 0), "tensor \"a\": entry is a number"});
  cases.push_back({"duplicate tensor name",
                   file_with_header(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                                    R"("a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})", 2),
                   "duplicate tensor name \"a\""});
  cases.push_back({"duplicate key inside an entry",
                   file_with_header(R"({"a":{"dtype":"U8","dtype":"F32","shape":[1],"data_offsets":[0,1]}})", 1),
                   "duplicate key \"dtype\""});
  cases.push_back({"non-string metadata value", file_with_header(R"({"__metadata__":{"epoch":1}})", 0),
                   "\"__metadata__\" value of \"epoch\" is a number, not a string"});
  cases.push_back({"metadata not an object", file_with_header(R"({"__metadata__":"pt"})", 0),
                   "\"__metadata__\" is a string, not an object"});
  Bytes bad_bool = file_with_header(R"({"b":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})", 2);
  bad_bool.back() = 2;
  cases.push_back({"BOOL byte other than 0 or 1", bad_bool, "tensor \"b\": BOOL byte 2 at data offset 1 is not 0 or 1"});
  return cases;
}

// Each hand-made malformed file throws ModelError naming the file and the problem.
TEST(SafetensorsHostile, EachMalformedFileThrowsNamingTheProblem) {
  for (const Hostile& hostile : hostile_cases()) {
    SCOPED_TRACE(hostile.what);
    const std::string message = parse_copy(hostile.bytes.data(), hostile.bytes.size());
    ASSERT_NE(message, "") << "parsed";
    EXPECT_EQ(message.rfind("fuzz.safetensors: ", 0), 0u) << message;
    EXPECT_NE(message.find(hostile.expected), std::string::npos) << message;
  }
}

// The same checks reach files on disk: a file read through the mapping (and
// an empty one, which cannot be mapped and is read instead) names its path.
TEST(SafetensorsHostile, FilesOnDiskNameTheirPath) {
  TempDir dir;
  const fs::path bad = dir / "bad.safetensors";
  const Bytes bytes = file_with_header(R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", 2);
  std::ofstream(bad, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  const fs::path empty = dir / "empty.safetensors";
  std::ofstream(empty, std::ios::binary).close();
  for (const auto& [file, expected] : std::vector<std::pair<fs::path, std::string>>{
           {bad, "run past the end of the data"}, {empty, "the file is 0 bytes, too short"}}) {
    try {
      read_safetensors(file);
      ADD_FAILURE() << file << " parsed";
    } catch (const ModelError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(file.string() + ": ", 0), 0u) << e.what();
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
}

// A missing file or a folder is a ModelError naming the path, not a crash or an empty result.
TEST(SafetensorsRead, MissingFileOrFolderNamesThePath) {
  TempDir dir;
  const fs::path missing = dir / "missing.safetensors";
  try {
    read_safetensors(missing);
    ADD_FAILURE() << "read a missing file";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
  try {
    read_safetensors(dir.path());
    ADD_FAILURE() << "read a folder";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace trainbench::weights
