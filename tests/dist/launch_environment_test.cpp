#include "dist/launch_environment.h"

#include <gtest/gtest.h>

#include <map>

#include "core/error.h"

namespace trainbench::dist {
namespace {

EnvironmentReader environment_of(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    const auto found = values.find(name);
    if (found == values.end()) return std::nullopt;
    return found->second;
  };
}

std::map<std::string, std::string> torchrun(int rank, int world, int local_rank, int local_world) {
  return {{"RANK", std::to_string(rank)},           {"WORLD_SIZE", std::to_string(world)},
          {"LOCAL_RANK", std::to_string(local_rank)}, {"LOCAL_WORLD_SIZE", std::to_string(local_world)},
          {"MASTER_ADDR", "10.0.0.1"},              {"MASTER_PORT", "29500"}};
}

// The message of the UsageError reading `values` throws ("" when none).
std::string error_of(const std::map<std::string, std::string>& values) {
  try {
    read_launch_environment(environment_of(values));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(LaunchEnvironment, NoLauncherIsASingleProcessRun) {
  EXPECT_FALSE(read_launch_environment(environment_of({{"HOME", "/root"}, {"MASTER_PORT", "1234"}})).has_value());
}

// One source for the collective timeout: the user's --dist-timeout wins over
// what `launch --timeout` passed, which wins over the default.
TEST(LaunchEnvironment, TheUsersTimeoutWinsOverLaunchsWhichWinsOverTheDefault) {
  std::map<std::string, std::string> values = torchrun(0, 2, 0, 2);
  values["TRAINBENCH_LAUNCH_TIMEOUT"] = "45";
  const std::optional<LaunchIdentity> launched = read_launch_environment(environment_of(values));
  ASSERT_TRUE(launched);
  EXPECT_EQ(launched->launch_timeout_seconds, 45);
  EXPECT_EQ(resolve_collective_timeout(900, launched), 900);
  EXPECT_EQ(resolve_collective_timeout(std::nullopt, launched), 45);
  EXPECT_EQ(resolve_collective_timeout(std::nullopt, std::nullopt), kDefaultCollectiveTimeoutSeconds);
  EXPECT_EQ(resolve_collective_timeout(std::nullopt, std::nullopt, 120), 120);  // a resumed run's own
  const std::optional<LaunchIdentity> torchrun_alone = read_launch_environment(environment_of(torchrun(0, 2, 0, 2)));
  EXPECT_FALSE(torchrun_alone->launch_timeout_seconds);
  EXPECT_EQ(resolve_collective_timeout(std::nullopt, torchrun_alone), 300);
  values["TRAINBENCH_LAUNCH_TIMEOUT"] = "soon";
  EXPECT_NE(error_of(values).find("TRAINBENCH_LAUNCH_TIMEOUT must be a whole number of seconds from 1 to 1000000 "
                                  "(got 'soon')"),
            std::string::npos);
}

// torchrun's agent hosts the store: the ranks join it as clients, under the
// attempt's prefix (a restart meets under new keys).
TEST(LaunchEnvironment, TorchrunsAgentStoreAndAttempt) {
  std::map<std::string, std::string> values = torchrun(1, 2, 1, 2);
  EXPECT_FALSE(read_launch_environment(environment_of(values))->agent_store);  // launch, srun, by hand
  values["TORCHELASTIC_USE_AGENT_STORE"] = "True";
  values["TORCHELASTIC_RESTART_COUNT"] = "2";
  const std::optional<LaunchIdentity> id = read_launch_environment(environment_of(values));
  ASSERT_TRUE(id);
  EXPECT_TRUE(id->agent_store);
  EXPECT_EQ(id->restart_count, 2);
  values["TORCHELASTIC_USE_AGENT_STORE"] = "False";
  EXPECT_FALSE(read_launch_environment(environment_of(values))->agent_store);
  values["TORCHELASTIC_USE_AGENT_STORE"] = "True";
  values["TORCHELASTIC_RESTART_COUNT"] = "x";
  EXPECT_NE(error_of(values).find("TORCHELASTIC_RESTART_COUNT='x' is not a whole number"), std::string::npos);
}

TEST(LaunchEnvironment, ReadsTorchrun) {
  const auto id = read_launch_environment(environment_of(torchrun(5, 8, 1, 4)));
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->launcher, "torchrun");
  EXPECT_EQ(id->rank, 5);
  EXPECT_EQ(id->world_size, 8);
  EXPECT_EQ(id->local_rank, 1);
  EXPECT_EQ(id->local_world_size, 4);
  EXPECT_EQ(id->master_address, "10.0.0.1");
  EXPECT_EQ(id->master_port, 29500);
}

TEST(LaunchEnvironment, PartialOrInconsistentTorchrunIsOneClearError) {
  auto partial = torchrun(0, 2, 0, 2);
  partial.erase("LOCAL_WORLD_SIZE");
  partial.erase("MASTER_ADDR");
  EXPECT_NE(error_of(partial).find("a partial torchrun environment: LOCAL_WORLD_SIZE, MASTER_ADDR not set"),
            std::string::npos)
      << error_of(partial);
  EXPECT_NE(error_of(torchrun(2, 2, 0, 1)).find("rank 2 is not below the world size 2"), std::string::npos);
  EXPECT_NE(error_of(torchrun(1, 2, 1, 1)).find("local rank 1 is not below the local world size 1"), std::string::npos);
  EXPECT_NE(error_of(torchrun(0, 2, 0, 4)).find("the local world size 4 is not between 1 and the world size"),
            std::string::npos);
  EXPECT_NE(error_of(torchrun(0, 0, 0, 1)).find("the world size is 0"), std::string::npos);
  auto words = torchrun(0, 2, 0, 2);
  words["RANK"] = "one";
  EXPECT_NE(error_of(words).find("RANK='one' is not a whole number"), std::string::npos);
  words = torchrun(0, 2, 0, 2);
  words["RANK"] = "-1";
  EXPECT_NE(error_of(words).find("RANK='-1' is not a whole number"), std::string::npos);
  auto port = torchrun(0, 2, 0, 2);
  port["MASTER_PORT"] = "70000";
  EXPECT_NE(error_of(port).find("MASTER_PORT='70000' is not a port"), std::string::npos);
}

std::map<std::string, std::string> slurm(int procid, int node) {
  return {{"SLURM_PROCID", std::to_string(procid)},
          {"SLURM_NTASKS", "10"},
          {"SLURM_LOCALID", std::to_string(procid % 4)},
          {"SLURM_NODEID", std::to_string(node)},
          {"SLURM_TASKS_PER_NODE", "4(x2),2"},
          {"SLURM_JOB_NODELIST", "gpu[07-09]"},
          {"SLURM_JOB_ID", "4321987"},
          {"SLURM_STEP_NUM_TASKS", "10"}};
}

TEST(LaunchEnvironment, ReadsSlurmWithTheFirstNodeAsMaster) {
  const auto id = read_launch_environment(environment_of(slurm(9, 2)));
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->launcher, "slurm");
  EXPECT_EQ(id->rank, 9);
  EXPECT_EQ(id->world_size, 10);
  EXPECT_EQ(id->local_rank, 1);
  EXPECT_EQ(id->local_world_size, 2);  // the third node runs 2 tasks
  EXPECT_EQ(id->master_address, "gpu07");
  EXPECT_EQ(id->master_port, 15000 + 1987);
  auto chosen = slurm(0, 0);
  chosen["MASTER_PORT"] = "29400";
  chosen["MASTER_ADDR"] = "head";
  const auto explicit_master = read_launch_environment(environment_of(chosen));
  EXPECT_EQ(explicit_master->master_port, 29400);
  EXPECT_EQ(explicit_master->master_address, "head");
  EXPECT_EQ(explicit_master->local_world_size, 4);
}

TEST(LaunchEnvironment, TorchrunInsideSlurmWins) {
  auto both = slurm(3, 0);
  for (const auto& [name, value] : torchrun(1, 2, 1, 2)) both[name] = value;
  const auto id = read_launch_environment(environment_of(both));
  EXPECT_EQ(id->launcher, "torchrun");
  EXPECT_EQ(id->world_size, 2);
}

TEST(LaunchEnvironment, PartialOrInconsistentSlurmIsOneClearError) {
  auto partial = slurm(0, 0);
  partial.erase("SLURM_TASKS_PER_NODE");
  partial.erase("SLURM_JOB_NODELIST");
  EXPECT_NE(error_of(partial).find("SLURM_PROCID is set but SLURM_TASKS_PER_NODE, SLURM_JOB_NODELIST not"),
            std::string::npos)
      << error_of(partial);
  auto beyond = slurm(0, 3);
  EXPECT_NE(error_of(beyond).find("describes 3 nodes, not node 3"), std::string::npos) << error_of(beyond);
  auto no_port = slurm(0, 0);
  no_port.erase("SLURM_JOB_ID");
  EXPECT_NE(error_of(no_port).find("set MASTER_PORT"), std::string::npos);
  auto local = slurm(0, 0);
  local["SLURM_LOCALID"] = "5";
  EXPECT_NE(error_of(local).find("local rank 5 is not below the local world size 4"), std::string::npos);
}

TEST(LaunchEnvironment, AnSbatchScriptsOwnProcessOutsideSrunIsToldAtOnce) {
  auto batch_step = slurm(0, 0);
  batch_step.erase("SLURM_STEP_NUM_TASKS");
  EXPECT_NE(error_of(batch_step).find("SLURM_NTASKS=10 but this process is not one of an srun step's tasks (no "
                                      "SLURM_STEP_NUM_TASKS): inside an sbatch script, start it as `srun trainbench"),
            std::string::npos)
      << error_of(batch_step);
  batch_step["SLURM_STEP_NUM_TASKS"] = "1";  // where the batch step says it has one task
  EXPECT_NE(error_of(batch_step).find("SLURM_STEP_NUM_TASKS=1"), std::string::npos) << error_of(batch_step);
  // A job of one task needs no srun.
  auto alone = slurm(0, 0);
  alone["SLURM_NTASKS"] = "1";
  alone["SLURM_TASKS_PER_NODE"] = "1";
  alone.erase("SLURM_STEP_NUM_TASKS");
  EXPECT_EQ(error_of(alone), "");
}

TEST(LaunchEnvironment, SlurmsCpusOnTheNodeAreRead) {
  auto values = slurm(1, 0);
  values["SLURM_CPUS_ON_NODE"] = "32";
  EXPECT_EQ(read_launch_environment(environment_of(values))->cpus_on_node, 32);
  EXPECT_FALSE(read_launch_environment(environment_of(slurm(1, 0)))->cpus_on_node);
}

TEST(LaunchEnvironment, ExpandsSlurmNodeLists) {
  EXPECT_EQ(expand_slurm_nodelist("gpu[01-03,7],login1"),
            (std::vector<std::string>{"gpu01", "gpu02", "gpu03", "gpu7", "login1"}));
  EXPECT_EQ(expand_slurm_nodelist("node5"), (std::vector<std::string>{"node5"}));
  EXPECT_EQ(expand_slurm_nodelist("a[9-10]-ib,b"), (std::vector<std::string>{"a9-ib", "a10-ib", "b"}));
  EXPECT_EQ(expand_slurm_nodelist("rack[008-010]"), (std::vector<std::string>{"rack008", "rack009", "rack010"}));
  for (const char* bad : {"", "gpu[1-", "gpu[3-1]", "gpu[a]", "gpu[1],", "gpu[]", ",x"}) {
    EXPECT_THROW(expand_slurm_nodelist(bad), UsageError) << bad;
  }
}

TEST(LaunchEnvironment, ReadsTasksPerNode) {
  EXPECT_EQ(slurm_tasks_on_node("4", 0), 4);
  EXPECT_EQ(slurm_tasks_on_node("4(x2),3", 1), 4);
  EXPECT_EQ(slurm_tasks_on_node("4(x2),3", 2), 3);
  EXPECT_THROW(slurm_tasks_on_node("4(x2),3", 3), UsageError);
  for (const char* bad : {"", "x", "4(x0)", "4(x2", "4(2)"}) EXPECT_THROW(slurm_tasks_on_node(bad, 0), UsageError) << bad;
}

}  // namespace
}  // namespace trainbench::dist
