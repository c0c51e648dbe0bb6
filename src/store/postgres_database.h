#pragma once
// The results store's database on a PostgreSQL server, through libpq: the
// store a team's machines all write to. A one-row table
// trainbench_schema_version holds the schema version.
#include <memory>
#include <string>

#include "store/sql_database.h"

namespace trainbench::store {

// Connects to a postgresql:// URL (libpq's own syntax: user, password, host,
// port, database, and ?host=/socket/folder for a Unix socket). A server that
// is down or refuses the credentials is a StoreError naming the URL without
// its password.
std::unique_ptr<SqlDatabase> connect_postgres_database(const std::string& url);

// The URL with any password replaced by "***", for messages.
std::string url_without_password(const std::string& url);

}  // namespace trainbench::store
