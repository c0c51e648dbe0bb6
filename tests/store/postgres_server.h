#pragma once
// A throwaway PostgreSQL server for the store tests: initdb in a temporary
// folder, started on its own Unix socket in that folder (no TCP port, so no
// port can clash), one fresh database per test, stopped and deleted when the
// test process exits. PostgreSQL refuses to run as root: as root the server
// runs as the `postgres` user, who owns the folder.
#include <string>

namespace trainbench::testing {

class PostgresServer {
 public:
  // The process's server, started on first use (about 2 s). Throws
  // std::runtime_error with initdb's or pg_ctl's output when it cannot start.
  static PostgresServer& shared();

  // A new, empty database on the server, as a postgresql:// URL.
  std::string new_database_url();
  // A URL in the same form that names a socket folder where no server runs.
  std::string url_of_a_server_that_is_down() const;
  // The server's URL for a role that does not exist (trust authentication
  // refuses an unknown user).
  std::string url_with_unknown_user() const;

  // Runs one statement on a database of the server; throws std::runtime_error.
  static void execute(const std::string& url, const std::string& sql);

  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

 private:
  PostgresServer();
  std::string url_for(const std::string& user, const std::string& database) const;

  std::string folder_;  // data/, the socket and the log
  int port_ = 5432;     // names the socket file only
  int databases_ = 0;
};

}  // namespace trainbench::testing
