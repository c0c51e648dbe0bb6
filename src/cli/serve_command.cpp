// `trainbench serve`: the results store as a read-only web page for a team
// comparing machines (src/serve/). Binds 127.0.0.1 unless --host says
// otherwise; Ctrl-C or SIGTERM stops it (exit 0).
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "serve/http_server.h"
#include "serve/results_site.h"
#include "store/results_store.h"

namespace trainbench::cli {
namespace {

namespace fs = std::filesystem;

struct ServeOptions {
  std::string db;  // empty: store::default_database_path()
  std::string host = "127.0.0.1";
  int port = 8080;
};

int run_serve(const ServeOptions& options) {
  const fs::path path = options.db.empty() ? store::default_database_path() : fs::path(options.db);
  // A read-only page must not create an empty database where --db is mistyped.
  if (!store::database_exists(path.string())) {
    throw UsageError("no results database at " + path.string() +
                     (options.db.empty() ? " (nothing has been stored yet: `trainbench bench` stores its rows there; "
                                           "--db FILE serves another)"
                                         : " (--db names a file that `bench` or `train` stored results in)"));
  }
  const store::ResultsStore results = store::ResultsStore::open(path);
  const std::string location = results.name();  // a server's URL without its password
  core::install_interrupt_handlers();
  serve::HttpServer server(options.host, options.port);
  std::printf("serving %s (read-only; Ctrl-C stops)\n", server.url().c_str());
  std::fflush(stdout);
  server.run(
      [&](const serve::HttpRequest& request) { return serve::answer_results_request(results, location, request); },
      [] { return core::interrupt_requested(); });
  std::fprintf(stderr, "stopped\n");
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Serve the results store as a read-only web page: the machines and devices in it, the bench rows with "
      "filters (model, device, precision, image size, batch size), the same test compared across machines with "
      "the ratio to the first, a bar chart of images/s per test, and the training runs; /rows.json gives the "
      "filtered bench rows as JSON. No JavaScript; GET and HEAD only. Binds 127.0.0.1 (this machine only) unless "
      "--host says otherwise; Ctrl-C stops it.");
  cmd->add_option("--db", options->db,
                  "Results database to show: a SQLite file, which must exist, or a postgresql:// URL (default: $TRAINBENCH_DB, else "
                  "$XDG_DATA_HOME/trainbench/results.db, else ~/.local/share/trainbench/results.db)");
  cmd->add_option("--host", options->host,
                  "Address to listen on: 127.0.0.1 for this machine only, 0.0.0.0 (or ::) for the network")
      ->capture_default_str();
  cmd->add_option("--port", options->port, "TCP port; 0 lets the system pick one (the first line printed says which)")
      ->capture_default_str()
      ->check(whole_number_in(0, 65535));
  cmd->callback([options, exit_code] { *exit_code = run_serve(*options); });
}

}  // namespace trainbench::cli
