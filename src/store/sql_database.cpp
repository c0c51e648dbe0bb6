#include "store/sql_database.h"

#include "core/error.h"
#include "store/postgres_database.h"
#include "store/sqlite_database.h"

namespace trainbench::store {

bool is_server_location(const std::string& location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

void refuse_newer_schema(const std::string& name, int version, int newest_version) {
  throw StoreError("results database " + name + " has schema version " + std::to_string(version) +
                   " but this trainbench knows versions up to " + std::to_string(newest_version) +
                   ": it was written by a newer trainbench; use that one (the database was left unchanged)");
}

std::string quoted_name(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace trainbench::store
