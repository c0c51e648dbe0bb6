#include "store/results_store.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "core/error.h"
#include "core/provenance.h"
#include "core/text.h"
#include "store/postgres_database.h"
#include "store/sqlite_database.h"

namespace trainbench::store {
namespace {

namespace fs = std::filesystem;
using core::Column;
using core::ColumnType;

constexpr const char* kBenchTable = "bench_results";
constexpr const char* kTrainTable = "train_runs";
constexpr const char* kTelemetryTable = "telemetry_samples";
// A row's identity across stores: assigned once when the row is first stored
// and carried by bundles, so importing a row twice, or retrying an insert
// whose answer was lost, never stores it twice.
constexpr const char* kRowUid = "row_uid";

// ---- the schema: one definition, written in each database's dialect ----

// What a table stores (after its "id" column) and which of those columns
// `results` shows.
struct TableSchema {
  std::string name;
  std::vector<Column> stored;
  std::size_t shown = 0;  // the first `shown` stored columns
};

Column row_uid_column() { return {kRowUid, ColumnType::kText, "The row's identity in every store (32 hex digits)"}; }

const TableSchema& bench_schema() {
  static const TableSchema schema = [] {
    TableSchema s{kBenchTable, store::bench_columns(), store::bench_columns().size()};
    s.stored.push_back(row_uid_column());
    return s;
  }();
  return schema;
}

// The whole summary.json and config.json ride along, so nothing a run wrote
// is lost even where no column holds it; `results` leaves them out of its table.
const TableSchema& train_schema() {
  static const TableSchema schema = [] {
    TableSchema s{kTrainTable, train_columns(), train_columns().size()};
    s.stored.push_back(row_uid_column());
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

void create_table(SqlDatabase& db, const TableSchema& schema) {
  std::string sql = "CREATE TABLE IF NOT EXISTS " + quoted_name(schema.name) + " (" + db.id_column();
  for (const Column& column : schema.stored) sql += ", " + quoted_name(column.name) + " " + db.type_name(column.type);
  db.run(sql + ")");
}

bool has_column(SqlDatabase& db, const std::string& table, const std::string& column) {
  const std::vector<std::string> names = db.column_names(table);
  return std::find(names.begin(), names.end(), column) != names.end();
}

// Columns this build knows that the table lacks (a database written by an
// older trainbench, before a field was added).
std::vector<Column> missing_columns(SqlDatabase& db, const TableSchema& schema) {
  const std::vector<std::string> existing = db.column_names(schema.name);
  std::vector<Column> missing;
  if (existing.empty()) return missing;  // no table yet: a migration step creates it whole
  for (const Column& column : schema.stored) {
    if (std::find(existing.begin(), existing.end(), column.name) == existing.end()) missing.push_back(column);
  }
  return missing;
}

// Schema migrations, oldest first: step N takes a database at version N-1 to
// N. A released step never changes; a new field only needs a column in its
// schema (added below by ALTER TABLE), a new table or a changed type needs a step.
struct Migration {
  int version;
  void (*apply)(SqlDatabase&);
};

void create_tables(SqlDatabase& db) {
  create_table(db, bench_schema());
  create_table(db, train_schema());
}

// Version 2: telemetry samples of runs and bench tests, one JSON object each
// (telemetry/telemetry_sample.h), found by their owner's kind and id.
void create_telemetry_table(SqlDatabase& db) {
  db.run("CREATE TABLE IF NOT EXISTS " + quoted_name(kTelemetryTable) + " (" + db.id_column() +
         ", owner_kind TEXT NOT NULL, owner_id " + db.type_name(ColumnType::kInteger) + " NOT NULL, seconds " +
         db.type_name(ColumnType::kReal) + ", phase TEXT, sample_json TEXT NOT NULL)");
  db.run("CREATE INDEX IF NOT EXISTS telemetry_owner ON " + quoted_name(kTelemetryTable) + " (owner_kind, owner_id)");
}

// Version 3: every row gets a row_uid (rows stored before get a random one)
// and no two rows share one.
void add_row_uids(SqlDatabase& db) {
  for (const TableSchema* schema : {&bench_schema(), &train_schema()}) {
    const std::string table = quoted_name(schema->name);
    if (db.column_names(schema->name).empty()) create_table(db, *schema);  // an early file may lack one
    if (!has_column(db, schema->name, kRowUid)) {
      db.run("ALTER TABLE " + table + " ADD COLUMN " + quoted_name(kRowUid) + " TEXT");
    }
    db.run("UPDATE " + table + " SET " + quoted_name(kRowUid) + " = " + db.random_uid_expression() + " WHERE " +
           quoted_name(kRowUid) + " IS NULL");
    db.run("CREATE UNIQUE INDEX IF NOT EXISTS " + quoted_name(schema->name + "_row_uid") + " ON " + table + " (" +
           quoted_name(kRowUid) + ")");
  }
}

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> steps{{1, create_tables}, {2, create_telemetry_table}, {3, add_row_uids}};
  return steps;
}

}  // namespace

int newest_schema_version() { return migrations().back().version; }

namespace {

bool needs_migration(SqlDatabase& db) {
  return db.schema_version() < newest_schema_version() || !missing_columns(db, bench_schema()).empty() ||
         !missing_columns(db, train_schema()).empty();
}

void migrate(SqlDatabase& db) {
  if (!needs_migration(db)) return;  // the common case takes no write lock
  WriteTransaction transaction(db);
  db.lock_schema();
  // Another process may have migrated while this one waited for the lock.
  const int version = db.schema_version();
  if (version > newest_schema_version()) refuse_newer_schema(db.name(), version, newest_schema_version());
  for (const Migration& step : migrations()) {
    if (step.version > version) step.apply(db);
  }
  for (const TableSchema* schema : {&bench_schema(), &train_schema()}) {
    for (const Column& column : missing_columns(db, *schema)) {
      db.run("ALTER TABLE " + quoted_name(schema->name) + " ADD COLUMN " + quoted_name(column.name) + " " +
             db.type_name(column.type));
    }
  }
  if (version != newest_schema_version()) db.set_schema_version(newest_schema_version());
  transaction.commit();
}

// ---- values in and out ----

// A stored value as the column's type (the database gives integers, doubles
// and text; a bool is 0/1 and a list JSON text).
nlohmann::ordered_json read_value(const SqlValue& stored, ColumnType type) {
  if (stored.is_null()) return nullptr;
  switch (type) {
    case ColumnType::kBool: return stored.is_number() ? stored.get<double>() != 0 : stored == "1";
    case ColumnType::kInteger: return stored;  // an integer, or what an older file held there
    case ColumnType::kReal:
      if (stored.is_number()) return stored.get<double>();
      return stored;
    case ColumnType::kText: return stored.is_string() ? stored : nlohmann::ordered_json(stored.dump());
    case ColumnType::kRealList: {
      if (!stored.is_string()) return stored;
      nlohmann::ordered_json list = nlohmann::ordered_json::parse(stored.get<std::string>(), nullptr, false);
      return list.is_discarded() ? stored : list;
    }
  }
  return nullptr;
}

std::string column_list(const std::vector<Column>& columns) {
  std::vector<std::string> names;
  for (const Column& column : columns) names.push_back(quoted_name(column.name));
  return core::join(names, ", ");
}

// 128 random bits as 32 lowercase hex digits.
std::string new_row_uid() {
  static thread_local std::random_device source;
  std::string uid;
  for (int word = 0; word < 4; ++word) {
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(source()));
    uid += hex;
  }
  return uid;
}

// Stores one row (column name -> value; absent names are NULL) unless its
// row_uid is stored already: its new id, or nullopt when skipped.
std::optional<std::int64_t> insert_one(SqlDatabase& db, const TableSchema& schema, const core::Row& values) {
  std::string placeholders;
  std::vector<SqlValue> parameters;
  for (std::size_t i = 0; i < schema.stored.size(); ++i) {
    placeholders += (i ? ", $" : "$") + std::to_string(i + 1);
    const auto found = values.find(schema.stored[i].name);
    parameters.push_back(found == values.end() ? SqlValue() : *found);
  }
  const std::vector<SqlRow> returned =
      db.run("INSERT INTO " + quoted_name(schema.name) + " (" + column_list(schema.stored) + ") VALUES (" +
                 placeholders + ") ON CONFLICT (" + quoted_name(kRowUid) + ") DO NOTHING RETURNING id",
             parameters);
  if (returned.empty()) return std::nullopt;
  return returned[0][0].get<std::int64_t>();
}

std::int64_t id_of_row_uid(SqlDatabase& db, const TableSchema& schema, const std::string& uid) {
  const std::vector<SqlRow> rows =
      db.run("SELECT id FROM " + quoted_name(schema.name) + " WHERE " + quoted_name(kRowUid) + " = $1", {uid});
  if (rows.empty()) throw StoreError("results database " + db.name() + ": row " + uid + " vanished after its insert");
  return rows[0][0].get<std::int64_t>();
}

// Stores one new row in its own transaction, under a fresh row_uid, and
// returns its id. When the connection to a server breaks on the way, the
// insert is tried once more on a new one under the same row_uid: whether or
// not the first attempt's commit reached the server, the row is then stored
// exactly once.
std::int64_t insert_row(SqlDatabase& db, const TableSchema& schema, core::Row values) {
  values[kRowUid] = new_row_uid();
  const std::string uid = values[kRowUid];
  const auto attempt = [&] {
    WriteTransaction transaction(db);
    const std::optional<std::int64_t> id = insert_one(db, schema, values);
    transaction.commit();
    return id ? *id : id_of_row_uid(db, schema, uid);
  };
  try {
    return attempt();
  } catch (const StoreError&) {
    if (!db.connection_lost()) throw;
  }
  db.reconnect();
  return attempt();
}

// Whether a value may be stored in a column of this type (null always may).
bool fits_column(const nlohmann::ordered_json& value, ColumnType type) {
  if (value.is_null()) return true;
  switch (type) {
    case ColumnType::kBool: return value.is_boolean();
    case ColumnType::kInteger: return value.is_number_integer();
    case ColumnType::kReal: return value.is_number();
    case ColumnType::kText: return value.is_string();
    case ColumnType::kRealList:
      return value.is_array() &&
             std::all_of(value.begin(), value.end(), [](const nlohmann::ordered_json& x) { return x.is_number(); });
  }
  return false;
}

// The row with this id, keyed by column name, without its NULL columns (so a
// reader of an older database's row sees the defaults of fields it lacked).
std::optional<nlohmann::json> row_by_id(SqlDatabase& db, const TableSchema& schema, std::int64_t id) {
  const std::vector<SqlRow> rows =
      db.run("SELECT " + column_list(schema.stored) + " FROM " + quoted_name(schema.name) + " WHERE id = $1", {id});
  if (rows.empty()) return std::nullopt;
  nlohmann::json row = nlohmann::json::object();
  for (std::size_t i = 0; i < schema.stored.size(); ++i) {
    const nlohmann::ordered_json value = read_value(rows[0][i], schema.stored[i].type);
    if (!value.is_null()) row[schema.stored[i].name] = nlohmann::json::parse(value.dump());
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

// A filter's value as the column's type, so numbers compare as numbers.
SqlValue filter_value(const Filter& filter, ColumnType type) {
  const std::string& value = filter.value;
  if (filter.op == "~" || type == ColumnType::kText || type == ColumnType::kRealList) return value;
  if (type == ColumnType::kBool) {
    std::string lower = value;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    const bool is_true = lower == "true" || lower == "1" || lower == "yes";
    if (is_true || lower == "false" || lower == "0" || lower == "no") return is_true ? 1 : 0;
    throw UsageError("filter '" + filter_text(filter) + "': " + filter.column + " is true or false, not '" + value + "'");
  }
  if (const auto integer = parse_integer(value); integer && type == ColumnType::kInteger) return *integer;
  if (const auto number = parse_number(value)) return *number;
  throw UsageError("filter '" + filter_text(filter) + "': " + filter.column + " is a number, not '" + value + "'");
}

std::string filter_condition(const SqlDatabase& db, const Filter& filter, int index) {
  const std::string column = quoted_name(filter.column), parameter = "$" + std::to_string(index);
  // NULL counts as a value: "peak_tflops!=5" keeps rows without a peak.
  if (filter.op == "=") return db.same_value(column, parameter);
  if (filter.op == "!=") return db.other_value(column, parameter);
  if (filter.op == "~") return db.contains_text(column, parameter);
  return column + " " + filter.op + " " + parameter;
}

// The rows of a kind's table that pass the filters, as `columns` (stored
// columns or "id"), oldest first; limit > 0 keeps the newest `limit`.
std::vector<core::Row> select_rows(SqlDatabase& db, ResultKind kind, const std::vector<Column>& columns,
                                   const std::vector<Filter>& filters, int limit) {
  const TableSchema& schema = schema_of(kind);
  const std::vector<Column> filterable = shown_columns(schema);
  std::string sql = "SELECT " + column_list(columns) + " FROM " + quoted_name(schema.name);
  std::vector<SqlValue> parameters;
  for (const Filter& filter : filters) {
    const auto found = std::find_if(filterable.begin(), filterable.end(),
                                    [&](const Column& column) { return column.name == filter.column; });
    if (found == filterable.end()) {
      std::vector<std::string> names;
      for (const Column& column : filterable) names.push_back(column.name);
      throw UsageError("filter '" + filter_text(filter) + "': no column '" + filter.column + "'; " +
                       (kind == ResultKind::kBench ? "bench results" : "training runs") + " have " + core::join(names));
    }
    if (std::find(filter_operators().begin(), filter_operators().end(), filter.op) == filter_operators().end()) {
      throw UsageError("filter '" + filter_text(filter) + "': unknown operator '" + filter.op +
                       "' (use = != < > <= >= ~)");
    }
    parameters.push_back(filter_value(filter, found->type));
    sql += (parameters.size() == 1 ? " WHERE " : " AND ") +
           filter_condition(db, filter, static_cast<int>(parameters.size()));
  }
  sql += " ORDER BY id DESC";
  if (limit > 0) sql += " LIMIT " + std::to_string(limit);
  std::vector<core::Row> rows;
  for (const SqlRow& stored : db.run(sql, parameters)) {
    core::Row row = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < columns.size(); ++i) row[columns[i].name] = read_value(stored[i], columns[i].type);
    rows.push_back(std::move(row));
  }
  std::reverse(rows.begin(), rows.end());  // the newest `limit` were selected; give the oldest first
  return rows;
}

const char* owner_name(ResultKind kind) { return kind == ResultKind::kBench ? "bench" : "train"; }

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

const std::vector<Column>& stored_columns(ResultKind kind) { return schema_of(kind).stored; }

bool database_exists(const std::string& location) {
  std::error_code error;
  return is_server_location(location) || fs::exists(location, error);
}

ResultsStore ResultsStore::open(const std::string& location) {
  ResultsStore store(is_server_location(location) ? connect_postgres_database(location)
                                                  : open_sqlite_database(location, newest_schema_version()));
  const int version = store.db_->schema_version();
  if (version > newest_schema_version()) refuse_newer_schema(store.name(), version, newest_schema_version());
  migrate(*store.db_);
  return store;
}

ResultsStore::ResultsStore(std::unique_ptr<SqlDatabase> db) : db_(std::move(db)) {}
ResultsStore::~ResultsStore() = default;
ResultsStore::ResultsStore(ResultsStore&&) noexcept = default;
ResultsStore& ResultsStore::operator=(ResultsStore&&) noexcept = default;

const std::string& ResultsStore::name() const { return db_->name(); }

std::int64_t ResultsStore::insert_bench(const store::BenchRow& row) {
  return insert_row(*db_, bench_schema(), store::to_row(row));
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
  return insert_row(*db_, train_schema(), values);
}

void ResultsStore::insert_telemetry(ResultKind owner_kind, std::int64_t owner_id,
                                    const std::vector<telemetry::TelemetrySample>& samples) {
  // One transaction for all of them: a run's samples are stored whole or not at all.
  WriteTransaction transaction(*db_);
  for (const telemetry::TelemetrySample& sample : samples) {
    db_->run("INSERT INTO " + quoted_name(kTelemetryTable) +
                 " (owner_kind, owner_id, seconds, phase, sample_json) VALUES ($1, $2, $3, $4, $5)",
             {owner_name(owner_kind), owner_id, sample.seconds, sample.phase, telemetry::to_json(sample).dump()});
  }
  transaction.commit();
}

std::vector<telemetry::TelemetrySample> ResultsStore::telemetry_of(ResultKind owner_kind, std::int64_t owner_id) const {
  std::vector<telemetry::TelemetrySample> samples;
  for (const SqlRow& row : db_->run("SELECT sample_json FROM " + quoted_name(kTelemetryTable) +
                                        " WHERE owner_kind = $1 AND owner_id = $2 ORDER BY id",
                                    {owner_name(owner_kind), owner_id})) {
    try {
      samples.push_back(telemetry::telemetry_sample_from_json(nlohmann::json::parse(row.at(0).get<std::string>())));
    } catch (const nlohmann::json::exception& error) {
      throw StoreError("results database " + name() + ": a telemetry sample of " + owner_name(owner_kind) + ":" +
                       std::to_string(owner_id) + " is malformed: " + error.what());
    }
  }
  return samples;
}

core::Table ResultsStore::query(ResultKind kind, const std::vector<Filter>& filters, int limit) const {
  const TableSchema& schema = schema_of(kind);
  core::Table table{schema.name, shown_columns(schema), {}};
  table.rows = select_rows(*db_, kind, table.columns, filters, limit);
  return table;
}

std::vector<nlohmann::ordered_json> ResultsStore::export_rows(ResultKind kind, const std::vector<Filter>& filters) const {
  std::vector<core::Row> rows = select_rows(*db_, kind, stored_columns(kind), filters, 0);
  for (core::Row& row : rows) {
    for (auto item = row.begin(); item != row.end();) item = item->is_null() ? row.erase(item) : std::next(item);
  }
  return rows;
}

ImportCounts ResultsStore::import_rows(ResultKind kind, const std::vector<nlohmann::ordered_json>& rows) {
  const TableSchema& schema = schema_of(kind);
  // Every row is checked before the first is written: a bad one changes nothing.
  for (std::size_t index = 0; index < rows.size(); ++index) {
    const nlohmann::ordered_json& row = rows[index];
    const std::string where = "importing row " + std::to_string(index) + ": ";
    if (!row.is_object()) throw StoreError(where + "not an object");
    const auto uid = row.find(kRowUid);
    if (uid == row.end() || !uid->is_string() || uid->get_ref<const std::string&>().empty()) {
      throw StoreError(where + "it has no row_uid");
    }
    for (const auto& [name, value] : row.items()) {
      const auto column = std::find_if(schema.stored.begin(), schema.stored.end(),
                                       [&](const Column& c) { return c.name == name; });
      if (column == schema.stored.end()) throw StoreError(where + "no column '" + name + "' in " + schema.name);
      if (!fits_column(value, column->type)) {
        throw StoreError(where + "'" + name + "' does not fit its column's type: " + value.dump().substr(0, 80));
      }
    }
  }
  ImportCounts counts;
  WriteTransaction transaction(*db_);
  for (const nlohmann::ordered_json& row : rows) {
    if (insert_one(*db_, schema, row)) {
      ++counts.inserted;
    } else {
      ++counts.already_present;
    }
  }
  transaction.commit();
  return counts;
}

std::optional<store::BenchRow> ResultsStore::bench_by_id(std::int64_t id) const {
  const std::optional<nlohmann::json> row = row_by_id(*db_, bench_schema(), id);
  if (!row) return std::nullopt;
  return store::bench_row_from_json(*row);
}

std::optional<TrainRecord> ResultsStore::train_by_id(std::int64_t id) const {
  const std::optional<nlohmann::json> row = row_by_id(*db_, train_schema(), id);
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

int ResultsStore::schema_version() const { return db_->schema_version(); }

}  // namespace trainbench::store
