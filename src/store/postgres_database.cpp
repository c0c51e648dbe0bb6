#include "store/postgres_database.h"

#include <libpq-fe.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/error.h"

namespace trainbench::store {
namespace {

// PostgreSQL's type ids (pg_type.oid) of the values the store reads and binds.
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;

// Any constant: every trainbench session that changes the schema takes this
// advisory lock first, so two migrating at once queue instead of failing on
// "duplicate key value violates unique constraint pg_type_typname_nsp_index".
constexpr long long kSchemaLock = 0x7472626e63680001LL;  // "trbnch" + 1

constexpr const char* kVersionTable = "trainbench_schema_version";

class PostgresDatabase final : public SqlDatabase {
 public:
  PostgresDatabase(std::string url) : url_(std::move(url)), name_(url_without_password(url_)) { connect(); }
  ~PostgresDatabase() override { PQfinish(connection_); }

  const std::string& name() const override { return name_; }

  // A statement outside a transaction only reads (every write of the store
  // runs in one), so when the server dropped the session since the last
  // statement, it runs again on a new connection: `serve` keeps answering
  // after the server restarts. Inside a transaction the caller decides.
  std::vector<SqlRow> run(const std::string& sql, const std::vector<SqlValue>& parameters) override {
    if (in_transaction_) return run_once(sql, parameters);
    try {
      return run_once(sql, parameters);
    } catch (const StoreError&) {
      if (!connection_lost()) throw;
    }
    reconnect();
    return run_once(sql, parameters);
  }

  std::vector<SqlRow> run_once(const std::string& sql, const std::vector<SqlValue>& parameters) {
    // Every value goes as text; numbers with their type named, so "$1"
    // compares with a BIGINT or DOUBLE PRECISION column as a number and a
    // filter's 1.5 meets an integer column without "invalid input syntax
    // for type bigint".
    std::vector<std::string> texts(parameters.size());
    std::vector<const char*> values(parameters.size(), nullptr);
    // 0: a string or a null takes the type the statement gives it.
    std::vector<Oid> types(parameters.size(), 0);
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      const SqlValue& value = parameters[i];
      if (value.is_boolean()) {
        texts[i] = value.get<bool>() ? "1" : "0";
        types[i] = kInt8Oid;
      } else if (value.is_number_integer()) {
        texts[i] = std::to_string(value.get<std::int64_t>());
        types[i] = kInt8Oid;
      } else if (value.is_number_float()) {
        if (!std::isfinite(value.get<double>())) continue;  // null, as SQLite stores it
        char digits[32];
        std::snprintf(digits, sizeof digits, "%.17g", value.get<double>());  // round-trips exactly
        texts[i] = digits;
        types[i] = kFloat8Oid;
      } else if (value.is_string()) {
        texts[i] = value.get<std::string>();
      } else if (value.is_array() || value.is_object()) {
        texts[i] = value.dump();
      } else {
        continue;  // null
      }
      values[i] = texts[i].c_str();
    }
    const std::unique_ptr<PGresult, void (*)(PGresult*)> result(
        PQexecParams(connection_, sql.c_str(), static_cast<int>(parameters.size()), types.data(), values.data(),
                     nullptr, nullptr, 0),
        PQclear);
    const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const char* reason = result ? PQresultErrorMessage(result.get()) : PQerrorMessage(connection_);
      fail("running " + sql, reason);
    }
    std::vector<SqlRow> rows;
    const int columns = PQnfields(result.get());
    for (int row_index = 0; row_index < PQntuples(result.get()); ++row_index) {
      SqlRow row;
      for (int column = 0; column < columns; ++column) row.push_back(value_at(result.get(), row_index, column));
      rows.push_back(std::move(row));
    }
    return rows;
  }

  void begin_write() override {
    run("BEGIN", {});
    in_transaction_ = true;
  }
  void commit() override {
    in_transaction_ = false;
    run_once("COMMIT", {});
  }
  void rollback() noexcept override {
    in_transaction_ = false;
    if (PQstatus(connection_) != CONNECTION_OK) return;
    PGresult* result = PQexec(connection_, "ROLLBACK");
    PQclear(result);
  }

  bool connection_lost() const override { return PQstatus(connection_) != CONNECTION_OK; }
  void reconnect() override {
    PQfinish(connection_);
    connection_ = nullptr;
    connect();
  }

  int schema_version() override {
    if (column_names(kVersionTable).empty()) return 0;
    const std::vector<SqlRow> rows = run(std::string("SELECT max(version) FROM ") + kVersionTable, {});
    return rows.empty() || rows[0][0].is_null() ? 0 : static_cast<int>(rows[0][0].get<std::int64_t>());
  }
  void set_schema_version(int version) override {
    run(std::string("CREATE TABLE IF NOT EXISTS ") + kVersionTable + " (version BIGINT NOT NULL)", {});
    run(std::string("DELETE FROM ") + kVersionTable, {});
    run(std::string("INSERT INTO ") + kVersionTable + " (version) VALUES ($1)", {version});
  }
  // Schema changes queue behind one advisory lock, held to the end of the
  // transaction; plain inserts need no lock beyond their own rows.
  void lock_schema() override { run("SELECT pg_advisory_xact_lock($1)", {kSchemaLock}); }

  std::vector<std::string> column_names(const std::string& table) override {
    std::vector<std::string> names;
    for (const SqlRow& row : run("SELECT column_name::text FROM information_schema.columns "
                                 "WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                                 {table})) {
      names.push_back(row.at(0));
    }
    return names;
  }

  std::string type_name(core::ColumnType type) const override {
    switch (type) {
      case core::ColumnType::kInteger:
      case core::ColumnType::kBool: return "BIGINT";  // bool as 0/1, as in SQLite
      case core::ColumnType::kReal: return "DOUBLE PRECISION";
      case core::ColumnType::kText:
      case core::ColumnType::kRealList: return "TEXT";
    }
    return "TEXT";
  }
  std::string id_column() const override { return "id BIGSERIAL PRIMARY KEY"; }
  std::string random_uid_expression() const override {
    return "md5(random()::text || clock_timestamp()::text || id::text)";
  }
  std::string same_value(const std::string& column, const std::string& parameter) const override {
    return column + " IS NOT DISTINCT FROM " + parameter;
  }
  std::string other_value(const std::string& column, const std::string& parameter) const override {
    return column + " IS DISTINCT FROM " + parameter;
  }
  std::string contains_text(const std::string& column, const std::string& parameter) const override {
    return "strpos(lower(CAST(" + column + " AS TEXT)), lower(" + parameter + ")) > 0";
  }

 private:
  void connect() {
    connection_ = PQconnectdb(url_.c_str());
    if (!connection_) throw StoreError("results database " + name_ + ": cannot connect: out of memory");
    if (PQstatus(connection_) != CONNECTION_OK) {
      // Freed here: a constructor that throws never reaches the destructor.
      const std::string reason = PQerrorMessage(connection_);
      PQfinish(connection_);
      connection_ = nullptr;
      fail("cannot connect", reason.c_str());
    }
    // Notices ("relation already exists, skipping") are not the user's concern.
    PQsetNoticeProcessor(connection_, [](void*, const char*) {}, nullptr);
  }

  static SqlValue value_at(const PGresult* result, int row, int column) {
    if (PQgetisnull(result, row, column)) return nullptr;
    const std::string text(PQgetvalue(result, row, column), static_cast<std::size_t>(PQgetlength(result, row, column)));
    switch (PQftype(result, column)) {
      case kInt2Oid:
      case kInt4Oid:
      case kInt8Oid: return std::strtoll(text.c_str(), nullptr, 10);
      case kFloat4Oid:
      case kFloat8Oid: return std::strtod(text.c_str(), nullptr);  // the shortest text that round-trips (PostgreSQL 12+)
      case kBoolOid: return text == "t" ? 1 : 0;
      default: return text;
    }
  }

  [[noreturn]] void fail(const std::string& what, const char* reason) const {
    // libpq's messages run over several lines ("...failed: No such file or
    // directory\n\tIs the server running locally..."): one line here.
    std::string message;
    for (const char* c = reason ? reason : ""; *c; ++c) {
      const bool space = *c == '\n' || *c == '\t' || *c == ' ';
      if (!space) {
        message += *c;
      } else if (!message.empty() && message.back() != ' ') {
        message += ' ';
      }
    }
    while (!message.empty() && message.back() == ' ') message.pop_back();
    throw StoreError("results database " + name_ + ": " + what + ": " + message);
  }

  std::string url_;
  std::string name_;
  PGconn* connection_ = nullptr;
  bool in_transaction_ = false;
};

}  // namespace

std::string url_without_password(const std::string& url) {
  std::string out = url;
  // scheme://user:password@host...: the password sits between the first ':'
  // after the scheme and the '@' that ends the user part.
  const std::size_t scheme_end = out.find("://");
  if (scheme_end == std::string::npos) return out;
  const std::size_t user_start = scheme_end + 3;
  const std::size_t at = out.find('@', user_start);
  const std::size_t slash = out.find('/', user_start);
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
    const std::size_t colon = out.find(':', user_start);
    if (colon != std::string::npos && colon < at) out = out.substr(0, colon + 1) + "***" + out.substr(at);
  }
  // ...?password=secret&...: libpq takes it as a query parameter too.
  for (std::size_t key = out.find("password="); key != std::string::npos; key = out.find("password=", key + 1)) {
    if (key == 0 || (out[key - 1] != '?' && out[key - 1] != '&')) continue;
    const std::size_t value = key + 9, end = out.find('&', value);
    out = out.substr(0, value) + "***" + (end == std::string::npos ? "" : out.substr(end));
  }
  return out;
}

std::unique_ptr<SqlDatabase> connect_postgres_database(const std::string& url) {
  return std::make_unique<PostgresDatabase>(url);
}

}  // namespace trainbench::store
