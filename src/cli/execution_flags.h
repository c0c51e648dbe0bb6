#pragma once
// The flags train, eval and predict share for how a model runs: --device,
// --amp, --channels-last / --no-channels-last, with one wording everywhere.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace trainbench::cli {

// Binds the flags to the given variables. `amp_default` says in --help what
// the command does without --amp.
void add_execution_flags(CLI::App* cmd, std::string* device, std::string* amp, std::optional<bool>* channels_last,
                         const std::string& amp_default);

}  // namespace trainbench::cli
