#pragma once
// --db and --no-db for the commands that write to the results store (train,
// bench), and opening it so that a store that cannot be opened costs the
// user a warning, never the run.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "store/results_store.h"

namespace trainbench::cli {

struct StoreFlags {
  std::string db;  // empty: store::default_database_path()
  bool no_db = false;
};

void add_store_flags(CLI::App* cmd, StoreFlags* flags);

// The opened store; nullopt with --no-db, or (after a warning on stderr)
// when it cannot be opened.
std::optional<store::ResultsStore> open_store_for_writing(const StoreFlags& flags);

}  // namespace trainbench::cli
