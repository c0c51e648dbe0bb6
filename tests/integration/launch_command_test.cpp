// `trainbench launch` through the built program: every plan that cannot
// start is refused before anything starts, naming the flag; the help explains
// the command. (Runs that really train in parallel are tested elsewhere.)
#include <gtest/gtest.h>

#include "test_support.h"

namespace trainbench {
namespace {

using testing::trainbench_command;

struct Result {
  int code = -1;
  std::string output;  // stdout and stderr
};

Result launch(const std::string& args) {
  Result result;
  result.output = testing::run_command(trainbench_command("launch " + args) + " 2>&1 </dev/null", &result.code);
  return result;
}

void expect_refused(const std::string& args, const std::string& message) {
  const Result result = launch(args);
  EXPECT_NE(result.code, 0) << args;
  EXPECT_NE(result.output.find(message), std::string::npos) << args << "\n" << result.output;
  // Refused before anything starts: the launcher never said it started ranks.
  EXPECT_EQ(result.output.find("rank(s) on node"), std::string::npos) << args << "\n" << result.output;
}

TEST(LaunchCommand, RefusesNoCommandAfterTheDashes) {
  expect_refused("--nproc-per-node 2 --", "trainbench: error: launch needs the command to run after --");
  expect_refused("--nproc-per-node 2", "launch needs the command to run after --");
}

TEST(LaunchCommand, RefusesCommandsThatDoNotRunDataParallel) {
  expect_refused("--nproc-per-node 2 -- eval --run runs/first --data data/gestures",
                 "launch -- eval: only train and bench run data-parallel");
}

TEST(LaunchCommand, RefusesANodeRankOutsideTheNodes) {
  expect_refused("--nnodes 2 --node-rank 2 --master-addr 10.0.0.1 -- train --data d", "--node-rank 2: must be from 0 to 1");
}

TEST(LaunchCommand, RefusesSeveralNodesWithoutAMasterAddress) {
  expect_refused("--nnodes 2 --node-rank 1 -- train --data d", "--nnodes 2 needs --master-addr");
}

// The command's own flags stay the command's: only launch's flags before --
// are read, so the error is about --nproc-per-node, not an unknown --epochs.
TEST(LaunchCommand, ReadsOnlyItsOwnFlagsAndNamesTheBadOne) {
  expect_refused("--nproc-per-node 0 -- train --data d --epochs 2", "--nproc-per-node 0: must be at least 1");
  expect_refused("--master-port 70000 -- bench --model resnet18", "--master-port 70000: not a port");
  expect_refused("--timeout 0 -- train --data d", "--timeout 0: must be at least 1 second");
  expect_refused("--nproc-per-node two -- train --data d", "--nproc-per-node");
}

TEST(LaunchCommand, HelpExplainsFlagsAndTwoMachines) {
  const Result result = launch("--help");
  EXPECT_EQ(result.code, 0) << result.output;
  for (const std::string part :
       {"--nproc-per-node", "--nnodes", "--node-rank", "--master-addr", "--master-port", "--timeout", "[rank R]",
        "SIGKILL", "--nnodes 2 --node-rank 0 --nproc-per-node 4 --master-addr 10.0.0.1 -- train",
        "--nnodes 2 --node-rank 1 --nproc-per-node 4 --master-addr 10.0.0.1 -- train"}) {
    EXPECT_NE(result.output.find(part), std::string::npos) << part << "\n" << result.output;
  }
}

}  // namespace
}  // namespace trainbench
