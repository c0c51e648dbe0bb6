#pragma once
// One connection to the database a results store lives in, and the dialect of
// SQL it speaks. The store (results_store.cpp) writes its schema, migrations
// and queries once, against this interface; SQLite (the embedded default, a
// file) and PostgreSQL (a server many machines write to) each implement it.
//
// SQL passed to run() names its parameters $1, $2, ... in both dialects.
// Values go in and come out as JSON scalars: null, an integer, a double or a
// string (a bool is stored as the integer 0 or 1, a non-finite double as null,
// so both databases hold the same values).
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "core/table.h"

namespace trainbench::store {

using SqlValue = nlohmann::ordered_json;
using SqlRow = std::vector<SqlValue>;

class SqlDatabase {
 public:
  virtual ~SqlDatabase() = default;

  // What messages call the database: the file's path, or the server's URL
  // without its password.
  virtual const std::string& name() const = 0;

  // Runs one statement and returns the rows it gives (none for most writes).
  // Throws StoreError naming the database, the statement and the reason.
  virtual std::vector<SqlRow> run(const std::string& sql, const std::vector<SqlValue>& parameters = {}) = 0;

  // A transaction that takes the write lock at once: migrations and inserts
  // of several processes then queue instead of failing half way. In
  // PostgreSQL the schema changes also queue behind one advisory lock, since
  // two sessions creating the same table at once fail there.
  virtual void begin_write() = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
  // Inside a write transaction that changes the schema: waits until no other
  // session is changing it.
  virtual void lock_schema() {}

  // Whether the connection to a server broke (the server restarted, or
  // killed our session). A file database never loses it.
  virtual bool connection_lost() const { return false; }
  // Connects again after connection_lost(); throws StoreError when it cannot.
  virtual void reconnect() {}

  // ---- the dialect ----
  // The schema version the database holds (0 for a new one) and setting it.
  virtual int schema_version() = 0;
  virtual void set_schema_version(int version) = 0;
  // The columns a table has; empty when there is no such table.
  virtual std::vector<std::string> column_names(const std::string& table) = 0;
  // The column type for values of this kind, and the "id" column's definition.
  virtual std::string type_name(core::ColumnType type) const = 0;
  virtual std::string id_column() const = 0;
  // An SQL expression giving 32 random lowercase hex digits (new per row).
  virtual std::string random_uid_expression() const = 0;
  // Conditions that treat NULL as a value: column = parameter, and !=.
  virtual std::string same_value(const std::string& column, const std::string& parameter) const = 0;
  virtual std::string other_value(const std::string& column, const std::string& parameter) const = 0;
  // A condition true when `column` contains `parameter` as text, any case.
  virtual std::string contains_text(const std::string& column, const std::string& parameter) const = 0;
};

// Runs begin_write() and rolls back on the way out unless commit() was called,
// so an exception leaves the database as it was.
class WriteTransaction {
 public:
  explicit WriteTransaction(SqlDatabase& database) : database_(database) { database_.begin_write(); }
  ~WriteTransaction() {
    if (!committed_) database_.rollback();
  }
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  void commit() {
    database_.commit();
    committed_ = true;
  }

 private:
  SqlDatabase& database_;
  bool committed_ = false;
};

// Whether a --db value names a PostgreSQL server (postgresql:// or
// postgres://) rather than a SQLite file.
bool is_server_location(const std::string& location);

// The StoreError for a database whose schema is newer than this build's.
[[noreturn]] void refuse_newer_schema(const std::string& name, int version, int newest_version);

// Double-quoted, so a name that is also an SQL keyword still works.
std::string quoted_name(const std::string& name);

}  // namespace trainbench::store
