#include "dist/launch_environment.h"

#include <cctype>
#include <cstdlib>
#include <iterator>

#include "core/error.h"
#include "core/text.h"

namespace trainbench::dist {
namespace {

const char* const kTorchrunVariables[] = {"RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR",
                                          "MASTER_PORT"};

// A whole non-negative decimal number, nothing around it.
std::optional<long long> parse_count(const std::string& text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return std::stoll(text);
}

int count_variable(const EnvironmentReader& environment, const std::string& name) {
  const std::string value = environment(name).value_or("");
  const std::optional<long long> number = parse_count(value);
  if (!number) throw UsageError(name + "='" + value + "' is not a whole number");
  return static_cast<int>(*number);
}

// Those of NAMES the environment does not set.
std::vector<std::string> unset_variables(const EnvironmentReader& environment, const std::vector<std::string>& names) {
  std::vector<std::string> unset;
  for (const std::string& name : names) {
    if (!environment(name)) unset.push_back(name);
  }
  return unset;
}

int port_from(const std::string& name, const std::string& value) {
  const std::optional<long long> port = parse_count(value);
  if (!port || *port < 1 || *port > 65535) throw UsageError(name + "='" + value + "' is not a port (1-65535)");
  return static_cast<int>(*port);
}

// The relations every launcher's numbers must keep; `names` says which
// variables hold them, for the message.
void check_consistent(const LaunchIdentity& id, const std::string& names) {
  std::vector<std::string> problems;
  if (id.world_size < 1) problems.push_back("the world size is " + std::to_string(id.world_size));
  if (id.rank >= id.world_size) {
    problems.push_back("rank " + std::to_string(id.rank) + " is not below the world size " + std::to_string(id.world_size));
  }
  if (id.local_world_size < 1 || id.local_world_size > id.world_size) {
    problems.push_back("the local world size " + std::to_string(id.local_world_size) + " is not between 1 and the world size");
  }
  if (id.local_rank >= id.local_world_size) {
    problems.push_back("local rank " + std::to_string(id.local_rank) + " is not below the local world size " +
                       std::to_string(id.local_world_size));
  }
  if (id.local_rank > id.rank) problems.push_back("local rank " + std::to_string(id.local_rank) + " exceeds the rank");
  if (id.master_address.empty()) problems.push_back("the master address is empty");
  if (!problems.empty()) {
    throw UsageError("inconsistent " + id.launcher + " environment (" + names + "): " + core::join(problems, "; "));
  }
}

LaunchIdentity read_torchrun(const EnvironmentReader& environment) {
  const std::vector<std::string> missing =
      unset_variables(environment, {std::begin(kTorchrunVariables), std::end(kTorchrunVariables)});
  if (!missing.empty()) {
    throw UsageError("a partial torchrun environment: " + core::join(missing) +
                     " not set (a data-parallel process needs all of RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, "
                     "MASTER_ADDR, MASTER_PORT; unset RANK and WORLD_SIZE for a single-process run)");
  }
  LaunchIdentity id;
  id.launcher = "torchrun";
  id.rank = count_variable(environment, "RANK");
  id.world_size = count_variable(environment, "WORLD_SIZE");
  id.local_rank = count_variable(environment, "LOCAL_RANK");
  id.local_world_size = count_variable(environment, "LOCAL_WORLD_SIZE");
  id.master_address = core::trim(*environment("MASTER_ADDR"));
  id.master_port = port_from("MASTER_PORT", *environment("MASTER_PORT"));
  check_consistent(id, "RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR");
  // torchrun (1.13 and 2.x, static and c10d rendezvous) tells its workers
  // that its agent hosts the store (torch/distributed/rendezvous.py).
  id.agent_store = environment("TORCHELASTIC_USE_AGENT_STORE").value_or("") == "True";
  if (id.agent_store) {
    const std::optional<std::string> attempt = environment("TORCHELASTIC_RESTART_COUNT");
    id.restart_count = attempt ? count_variable(environment, "TORCHELASTIC_RESTART_COUNT") : 0;
  }
  return id;
}

LaunchIdentity read_slurm(const EnvironmentReader& environment) {
  const std::optional<std::string> nodelist =
      environment("SLURM_JOB_NODELIST") ? environment("SLURM_JOB_NODELIST") : environment("SLURM_NODELIST");
  std::vector<std::string> missing =
      unset_variables(environment, {"SLURM_NTASKS", "SLURM_LOCALID", "SLURM_NODEID", "SLURM_TASKS_PER_NODE"});
  if (!nodelist) missing.push_back("SLURM_JOB_NODELIST");
  if (!missing.empty()) {
    throw UsageError("a partial Slurm environment: SLURM_PROCID is set but " + core::join(missing) +
                     " not (start each task with srun)");
  }
  LaunchIdentity id;
  id.launcher = "slurm";
  id.rank = count_variable(environment, "SLURM_PROCID");
  id.world_size = count_variable(environment, "SLURM_NTASKS");
  id.local_rank = count_variable(environment, "SLURM_LOCALID");
  const int node = count_variable(environment, "SLURM_NODEID");
  id.local_world_size = slurm_tasks_on_node(*environment("SLURM_TASKS_PER_NODE"), node);
  const std::vector<std::string> hosts = expand_slurm_nodelist(*nodelist);
  if (node >= static_cast<int>(hosts.size())) {
    throw UsageError("SLURM_NODEID=" + std::to_string(node) + " but SLURM_JOB_NODELIST names " +
                     std::to_string(hosts.size()) + " nodes");
  }
  id.master_address = environment("MASTER_ADDR").value_or(hosts.front());
  if (const std::optional<std::string> port = environment("MASTER_PORT")) {
    id.master_port = port_from("MASTER_PORT", *port);
  } else if (const std::optional<std::string> job = environment("SLURM_JOB_ID")) {
    // A port derived from the job, so two jobs sharing a node do not collide
    // (as PyTorch Lightning does: 15000 + the job id's last four digits).
    const std::optional<long long> job_id = parse_count(core::trim(*job));
    if (!job_id) throw UsageError("SLURM_JOB_ID='" + *job + "' is not a number; set MASTER_PORT");
    id.master_port = 15000 + static_cast<int>(*job_id % 10000);
  } else {
    throw UsageError("a Slurm environment without SLURM_JOB_ID or MASTER_PORT: set MASTER_PORT");
  }
  check_consistent(id, "SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, SLURM_TASKS_PER_NODE");
  // srun starts every task of a step and says how many (SLURM_STEP_NUM_TASKS).
  // An sbatch script's own commands run in the batch step, as one process,
  // however many tasks the job asked for: the other ranks would never come.
  const std::optional<std::string> step_tasks = environment("SLURM_STEP_NUM_TASKS");
  const std::optional<long long> step_count = step_tasks ? parse_count(core::trim(*step_tasks)) : std::nullopt;
  if (id.world_size > 1 && step_count != id.world_size) {
    throw UsageError("SLURM_NTASKS=" + std::to_string(id.world_size) +
                     " but this process is not one of an srun step's tasks (" +
                     (step_tasks ? "SLURM_STEP_NUM_TASKS=" + *step_tasks : std::string("no SLURM_STEP_NUM_TASKS")) +
                     "): inside an sbatch script, start it as `srun trainbench ...`, which starts all " +
                     std::to_string(id.world_size) + " tasks");
  }
  if (const std::optional<std::string> cpus = environment("SLURM_CPUS_ON_NODE")) {
    const std::optional<long long> count = parse_count(core::trim(*cpus));
    if (count && *count > 0) id.cpus_on_node = static_cast<int>(*count);
  }
  return id;
}

}  // namespace

EnvironmentReader process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::optional<LaunchIdentity> read_launch_environment(const EnvironmentReader& environment) {
  std::optional<LaunchIdentity> identity;
  if (environment("RANK") || environment("WORLD_SIZE")) {
    identity = read_torchrun(environment);
  } else if (environment("SLURM_PROCID")) {
    identity = read_slurm(environment);
  } else {
    return std::nullopt;
  }
  if (const std::optional<std::string> timeout = environment("TRAINBENCH_LAUNCH_TIMEOUT"); timeout && !timeout->empty()) {
    const std::optional<long long> seconds = parse_count(core::trim(*timeout));
    if (!seconds || *seconds < 1 || *seconds > 1000000) {
      throw UsageError("TRAINBENCH_LAUNCH_TIMEOUT must be a whole number of seconds from 1 to 1000000 (got '" + *timeout +
                       "')");
    }
    identity->launch_timeout_seconds = static_cast<int>(*seconds);
  }
  return identity;
}

int resolve_collective_timeout(std::optional<int> flag_seconds, const std::optional<LaunchIdentity>& identity,
                               int otherwise) {
  if (flag_seconds) return *flag_seconds;
  if (identity && identity->launch_timeout_seconds) return *identity->launch_timeout_seconds;
  return otherwise;
}

std::vector<std::string> expand_slurm_nodelist(const std::string& list) {
  auto malformed = [&](const std::string& why) { return UsageError("SLURM_JOB_NODELIST='" + list + "': " + why); };
  std::vector<std::string> hosts;
  std::size_t i = 0;
  while (i < list.size()) {
    // One entry: a prefix, then an optional [ranges] and an optional suffix.
    std::string prefix;
    while (i < list.size() && list[i] != ',' && list[i] != '[') prefix += list[i++];
    if (i < list.size() && list[i] == '[') {
      const std::size_t close = list.find(']', i);
      if (close == std::string::npos) throw malformed("a '[' without its ']'");
      const std::string ranges = list.substr(i + 1, close - i - 1);
      i = close + 1;
      std::string suffix;
      while (i < list.size() && list[i] != ',') {
        if (list[i] == '[') throw malformed("more than one [ranges] in one name is not supported");
        suffix += list[i++];
      }
      std::size_t start = 0;
      while (start <= ranges.size()) {
        const std::size_t comma = std::min(ranges.find(',', start), ranges.size());
        const std::string range = ranges.substr(start, comma - start);
        const std::size_t dash = range.find('-');
        const std::string low = range.substr(0, dash);
        const std::string high = dash == std::string::npos ? low : range.substr(dash + 1);
        const std::optional<long long> from = parse_count(low);
        const std::optional<long long> to = parse_count(high);
        if (!from || !to || *to < *from) throw malformed("'" + range + "' is not a number or a low-high range");
        if (*to - *from > 100000) throw malformed("the range '" + range + "' is implausibly long");
        for (long long n = *from; n <= *to; ++n) {
          std::string digits = std::to_string(n);
          if (digits.size() < low.size()) digits.insert(0, low.size() - digits.size(), '0');  // "01-03"
          hosts.push_back(prefix + digits + suffix);
        }
        start = comma + 1;
      }
    } else if (prefix.empty()) {
      throw malformed("an empty host name");
    } else {
      hosts.push_back(prefix);
    }
    if (i < list.size() && list[i] == ',') {
      ++i;
      if (i == list.size()) throw malformed("a trailing ','");
    }
  }
  if (hosts.empty()) throw malformed("no hosts");
  return hosts;
}

int slurm_tasks_on_node(const std::string& tasks_per_node, int node) {
  auto malformed = [&] { return UsageError("SLURM_TASKS_PER_NODE='" + tasks_per_node + "' is not of the form 4(x2),3"); };
  int first_node = 0;
  std::size_t start = 0;
  while (start < tasks_per_node.size()) {
    const std::size_t comma = std::min(tasks_per_node.find(',', start), tasks_per_node.size());
    const std::string entry = tasks_per_node.substr(start, comma - start);
    const std::size_t paren = entry.find("(x");
    const std::optional<long long> tasks = parse_count(entry.substr(0, paren));
    std::optional<long long> repeat = 1;
    if (paren != std::string::npos) {
      if (entry.back() != ')') throw malformed();
      repeat = parse_count(entry.substr(paren + 2, entry.size() - paren - 3));
    }
    if (!tasks || !repeat || *repeat < 1) throw malformed();
    if (node < first_node + *repeat) return static_cast<int>(*tasks);
    first_node += static_cast<int>(*repeat);
    start = comma + 1;
  }
  throw UsageError("SLURM_TASKS_PER_NODE='" + tasks_per_node + "' describes " + std::to_string(first_node) +
                   " nodes, not node " + std::to_string(node));
}

}  // namespace trainbench::dist
