// `trainbench serve` as a user runs it: a small store, the server started as
// a child process on a port the system picks, pages fetched over a socket and
// in headless Chromium, then Ctrl-C.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>

#include "data/image_codec.h"
#include "serve/http_client.h"
#include "serve/measured_row.h"
#include "store/results_store.h"
#include "store/postgres_server.h"
#include "test_support.h"

extern char** environ;

namespace trainbench {
namespace {

namespace fs = std::filesystem;
using testing::http_request;
using testing::HttpReply;
using testing::measured_row;
using testing::TempDir;

// The store the tests serve: one test on two machines, a second model in
// bf16, and a model name that is an HTML script.
void make_served_store(const std::string& db) {
  store::ResultsStore results = store::ResultsStore::open(db);
  store::BenchRow cpu = measured_row("resnet18", "cpu", "AMD EPYC 9654 96-Core Processor", 100.0);
  store::BenchRow gpu = measured_row("resnet18", "cuda:0", "NVIDIA H100 80GB HBM3", 1500.0);
  results.insert_bench(cpu);
  results.insert_bench(gpu);
  store::BenchRow mobile = measured_row("mobilenetv3_large_100", "cuda:0", "NVIDIA H100 80GB HBM3", 9000.0);
  mobile.amp = "bf16";
  results.insert_bench(mobile);
  results.insert_bench(measured_row("<script>alert(1)</script>", "cpu", "AMD EPYC 9654 96-Core Processor", 5.0));
  store::TrainRecord run;
  run.run_dir = "/runs/first";
  run.summary = {{"model", "resnet18d"}, {"device", "cpu"}, {"amp", "off"}, {"image_size", 288}, {"batch_size", 32},
                 {"epochs", 3}, {"train_images_per_sec", 12.5}, {"val_accuracy", 0.875}};
  run.config = {{"model", "resnet18d"}};
  run.provenance = cpu.provenance;
  results.insert_train(run);
}

struct ServerProcess {
  pid_t pid = -1;
  int port = 0;
  std::string first_line;
};

// Starts `trainbench serve ARGS` with its stdout on a pipe and reads the
// first line, which names the port; port 0 when no such line came in time.
ServerProcess start_server(const std::vector<std::string>& args) {
  ServerProcess server;
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return server;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  std::vector<std::string> argv_strings = {testing::trainbench_binary().string(), "serve"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (posix_spawn(&server.pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) server.pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  char c = 0;
  while (server.pid > 0 && std::chrono::steady_clock::now() < deadline) {
    pollfd poll_fd{pipe_fds[0], POLLIN, 0};
    if (::poll(&poll_fd, 1, 100) <= 0) continue;
    if (::read(pipe_fds[0], &c, 1) != 1 || c == '\n') break;
    server.first_line += c;
  }
  ::close(pipe_fds[0]);  // later lines (none are printed) would get EPIPE, not block
  const std::string prefix = "serving http://127.0.0.1:";
  if (server.first_line.rfind(prefix, 0) == 0) server.port = std::atoi(server.first_line.c_str() + prefix.size());
  return server;
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

class ServeCommand : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    make_served_store((*dir_ / "results.db").string());
    server_ = start_server({"--db", (*dir_ / "results.db").string(), "--port", "0"});
  }
  static void TearDownTestSuite() {
    if (server_.pid > 0) {
      ::kill(server_.pid, SIGTERM);
      int status = 0;
      testing::wait_within(server_.pid, std::chrono::seconds(10), &status);
    }
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_GT(server_.port, 0) << "first line: " << server_.first_line; }
  static TempDir* dir_;
  static ServerProcess server_;
};
TempDir* ServeCommand::dir_ = nullptr;
ServerProcess ServeCommand::server_;

TEST_F(ServeCommand, ThePageShowsMachinesRowsComparisonChartsAndRuns) {
  EXPECT_EQ(server_.first_line, "serving http://127.0.0.1:" + std::to_string(server_.port) +
                                    "/ (read-only; Ctrl-C stops)");
  const HttpReply reply = http_request(server_.port, "GET", "/");
  ASSERT_EQ(reply.status, 200) << reply.head;
  EXPECT_EQ(testing::header_value(reply, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(testing::header_value(reply, "Connection"), "close");
  EXPECT_EQ(std::stoul(testing::header_value(reply, "Content-Length")), reply.body.size());
  EXPECT_NE(testing::header_value(reply, "Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  const std::string& page = reply.body;
  for (const char* part : {"Machines and devices", "AMD EPYC 9654 96-Core Processor", "NVIDIA H100 80GB HBM3",
                           "mobilenetv3_large_100", "resnet18d", "/runs/first", "15.00x",
                           "15x faster than AMD EPYC 9654 96-Core Processor (cpu)"}) {
    EXPECT_NE(page.find(part), std::string::npos) << part;
  }
  EXPECT_EQ(count_of(page, "<svg"), 3u);  // one chart per test
}

TEST_F(ServeCommand, AScriptInTheStoreIsShownEscapedAndNeverRaw) {
  const std::string page = http_request(server_.port, "GET", "/").body;
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("alert(1)</"), std::string::npos);
}

TEST_F(ServeCommand, FiltersNarrowTheRowsInSql) {
  const std::string all = http_request(server_.port, "GET", "/").body;
  EXPECT_NE(all.find("<td>mobilenetv3_large_100</td>"), std::string::npos);
  const HttpReply narrowed = http_request(server_.port, "GET", "/?model=resnet18&device=&amp=off");
  ASSERT_EQ(narrowed.status, 200);
  EXPECT_EQ(narrowed.body.find("<td>mobilenetv3_large_100</td>"), std::string::npos);
  EXPECT_EQ(narrowed.body.find("<td>&lt;script&gt;"), std::string::npos);
  EXPECT_EQ(count_of(narrowed.body, "<td>resnet18</td>"), 2u);  // the two machines' rows
  EXPECT_NE(narrowed.body.find("2 bench rows"), std::string::npos);
  EXPECT_NE(narrowed.body.find("<option value=\"resnet18\" selected>"), std::string::npos);

  const HttpReply json = http_request(server_.port, "GET", "/rows.json?model=resnet18&image_size=224");
  ASSERT_EQ(json.status, 200);
  EXPECT_EQ(testing::header_value(json, "Content-Type"), "application/json");
  const nlohmann::json rows = nlohmann::json::parse(json.body);
  ASSERT_EQ(rows.size(), 2u);
  std::set<std::string> devices;
  for (const nlohmann::json& row : rows) {
    EXPECT_EQ(row["model"], "resnet18");
    devices.insert(row["device"].get<std::string>());
  }
  EXPECT_EQ(devices, (std::set<std::string>{"cpu", "cuda:0"}));
  EXPECT_EQ(nlohmann::json::parse(http_request(server_.port, "GET", "/rows.json").body).size(), 4u);
  // Percent-encoded values reach the store decoded.
  const nlohmann::json script_rows = nlohmann::json::parse(
      http_request(server_.port, "GET", "/rows.json?model=%3Cscript%3Ealert(1)%3C%2Fscript%3E").body);
  ASSERT_EQ(script_rows.size(), 1u);
  EXPECT_EQ(script_rows[0]["model"], "<script>alert(1)</script>");
}

TEST_F(ServeCommand, AFilterTheStoreCannotTakeIsA400ThatSaysWhy) {
  const HttpReply reply = http_request(server_.port, "GET", "/?image_size=big");
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("image_size is a number"), std::string::npos) << reply.body;
  EXPECT_EQ(http_request(server_.port, "GET", "/rows.json?batch_size=x").status, 400);
}

TEST_F(ServeCommand, UnknownPathsOtherMethodsAndBadRequestsGetTheirStatus) {
  EXPECT_EQ(http_request(server_.port, "GET", "/nothing-here").status, 404);
  EXPECT_EQ(http_request(server_.port, "GET", "/%2e%2e/etc/passwd").status, 404);
  const HttpReply post =
      testing::http_exchange(server_.port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(testing::header_value(post, "Allow"), "GET, HEAD");
  EXPECT_EQ(http_request(server_.port, "DELETE", "/").status, 405);
  const HttpReply head = http_request(server_.port, "HEAD", "/");
  EXPECT_EQ(head.status, 200);
  EXPECT_GT(std::stoul(testing::header_value(head, "Content-Length")), 1000u);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(testing::http_exchange(server_.port, "GET /\r\n\r\n").status, 400);
  EXPECT_EQ(testing::http_exchange(server_.port, "GET / HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n").status,
            431);
  // The server is still answering after all of that.
  EXPECT_EQ(http_request(server_.port, "GET", "/").status, 200);
}

// ---- in a browser ----

std::string served_chromium() {
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
    if (fs::exists(candidate)) return candidate;
  }
  return "";
}

std::string chromium_command(const fs::path& work, const std::string& what, const std::string& url) {
  return "timeout 120 '" + served_chromium() + "' --headless --no-sandbox --disable-gpu --hide-scrollbars "
         "--no-first-run --user-data-dir='" + (work / "profile").string() + "' --enable-logging=stderr --v=0 "
         "--window-size=1200,2400 " + what + " '" + url + "' 2>'" + (work / "chromium.log").string() + "'";
}

TEST_F(ServeCommand, ChromiumRendersThePageWithTheScriptAsTextAndTheBarsDrawn) {
  if (served_chromium().empty()) GTEST_SKIP() << "no chromium (scripts/setup installs Debian's)";
  const std::string url = "http://127.0.0.1:" + std::to_string(server_.port) + "/";
  TempDir work;
  int code = -1;
  const std::string dom = testing::run_command(chromium_command(work.path(), "--dump-dom", url), &code);
  ASSERT_EQ(code, 0) << testing::read_text_file(work / "chromium.log");
  // The browser built no script element: the name is a text node.
  EXPECT_EQ(dom.find("<script"), std::string::npos);
  EXPECT_NE(dom.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(dom.find("NVIDIA H100 80GB HBM3"), std::string::npos);

  const fs::path png = work / "page.png";
  testing::run_command(chromium_command(work.path(), "--screenshot='" + png.string() + "'", url), &code);
  ASSERT_EQ(code, 0) << testing::read_text_file(work / "chromium.log");
  // Nothing on the console (the Content-Security-Policy blocked nothing the page needs).
  const std::string log = testing::read_text_file(work / "chromium.log");
  EXPECT_EQ(log.find(":CONSOLE"), std::string::npos) << log;
  const data::Image shot = data::read_image_file(png);
  ASSERT_EQ(shot.width, 1200);
  int bar_blue = 0, non_white = 0;
  for (int y = 0; y < shot.height; ++y) {
    for (int x = 0; x < shot.width; ++x) {
      const std::uint8_t* p = shot.pixel(x, y);
      non_white += !(p[0] > 245 && p[1] > 245 && p[2] > 245);
      bar_blue += std::abs(p[0] - 0x00) < 16 && std::abs(p[1] - 0x72) < 16 && std::abs(p[2] - 0xB2) < 16;
    }
  }
  EXPECT_GT(bar_blue, 1000);  // the first bar of each chart is the palette's blue
  EXPECT_GT(non_white, 100000);
  const fs::path kept = fs::temp_directory_path() / "trainbench-serve-screenshot.png";
  fs::copy_file(png, kept, fs::copy_options::overwrite_existing);
  std::printf("screenshot: %s\n", kept.c_str());
}

// ---- starting and stopping ----

TEST(ServeCommandLifecycle, CtrlCStopsTheServerWithExitZero) {
  TempDir dir;
  make_served_store((dir / "results.db").string());
  const ServerProcess server = start_server({"--db", (dir / "results.db").string(), "--port", "0"});
  ASSERT_GT(server.port, 0) << server.first_line;
  EXPECT_EQ(http_request(server.port, "GET", "/").status, 200);
  ASSERT_EQ(::kill(server.pid, SIGINT), 0);
  int status = 0;
  ASSERT_TRUE(testing::wait_within(server.pid, std::chrono::seconds(10), &status));
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(http_request(server.port, "GET", "/").status, 0);
}

// The same store on the test's PostgreSQL server: the same page, and the
// server survives the database dropping its session between two requests.
TEST(ServeCommandLifecycle, ServesAPostgresStoreAsItServesAFile) {
  const std::string url = testing::PostgresServer::shared().new_database_url();
  make_served_store(url);
  const ServerProcess server = start_server({"--db", url, "--port", "0"});
  ASSERT_GT(server.port, 0) << server.first_line;
  const HttpReply page = http_request(server.port, "GET", "/");
  ASSERT_EQ(page.status, 200) << page.head;
  for (const char* part : {"NVIDIA H100 80GB HBM3", "mobilenetv3_large_100", "/runs/first", "15.00x",
                           "&lt;script&gt;alert(1)&lt;/script&gt;"}) {
    EXPECT_NE(page.body.find(part), std::string::npos) << part;
  }
  EXPECT_EQ(page.body.find("<script>"), std::string::npos);
  testing::PostgresServer::execute(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                        "WHERE datname = current_database() AND pid <> pg_backend_pid()");
  const HttpReply rows = http_request(server.port, "GET", "/rows.json?amp=bf16");
  ASSERT_EQ(rows.status, 200) << rows.body;
  EXPECT_EQ(nlohmann::json::parse(rows.body).size(), 1u);
  ::kill(server.pid, SIGTERM);
  int status = 0;
  testing::wait_within(server.pid, std::chrono::seconds(10), &status);
}

TEST(ServeCommandLifecycle, AMissingDatabaseIsAUsageErrorAndIsNotCreated) {
  TempDir dir;
  int code = -1;
  const std::string out = testing::run_command(
      testing::trainbench_command("serve --port 0 --db " + testing::quoted(dir / "typo.db") + " 2>&1"), &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("no results database at"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir / "typo.db"));
  EXPECT_EQ(out.find("serving"), std::string::npos);
}

TEST(ServeCommandLifecycle, AHelpSaysWhatItServesAndWhere) {
  int code = -1;
  const std::string out = testing::run_command(testing::trainbench_command("serve --help"), &code);
  EXPECT_EQ(code, 0);
  for (const char* part : {"read-only", "--db", "--host", "--port", "127.0.0.1", "rows.json"}) {
    EXPECT_NE(out.find(part), std::string::npos) << part;
  }
}

}  // namespace
}  // namespace trainbench
