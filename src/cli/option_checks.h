#pragma once
// Checks for option values that fail with a line a person can act on. CLI11
// prints a failed check as "--OPTION: MESSAGE"; these make that
//   --lr: '0' is not a number above 0 (the peak learning rate, e.g. 1e-3)
//   --amp: 'fp8' is not one of auto, off, bf16, fp16
//   --img-size: '4' is not a whole number from 8 to 4096 (pixels)
// instead of CLI11's own "Value 0 not in range 0.000000 to 1797693...".
// Their descriptions, which --help shows after the type, are short: (> 0),
// (>= 0), [8..4096], {auto,off,bf16,fp16}. `what` is an optional hint, added
// in parentheses to the message only.
//
// The whole-number checks also refuse what is not an integer ("two", "1.5")
// before CLI11 tries to convert it, and a number too large for the option's
// type (`most`, int's largest by default), so every bad value of an integer
// option gets the same kind of line.
#include <CLI/CLI.hpp>

#include <climits>
#include <cstdint>
#include <string>
#include <vector>

namespace trainbench::cli {

// Real numbers (finite): above 0; 0 or more; from lo to hi inclusive.
CLI::Validator positive_number(const std::string& what = {});
CLI::Validator non_negative_number(const std::string& what = {});
CLI::Validator number_in(double lo, double hi, const std::string& what = {});

// Whole numbers, as CLI11 reads them (decimal, or 0x hex).
CLI::Validator whole_number(const std::string& what = {}, std::int64_t least = INT_MIN, std::uint64_t most = INT_MAX);
CLI::Validator positive_whole_number(const std::string& what = {}, std::uint64_t most = INT_MAX);
CLI::Validator non_negative_whole_number(const std::string& what = {}, std::uint64_t most = INT_MAX);
CLI::Validator whole_number_in(std::int64_t lo, std::int64_t hi, const std::string& what = {});

// One of these words, exactly; `aliases` are accepted too but not listed.
CLI::Validator one_of(const std::vector<std::string>& allowed, const std::string& what = {},
                      const std::vector<std::string>& aliases = {});
// A comma-separated list (bench's LIST options) whose every item is one of these.
CLI::Validator list_of(const std::vector<std::string>& allowed, const std::string& what = {});

}  // namespace trainbench::cli
