#include "dist/local_launcher.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

#include "core/error.h"
#include "dist/launch_environment.h"
#include "test_support.h"

namespace trainbench::dist {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

LaunchPlan good_plan() {
  LaunchPlan plan;
  plan.nproc_per_node = 2;
  plan.command = {"train", "--data", "data/gestures"};
  return plan;
}

// The message of the UsageError validate() throws ("" when none).
std::string error_of(const LaunchPlan& plan) {
  try {
    validate(plan);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

std::map<std::string, std::string> as_map(const std::vector<std::string>& environment) {
  std::map<std::string, std::string> values;
  for (const std::string& entry : environment) {
    const std::size_t equals = entry.find('=');
    EXPECT_EQ(values.count(entry.substr(0, equals)), 0u) << "set twice: " << entry;
    values[entry.substr(0, equals)] = entry.substr(equals + 1);
  }
  return values;
}

TEST(LocalLauncher, AcceptsAGoodPlan) {
  EXPECT_EQ(error_of(good_plan()), "");
  LaunchPlan two_nodes = good_plan();
  two_nodes.nnodes = 2;
  two_nodes.node_rank = 1;
  two_nodes.master_addr = "10.0.0.1";
  two_nodes.command = {"bench", "--model", "resnet18"};
  EXPECT_EQ(error_of(two_nodes), "");
}

TEST(LocalLauncher, EveryBadPlanIsAUsageErrorNamingTheFlag) {
  const auto with = [](auto change) {
    LaunchPlan plan = good_plan();
    change(plan);
    return error_of(plan);
  };
  EXPECT_NE(with([](LaunchPlan& p) { p.nproc_per_node = 0; }).find("--nproc-per-node 0: must be at least 1"),
            std::string::npos);
  EXPECT_NE(with([](LaunchPlan& p) { p.nproc_per_node = -3; }).find("--nproc-per-node -3"), std::string::npos);
  EXPECT_NE(with([](LaunchPlan& p) { p.nnodes = 0; }).find("--nnodes 0: must be at least 1"), std::string::npos);
  EXPECT_NE(with([](LaunchPlan& p) {
              p.nnodes = 2;
              p.node_rank = 2;
              p.master_addr = "10.0.0.1";
            }).find("--node-rank 2: must be from 0 to 1"),
            std::string::npos);
  EXPECT_NE(with([](LaunchPlan& p) { p.node_rank = -1; }).find("--node-rank -1"), std::string::npos);
  EXPECT_NE(with([](LaunchPlan& p) { p.master_port = 0; }).find("--master-port 0: not a port"), std::string::npos);
  EXPECT_NE(with([](LaunchPlan& p) { p.master_port = 65536; }).find("--master-port 65536"), std::string::npos);
  EXPECT_EQ(with([](LaunchPlan& p) { p.master_port = 65535; }), "");
  EXPECT_NE(with([](LaunchPlan& p) { p.timeout_seconds = 0; }).find("--timeout 0: must be at least 1 second"),
            std::string::npos);
  EXPECT_NE(with([](LaunchPlan& p) { p.command.clear(); }).find("the command to run after --"), std::string::npos);
  EXPECT_NE(with([](LaunchPlan& p) { p.command = {"eval", "--run", "r"}; })
                .find("launch -- eval: only train and bench run data-parallel"),
            std::string::npos);
  EXPECT_NE(with([](LaunchPlan& p) {
              p.nnodes = 2;
              p.node_rank = 1;
            }).find("--nnodes 2 needs --master-addr"),
            std::string::npos);
  EXPECT_NE(with([](LaunchPlan& p) { p.master_addr = "10.0.0.1 10.0.0.2"; }).find("--master-addr"), std::string::npos);
  EXPECT_NE(with([](LaunchPlan& p) {
              p.nproc_per_node = 100000;
              p.nnodes = 100000;
              p.master_addr = "h";
            }).find("more ranks than any job can have"),
            std::string::npos);
}

TEST(LocalLauncher, ChildEnvironmentOfTheSecondNode) {
  LaunchPlan plan = good_plan();
  plan.nproc_per_node = 4;
  plan.nnodes = 2;
  plan.node_rank = 1;
  plan.master_addr = "10.0.0.1";
  plan.master_port = 29501;
  plan.timeout_seconds = 60;
  const auto values = as_map(child_environment(plan, 2, {"PATH=/usr/bin", "HOME=/root"}, 16));
  EXPECT_EQ(values.at("RANK"), "6");
  EXPECT_EQ(values.at("WORLD_SIZE"), "8");
  EXPECT_EQ(values.at("LOCAL_RANK"), "2");
  EXPECT_EQ(values.at("LOCAL_WORLD_SIZE"), "4");
  EXPECT_EQ(values.at("GROUP_RANK"), "1");
  EXPECT_EQ(values.at("NODE_RANK"), "1");
  EXPECT_EQ(values.at("MASTER_ADDR"), "10.0.0.1");
  EXPECT_EQ(values.at("MASTER_PORT"), "29501");
  EXPECT_EQ(values.at("TRAINBENCH_LAUNCH_TIMEOUT"), "60");
  EXPECT_EQ(values.at("OMP_NUM_THREADS"), "4");  // 16 cores shared by 4 ranks
  EXPECT_EQ(values.at("PATH"), "/usr/bin");
  EXPECT_EQ(values.at("HOME"), "/root");
  EXPECT_EQ(values.size(), 12u);
}

TEST(LocalLauncher, ChildEnvironmentReplacesALaunchersVariablesAndKeepsTheUsersThreads) {
  LaunchPlan plan = good_plan();
  const std::vector<std::string> base = {"RANK=7", "MASTER_PORT=1", "RANKING=kept", "OMP_NUM_THREADS=3", "EMPTY="};
  const auto values = as_map(child_environment(plan, 1, base, 64));
  EXPECT_EQ(values.at("RANK"), "1");  // as_map fails the test when a name is set twice
  EXPECT_EQ(values.at("MASTER_PORT"), "29500");
  EXPECT_EQ(values.at("MASTER_ADDR"), "127.0.0.1");
  EXPECT_EQ(values.at("RANKING"), "kept");
  EXPECT_EQ(values.at("OMP_NUM_THREADS"), "3");
  EXPECT_EQ(values.at("EMPTY"), "");
}

TEST(LocalLauncher, ChildEnvironmentGivesEveryRankAtLeastOneThread) {
  LaunchPlan plan = good_plan();
  plan.nproc_per_node = 4;
  EXPECT_EQ(as_map(child_environment(plan, 0, {}, 3)).at("OMP_NUM_THREADS"), "1");
  plan.nproc_per_node = 3;
  EXPECT_EQ(as_map(child_environment(plan, 0, {}, 8)).at("OMP_NUM_THREADS"), "2");
  EXPECT_THROW(child_environment(plan, 3, {}, 8), std::out_of_range);
  EXPECT_THROW(child_environment(plan, -1, {}, 8), std::out_of_range);
}

// What the launcher sets is what the ranks read back as their identity.
TEST(LocalLauncher, ChildEnvironmentReadsBackAsTheRanksIdentity) {
  LaunchPlan plan = good_plan();
  plan.nproc_per_node = 3;
  plan.nnodes = 2;
  plan.node_rank = 1;
  plan.master_addr = "node0.cluster";
  const auto values = as_map(child_environment(plan, 2, {}, 6));
  const auto id = read_launch_environment([&](const std::string& name) -> std::optional<std::string> {
    const auto found = values.find(name);
    if (found == values.end()) return std::nullopt;
    return found->second;
  });
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->launcher, "torchrun");
  EXPECT_EQ(id->rank, 5);
  EXPECT_EQ(id->world_size, 6);
  EXPECT_EQ(id->local_rank, 2);
  EXPECT_EQ(id->local_world_size, 3);
  EXPECT_EQ(id->master_address, "node0.cluster");
  EXPECT_EQ(id->master_port, 29500);
}

// ---- Supervision, with /bin/sh as the ranks' program.

std::string read_back(std::FILE* file) {
  std::fflush(file);
  std::fseek(file, 0, SEEK_SET);
  std::string text;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  return text;
}

struct Launched {
  int code = -1;
  std::string out, err;
  double seconds = 0;
};

// Runs `script` in sh -c on `ranks` ranks; the launcher's output captured.
Launched launch_sh(int ranks, const std::string& script, int timeout_seconds = 5,
                   const std::string& binary = "/bin/sh") {
  LaunchPlan plan;
  plan.nproc_per_node = ranks;
  plan.timeout_seconds = timeout_seconds;
  plan.command = {"-c", script};
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  Launched result;
  const Clock::time_point start = Clock::now();
  result.code = run_local_ranks(plan, binary, {out, err});
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.out = read_back(out);
  result.err = read_back(err);
  std::fclose(out);
  std::fclose(err);
  return result;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Whether `pid` is gone (or a zombie waiting for whoever inherited it).
bool process_gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const std::size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

bool wait_until(const std::function<bool()>& done, std::chrono::seconds limit) {
  const Clock::time_point end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

pid_t read_pid(const fs::path& path) {
  std::ifstream in(path);
  pid_t pid = -1;
  in >> pid;
  return pid;
}

TEST(LocalLauncher, AllRanksExitingZeroIsZero) {
  const Launched run = launch_sh(3, "exit 0");
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_FALSE(contains(run.err, "exited with code")) << run.err;
}

TEST(LocalLauncher, RanksGetTheirEnvironment) {
  const Launched run = launch_sh(
      2, "echo \"$RANK $WORLD_SIZE $LOCAL_RANK $LOCAL_WORLD_SIZE $MASTER_ADDR $MASTER_PORT $TRAINBENCH_LAUNCH_TIMEOUT\"", 7);
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_TRUE(contains("\n" + run.out, "\n0 2 0 2 127.0.0.1 29500 7\n")) << run.out;
  EXPECT_TRUE(contains(run.out, "[rank 1] 1 2 1 2 127.0.0.1 29500 7\n")) << run.out;
}

TEST(LocalLauncher, OtherRanksLinesArePrefixedAndRankZerosBytesPassThrough) {
  const Launched run = launch_sh(3,
                                 "if [ \"$RANK\" = 0 ]; then printf 'bar 1\\rbar 2\\r\\n'; exit 0; fi; "
                                 "printf 'out %s\\nsecond\\n' $RANK; echo \"err $RANK\" >&2; printf 'no newline'");
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_TRUE(contains(run.out, "bar 1\rbar 2\r\n")) << run.out;
  EXPECT_FALSE(contains(run.out, "[rank 0]")) << run.out;
  for (const std::string rank : {"1", "2"}) {
    EXPECT_TRUE(contains(run.out, "[rank " + rank + "] out " + rank + "\n[rank " + rank + "] second\n")) << run.out;
    EXPECT_TRUE(contains(run.out, "[rank " + rank + "] no newline\n")) << run.out;
    EXPECT_TRUE(contains(run.err, "[rank " + rank + "] err " + rank + "\n")) << run.err;
    EXPECT_FALSE(contains(run.err, "out " + rank)) << run.err;
    EXPECT_FALSE(contains(run.out, "err " + rank)) << run.out;
  }
}

TEST(LocalLauncher, OneFailingRankStopsTheOthers) {
  testing::TempDir dir;
  const fs::path pid0 = dir / "pid0";
  // Rank 1 fails once rank 0 is asleep (and has said who it is).
  const Launched run = launch_sh(2, "if [ \"$RANK\" = 1 ]; then while [ ! -s " + testing::quoted(pid0) +
                                        " ]; do sleep 0.05; done; exit 3; fi; echo $$ > " +
                                        testing::quoted(dir / "tmp") + " && mv " + testing::quoted(dir / "tmp") + " " +
                                        testing::quoted(pid0) + " && exec sleep 100",
                                 5);
  EXPECT_EQ(run.code, 3);
  EXPECT_LT(run.seconds, 30.0);  // a bound, not a timing: the sleeper would take 100 s
  EXPECT_TRUE(contains(run.err, "trainbench launch: rank 1 exited with code 3\n")) << run.err;
  EXPECT_TRUE(contains(run.err, "stopping the other 1 rank(s)")) << run.err;
  EXPECT_FALSE(contains(run.err, "did not stop")) << run.err;  // sleep obeys SIGTERM
  const pid_t sleeper = read_pid(pid0);
  ASSERT_GT(sleeper, 0);
  EXPECT_TRUE(process_gone(sleeper));
}

TEST(LocalLauncher, ARankKilledByASignalIsReportedByName) {
  const Launched run = launch_sh(2, "if [ \"$RANK\" = 1 ]; then kill -KILL $$; fi; exit 0");
  EXPECT_EQ(run.code, 128 + SIGKILL);
  EXPECT_TRUE(contains(run.err, "trainbench launch: rank 1 killed by signal SIGKILL\n")) << run.err;
}

TEST(LocalLauncher, ARankThatIgnoresSigtermIsKilledAfterTheTimeout) {
  testing::TempDir dir;
  const fs::path ready = dir / "ready";
  const Launched run = launch_sh(2, "if [ \"$RANK\" = 1 ]; then while [ ! -e " + testing::quoted(ready) +
                                        " ]; do sleep 0.05; done; exit 4; fi; trap '' TERM; touch " +
                                        testing::quoted(ready) + "; exec sleep 100",
                                 1);
  EXPECT_EQ(run.code, 4);
  EXPECT_LT(run.seconds, 30.0);
  EXPECT_TRUE(contains(run.err, "rank 0 did not stop within 1 s: SIGKILL")) << run.err;
}

TEST(LocalLauncher, AProgramThatCannotRunIsAFailedRank) {
  const Launched run = launch_sh(2, "exit 0", 5, "/nonexistent/trainbench");
  EXPECT_EQ(run.code, 127);
  EXPECT_TRUE(contains(run.err, "cannot run /nonexistent/trainbench: No such file or directory")) << run.err;
  EXPECT_TRUE(contains(run.err, "exited with code 127")) << run.err;
}

// Sends `signal_number` to this process once every rank has touched its
// marker (so the launcher's handlers are in place), from another thread
// while run_local_ranks supervises on this one.
std::thread signal_when_ready(const std::vector<fs::path>& markers, int signal_number) {
  return std::thread([markers, signal_number] {
    const bool ready = wait_until(
        [&] { return std::all_of(markers.begin(), markers.end(), [](const fs::path& m) { return fs::exists(m); }); },
        std::chrono::seconds(15));
    if (ready) kill(getpid(), signal_number);
  });
}

TEST(LocalLauncher, SigtermToTheLauncherReachesEveryRank) {
  testing::TempDir dir;
  std::thread sender = signal_when_ready({dir / "m0", dir / "m1"}, SIGTERM);
  // sleep 20 bounds the test should the signal never come.
  const Launched run = launch_sh(2, "trap 'echo \"stopping $RANK\"; exit 0' TERM; touch " + testing::quoted(dir.path()) +
                                        "/m$RANK; sleep 20 & wait",
                                 5);
  sender.join();
  EXPECT_EQ(run.code, 0) << run.err;  // every rank stopped cleanly
  EXPECT_LT(run.seconds, 15.0);
  EXPECT_TRUE(contains(run.err, "trainbench launch: SIGTERM: passing it to 2 rank(s)")) << run.err;
  EXPECT_TRUE(contains("\n" + run.out, "\nstopping 0\n")) << run.out;
  EXPECT_TRUE(contains(run.out, "[rank 1] stopping 1\n")) << run.out;
}

TEST(LocalLauncher, SigintToTheLauncherReachesEveryRankOnce) {
  testing::TempDir dir;
  std::thread sender = signal_when_ready({dir / "m0", dir / "m1", dir / "m2"}, SIGINT);
  // Like trainbench: stop on the first SIGINT with 128 + 2. Background jobs of
  // sh ignore SIGINT, hence the kill.
  const Launched run = launch_sh(3, "trap 'echo \"interrupted $RANK\"; kill $!; exit 130' INT; touch " +
                                        testing::quoted(dir.path()) + "/m$RANK; sleep 20 & wait",
                                 5);
  sender.join();
  EXPECT_EQ(run.code, 128 + SIGINT) << run.err;
  EXPECT_LT(run.seconds, 15.0);
  EXPECT_TRUE(contains(run.err, "SIGINT: passing it to 3 rank(s)")) << run.err;
  EXPECT_FALSE(contains(run.err, "exited with code")) << run.err;  // asked to stop: not a failure
  for (const std::string rank : {"1", "2"}) {
    const std::string line = "[rank " + rank + "] interrupted " + rank + "\n";
    const std::size_t first = run.out.find(line);
    EXPECT_NE(first, std::string::npos) << run.out;
    EXPECT_EQ(run.out.find(line, first + 1), std::string::npos) << run.out;  // once
  }
}

TEST(LocalLauncher, RanksDieWithAKilledLauncher) {
  testing::TempDir dir;
  const std::string script = "echo $$ > " + testing::quoted(dir.path()) + "/tmp$RANK && mv " + testing::quoted(dir.path()) +
                             "/tmp$RANK " + testing::quoted(dir.path()) + "/pid$RANK && exec sleep 100";
  std::fflush(nullptr);
  const pid_t launcher = fork();
  ASSERT_GE(launcher, 0);
  if (launcher == 0) {
    std::FILE* null = std::fopen("/dev/null", "w");
    LaunchPlan plan;
    plan.nproc_per_node = 2;
    plan.command = {"-c", script};
    int code = 1;
    try {
      code = run_local_ranks(plan, "/bin/sh", {null, null});
    } catch (...) {
    }
    _exit(code);
  }
  const bool started = wait_until([&] { return fs::exists(dir / "pid0") && fs::exists(dir / "pid1"); },
                                  std::chrono::seconds(15));
  kill(launcher, SIGKILL);
  waitpid(launcher, nullptr, 0);
  ASSERT_TRUE(started);
  for (const char* name : {"pid0", "pid1"}) {
    const pid_t rank = read_pid(dir / name);
    ASSERT_GT(rank, 0);
    EXPECT_TRUE(wait_until([&] { return process_gone(rank); }, std::chrono::seconds(10))) << name << " " << rank;
  }
}

}  // namespace
}  // namespace trainbench::dist
