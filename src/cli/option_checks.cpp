#include "cli/option_checks.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "core/text.h"

namespace trainbench::cli {
namespace {

// The value as the user typed it, quoted, and cut short if it is long (a line
// must stay one readable line whatever was pasted).
std::string quoted_option_value(const std::string& text) {
  constexpr std::size_t kLongest = 40;
  return "'" + (text.size() > kLongest ? text.substr(0, kLongest) + "..." : text) + "'";
}

std::string with_hint(const std::string& allowed, const std::string& what) {
  return what.empty() ? allowed : allowed + " (" + what + ")";
}

// A bound as a person writes it: 0.01, 3600, 1e-06.
std::string short_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

// `text` as a finite real number, whole text consumed; nothing otherwise.
std::optional<double> read_real_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(value)) return std::nullopt;
  return value;
}

// A whole number read as CLI11 reads one (strtoll/strtoull, base 0), kept as
// sign and magnitude so that any 64-bit value of either sign fits.
struct WholeNumberText {
  bool negative = false;
  std::uint64_t magnitude = 0;
};

std::optional<WholeNumberText> read_whole_number(const std::string& text) {
  WholeNumberText number;
  std::string digits = text;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    number.negative = digits[0] == '-';
    digits.erase(0, 1);
  }
  // strtoull would take its own sign or blanks: only digits may follow ours.
  if (digits.empty() || !std::isdigit(static_cast<unsigned char>(digits[0]))) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  number.magnitude = std::strtoull(digits.c_str(), &end, 0);
  if (end != digits.c_str() + digits.size() || errno == ERANGE) return std::nullopt;
  if (number.magnitude == 0) number.negative = false;
  return number;
}

bool at_least(const WholeNumberText& number, std::int64_t least) {
  if (least >= 0) return !number.negative && number.magnitude >= static_cast<std::uint64_t>(least);
  // -(least) as unsigned, INT64_MIN included.
  const std::uint64_t below = static_cast<std::uint64_t>(-(least + 1)) + 1;
  return !number.negative || number.magnitude <= below;
}

bool at_most(const WholeNumberText& number, std::uint64_t most) { return number.negative || number.magnitude <= most; }

// A whole-number check. `allowed` says the range in words; values past
// `most` (the option type's largest, not part of the stated range) are
// "too large", with the limit when it is short enough to read.
CLI::Validator whole_number_check(const std::string& description, const std::string& allowed, std::int64_t least,
                                  std::uint64_t most) {
  return CLI::Validator(
      [allowed, least, most](std::string& input) -> std::string {
        const std::optional<WholeNumberText> number = read_whole_number(input);
        if (!number || !at_least(*number, least)) return quoted_option_value(input) + " is not " + allowed;
        if (!at_most(*number, most)) {
          const std::string limit = std::to_string(most);
          return quoted_option_value(input) + " is too large" + (limit.size() <= 10 ? " (at most " + limit + ")" : "");
        }
        return {};
      },
      description);
}

CLI::Validator real_number_check(const std::string& description, const std::string& allowed, double lo, bool lo_open,
                                 double hi) {
  return CLI::Validator(
      [allowed, lo, lo_open, hi](std::string& input) -> std::string {
        const std::optional<double> value = read_real_number(input);
        if (!value || (lo_open ? !(*value > lo) : !(*value >= lo)) || !(*value <= hi)) {
          return quoted_option_value(input) + " is not " + allowed;
        }
        return {};
      },
      description);
}

bool is_one_of(const std::string& word, const std::vector<std::string>& allowed) {
  for (const std::string& candidate : allowed) {
    if (word == candidate) return true;
  }
  return false;
}

std::string set_description(const std::vector<std::string>& allowed) { return "{" + core::join(allowed, ",") + "}"; }

}  // namespace

CLI::Validator positive_number(const std::string& what) {
  return real_number_check("(> 0)", with_hint("a number above 0", what), 0.0, true, HUGE_VAL);
}

CLI::Validator non_negative_number(const std::string& what) {
  return real_number_check("(>= 0)", with_hint("a number of 0 or more", what), 0.0, false, HUGE_VAL);
}

CLI::Validator number_in(double lo, double hi, const std::string& what) {
  return real_number_check("[" + short_number(lo) + ".." + short_number(hi) + "]",
                           with_hint("a number from " + short_number(lo) + " to " + short_number(hi), what), lo, false,
                           hi);
}

CLI::Validator whole_number(const std::string& what, std::int64_t least, std::uint64_t most) {
  return whole_number_check("", with_hint("a whole number", what), least, most);
}

CLI::Validator positive_whole_number(const std::string& what, std::uint64_t most) {
  return whole_number_check("(> 0)", with_hint("a whole number above 0", what), 1, most);
}

CLI::Validator non_negative_whole_number(const std::string& what, std::uint64_t most) {
  return whole_number_check("(>= 0)", with_hint("a whole number of 0 or more", what), 0, most);
}

CLI::Validator whole_number_in(std::int64_t lo, std::int64_t hi, const std::string& what) {
  const std::string range = std::to_string(lo) + " to " + std::to_string(hi);
  CLI::Validator check = whole_number_check("[" + std::to_string(lo) + ".." + std::to_string(hi) + "]",
                                            with_hint("a whole number from " + range, what), lo, UINT64_MAX);
  // Above hi is outside the stated range, not merely too large for the type.
  return CLI::Validator(
      [check, hi, range, what](std::string& input) -> std::string {
        std::string message = check(input);
        if (!message.empty()) return message;
        const std::optional<WholeNumberText> number = read_whole_number(input);
        if (!at_most(*number, static_cast<std::uint64_t>(hi))) {
          return quoted_option_value(input) + " is not " + with_hint("a whole number from " + range, what);
        }
        return {};
      },
      check.get_description());
}

CLI::Validator one_of(const std::vector<std::string>& allowed, const std::string& what,
                      const std::vector<std::string>& aliases) {
  return CLI::Validator(
      [allowed, what, aliases](std::string& input) -> std::string {
        if (is_one_of(input, allowed) || is_one_of(input, aliases)) return {};
        return quoted_option_value(input) + " is not " + with_hint("one of " + core::join(allowed), what);
      },
      set_description(allowed));
}

CLI::Validator list_of(const std::vector<std::string>& allowed, const std::string& what) {
  return CLI::Validator(
      [allowed, what](std::string& input) -> std::string {
        std::size_t start = 0;
        while (true) {
          const std::size_t comma = input.find(',', start);
          const std::string item =
              core::trim(input.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
          if (!is_one_of(item, allowed)) {
            return quoted_option_value(item) + (input.find(',') == std::string::npos ? "" : " in " + quoted_option_value(input)) +
                   " is not " + with_hint("one of " + core::join(allowed), what);
          }
          if (comma == std::string::npos) return {};
          start = comma + 1;
        }
      },
      set_description(allowed));
}

}  // namespace trainbench::cli
