#pragma once
// The matrix of `trainbench bench`: every option is a list, and the tests are
// their cartesian product in a stable order (model outermost, mode innermost,
// so a test's train and inference rows sit together), as llama-bench does.
#include <string>
#include <vector>

namespace trainbench::bench {

// One point of the matrix. "auto" in amp or channels_last is resolved per
// device when the test runs.
struct BenchCase {
  std::string model;
  std::string device;         // as --device accepts it
  int image_size = 0;
  int batch_size = 0;
  std::string amp;            // "off", "bf16", "fp16", "auto"
  std::string channels_last;  // "0", "1", "auto"
  std::string input;          // "synthetic" or "real"
  int workers = 0;            // loader workers; 0 for synthetic input (no loader)
  std::string mode;           // "train" or "infer"
};

struct BenchMatrix {
  std::vector<std::string> models;
  std::vector<std::string> devices;
  std::vector<int> image_sizes;
  std::vector<int> batch_sizes;
  std::vector<std::string> amps;
  std::vector<std::string> channels_last;
  std::vector<std::string> inputs;
  std::vector<int> workers;
  std::vector<std::string> modes;
};

// "16,32", "16-128*2" (16, 32, 64, 128), "32-96+32" (32, 64, 96), "1-4"
// (1, 2, 3, 4), and mixes of them ("8,16-64*2"); values must be positive.
// Throws UsageError naming `option` for anything else.
std::vector<int> parse_int_list(const std::string& text, const std::string& option);

// "a,b,c" with surrounding spaces trimmed; empty items are an error.
std::vector<std::string> parse_text_list(const std::string& text, const std::string& option);

// --channels-last's list: "0", "1", "auto" (also off/on, false/true, no/yes),
// normalised to "0", "1", "auto".
std::vector<std::string> parse_layout_list(const std::string& text);

// --mode: "train", "infer", or "both" (train then infer).
std::vector<std::string> parse_modes(const std::string& text);

// The tests, in order. Workers only vary with real input: synthetic tests
// get workers 0 and appear once. Duplicates (a value listed twice) run once.
std::vector<BenchCase> expand(const BenchMatrix& matrix);

// "resnet18 cpu 160px b32 bf16 channels-last synthetic train": what a
// progress line calls the test.
std::string describe(const BenchCase& test);

}  // namespace trainbench::bench
