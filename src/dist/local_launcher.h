#pragma once
// `trainbench launch`: torchrun's job for one machine. It starts
// --nproc-per-node copies of a command, each with the environment torchrun
// gives its ranks (which dist/launch_environment.h reads back), forwards the
// other ranks' output with a "[rank R] " prefix, passes Ctrl-C on to them, and
// stops them all when one fails, so a data-parallel job never hangs with a
// rank missing. Plain: no LibTorch here, the launcher only supervises.
#include <cstdio>
#include <string>
#include <vector>

namespace trainbench::dist {

inline constexpr const char* kDefaultMasterAddress = "127.0.0.1";
inline constexpr int kDefaultMasterPort = 29500;
inline constexpr int kDefaultLaunchTimeoutSeconds = 300;

struct LaunchPlan {
  int nproc_per_node = 1;  // ranks on this machine
  int nnodes = 1;          // machines in the job
  int node_rank = 0;       // this machine's place among them, from 0
  // Empty when --master-addr was not given: kDefaultMasterAddress then, which
  // only a one-machine job can use (validate() says so for more).
  std::string master_addr;
  int master_port = kDefaultMasterPort;
  // How long the ranks may take to stop once asked (and, through
  // TRAINBENCH_LAUNCH_TIMEOUT, to meet at the rendezvous) before SIGKILL.
  int timeout_seconds = kDefaultLaunchTimeoutSeconds;
  std::vector<std::string> command;  // what each rank runs: {"train", "--data", "d", ...}
  // The ranks' argv[0] (what they call themselves in messages); empty: the binary's path.
  std::string program_name;
};

// Throws UsageError, naming the flag, for a plan that cannot start: counts
// below 1, a node rank outside 0..nnodes-1, a port outside 1..65535, a
// timeout of 0, no command or one other than train/bench (the commands that
// run data-parallel), several nodes without --master-addr.
void validate(const LaunchPlan& plan);

// The address the ranks meet at: plan.master_addr, or kDefaultMasterAddress.
std::string master_address(const LaunchPlan& plan);

// The environment of local rank `local_rank` (0 <= local_rank <
// nproc_per_node) as "NAME=value" entries: `base` (an environ-like list) with
// torchrun's variables set or replaced (RANK, WORLD_SIZE, LOCAL_RANK,
// LOCAL_WORLD_SIZE, GROUP_RANK, NODE_RANK, MASTER_ADDR, MASTER_PORT),
// TRAINBENCH_LAUNCH_TIMEOUT, and OMP_NUM_THREADS = max(1, cores /
// nproc_per_node) unless `base` already sets it (the ranks share the cores;
// a user's own choice wins). Pure: nothing is read from this process.
std::vector<std::string> child_environment(const LaunchPlan& plan, int local_rank,
                                           const std::vector<std::string>& base, int cores);

// A TCP port on 127.0.0.1 that no one listens on at the moment of asking,
// for a one-machine job (bench --scaling, tests). Throws RunError.
int free_loopback_port();

// This process's environment, as child_environment's `base`.
std::vector<std::string> current_environment();

// Where the launcher writes. Ranks other than global rank 0 have their stdout
// and stderr lines forwarded to `out` and `err` with a "[rank R] " prefix;
// global rank 0 writes to the file descriptors of `out` and `err` directly
// (no pipe, no prefix: it is the one voice, and its progress bars redraw
// with '\r'); the launcher's own messages go to `err`.
struct LaunchStreams {
  std::FILE* out = stdout;
  std::FILE* err = stderr;
};

// Starts plan.nproc_per_node processes of `binary` with plan.command as
// argv[1...] (argv[0] is `binary`) and child_environment() over this
// process's environment, each in its own process group with stdin from
// /dev/null, and supervises them until all have ended:
// - SIGINT or SIGTERM sent to the launcher is passed to every rank, which then
//   has plan.timeout_seconds to stop before SIGKILL;
// - the first rank that exits non-zero or dies by a signal is reported on
//   `err`; the others get SIGTERM and the same timeout;
// - the ranks die with the launcher, even when it is SIGKILLed.
// Returns 0 when every rank exited 0; else the first failed rank's exit code
// (128 + signal when it was killed), or 128 + the signal that interrupted the
// launcher. Does not call validate() (the command decides what a plan may
// run; tests run /bin/sh). Throws RunError when a rank cannot be started,
// after killing those that were.
int run_local_ranks(const LaunchPlan& plan, const std::string& binary, const LaunchStreams& streams = {});

}  // namespace trainbench::dist
