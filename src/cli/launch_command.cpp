#include <errno.h>  // program_invocation_name

#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "dist/local_launcher.h"

namespace trainbench::cli {

void add_launch_command(CLI::App& app, int* exit_code) {
  auto plan = std::make_shared<dist::LaunchPlan>();
  CLI::App* cmd = app.add_subcommand(
      "launch",
      "Run `train` or `bench` data-parallel on this machine, as torchrun does: start --nproc-per-node copies of "
      "trainbench with the command after --, each with torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK, "
      "LOCAL_WORLD_SIZE, GROUP_RANK, NODE_RANK, MASTER_ADDR, MASTER_PORT; TRAINBENCH_LAUNCH_TIMEOUT; "
      "OMP_NUM_THREADS = this machine's cores / --nproc-per-node unless you set it). Rank 0 writes to this "
      "terminal as a lone run would (its progress bars); every other rank's lines come with a `[rank R] ` prefix. "
      "Ctrl-C (SIGINT) or SIGTERM is passed to every rank, which saves a checkpoint and stops; a rank still running "
      "--timeout seconds later is killed. When one rank fails, launch says which and how, stops the others "
      "(SIGTERM, then SIGKILL after --timeout) and exits non-zero with that rank's code; killing launch kills its "
      "ranks. Each rank runs in its own process group, so a terminal's Ctrl-C reaches them once, through launch.\n"
      "Several machines: run launch on each with the same --nnodes, --master-addr (node 0's address, reachable by "
      "all) and --master-port, and each machine's own --node-rank; for two machines of 4 GPUs each:\n"
      "  on 10.0.0.1: trainbench launch --nnodes 2 --node-rank 0 --nproc-per-node 4 --master-addr 10.0.0.1 -- "
      "train --data data/gestures\n"
      "  on 10.0.0.2: trainbench launch --nnodes 2 --node-rank 1 --nproc-per-node 4 --master-addr 10.0.0.1 -- "
      "train --data data/gestures\n"
      "One machine: trainbench launch --nproc-per-node 2 -- train --data data/gestures");
  cmd->add_option("--nproc-per-node", plan->nproc_per_node, "Ranks to start on this machine (one per GPU, usually)")
      ->capture_default_str()
      ->check(whole_number("1 or more"));
  cmd->add_option("--nnodes", plan->nnodes, "Machines in the job")->capture_default_str()->check(whole_number("1 or more"));
  cmd->add_option("--node-rank", plan->node_rank, "This machine's number, 0 to --nnodes - 1 (0 runs the master)")
      ->capture_default_str()
      ->check(whole_number("0 to --nnodes - 1"));
  cmd->add_option("--master-addr", plan->master_addr,
                  std::string("Address of node 0, where the ranks meet (default ") + dist::kDefaultMasterAddress +
                      ", which only one machine can use: required with --nnodes above 1)");
  cmd->add_option("--master-port", plan->master_port, "TCP port on the master where the ranks meet")
      ->capture_default_str()
      ->check(whole_number("a port, 1 to 65535"));
  cmd->add_option("--timeout", plan->timeout_seconds,
                  "Seconds the ranks get to stop once asked (Ctrl-C, another rank failed) before SIGKILL; also "
                  "their wait for each other at the start")
      ->capture_default_str()
      ->check(whole_number("seconds, 1 or more"));
  // Everything after -- is the command, verbatim (its own flags included):
  // a positional list takes it, since CLI11 stops reading options at --.
  cmd->add_option("command", plan->command, "The command each rank runs, after --: train ... or bench ...");
  cmd->callback([plan, exit_code] {
    dist::validate(*plan);
    // /proc/self/exe: this very program, even if its file was replaced since;
    // the ranks still call themselves what the user typed.
    plan->program_name = program_invocation_name;
    *exit_code = dist::run_local_ranks(*plan, "/proc/self/exe");
  });
}

}  // namespace trainbench::cli
