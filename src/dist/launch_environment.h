#pragma once
// Who this process is in a data-parallel job, read from the environment the
// launcher left: torchrun's (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
// MASTER_ADDR, MASTER_PORT, and whether its agent hosts the store; also what
// `trainbench launch` sets) or Slurm's
// under srun (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, the tasks per node,
// and the first host of SLURM_JOB_NODELIST as the master; a process of an
// sbatch script outside srun is refused at once). A partial or
// inconsistent environment is one UsageError naming the variables, before
// anything starts; a process no launcher started is a single-process run.
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace trainbench::dist {

struct LaunchIdentity {
  std::string launcher;  // "torchrun" or "slurm"
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;
  std::string master_address;
  int master_port = 0;
  // What `trainbench launch --timeout` passed (TRAINBENCH_LAUNCH_TIMEOUT);
  // nullopt under other launchers.
  std::optional<int> launch_timeout_seconds;
  // torchrun's agent already hosts the store on master_address:master_port
  // (TORCHELASTIC_USE_AGENT_STORE=True): every rank is a client, its keys under
  // /worker/attempt_<TORCHELASTIC_RESTART_COUNT>, so a restarted attempt starts clean.
  bool agent_store = false;
  int restart_count = 0;
  // Slurm: the CPUs the job holds on this node (SLURM_CPUS_ON_NODE). A task
  // whose own CPU affinity is narrower was bound to its cores by srun.
  std::optional<int> cpus_on_node;
};

// Seconds ranks wait for each other when nothing says otherwise.
constexpr int kDefaultCollectiveTimeoutSeconds = 300;

// The collective timeout from its sources, in order: the --dist-timeout the
// user gave (`flag_seconds`), else what `launch --timeout` passed, else
// `otherwise` (300, or a resumed run's own).
int resolve_collective_timeout(std::optional<int> flag_seconds, const std::optional<LaunchIdentity>& identity,
                               int otherwise = kDefaultCollectiveTimeoutSeconds);

// Reads a variable; nullopt when it is unset.
using EnvironmentReader = std::function<std::optional<std::string>(const std::string&)>;
EnvironmentReader process_environment();

// The identity the environment describes, or nullopt when no launcher's
// variables are set. torchrun's variables win when both are present
// (torchrun started inside an srun step). Throws UsageError.
std::optional<LaunchIdentity> read_launch_environment(const EnvironmentReader& environment);

// Slurm's compressed host list, expanded in order: "gpu[01-03,7],login1" ->
// gpu01, gpu02, gpu03, gpu7, login1 (zero padding kept). Throws UsageError
// for a malformed list.
std::vector<std::string> expand_slurm_nodelist(const std::string& list);

// Tasks on node `node` from SLURM_TASKS_PER_NODE's "4(x2),3" form (node 0
// and 1 run 4, node 2 runs 3). Throws UsageError when malformed or too short.
int slurm_tasks_on_node(const std::string& tasks_per_node, int node);

}  // namespace trainbench::dist
