#pragma once
// The results store's database as a SQLite file: the embedded default, one
// file per machine. WAL journaling and a busy timeout let several processes
// write at once without losing rows; PRAGMA user_version holds the schema
// version.
#include <memory>
#include <string>

#include "store/sql_database.h"

namespace trainbench::store {

// Opens the file (creating it and its folder when missing) in WAL mode.
// A file of a schema version newer than `newest_version` is refused before
// anything is written to it (switching to WAL would rewrite its header).
std::unique_ptr<SqlDatabase> open_sqlite_database(const std::string& path, int newest_version);

}  // namespace trainbench::store
