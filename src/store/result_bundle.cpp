#include "store/result_bundle.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <unordered_set>

#include "core/error.h"
#include "core/text.h"

namespace trainbench::store {
namespace {

using core::Column;
using core::ColumnType;
using Json = nlohmann::ordered_json;

std::string bundle_size_text(std::size_t bytes) {
  if (bytes >= (std::size_t(1) << 20) && bytes % (std::size_t(1) << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (std::size_t(1) << 10) && bytes % (std::size_t(1) << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

// A value as it appears in the file, cut short for a message.
std::string quoted_value(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

// Walks JSON text without building anything, and stops at the first string
// (or key) longer than max_string, the first container deeper than
// max_depth: what passes can be parsed into a DOM without exhausting the stack or memory.
class BoundedJsonCheck {
 public:
  BoundedJsonCheck(std::size_t max_string, int max_depth) : max_string_(max_string), max_depth_(max_depth) {}

  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(Json::number_integer_t) { return true; }
  bool number_unsigned(Json::number_unsigned_t) { return true; }
  bool number_float(Json::number_float_t, const Json::string_t&) { return true; }  // 1e999: the lexer's overflow error
  bool string(Json::string_t& value) { return fits(value); }
  bool binary(Json::binary_t&) { return true; }
  bool key(Json::string_t& value) { return fits(value); }
  bool start_object(std::size_t) { return deeper(); }
  bool end_object() { return shallower(); }
  bool start_array(std::size_t) { return deeper(); }
  bool end_array() { return shallower(); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::json::exception& error) {
    std::string what = error.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 5: ..." without the bracketed id.
    if (const auto end = what.find("] "); what.rfind("[json.exception.", 0) == 0 && end != std::string::npos) {
      what = what.substr(end + 2);
    }
    problem = "not JSON: " + what;
    truncated = position >= text_size;
    return false;
  }

  std::string problem;
  bool truncated = false;
  std::size_t text_size = 0;

 private:
  bool fits(const std::string& value) {
    if (value.size() <= max_string_) return true;
    problem = "a string of " + std::to_string(value.size()) + " bytes (\"" + value.substr(0, 20) +
              "...\"), over the " + bundle_size_text(max_string_) + " limit";
    return false;
  }
  bool deeper() {
    if (++depth_ <= max_depth_) return true;
    problem = "nested deeper than " + std::to_string(max_depth_) + " levels";
    return false;
  }
  bool shallower() {
    --depth_;
    return true;
  }

  std::size_t max_string_;
  int max_depth_;
  int depth_ = 0;
};

// Parses text whose size, strings and depth are first checked by
// BoundedJsonCheck; throws UsageError(`what` + the problem) when they fail.
Json bounded_parse(const std::string& text, std::size_t max_string, int max_depth, const std::string& what) {
  BoundedJsonCheck check(max_string, max_depth);
  check.text_size = text.size();
  if (!Json::sax_parse(text, &check)) {
    throw UsageError(what + check.problem + (check.truncated ? " (is the file cut short?)" : ""));
  }
  return Json::parse(text);
}

[[noreturn]] void refuse_bundle(const std::string& where, const std::string& problem) {
  throw UsageError(where + ": " + problem);
}

// A positive whole number no newer than `newest`.
int version_field(const Json& whole, const std::string& key, int newest, const std::string& name,
                  const std::string& newer_hint) {
  const auto it = whole.find(key);
  if (it == whole.end()) refuse_bundle(name, "missing \"" + key + "\"");
  if (!it->is_number_integer() || it->get<std::int64_t>() < 1 ||
      (it->is_number_unsigned() && it->get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max()))) {
    refuse_bundle(name, "\"" + key + "\" must be a positive whole number, not " + it->type_name() + " " + quoted_value(*it));
  }
  const std::int64_t version = it->get<std::int64_t>();
  if (version > newest) {
    refuse_bundle(name, "\"" + key + "\" is " + std::to_string(version) + ", newer than this build of trainbench reads (" +
                     std::to_string(newest) + "): " + newer_hint);
  }
  return static_cast<int>(version);
}

const Json& required_field(const Json& object, const std::string& key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) refuse_bundle(where, "missing \"" + key + "\"");
  return *it;
}

std::string text_field(const Json& object, const std::string& key, const std::string& where, std::size_t max_bytes) {
  const Json& value = required_field(object, key, where);
  if (!value.is_string()) refuse_bundle(where, "\"" + key + "\" must be text, not " + value.type_name() + " " + quoted_value(value));
  const std::string& text = value.get_ref<const std::string&>();
  if (text.size() > max_bytes) {
    refuse_bundle(where, "\"" + key + "\" is " + std::to_string(text.size()) + " bytes long, over the " + bundle_size_text(max_bytes) +
                      " limit");
  }
  return text;
}

void refuse_unknown_keys(const Json& object, const std::vector<std::string>& known, const std::string& where) {
  for (const auto& item : object.items()) {
    bool found = false;
    for (const std::string& key : known) found = found || key == item.key();
    if (!found) refuse_bundle(where, "unknown field " + quoted_value(Json(item.key())) + " (known: " + core::join(known) + ")");
  }
}

bool is_row_uid(const std::string& text) {
  if (text.size() != 32) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool is_document_column(const std::string& name) { return name == "summary_json" || name == "config_json"; }

// One value of a stored column, checked and in the form import_rows takes.
Json checked_value(const Column& column, const Json& value, const std::string& where, const BundleLimits& limits) {
  const auto wrong = [&](const std::string& wanted) -> Json {
    refuse_bundle(where, "field \"" + column.name + "\" must be " + wanted + ", not " + value.type_name() + " " + quoted_value(value));
  };
  switch (column.type) {
    case ColumnType::kText: {
      if (!value.is_string()) return wrong("text");
      const std::string& text = value.get_ref<const std::string&>();
      const std::size_t limit = is_document_column(column.name) ? limits.max_document_bytes : limits.max_text_bytes;
      if (text.size() > limit) {
        refuse_bundle(where, "field \"" + column.name + "\" is " + std::to_string(text.size()) + " bytes long, over the " +
                          bundle_size_text(limit) + " limit");
      }
      if (text.find('\0') != std::string::npos) refuse_bundle(where, "field \"" + column.name + "\" holds a NUL character");
      return value;
    }
    case ColumnType::kInteger:
      if (!value.is_number_integer() ||
          (value.is_number_unsigned() &&
           value.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max()))) {
        return wrong("a whole number that fits 64 bits");
      }
      return value.get<std::int64_t>();
    case ColumnType::kReal:
      if (!value.is_number()) return wrong("a number");
      return value.get<double>();
    case ColumnType::kBool:
      if (!value.is_boolean()) return wrong("true or false");
      return value;
    case ColumnType::kRealList: {
      if (!value.is_array()) return wrong("a list of numbers");
      if (value.size() > limits.max_list_values) {
        refuse_bundle(where, "field \"" + column.name + "\" has " + std::to_string(value.size()) + " values, over the limit of " +
                          std::to_string(limits.max_list_values));
      }
      Json list = Json::array();
      for (const Json& number : value) {
        if (!number.is_number()) return wrong("a list of numbers");
        list.push_back(number.get<double>());
      }
      return list;
    }
  }
  return wrong("a known type");
}

// summary_json and config_json hold the run's files as JSON text: they must
// parse (within the document limits) to an object (config: or null).
void check_document(const Json& row, const std::string& column, bool null_allowed, const std::string& where,
                    const BundleLimits& limits) {
  const auto it = row.find(column);
  if (it == row.end()) return;
  const Json document = bounded_parse(it->get_ref<const std::string&>(), limits.max_document_bytes,
                                      limits.max_document_depth, where + ": field \"" + column + "\" is ");
  if (!document.is_object() && !(null_allowed && document.is_null())) {
    refuse_bundle(where, "field \"" + column + "\" must hold a JSON object, not " + document.type_name());
  }
}

std::vector<Json> checked_rows(const Json& rows, const std::string& kind, const std::vector<Column>& columns,
                               const std::vector<std::string>& required, const std::string& name,
                               const BundleLimits& limits) {
  if (!rows.is_array()) refuse_bundle(name, "\"" + kind + "\" must be a list of rows, not " + rows.type_name());
  if (rows.size() > limits.max_rows) {
    refuse_bundle(name, "\"" + kind + "\" has " + std::to_string(rows.size()) + " rows, over the limit of " +
                     std::to_string(limits.max_rows));
  }
  std::map<std::string, const Column*> by_name;
  for (const Column& column : columns) by_name[column.name] = &column;
  const std::string kind_words = kind == "bench" ? "bench rows" : "training runs";

  std::vector<Json> out;
  out.reserve(rows.size());
  std::unordered_set<std::string> uids;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string where = name + ": " + kind + "[" + std::to_string(i) + "]";
    const Json& row = rows[i];
    if (!row.is_object()) refuse_bundle(where, "must be a row (an object of column: value), not " + std::string(row.type_name()));
    Json checked = Json::object();
    for (const auto& item : row.items()) {
      const auto column = by_name.find(item.key());
      if (column == by_name.end()) {
        const std::string why = item.key() == "id" ? "ids belong to one store; a bundle's rows are known by row_uid"
                                                   : "this build stores no such column for " + kind_words +
                                                         " (a newer trainbench's, or a mistyped file)";
        refuse_bundle(where, "unknown field " + quoted_value(Json(item.key())) + " (" + why + ")");
      }
      if (item.value().is_null()) continue;  // NULL: as if absent
      checked[item.key()] = checked_value(*column->second, item.value(), where, limits);
    }
    for (const std::string& column : required) {
      if (!checked.contains(column)) refuse_bundle(where, "missing required field \"" + column + "\"");
    }
    const std::string& uid = checked.at("row_uid").get_ref<const std::string&>();
    if (!is_row_uid(uid)) refuse_bundle(where, "row_uid " + quoted_value(uid) + " is not 32 lowercase hexadecimal digits");
    if (!uids.insert(uid).second) refuse_bundle(where, "row_uid " + uid + " appears twice in \"" + kind + "\"");
    if (kind == "train") {
      check_document(checked, "summary_json", false, where, limits);
      check_document(checked, "config_json", true, where, limits);
    }
    out.push_back(std::move(checked));
  }
  return out;
}

}  // namespace

const std::vector<std::string>& required_bench_columns() {
  static const std::vector<std::string> columns{"row_uid", "mode", "model", "device", "images_per_sec"};
  return columns;
}

const std::vector<std::string>& required_train_columns() {
  static const std::vector<std::string> columns{"row_uid", "model", "summary_json"};
  return columns;
}

std::string serialize_result_bundle(const ResultBundle& bundle) {
  Json out = Json::object();
  out["format"] = kBundleFormat;
  out["bundle_version"] = kBundleVersion;
  out["schema_version"] = bundle.schema_version;
  out["exported_at"] = bundle.exported_at;
  out["exported_from"] = {{"hostname", bundle.exported_from.hostname},
                          {"trainbench_version", bundle.exported_from.trainbench_version},
                          {"git_commit", bundle.exported_from.git_commit}};
  out["bench"] = bundle.bench;
  out["train"] = bundle.train;
  try {
    return out.dump(2) + "\n";
  } catch (const Json::type_error& error) {  // text that is not UTF-8 (a run folder's name, say)
    throw StoreError(std::string("cannot write the bundle: a stored value is not valid UTF-8 (") + error.what() + ")");
  }
}

ResultBundle parse_result_bundle(const std::string& text, const BundleSchema& schema, const std::string& name,
                                 const BundleLimits& limits) {
  if (text.size() > limits.max_file_bytes) {
    refuse_bundle(name, std::to_string(text.size()) + " bytes, over the " + bundle_size_text(limits.max_file_bytes) +
                     " a results bundle may be");
  }
  const Json whole = bounded_parse(text, limits.max_document_bytes, limits.max_depth, name + ": ");
  const auto format = whole.is_object() ? whole.find("format") : whole.end();
  if (!whole.is_object() || format == whole.end() || *format != kBundleFormat) {
    refuse_bundle(name, std::string("not a trainbench results bundle (no \"format\": \"") + kBundleFormat + "\")");
  }
  ResultBundle bundle;
  version_field(whole, "bundle_version", kBundleVersion, name, "a newer trainbench wrote it; update this one");
  bundle.schema_version = version_field(whole, "schema_version", schema.schema_version, name,
                                        "its rows have columns this build does not store; update trainbench");
  refuse_unknown_keys(whole, {"format", "bundle_version", "schema_version", "exported_at", "exported_from", "bench", "train"},
                      name);
  bundle.exported_at = text_field(whole, "exported_at", name, limits.max_text_bytes);
  const Json& origin = required_field(whole, "exported_from", name);
  const std::string origin_where = name + ": exported_from";
  if (!origin.is_object()) refuse_bundle(origin_where, std::string("must be an object, not ") + origin.type_name());
  refuse_unknown_keys(origin, {"hostname", "trainbench_version", "git_commit"}, origin_where);
  bundle.exported_from.hostname = text_field(origin, "hostname", origin_where, limits.max_text_bytes);
  bundle.exported_from.trainbench_version = text_field(origin, "trainbench_version", origin_where, limits.max_text_bytes);
  bundle.exported_from.git_commit = text_field(origin, "git_commit", origin_where, limits.max_text_bytes);
  bundle.bench = checked_rows(required_field(whole, "bench", name), "bench", schema.bench, required_bench_columns(), name,
                              limits);
  bundle.train = checked_rows(required_field(whole, "train", name), "train", schema.train, required_train_columns(), name,
                              limits);
  return bundle;
}

ResultBundle read_result_bundle(const std::filesystem::path& path, const BundleSchema& schema, const BundleLimits& limits) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot read " + path.string() + ": " + std::strerror(errno));
  // Read at most one byte past the limit: a larger file is refused unread.
  std::string text;
  char buffer[1 << 16];
  while (text.size() <= limits.max_file_bytes && in.read(buffer, sizeof buffer).gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw UsageError("cannot read " + path.string() + ": " + std::strerror(errno));
  if (text.size() > limits.max_file_bytes) {
    throw UsageError(path.string() + ": larger than the " + bundle_size_text(limits.max_file_bytes) +
                     " a results bundle may be");
  }
  return parse_result_bundle(text, schema, path.string(), limits);
}

}  // namespace trainbench::store
