#include "bench/bench_matrix.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <set>
#include <tuple>

#include "core/error.h"
#include "core/text.h"

namespace trainbench::bench {
namespace {

// A bench that expands one option to more values than this is a typo
// ("1-100000"), not a plan.
constexpr std::size_t kMaxValuesPerOption = 256;

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    items.push_back(core::trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return items;
}

// A positive integer that is all digits; nullopt-like -1 otherwise.
long long parse_positive(const std::string& text) {
  if (text.empty() || text.size() > 9) return -1;
  for (const char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
  }
  const long long value = std::stoll(text);
  return value > 0 ? value : -1;
}

[[noreturn]] void bad_item(const std::string& option, const std::string& item, const std::string& why) {
  throw UsageError(option + ": '" + item + "' " + why +
                   " (expected positive integers, comma-separated, or ranges FIRST-LAST, FIRST-LAST+STEP, "
                   "FIRST-LAST*FACTOR, e.g. 16-128*2)");
}

void append_range(const std::string& option, const std::string& item, std::vector<int>* values) {
  const auto dash = item.find('-');
  const auto step_at = item.find_first_of("+*", dash);
  const long long first = parse_positive(item.substr(0, dash));
  const long long last =
      parse_positive(item.substr(dash + 1, step_at == std::string::npos ? std::string::npos : step_at - dash - 1));
  if (first < 0 || last < 0) bad_item(option, item, "is not a range of positive integers");
  if (last < first) bad_item(option, item, "ends before it starts");
  const char kind = step_at == std::string::npos ? '+' : item[step_at];
  const long long step = step_at == std::string::npos ? 1 : parse_positive(item.substr(step_at + 1));
  if (step < 0 || (kind == '*' && step < 2)) {
    bad_item(option, item, kind == '*' ? "needs a factor of at least 2" : "needs a positive step");
  }
  for (long long value = first; value <= last; value = kind == '*' ? value * step : value + step) {
    values->push_back(static_cast<int>(value));
    if (values->size() > kMaxValuesPerOption) {
      throw UsageError(option + ": more than " + std::to_string(kMaxValuesPerOption) + " values");
    }
  }
}

}  // namespace

std::vector<int> parse_int_list(const std::string& text, const std::string& option) {
  std::vector<int> values;
  for (const std::string& item : split_commas(text)) {
    if (item.empty()) throw UsageError(option + ": empty item in '" + text + "'");
    if (item.find('-') != std::string::npos) {
      append_range(option, item, &values);
    } else {
      const long long value = parse_positive(item);
      if (value < 0) bad_item(option, item, "is not a positive integer");
      values.push_back(static_cast<int>(value));
    }
  }
  return values;
}

std::vector<std::string> parse_text_list(const std::string& text, const std::string& option) {
  std::vector<std::string> items = split_commas(text);
  for (const std::string& item : items) {
    if (item.empty()) throw UsageError(option + ": empty item in '" + text + "'");
  }
  return items;
}

std::vector<std::string> parse_layout_list(const std::string& text) {
  std::vector<std::string> layouts;
  for (const std::string& item : parse_text_list(text, "--channels-last")) {
    const std::string word = core::lowercase(item);
    if (word == "1" || word == "on" || word == "true" || word == "yes") {
      layouts.push_back("1");
    } else if (word == "0" || word == "off" || word == "false" || word == "no") {
      layouts.push_back("0");
    } else if (word == "auto") {
      layouts.push_back("auto");
    } else {
      throw UsageError("--channels-last: '" + item + "' is not 0, 1 or auto");
    }
  }
  return layouts;
}

std::vector<std::string> parse_modes(const std::string& text) {
  const std::string word = core::lowercase(core::trim(text));
  if (word == "train" || word == "infer") return {word};
  if (word == "both") return {"train", "infer"};
  throw UsageError("--mode: '" + text + "' is not train, infer or both");
}

std::vector<BenchCase> expand(const BenchMatrix& matrix) {
  std::vector<BenchCase> tests;
  // The identity of a test, to run a value listed twice only once.
  using Key = std::tuple<std::string, std::string, int, int, std::string, std::string, std::string, int, std::string>;
  std::set<Key> seen;
  for (const std::string& model : matrix.models) {
    for (const std::string& device : matrix.devices) {
      for (const int image_size : matrix.image_sizes) {
        for (const int batch_size : matrix.batch_sizes) {
          for (const std::string& amp : matrix.amps) {
            for (const std::string& layout : matrix.channels_last) {
              for (const std::string& input : matrix.inputs) {
                for (const int listed_workers : matrix.workers) {
                  const int workers = input == "real" ? listed_workers : 0;
                  for (const std::string& mode : matrix.modes) {
                    const Key key{model, device, image_size, batch_size, amp, layout, input, workers, mode};
                    if (!seen.insert(key).second) continue;
                    tests.push_back({model, device, image_size, batch_size, amp, layout, input, workers, mode});
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return tests;
}

std::string describe(const BenchCase& test) {
  std::string text = test.model + " " + test.device + " " + std::to_string(test.image_size) + "px b" +
                     std::to_string(test.batch_size) + " amp=" + test.amp;
  text += test.channels_last == "1" ? " channels-last" : test.channels_last == "0" ? " contiguous" : " layout=auto";
  text += " " + test.input;
  if (test.input == "real") text += " w" + std::to_string(test.workers);
  return text + " " + test.mode;
}

}  // namespace trainbench::bench
