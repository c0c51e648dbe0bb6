#include "cli/store_flags.h"

#include <cstdio>

#include "core/error.h"

namespace trainbench::cli {

void add_store_flags(CLI::App* cmd, StoreFlags* flags) {
  cmd->add_option("--db", flags->db,
                  "Results database to add to: a SQLite file, or a postgresql://user@host/db URL that several "
                  "machines write to (default: $TRAINBENCH_DB, else $XDG_DATA_HOME or ~/.local/share, "
                  "/trainbench/results.db); list it with `trainbench results`");
  cmd->add_flag("--no-db", flags->no_db, "Do not store the results");
}

std::optional<store::ResultsStore> open_store_for_writing(const StoreFlags& flags) {
  if (flags.no_db) return std::nullopt;
  const std::filesystem::path path = flags.db.empty() ? store::default_database_path() : std::filesystem::path(flags.db);
  try {
    return store::ResultsStore::open(path);
  } catch (const Error& error) {
    std::fprintf(stderr, "trainbench: warning: results not stored: %s\n", error.what());
    return std::nullopt;
  }
}

}  // namespace trainbench::cli
