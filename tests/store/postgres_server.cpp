#include "store/postgres_server.h"

#include <libpq-fe.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "test_support.h"

namespace trainbench::testing {
namespace {

namespace fs = std::filesystem;

// Debian installs the server's programs under /usr/lib/postgresql/<major>/bin,
// off PATH; the newest installed major wins.
fs::path server_bin_dir() {
  fs::path best;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", error)) {
    if (fs::exists(entry.path() / "bin" / "initdb") && entry.path() > best) best = entry.path();
  }
  if (best.empty()) {
    throw std::runtime_error("no PostgreSQL server installed (/usr/lib/postgresql/*/bin/initdb): "
                             "scripts/setup test installs Debian's postgresql");
  }
  return best / "bin";
}

// Single-quoted for the shell (std::quoted would win overload resolution
// for a std::string).
std::string shell_quoted(const std::string& text) { return trainbench::testing::quoted(fs::path(text)); }

// As root, runs as `postgres`; otherwise as ourselves.
std::string as_server_user(const std::string& command) {
  if (geteuid() != 0) return command;
  return "runuser -u postgres -- " + command;
}

void run_or_throw(const std::string& what, const std::string& command) {
  int exit_code = 0;
  const std::string output = run_command(command + " 2>&1", &exit_code);
  if (exit_code != 0) throw std::runtime_error(what + " failed (" + std::to_string(exit_code) + "): " + output);
}

}  // namespace

void PostgresServer::execute(const std::string& url, const std::string& sql) {
  PGconn* connection = PQconnectdb(url.c_str());
  const std::unique_ptr<PGconn, void (*)(PGconn*)> owner(connection, PQfinish);
  if (PQstatus(connection) != CONNECTION_OK) throw std::runtime_error(url + ": " + PQerrorMessage(connection));
  const std::unique_ptr<PGresult, void (*)(PGresult*)> result(PQexec(connection, sql.c_str()), PQclear);
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error(sql + ": " + PQerrorMessage(connection));
  }
}

PostgresServer& PostgresServer::shared() {
  static PostgresServer server;
  return server;
}

PostgresServer::PostgresServer() {
  char pattern[] = "/tmp/trainbench-pg-XXXXXX";
  if (!mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
  folder_ = pattern;
  if (geteuid() == 0) {
    const passwd* user = getpwnam("postgres");
    if (!user || chown(folder_.c_str(), user->pw_uid, user->pw_gid) != 0) {
      throw std::runtime_error("cannot give " + folder_ + " to the postgres user");
    }
  }
  const fs::path bin = server_bin_dir();
  const std::string data = folder_ + "/data";
  run_or_throw("initdb", as_server_user(shell_quoted((bin / "initdb").string()) + " -D " + shell_quoted(data) +
                                        " -U trainbench -A trust --no-sync -E UTF8"));
  // No TCP (listen_addresses empty): the port only names the socket file.
  // fsync off: a test server's data need not survive a power cut.
  const std::string options = "-k " + folder_ + " -p " + std::to_string(port_) +
                              " -c listen_addresses= -c fsync=off -c max_connections=50";
  run_or_throw("pg_ctl start", as_server_user(shell_quoted((bin / "pg_ctl").string()) + " -D " + shell_quoted(data) + " -l " +
                                              shell_quoted(folder_ + "/server.log") + " -w -o " + shell_quoted(options) + " start"));
}

PostgresServer::~PostgresServer() {
  int exit_code = 0;
  try {
    run_command(as_server_user(shell_quoted((server_bin_dir() / "pg_ctl").string()) + " -D " + shell_quoted(folder_ + "/data") +
                               " -m immediate -w stop") + " >/dev/null 2>&1",
                &exit_code);
  } catch (...) {
  }
  std::error_code error;
  fs::remove_all(folder_, error);
}

std::string PostgresServer::url_for(const std::string& user, const std::string& database) const {
  return "postgresql://" + user + "@/" + database + "?host=" + folder_ + "&port=" + std::to_string(port_);
}

std::string PostgresServer::new_database_url() {
  const std::string name = "test" + std::to_string(++databases_);
  execute(url_for("trainbench", "postgres"), "CREATE DATABASE " + name);
  return url_for("trainbench", name);
}

std::string PostgresServer::url_of_a_server_that_is_down() const {
  return "postgresql://trainbench@/postgres?host=" + folder_ + "/no-server-here&port=" + std::to_string(port_);
}

std::string PostgresServer::url_with_unknown_user() const { return url_for("nobody", "postgres"); }

}  // namespace trainbench::testing
