#include "core/table.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "core/error.h"

namespace trainbench::core {
namespace {

// ---- reading values back, with errors that name the field ----

[[noreturn]] void wrong_type(const std::string& name, const std::string& wanted, const nlohmann::json& value) {
  std::string shown = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (shown.size() > 40) shown = shown.substr(0, 37) + "...";
  throw UsageError("field \"" + name + "\" must be " + wanted + ", not " + value.type_name() + " " + shown);
}

// The value under `name`, or nullptr when the key is absent or null.
const nlohmann::json* find_value(const nlohmann::json& row, const std::string& name) {
  if (!row.is_object()) {
    throw UsageError("a result row must be a JSON object (column name -> value), not " + std::string(row.type_name()));
  }
  const auto it = row.find(name);
  if (it == row.end() || it->is_null()) return nullptr;
  return &*it;
}

// A number of the list text "a;b;c" (how csv and sql write samples).
double parse_list_number(const std::string& name, const std::string& part, const nlohmann::json& value) {
  char* end = nullptr;
  const double number = std::strtod(part.c_str(), &end);
  if (part.empty() || end != part.c_str() + part.size()) wrong_type(name, "a list of numbers (\"a;b;c\")", value);
  return number;
}

}  // namespace

bool read_field(const nlohmann::json& row, const std::string& name, std::string* out) {
  const nlohmann::json* value = find_value(row, name);
  if (!value) return false;
  if (!value->is_string()) wrong_type(name, "text", *value);
  *out = value->get<std::string>();
  return true;
}

bool read_field(const nlohmann::json& row, const std::string& name, std::int64_t* out) {
  const nlohmann::json* value = find_value(row, name);
  if (!value) return false;
  if (value->is_number_integer()) {
    if (value->is_number_unsigned() && value->get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max())) {
      wrong_type(name, "a whole number that fits 64 bits", *value);
    }
    *out = value->get<std::int64_t>();
    return true;
  }
  if (value->is_number_float()) {
    const double number = value->get<double>();
    // 2^63 itself does not fit; every whole double below it does.
    if (std::isfinite(number) && number == std::floor(number) && std::fabs(number) < 9.2233720368547758e18) {
      *out = static_cast<std::int64_t>(number);
      return true;
    }
  }
  wrong_type(name, "a whole number", *value);
}

bool read_field(const nlohmann::json& row, const std::string& name, int* out) {
  std::int64_t wide = 0;
  if (!read_field(row, name, &wide)) return false;
  if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max()) {
    wrong_type(name, "a whole number that fits 32 bits", row.at(name));
  }
  *out = static_cast<int>(wide);
  return true;
}

bool read_field(const nlohmann::json& row, const std::string& name, double* out) {
  const nlohmann::json* value = find_value(row, name);
  if (!value) return false;
  if (!value->is_number()) wrong_type(name, "a number", *value);
  *out = value->get<double>();
  return true;
}

bool read_field(const nlohmann::json& row, const std::string& name, bool* out) {
  const nlohmann::json* value = find_value(row, name);
  if (!value) return false;
  if (value->is_boolean()) {
    *out = value->get<bool>();
    return true;
  }
  if (value->is_number_integer() && (value->get<std::int64_t>() == 0 || value->get<std::int64_t>() == 1)) {
    *out = value->get<std::int64_t>() == 1;
    return true;
  }
  wrong_type(name, "true or false", *value);
}

bool read_field(const nlohmann::json& row, const std::string& name, std::vector<double>* out) {
  const nlohmann::json* value = find_value(row, name);
  if (!value) return false;
  std::vector<double> numbers;
  if (value->is_array()) {
    for (const nlohmann::json& item : *value) {
      if (!item.is_number()) wrong_type(name, "a list of numbers", *value);
      numbers.push_back(item.get<double>());
    }
  } else if (value->is_string()) {
    const std::string text = value->get<std::string>();
    std::size_t start = 0;
    while (!text.empty() && start <= text.size()) {
      const std::size_t end = std::min(text.find(';', start), text.size());
      numbers.push_back(parse_list_number(name, text.substr(start, end - start), *value));
      start = end + 1;
    }
  } else {
    wrong_type(name, "a list of numbers", *value);
  }
  *out = std::move(numbers);
  return true;
}

}  // namespace trainbench::core
