#include "store/results_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <set>
#include <thread>

#include "core/provenance.h"
#include "core/error.h"
#include "core/text.h"

namespace trainbench::store {
namespace {

namespace fs = std::filesystem;
using core::Column;
using core::ColumnType;

// Long enough that a writer never gives up while others insert (each insert
// holds the write lock for well under a millisecond), short enough that a
// stuck process is reported rather than waited on forever.
constexpr int kBusyTimeoutMs = 30000;

constexpr const char* kBenchTable = "bench_results";
constexpr const char* kTrainTable = "train_runs";
constexpr const char* kTelemetryTable = "telemetry_samples";

[[noreturn]] void fail(sqlite3* db, const fs::path& path, const std::string& what) {
  const std::string reason = db ? sqlite3_errmsg(db) : "out of memory";
  throw StoreError("results database " + path.string() + ": " + what + ": " + reason);
}

// Column names come from our own schema, never from a user; quoting them
// anyway keeps a future name that is also an SQL keyword working.
std::string quoted(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

const char* sql_type(ColumnType type) {
  switch (type) {
    case ColumnType::kInteger:
    case ColumnType::kBool: return "INTEGER";  // bool as 0/1
    case ColumnType::kReal: return "REAL";
    case ColumnType::kText:
    case ColumnType::kRealList: return "TEXT";  // list as JSON text: exact doubles, and json_each() reads it
  }
  return "TEXT";
}

// A prepared statement that finalizes itself.
class Statement {
 public:
  Statement(sqlite3* db, const fs::path& path, const std::string& sql) : db_(db), path_(path) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement_, nullptr) != SQLITE_OK) fail(db, path, "preparing " + sql);
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3_stmt* get() const { return statement_; }
  // True while there is a row to read.
  bool step() {
    const int code = sqlite3_step(statement_);
    if (code == SQLITE_ROW) return true;
    if (code == SQLITE_DONE) return false;
    fail(db_, path_, "running " + std::string(sqlite3_sql(statement_)));
  }

 private:
  sqlite3* db_;
  const fs::path& path_;
  sqlite3_stmt* statement_ = nullptr;
};

void execute(sqlite3* db, const fs::path& path, const std::string& sql) {
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) fail(db, path, "running " + sql);
}

int user_version(sqlite3* db, const fs::path& path) {
  Statement statement(db, path, "PRAGMA user_version");
  return statement.step() ? sqlite3_column_int(statement.get(), 0) : 0;
}

// One transaction that rolls back unless committed (an exception on the way
// leaves the file as it was).
class WriteTransaction {
 public:
  // IMMEDIATE takes the write lock up front, waiting through busy_timeout, so
  // two writers never both read and then fail to upgrade.
  WriteTransaction(sqlite3* db, const fs::path& path) : db_(db), path_(path) { execute(db, path, "BEGIN IMMEDIATE"); }
  ~WriteTransaction() {
    if (!committed_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    execute(db_, path_, "COMMIT");
    committed_ = true;
  }

 private:
  sqlite3* db_;
  const fs::path& path_;
  bool committed_ = false;
};

// ---- the schema ----

// What a table stores (after its "id" column) and which of those columns
// `results` shows.
struct TableSchema {
  std::string name;
  std::vector<Column> stored;
  std::size_t shown = 0;  // the first `shown` stored columns
};

const TableSchema& bench_schema() {
  static const TableSchema schema{kBenchTable, store::bench_columns(), store::bench_columns().size()};
  return schema;
}

// The whole summary.json and config.json ride along, so nothing a run wrote
// is lost even where no column holds it; `results` leaves them out of its table.
const TableSchema& train_schema() {
  static const TableSchema schema = [] {
    TableSchema s{kTrainTable, train_columns(), train_columns().size()};
    s.stored.push_back({"summary_json", ColumnType::kText, "summary.json of the run, whole"});
    s.stored.push_back({"config_json", ColumnType::kText, "config.json of the run, whole"});
    return s;
  }();
  return schema;
}

const TableSchema& schema_of(ResultKind kind) { return kind == ResultKind::kBench ? bench_schema() : train_schema(); }

std::vector<Column> shown_columns(const TableSchema& schema) {
  std::vector<Column> columns{{"id", ColumnType::kInteger, "Row number in the results database"}};
  columns.insert(columns.end(), schema.stored.begin(), schema.stored.begin() + static_cast<std::ptrdiff_t>(schema.shown));
  return columns;
}

void create_table(sqlite3* db, const fs::path& path, const TableSchema& schema) {
  std::string sql = "CREATE TABLE IF NOT EXISTS " + quoted(schema.name) + " (id INTEGER PRIMARY KEY AUTOINCREMENT";
  for (const Column& column : schema.stored) sql += ", " + quoted(column.name) + " " + sql_type(column.type);
  execute(db, path, sql + ")");
}

std::set<std::string> existing_columns(sqlite3* db, const fs::path& path, const std::string& table) {
  Statement statement(db, path, "PRAGMA table_info(" + quoted(table) + ")");
  std::set<std::string> names;
  while (statement.step()) names.insert(reinterpret_cast<const char*>(sqlite3_column_text(statement.get(), 1)));
  return names;
}

// Columns this build knows that the file's table lacks (a file written by an
// older trainbench, before a field was added).
std::vector<Column> missing_columns(sqlite3* db, const fs::path& path, const TableSchema& schema) {
  const std::set<std::string> existing = existing_columns(db, path, schema.name);
  std::vector<Column> missing;
  if (existing.empty()) return missing;  // no table yet: a migration step creates it whole
  for (const Column& column : schema.stored) {
    if (!existing.count(column.name)) missing.push_back(column);
  }
  return missing;
}

// Schema migrations, oldest first: step N takes a file at version N-1 to N.
// A released step never changes; a new field only needs a column in its
// schema (added below by ALTER TABLE), a new table or a changed type needs a step.
struct Migration {
  int version;
  void (*apply)(sqlite3*, const fs::path&);
};

void create_tables(sqlite3* db, const fs::path& path) {
  create_table(db, path, bench_schema());
  create_table(db, path, train_schema());
}

// Version 2: telemetry samples of runs and bench tests, one JSON object each
// (telemetry/telemetry_sample.h), found by their owner's kind and id.
void create_telemetry_table(sqlite3* db, const fs::path& path) {
  execute(db, path,
          "CREATE TABLE IF NOT EXISTS " + quoted(kTelemetryTable) +
              " (id INTEGER PRIMARY KEY AUTOINCREMENT, owner_kind TEXT NOT NULL, owner_id INTEGER NOT NULL, "
              "seconds REAL, phase TEXT, sample_json TEXT NOT NULL)");
  execute(db, path,
          "CREATE INDEX IF NOT EXISTS telemetry_owner ON " + quoted(kTelemetryTable) + " (owner_kind, owner_id)");
}

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> steps{{1, create_tables}, {2, create_telemetry_table}};
  return steps;
}

int newest_schema_version() { return migrations().back().version; }

[[noreturn]] void refuse_newer(const fs::path& path, int version) {
  throw StoreError("results database " + path.string() + " has schema version " + std::to_string(version) +
                   " but this trainbench knows versions up to " + std::to_string(newest_schema_version()) +
                   ": it was written by a newer trainbench; use that one (the file was left unchanged)");
}

bool needs_migration(sqlite3* db, const fs::path& path) {
  return user_version(db, path) < newest_schema_version() || !missing_columns(db, path, bench_schema()).empty() ||
         !missing_columns(db, path, train_schema()).empty();
}

void migrate(sqlite3* db, const fs::path& path) {
  if (!needs_migration(db, path)) return;  // the common case takes no write lock
  WriteTransaction transaction(db, path);
  // Another process may have migrated while this one waited for the lock.
  const int version = user_version(db, path);
  if (version > newest_schema_version()) refuse_newer(path, version);
  for (const Migration& step : migrations()) {
    if (step.version > version) step.apply(db, path);
  }
  for (const TableSchema* schema : {&bench_schema(), &train_schema()}) {
    for (const Column& column : missing_columns(db, path, *schema)) {
      execute(db, path,
              "ALTER TABLE " + quoted(schema->name) + " ADD COLUMN " + quoted(column.name) + " " + sql_type(column.type));
    }
  }
  if (version != newest_schema_version()) {
    execute(db, path, "PRAGMA user_version = " + std::to_string(newest_schema_version()));
  }
  transaction.commit();
}

// Switching a fresh file to WAL needs a moment of exclusive access, which a
// second process opening the same new file at the same instant can hold; the
// switch is retried for as long as an insert would wait.
void use_write_ahead_log(sqlite3* db, const fs::path& path) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  while (true) {
    const int code = sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (code == SQLITE_OK) return;
    if ((code & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() > deadline) {
      fail(db, path, "switching to write-ahead logging");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// ---- values in and out ----

void bind_value(sqlite3_stmt* statement, int index, const nlohmann::ordered_json& value) {
  switch (value.type()) {
    case nlohmann::ordered_json::value_t::null:
    case nlohmann::ordered_json::value_t::discarded: sqlite3_bind_null(statement, index); break;
    case nlohmann::ordered_json::value_t::boolean: sqlite3_bind_int(statement, index, value.get<bool>() ? 1 : 0); break;
    case nlohmann::ordered_json::value_t::number_integer:
    case nlohmann::ordered_json::value_t::number_unsigned:
      sqlite3_bind_int64(statement, index, value.get<std::int64_t>());
      break;
    case nlohmann::ordered_json::value_t::number_float:  // NaN becomes NULL (SQLite has no NaN)
      sqlite3_bind_double(statement, index, value.get<double>());
      break;
    case nlohmann::ordered_json::value_t::string: {
      const std::string& text = value.get_ref<const std::string&>();
      sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
      break;
    }
    default: {  // arrays (sample lists) and objects: JSON text, whose numbers read back bit for bit
      const std::string text = value.dump();
      sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    }
  }
}

std::string text_at(sqlite3_stmt* statement, int index) {
  const unsigned char* text = sqlite3_column_text(statement, index);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(sqlite3_column_bytes(statement, index)))
              : std::string();
}

nlohmann::ordered_json read_value(sqlite3_stmt* statement, int index, ColumnType type) {
  const int stored = sqlite3_column_type(statement, index);
  if (stored == SQLITE_NULL) return nullptr;
  switch (type) {
    case ColumnType::kBool: return sqlite3_column_int64(statement, index) != 0;
    case ColumnType::kInteger:
      if (stored == SQLITE_INTEGER) return sqlite3_column_int64(statement, index);
      if (stored == SQLITE_FLOAT) return sqlite3_column_double(statement, index);
      return text_at(statement, index);
    case ColumnType::kReal: return sqlite3_column_double(statement, index);
    case ColumnType::kText: return text_at(statement, index);
    case ColumnType::kRealList: {
      nlohmann::ordered_json list = nlohmann::ordered_json::parse(text_at(statement, index), nullptr, false);
      return list.is_discarded() ? nlohmann::ordered_json(text_at(statement, index)) : list;
    }
  }
  return nullptr;
}

std::string column_list(const std::vector<Column>& columns) {
  std::vector<std::string> names;
  for (const Column& column : columns) names.push_back(quoted(column.name));
  return core::join(names, ", ");
}

// Inserts one row (column name -> value; absent names are NULL) in its own
// transaction and returns its id.
std::int64_t insert_row(sqlite3* db, const fs::path& path, const TableSchema& schema, const core::Row& values) {
  std::string placeholders;
  for (std::size_t i = 0; i < schema.stored.size(); ++i) placeholders += (i ? ", ?" : "?") + std::to_string(i + 1);
  Statement statement(db, path,
                      "INSERT INTO " + quoted(schema.name) + " (" + column_list(schema.stored) + ") VALUES (" +
                          placeholders + ")");
  for (std::size_t i = 0; i < schema.stored.size(); ++i) {
    const auto found = values.find(schema.stored[i].name);
    bind_value(statement.get(), static_cast<int>(i + 1), found == values.end() ? nlohmann::ordered_json() : *found);
  }
  WriteTransaction transaction(db, path);
  statement.step();
  const std::int64_t id = sqlite3_last_insert_rowid(db);
  transaction.commit();
  return id;
}

// The row with this id, keyed by column name, without its NULL columns (so a
// reader of an older file's row sees the defaults of fields it lacked).
std::optional<nlohmann::json> row_by_id(sqlite3* db, const fs::path& path, const std::string& table,
                                        const std::vector<Column>& columns, std::int64_t id) {
  Statement statement(db, path, "SELECT " + column_list(columns) + " FROM " + quoted(table) + " WHERE id = ?1");
  sqlite3_bind_int64(statement.get(), 1, id);
  if (!statement.step()) return std::nullopt;
  nlohmann::json row = nlohmann::json::object();
  for (std::size_t i = 0; i < columns.size(); ++i) {
    nlohmann::ordered_json value = read_value(statement.get(), static_cast<int>(i), columns[i].type);
    if (!value.is_null()) row[columns[i].name] = nlohmann::json::parse(value.dump());
  }
  return row;
}

// ---- filters ----

const std::vector<std::string>& filter_operators() {
  // Two-character operators first, so "<=" is not read as "<" then "=value".
  static const std::vector<std::string> operators{"!=", "<=", ">=", "=", "<", ">", "~"};
  return operators;
}

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::optional<double> parse_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (*end != '\0' || errno == ERANGE) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_integer(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return std::nullopt;
  return value;
}

std::string filter_text(const Filter& filter) { return filter.column + filter.op + filter.value; }

// Binds a filter's value as the column's type, so numbers compare as numbers.
void bind_filter_value(sqlite3_stmt* statement, int index, const Filter& filter, ColumnType type) {
  const std::string& value = filter.value;
  if (filter.op == "~" || type == ColumnType::kText || type == ColumnType::kRealList) {
    sqlite3_bind_text(statement, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    return;
  }
  if (type == ColumnType::kBool) {
    std::string lower = value;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    const bool is_true = lower == "true" || lower == "1" || lower == "yes";
    if (is_true || lower == "false" || lower == "0" || lower == "no") {
      sqlite3_bind_int(statement, index, is_true ? 1 : 0);
      return;
    }
    throw UsageError("filter '" + filter_text(filter) + "': " + filter.column + " is true or false, not '" + value + "'");
  }
  if (const auto integer = parse_integer(value); integer && type == ColumnType::kInteger) {
    sqlite3_bind_int64(statement, index, *integer);
    return;
  }
  if (const auto number = parse_number(value)) {
    sqlite3_bind_double(statement, index, *number);
    return;
  }
  throw UsageError("filter '" + filter_text(filter) + "': " + filter.column + " is a number, not '" + value + "'");
}

std::string filter_condition(const Filter& filter, int index) {
  const std::string column = quoted(filter.column), placeholder = "?" + std::to_string(index);
  // IS / IS NOT treat NULL as a value: "peak_tflops!=5" keeps rows without a peak.
  if (filter.op == "=") return column + " IS " + placeholder;
  if (filter.op == "!=") return column + " IS NOT " + placeholder;
  if (filter.op == "~") return "instr(lower(CAST(" + column + " AS TEXT)), lower(" + placeholder + ")) > 0";
  return column + " " + filter.op + " " + placeholder;
}

}  // namespace

// ---- public ----

fs::path default_database_path() {
  if (const char* explicit_path = std::getenv("TRAINBENCH_DB"); explicit_path && *explicit_path) return explicit_path;
  // XDG: a relative XDG_DATA_HOME is invalid and ignored.
  if (const char* data_home = std::getenv("XDG_DATA_HOME"); data_home && *data_home == '/') {
    return fs::path(data_home) / "trainbench" / "results.db";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return fs::path(home) / ".local" / "share" / "trainbench" / "results.db";
  }
  throw StoreError("no place for the results database: neither TRAINBENCH_DB, XDG_DATA_HOME nor HOME is set "
                   "(set TRAINBENCH_DB=FILE or pass --db FILE)");
}

Filter parse_filter(const std::string& text) {
  const std::string usage = "bad filter '" + text +
                            "': expected COLUMN OP VALUE with OP one of = != < > <= >= ~ (substring), "
                            "e.g. amp=bf16, images_per_sec>100, device_name~H100";
  std::size_t end_of_name = 0;
  while (end_of_name < text.size() &&
         (std::isalnum(static_cast<unsigned char>(text[end_of_name])) || text[end_of_name] == '_' || text[end_of_name] == ' ')) {
    ++end_of_name;
  }
  Filter filter;
  filter.column = trimmed(text.substr(0, end_of_name));
  if (filter.column.empty() || filter.column.find(' ') != std::string::npos) throw UsageError(usage);
  for (const std::string& op : filter_operators()) {
    if (text.compare(end_of_name, op.size(), op) == 0) {
      filter.op = op;
      filter.value = trimmed(text.substr(end_of_name + op.size()));
      return filter;
    }
  }
  throw UsageError(usage);
}

const std::vector<Column>& train_columns() {
  static const std::vector<Column> columns = [] {
    std::vector<Column> out{
        {"stored_at", ColumnType::kText, "When the run was stored (UTC)"},
        {"run_dir", ColumnType::kText, "The run folder (absolute path)"},
        {"model", ColumnType::kText, "Architecture"},
        {"device", ColumnType::kText, "Device the run trained on"},
        {"device_name", ColumnType::kText, "GPU name or CPU model"},
        {"amp", ColumnType::kText, "Mixed precision: off, bf16, fp16"},
        {"channels_last", ColumnType::kBool, "Channels-last memory format"},
        {"image_size", ColumnType::kInteger, "Square input size (pixels)"},
        {"batch_size", ColumnType::kInteger, "Images per batch"},
        {"epochs", ColumnType::kInteger, "Epochs started"},
        {"steps", ColumnType::kInteger, "Optimizer steps taken"},
        {"train_images", ColumnType::kInteger, "Training images used per epoch (unreadable files left out)"},
        {"train_images_per_sec", ColumnType::kReal, "Images per second over the training passes"},
        {"first_epoch_images_per_sec", ColumnType::kReal, "Images per second over the first epoch"},
        {"data_wait_fraction", ColumnType::kReal, "Share of training time spent waiting for a batch"},
        {"train_loss", ColumnType::kReal, "Mean batch loss of the last training pass"},
        {"val_loss", ColumnType::kReal, "Loss of the last evaluation"},
        {"val_accuracy", ColumnType::kReal, "Accuracy of the last evaluation"},
        {"best_val_loss", ColumnType::kReal, "Lowest validation loss"},
        {"wall_seconds", ColumnType::kReal, "Wall time of the run"},
        {"interrupted", ColumnType::kBool, "The run was stopped before its last epoch"},
    };
    // The provenance columns, as bench rows end with them (one schema for
    // both), except device_name, which is already above.
    for (const Column& column : core::provenance_columns()) {
      if (column.name != "device_name") out.push_back(column);
    }
    return out;
  }();
  return columns;
}

ResultsStore ResultsStore::open(const fs::path& path) {
  std::error_code error;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), error);
  if (error) {
    throw StoreError("results database " + path.string() + ": cannot create its folder " +
                     path.parent_path().string() + ": " + error.message());
  }
  sqlite3* raw = nullptr;
  const int code = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  ResultsStore store(raw, path);  // closes the connection if anything below throws
  if (code != SQLITE_OK) fail(raw, path, "opening");
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  // Checked before anything writes: a newer trainbench's file stays untouched
  // (switching to WAL alone would rewrite its header).
  const int version = user_version(raw, path);
  if (version > newest_schema_version()) refuse_newer(path, version);
  // WAL: readers never block the writer and a killed writer loses only its
  // unfinished transaction. NORMAL sync is safe against a killed process
  // (only a power cut can lose the last commits), and keeps inserts cheap.
  use_write_ahead_log(raw, path);
  execute(raw, path, "PRAGMA synchronous=NORMAL");
  migrate(raw, path);
  return store;
}

ResultsStore::ResultsStore(sqlite3* db, fs::path path) : db_(db), path_(std::move(path)) {}

ResultsStore::~ResultsStore() { sqlite3_close_v2(db_); }

ResultsStore::ResultsStore(ResultsStore&& other) noexcept : db_(other.db_), path_(std::move(other.path_)) {
  other.db_ = nullptr;
}

ResultsStore& ResultsStore::operator=(ResultsStore&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = other.db_;
    path_ = std::move(other.path_);
    other.db_ = nullptr;
  }
  return *this;
}

std::int64_t ResultsStore::insert_bench(const store::BenchRow& row) {
  return insert_row(db_, path_, bench_schema(), store::to_row(row));
}

std::int64_t ResultsStore::insert_train(const TrainRecord& record) {
  // The columns carry summary.json's own names (its field table, train/run_summary.cpp).
  const nlohmann::ordered_json provenance = core::to_json(record.provenance);
  core::Row values = nlohmann::ordered_json::object();
  for (const Column& column : train_columns()) {
    if (record.summary.is_object() && record.summary.contains(column.name)) {
      values[column.name] = record.summary[column.name];
    }
  }
  for (const auto& [name, value] : provenance.items()) {
    // device_name is both a summary and a provenance field: the provenance
    // one (measured the same way as for bench rows) wins when it is known.
    if (name == "device_name" && value.is_string() && value.get_ref<const std::string&>().empty() &&
        values.contains(name)) {
      continue;
    }
    values[name] = value;
  }
  values["stored_at"] = core::utc_timestamp_now();
  values["run_dir"] = record.run_dir;
  values["summary_json"] = record.summary.dump();
  values["config_json"] = record.config.dump();
  return insert_row(db_, path_, train_schema(), values);
}

void ResultsStore::insert_telemetry(ResultKind owner_kind, std::int64_t owner_id,
                                    const std::vector<telemetry::TelemetrySample>& samples) {
  Statement statement(db_, path_,
                      "INSERT INTO " + quoted(kTelemetryTable) +
                          " (owner_kind, owner_id, seconds, phase, sample_json) VALUES (?1, ?2, ?3, ?4, ?5)");
  const std::string kind = owner_kind == ResultKind::kBench ? "bench" : "train";
  // One transaction for all of them: a run's samples are stored whole or not at all.
  WriteTransaction transaction(db_, path_);
  for (const telemetry::TelemetrySample& sample : samples) {
    const std::string json = telemetry::to_json(sample).dump();
    sqlite3_reset(statement.get());
    sqlite3_bind_text(statement.get(), 1, kind.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(statement.get(), 2, owner_id);
    sqlite3_bind_double(statement.get(), 3, sample.seconds);
    sqlite3_bind_text(statement.get(), 4, sample.phase.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(statement.get(), 5, json.c_str(), -1, SQLITE_TRANSIENT);
    statement.step();
  }
  transaction.commit();
}

std::vector<telemetry::TelemetrySample> ResultsStore::telemetry_of(ResultKind owner_kind, std::int64_t owner_id) const {
  Statement statement(db_, path_,
                      "SELECT sample_json FROM " + quoted(kTelemetryTable) +
                          " WHERE owner_kind = ?1 AND owner_id = ?2 ORDER BY id");
  const std::string kind = owner_kind == ResultKind::kBench ? "bench" : "train";
  sqlite3_bind_text(statement.get(), 1, kind.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(statement.get(), 2, owner_id);
  std::vector<telemetry::TelemetrySample> samples;
  while (statement.step()) {
    const char* text = reinterpret_cast<const char*>(sqlite3_column_text(statement.get(), 0));
    try {
      samples.push_back(telemetry::telemetry_sample_from_json(nlohmann::json::parse(text ? text : "")));
    } catch (const nlohmann::json::exception& error) {
      throw StoreError("results database " + path_.string() + ": a telemetry sample of " + kind + ":" +
                       std::to_string(owner_id) + " is malformed: " + error.what());
    }
  }
  return samples;
}

core::Table ResultsStore::query(ResultKind kind, const std::vector<Filter>& filters, int limit) const {
  const TableSchema& schema = schema_of(kind);
  core::Table table{schema.name, shown_columns(schema), {}};
  std::vector<ColumnType> filter_types;
  for (const Filter& filter : filters) {
    const auto found = std::find_if(table.columns.begin(), table.columns.end(),
                                    [&](const Column& column) { return column.name == filter.column; });
    if (found == table.columns.end()) {
      std::vector<std::string> names;
      for (const Column& column : table.columns) names.push_back(column.name);
      throw UsageError("filter '" + filter_text(filter) + "': no column '" + filter.column + "'; " +
                       (kind == ResultKind::kBench ? "bench results" : "training runs") + " have " + core::join(names));
    }
    if (std::find(filter_operators().begin(), filter_operators().end(), filter.op) == filter_operators().end()) {
      throw UsageError("filter '" + filter_text(filter) + "': unknown operator '" + filter.op +
                       "' (use = != < > <= >= ~)");
    }
    filter_types.push_back(found->type);
  }
  std::string sql = "SELECT " + column_list(table.columns) + " FROM " + quoted(schema.name);
  for (std::size_t i = 0; i < filters.size(); ++i) {
    sql += (i ? " AND " : " WHERE ") + filter_condition(filters[i], static_cast<int>(i + 1));
  }
  sql += " ORDER BY id DESC";
  if (limit > 0) sql += " LIMIT " + std::to_string(limit);
  Statement statement(db_, path_, sql);
  for (std::size_t i = 0; i < filters.size(); ++i) {
    bind_filter_value(statement.get(), static_cast<int>(i + 1), filters[i], filter_types[i]);
  }
  while (statement.step()) {
    core::Row row = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      row[table.columns[i].name] = read_value(statement.get(), static_cast<int>(i), table.columns[i].type);
    }
    table.rows.push_back(std::move(row));
  }
  std::reverse(table.rows.begin(), table.rows.end());  // newest `limit` were selected; print oldest first
  return table;
}

std::optional<store::BenchRow> ResultsStore::bench_by_id(std::int64_t id) const {
  const std::optional<nlohmann::json> row = row_by_id(db_, path_, kBenchTable, bench_schema().stored, id);
  if (!row) return std::nullopt;
  return store::bench_row_from_json(*row);
}

std::optional<TrainRecord> ResultsStore::train_by_id(std::int64_t id) const {
  const std::optional<nlohmann::json> row = row_by_id(db_, path_, kTrainTable, train_schema().stored, id);
  if (!row) return std::nullopt;
  TrainRecord record;
  record.run_dir = row->value("run_dir", "");
  const auto parse_stored = [&](const char* column) {
    return row->contains(column) ? nlohmann::ordered_json::parse(row->at(column).get<std::string>())
                                 : nlohmann::ordered_json();
  };
  record.summary = parse_stored("summary_json");
  record.config = parse_stored("config_json");
  record.provenance = core::provenance_from_json(*row);  // reads its own columns, ignores the rest
  return record;
}

int ResultsStore::schema_version() const { return user_version(db_, path_); }

}  // namespace trainbench::store
