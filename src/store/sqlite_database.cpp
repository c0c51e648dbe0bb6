#include "store/sqlite_database.h"

#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

#include "core/error.h"

namespace trainbench::store {
namespace {

namespace fs = std::filesystem;

// Long enough that a writer never gives up while others insert (each insert
// holds the write lock for well under a millisecond), short enough that a
// stuck process is reported rather than waited on forever.
constexpr int kBusyTimeoutMs = 30000;

// Our SQL names parameters $1, $2, ...; SQLite reads "$1" as a parameter
// *named* "$1" and numbers them by first appearance, while ?1 is parameter 1.
// No statement of the store holds a '$' elsewhere (values are parameters).
std::string numbered_parameters(const std::string& sql) {
  std::string out = sql;
  for (char& c : out) {
    if (c == '$') c = '?';
  }
  return out;
}

class SqliteDatabase final : public SqlDatabase {
 public:
  SqliteDatabase(sqlite3* db, std::string path) : db_(db), name_(std::move(path)) {}
  ~SqliteDatabase() override { sqlite3_close_v2(db_); }

  const std::string& name() const override { return name_; }

  std::vector<SqlRow> run(const std::string& sql, const std::vector<SqlValue>& parameters) override {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_, numbered_parameters(sql).c_str(), -1, &raw, nullptr) != SQLITE_OK) {
      fail("preparing " + sql);
    }
    const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, sqlite3_finalize);
    for (std::size_t i = 0; i < parameters.size(); ++i) bind(raw, static_cast<int>(i + 1), parameters[i]);
    std::vector<SqlRow> rows;
    while (true) {
      const int code = sqlite3_step(raw);
      if (code == SQLITE_DONE) return rows;
      if (code != SQLITE_ROW) fail("running " + sql);
      SqlRow row;
      for (int column = 0; column < sqlite3_column_count(raw); ++column) row.push_back(value_at(raw, column));
      rows.push_back(std::move(row));
    }
  }

  // IMMEDIATE takes the write lock up front, waiting through busy_timeout, so
  // two writers never both read and then fail to upgrade.
  void begin_write() override { run("BEGIN IMMEDIATE", {}); }
  void commit() override { run("COMMIT", {}); }
  void rollback() noexcept override { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

  int schema_version() override { return static_cast<int>(run("PRAGMA user_version", {}).at(0).at(0).get<std::int64_t>()); }
  void set_schema_version(int version) override { run("PRAGMA user_version = " + std::to_string(version), {}); }

  std::vector<std::string> column_names(const std::string& table) override {
    std::vector<std::string> names;
    for (const SqlRow& row : run("SELECT name FROM pragma_table_info($1)", {table})) names.push_back(row.at(0));
    return names;
  }

  std::string type_name(core::ColumnType type) const override {
    switch (type) {
      case core::ColumnType::kInteger:
      case core::ColumnType::kBool: return "INTEGER";
      case core::ColumnType::kReal: return "REAL";
      case core::ColumnType::kText:
      case core::ColumnType::kRealList: return "TEXT";
    }
    return "TEXT";
  }
  std::string id_column() const override { return "id INTEGER PRIMARY KEY AUTOINCREMENT"; }
  std::string random_uid_expression() const override { return "lower(hex(randomblob(16)))"; }
  // IS, not IS [NOT] DISTINCT FROM: that needs SQLite 3.39, newer than some
  // systems a PyTorch wheel runs on.
  std::string same_value(const std::string& column, const std::string& parameter) const override {
    return column + " IS " + parameter;
  }
  std::string other_value(const std::string& column, const std::string& parameter) const override {
    return column + " IS NOT " + parameter;
  }
  std::string contains_text(const std::string& column, const std::string& parameter) const override {
    return "instr(lower(CAST(" + column + " AS TEXT)), lower(" + parameter + ")) > 0";
  }

  // Switching a fresh file to WAL needs a moment of exclusive access, which a
  // second process opening the same new file at the same instant can hold;
  // the switch is retried for as long as an insert would wait.
  void use_write_ahead_log() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
    while (true) {
      const int code = sqlite3_exec(db_, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
      if (code == SQLITE_OK) return;
      if ((code & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() > deadline) {
        fail("switching to write-ahead logging");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw StoreError("results database " + name_ + ": " + what + ": " + sqlite3_errmsg(db_));
  }

 private:
  static void bind(sqlite3_stmt* statement, int index, const SqlValue& value) {
    if (value.is_boolean()) {
      sqlite3_bind_int(statement, index, value.get<bool>() ? 1 : 0);
    } else if (value.is_number_integer()) {
      sqlite3_bind_int64(statement, index, value.get<std::int64_t>());
    } else if (value.is_number_float() && std::isfinite(value.get<double>())) {
      sqlite3_bind_double(statement, index, value.get<double>());
    } else if (value.is_string()) {
      const std::string& text = value.get_ref<const std::string&>();
      sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    } else if (value.is_array() || value.is_object()) {  // JSON text, whose numbers read back bit for bit
      const std::string text = value.dump();
      sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_null(statement, index);  // null, and a non-finite double
    }
  }

  static SqlValue value_at(sqlite3_stmt* statement, int column) {
    switch (sqlite3_column_type(statement, column)) {
      case SQLITE_INTEGER: return sqlite3_column_int64(statement, column);
      case SQLITE_FLOAT: return sqlite3_column_double(statement, column);
      case SQLITE_TEXT:
      case SQLITE_BLOB: {
        const auto* text = static_cast<const char*>(sqlite3_column_blob(statement, column));
        return std::string(text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(statement, column)));
      }
      default: return nullptr;
    }
  }

  sqlite3* db_;
  std::string name_;
};

}  // namespace

std::unique_ptr<SqlDatabase> open_sqlite_database(const std::string& path_text, int newest_version) {
  const fs::path path(path_text);
  std::error_code error;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), error);
  if (error) {
    throw StoreError("results database " + path_text + ": cannot create its folder " + path.parent_path().string() +
                     ": " + error.message());
  }
  sqlite3* raw = nullptr;
  const int code = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  auto database = std::make_unique<SqliteDatabase>(raw, path_text);  // closes the connection if anything below throws
  if (code != SQLITE_OK) {
    if (!raw) throw StoreError("results database " + path_text + ": opening: out of memory");
    database->fail("opening");
  }
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  // Checked before anything writes: a newer trainbench's file stays untouched
  // (switching to WAL alone would rewrite its header).
  const int version = database->schema_version();
  if (version > newest_version) refuse_newer_schema(path_text, version, newest_version);
  // WAL: readers never block the writer and a killed writer loses only its
  // unfinished transaction. NORMAL sync is safe against a killed process
  // (only a power cut can lose the last commits), and keeps inserts cheap.
  database->use_write_ahead_log();
  database->run("PRAGMA synchronous=NORMAL", {});
  return database;
}

}  // namespace trainbench::store
