#pragma once
// One field table per record type: each field of a struct named once, with
// its JSON key, its column type (which follows the member's C++ type, so the
// table and the struct cannot disagree on it), a one-line description, and
// the keys earlier versions wrote for it. The writer, the reader and the
// column list of a file or a table all walk the same table: bench rows
// (store/bench_row.cpp), and each file of a run folder (train/run_record.h).
//
// Reading keeps the record's value for a key that is absent or null (so a
// file from an earlier version loads with the defaults its reader chose), and
// throws UsageError naming the key when a value has the wrong type.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/table.h"

namespace trainbench::core {

template <typename Record>
struct Field {
  Column column;
  std::vector<std::string> former_names;  // keys an earlier version wrote for this field
  std::function<nlohmann::ordered_json(const Record&)> write;
  std::function<void(const nlohmann::json&, Record&)> read;  // from the record's JSON object
};

namespace field_detail {

template <typename T>
struct TypeOf;
template <>
struct TypeOf<std::string> {
  static constexpr ColumnType kType = ColumnType::kText;
};
template <>
struct TypeOf<std::filesystem::path> {
  static constexpr ColumnType kType = ColumnType::kText;
};
template <>
struct TypeOf<int> {
  static constexpr ColumnType kType = ColumnType::kInteger;
};
template <>
struct TypeOf<std::int64_t> {
  static constexpr ColumnType kType = ColumnType::kInteger;
};
template <>
struct TypeOf<std::uint64_t> {
  static constexpr ColumnType kType = ColumnType::kInteger;
};
template <>
struct TypeOf<bool> {
  static constexpr ColumnType kType = ColumnType::kBool;
};
template <>
struct TypeOf<double> {
  static constexpr ColumnType kType = ColumnType::kReal;
};
template <>
struct TypeOf<std::vector<double>> {
  static constexpr ColumnType kType = ColumnType::kRealList;
};
template <typename T>
struct TypeOf<std::optional<T>> {
  static constexpr ColumnType kType = TypeOf<T>::kType;
};

template <typename T>
nlohmann::ordered_json value_of(const T& value) {
  return value;
}
inline nlohmann::ordered_json value_of(const std::filesystem::path& value) { return value.string(); }
template <typename T>
nlohmann::ordered_json value_of(const std::optional<T>& value) {
  return value ? value_of(*value) : nlohmann::ordered_json(nullptr);
}

inline bool read_value(const nlohmann::json& row, const std::string& name, std::filesystem::path* out) {
  std::string text;
  if (!read_field(row, name, &text)) return false;
  *out = text;
  return true;
}
inline bool read_value(const nlohmann::json& row, const std::string& name, std::uint64_t* out) {
  std::int64_t value = 0;
  if (!read_field(row, name, &value)) return false;
  if (value < 0) throw UsageError("field '" + name + "' must not be negative");
  *out = static_cast<std::uint64_t>(value);
  return true;
}
template <typename T>
bool read_value(const nlohmann::json& row, const std::string& name, T* out) {
  return read_field(row, name, out);
}
template <typename T>
bool read_value(const nlohmann::json& row, const std::string& name, std::optional<T>* out) {
  T value{};
  if (read_value(row, name, &value)) {
    *out = value;
    return true;
  }
  if (row.contains(name)) *out = std::nullopt;  // an explicit null
  return false;
}

// The key the object holds for this field: its name, else a former name.
inline std::string present_key(const nlohmann::json& row, const std::string& name,
                               const std::vector<std::string>& former_names) {
  if (row.contains(name)) return name;
  for (const std::string& former : former_names) {
    if (row.contains(former)) return former;
  }
  return name;
}

}  // namespace field_detail

// A field backed by a member; `former_names` are read when `name` is absent.
template <typename Record, typename T>
Field<Record> field(const std::string& name, T Record::*member, const std::string& description,
                    std::vector<std::string> former_names = {}) {
  Field<Record> f;
  f.column = Column{name, field_detail::TypeOf<T>::kType, description};
  f.former_names = former_names;
  f.write = [member](const Record& record) { return field_detail::value_of(record.*member); };
  f.read = [member, name, former_names](const nlohmann::json& json, Record& record) {
    field_detail::read_value(json, field_detail::present_key(json, name, former_names), &(record.*member));
  };
  return f;
}

// A field whose JSON form is not a plain column (a nested object, a list of
// records): written and read by the given functions.
template <typename Record>
Field<Record> custom_field(const std::string& name, ColumnType type, const std::string& description,
                           std::function<nlohmann::ordered_json(const Record&)> write,
                           std::function<void(const nlohmann::json& value, Record&)> read) {
  Field<Record> f;
  f.column = Column{name, type, description};
  f.write = std::move(write);
  f.read = [name, read = std::move(read)](const nlohmann::json& json, Record& record) {
    if (json.contains(name) && !json[name].is_null()) read(json[name], record);
  };
  return f;
}

template <typename Record>
nlohmann::ordered_json write_fields(const std::vector<Field<Record>>& fields, const Record& record) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const Field<Record>& f : fields) out[f.column.name] = f.write(record);
  return out;
}

// Reads every field the object holds into `record` (others keep their value).
template <typename Record>
void read_fields(const std::vector<Field<Record>>& fields, const nlohmann::json& json, Record* record) {
  for (const Field<Record>& f : fields) f.read(json, *record);
}

template <typename Record>
std::vector<Column> columns_of(const std::vector<Field<Record>>& fields) {
  std::vector<Column> columns;
  for (const Field<Record>& f : fields) columns.push_back(f.column);
  return columns;
}

}  // namespace trainbench::core
