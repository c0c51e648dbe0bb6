#include "dist/local_launcher.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <iterator>
#include <optional>
#include <stdexcept>

#include "core/error.h"
#include "core/threads.h"

extern char** environ;

namespace trainbench::dist {
namespace {

using Clock = std::chrono::steady_clock;

// A line longer than this without a newline is forwarded in pieces, so a rank
// that never writes one cannot grow the launcher's memory without end.
constexpr std::size_t kLongestLine = 64 * 1024;
// After SIGKILL a process may still take a moment to go (it sits in the
// kernel finishing I/O); the launcher waits this long, then gives up on it.
constexpr std::chrono::seconds kAfterKill{10};
// Once every rank has ended, output still in their pipes is read for at most
// this long: a grandchild that kept a pipe open must not hold the launcher.
constexpr std::chrono::seconds kDrain{1};

std::string name_of(const char* flag, int value) { return std::string(flag) + " " + std::to_string(value); }

const char* signal_name(int signal_number) {
  switch (signal_number) {
    case SIGHUP: return "SIGHUP";
    case SIGINT: return "SIGINT";
    case SIGQUIT: return "SIGQUIT";
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGUSR1: return "SIGUSR1";
    case SIGSEGV: return "SIGSEGV";
    case SIGUSR2: return "SIGUSR2";
    case SIGPIPE: return "SIGPIPE";
    case SIGALRM: return "SIGALRM";
    case SIGTERM: return "SIGTERM";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    default: return nullptr;
  }
}

std::string describe_signal(int signal_number) {
  const char* name = signal_name(signal_number);
  return name ? name : "signal " + std::to_string(signal_number);
}

// ---- Signals reach the poll() loop through a pipe (the self-pipe trick):
// the handler only writes the signal's number, which is async-signal-safe,
// and the loop wakes at once instead of at its next timeout.

volatile sig_atomic_t g_wake_fd = -1;

extern "C" void on_launcher_signal(int signal_number) {
  const int saved_errno = errno;
  const unsigned char byte = static_cast<unsigned char>(signal_number);
  if (g_wake_fd >= 0) {
    // A full pipe already holds a wake-up; losing this byte loses nothing
    // that the next reaping pass would not find.
    [[maybe_unused]] const ssize_t written = write(g_wake_fd, &byte, 1);
  }
  errno = saved_errno;
}

constexpr int kRoutedSignals[] = {SIGINT, SIGTERM, SIGCHLD, SIGPIPE};

// Installs the launcher's handlers for as long as it supervises and puts the
// previous ones back after (the launcher runs inside the test program too).
// SIGPIPE is ignored: a reader of the launcher's output that went away must
// cost the ranks' output, not the launcher and, through it, the ranks.
class SignalRoute {
 public:
  SignalRoute() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) throw RunError(std::string("launch: pipe: ") + std::strerror(errno));
    read_fd_ = fds[0];
    write_fd_ = fds[1];
    g_wake_fd = write_fd_;
    for (std::size_t i = 0; i < std::size(kRoutedSignals); ++i) {
      struct sigaction action {};
      action.sa_handler = kRoutedSignals[i] == SIGPIPE ? SIG_IGN : on_launcher_signal;
      sigemptyset(&action.sa_mask);
      action.sa_flags = SA_RESTART | (kRoutedSignals[i] == SIGCHLD ? SA_NOCLDSTOP : 0);
      sigaction(kRoutedSignals[i], &action, &previous_[i]);
    }
  }
  ~SignalRoute() {
    for (std::size_t i = 0; i < std::size(kRoutedSignals); ++i) sigaction(kRoutedSignals[i], &previous_[i], nullptr);
    g_wake_fd = -1;
    close(read_fd_);
    close(write_fd_);
  }
  SignalRoute(const SignalRoute&) = delete;
  SignalRoute& operator=(const SignalRoute&) = delete;

  int fd() const { return read_fd_; }

  // The stop signals (SIGINT, SIGTERM) that arrived since the last call.
  std::vector<int> take_stop_signals() const {
    std::vector<int> signals;
    unsigned char bytes[256];
    ssize_t n = 0;
    while ((n = read(read_fd_, bytes, sizeof bytes)) > 0) {
      for (ssize_t i = 0; i < n; ++i) {
        if (bytes[i] == SIGINT || bytes[i] == SIGTERM) signals.push_back(bytes[i]);
      }
    }
    return signals;
  }

  // What a rank must have instead of the launcher's handlers: the default,
  // so that the SIGINT and SIGTERM the launcher passes on reach it even when
  // the launcher was started ignoring them (a background job of a script);
  // SIGPIPE as the launcher was given it.
  struct sigaction for_child(std::size_t index) const {
    if (kRoutedSignals[index] == SIGPIPE && previous_[index].sa_handler == SIG_IGN) return previous_[index];
    struct sigaction action {};
    action.sa_handler = SIG_DFL;
    return action;
  }

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
  struct sigaction previous_[std::size(kRoutedSignals)] {};
};

// ---- One rank's output stream, forwarded line by line with its prefix.

struct ForwardedStream {
  int fd = -1;  // the pipe's read end; -1 once closed (or for rank 0)
  std::FILE* sink = nullptr;
  std::string prefix;
  std::string pending;

  void write_line(const std::string& text) const {
    const std::string line = prefix + text + "\n";
    std::fwrite(line.data(), 1, line.size(), sink);
    std::fflush(sink);
  }

  // Reads what the pipe holds; forwards every whole line. Closes at EOF.
  void read_available() {
    char buffer[16384];
    for (;;) {
      const ssize_t n = read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      if (n <= 0) {
        finish();
        return;
      }
      pending.append(buffer, static_cast<std::size_t>(n));
      std::size_t start = 0;
      for (std::size_t end = pending.find('\n'); end != std::string::npos; end = pending.find('\n', start)) {
        write_line(pending.substr(start, end - start));
        start = end + 1;
      }
      pending.erase(0, start);
      while (pending.size() >= kLongestLine) {
        write_line(pending.substr(0, kLongestLine));
        pending.erase(0, kLongestLine);
      }
    }
  }

  // The last line, even without its newline, then the pipe is closed.
  void finish() {
    if (!pending.empty()) write_line(pending);
    pending.clear();
    if (fd >= 0) close(fd);
    fd = -1;
  }
};

struct Rank {
  int rank = 0;
  pid_t pid = -1;
  bool running = false;
  ForwardedStream out, err;
  // Prepared before fork(): the child may only make async-signal-safe calls.
  std::vector<std::string> environment;
  std::vector<char*> envp;
  int child_out = -1, child_err = -1;  // what becomes the child's fd 1 and 2
};

void close_quietly(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

// Sends `signal_number` to a rank's process group (the rank and whatever it
// started), or to the rank alone if the group is gone.
void signal_rank(const Rank& rank, int signal_number) {
  if (!rank.running) return;
  if (kill(-rank.pid, signal_number) != 0) kill(rank.pid, signal_number);
}

// Runs in the child between fork() and exec: async-signal-safe calls only.
[[noreturn]] void become_rank(const Rank& rank, pid_t launcher, const SignalRoute& route, const sigset_t& mask,
                              const char* binary, char* const* argv, const char* exec_failed) {
  // Its own process group: a terminal's Ctrl-C reaches the launcher alone,
  // which passes it on once, so a rank never sees it twice (the second
  // SIGINT makes trainbench quit without saving, see core/interrupt.h).
  setpgid(0, 0);
  // Dies with the launcher, even a SIGKILLed one. (The signal follows the
  // thread that forked, which is the one that supervises until the ranks
  // end.) The launcher may have died before this line: then the parent is
  // already someone else, and the rank must not start.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != launcher) _exit(128 + SIGKILL);
  for (std::size_t i = 0; i < std::size(kRoutedSignals); ++i) {
    const struct sigaction action = route.for_child(i);
    sigaction(kRoutedSignals[i], &action, nullptr);
  }
  sigprocmask(SIG_SETMASK, &mask, nullptr);
  // Copies first, then into place, so that fd 1 and 2 swapped in the
  // launcher cannot overwrite each other; dup2's copies keep no O_CLOEXEC.
  const int out = dup(rank.child_out);
  const int err = dup(rank.child_err);
  if (out < 0 || err < 0) _exit(127);
  dup2(out, STDOUT_FILENO);
  dup2(err, STDERR_FILENO);
  close(out);
  close(err);
  // No rank reads stdin; from a terminal, a read from a process group in the
  // background would stop the rank (SIGTTIN).
  const int null = open("/dev/null", O_RDONLY);
  if (null >= 0 && null != STDIN_FILENO) {
    dup2(null, STDIN_FILENO);
    close(null);
  }
  execve(binary, argv, rank.envp.data());
  const int error = errno;
  [[maybe_unused]] ssize_t written = write(STDERR_FILENO, exec_failed, std::strlen(exec_failed));
  const char* reason = std::strerror(error);
  written = write(STDERR_FILENO, reason, std::strlen(reason));
  written = write(STDERR_FILENO, "\n", 1);
  _exit(127);
}

void say(std::FILE* err, const std::string& text) {
  const std::string line = "trainbench launch: " + text + "\n";
  std::fwrite(line.data(), 1, line.size(), err);
  std::fflush(err);
}

std::string describe_exit(int rank, int status) {
  if (WIFSIGNALED(status)) return "rank " + std::to_string(rank) + " killed by signal " + describe_signal(WTERMSIG(status));
  return "rank " + std::to_string(rank) + " exited with code " + std::to_string(WEXITSTATUS(status));
}

int exit_code_of(int status) { return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status); }

// Kills the ranks already started (a later one could not be) and waits for
// them: SIGKILL cannot be refused, and they have done nothing yet.
void abandon(std::vector<Rank>& ranks) {
  for (Rank& rank : ranks) {
    if (!rank.running) continue;
    kill(-rank.pid, SIGKILL);
    kill(rank.pid, SIGKILL);
    waitpid(rank.pid, nullptr, 0);
    rank.running = false;
  }
  for (Rank& rank : ranks) {
    close_quietly(&rank.out.fd);
    close_quietly(&rank.err.fd);
  }
}

// Makes the pipe whose read end the launcher keeps; returns the write end.
int open_pipe(ForwardedStream* stream, std::FILE* sink, const std::string& prefix) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw RunError(std::string("launch: pipe: ") + std::strerror(errno));
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  stream->fd = fds[0];
  stream->sink = sink;
  stream->prefix = prefix;
  return fds[1];
}

void start_ranks(std::vector<Rank>& ranks, const LaunchPlan& plan, const std::string& binary,
                 const LaunchStreams& streams, const SignalRoute& route) {
  std::vector<std::string> arguments = {plan.program_name.empty() ? binary : plan.program_name};
  arguments.insert(arguments.end(), plan.command.begin(), plan.command.end());
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  const std::string exec_failed = "trainbench launch: cannot run " + binary + ": ";
  const std::vector<std::string> base = current_environment();
  const int cores = core::available_cores();
  const pid_t launcher = getpid();

  // Signals wait while forking: a child must not run the launcher's handler
  // before it has put the rank's in place.
  sigset_t all, mask;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &mask);
  try {
    for (int local = 0; local < plan.nproc_per_node; ++local) {
      Rank& rank = ranks[local];
      rank.rank = plan.node_rank * plan.nproc_per_node + local;
      rank.environment = child_environment(plan, local, base, cores);
      for (std::string& entry : rank.environment) rank.envp.push_back(entry.data());
      rank.envp.push_back(nullptr);
      int pipe_out = -1, pipe_err = -1;
      if (rank.rank == 0) {
        rank.child_out = fileno(streams.out);
        rank.child_err = fileno(streams.err);
      } else {
        const std::string prefix = "[rank " + std::to_string(rank.rank) + "] ";
        pipe_out = rank.child_out = open_pipe(&rank.out, streams.out, prefix);
        pipe_err = rank.child_err = open_pipe(&rank.err, streams.err, prefix);
      }
      std::fflush(streams.out);  // rank 0 writes to the same files
      std::fflush(streams.err);
      const pid_t pid = fork();
      if (pid == 0) become_rank(rank, launcher, route, mask, binary.c_str(), argv.data(), exec_failed.c_str());
      const int fork_error = errno;
      close_quietly(&pipe_out);
      close_quietly(&pipe_err);
      if (pid < 0) {
        throw RunError("launch: cannot start rank " + std::to_string(rank.rank) + ": " + std::strerror(fork_error));
      }
      // Also here, so the group exists before the launcher may signal it.
      setpgid(pid, pid);
      rank.pid = pid;
      rank.running = true;
    }
  } catch (...) {
    abandon(ranks);
    sigprocmask(SIG_SETMASK, &mask, nullptr);
    throw;
  }
  sigprocmask(SIG_SETMASK, &mask, nullptr);
}

// The supervision loop's state: why the ranks are being stopped, and until when.
struct Supervision {
  const LaunchPlan& plan;
  std::FILE* err;
  std::vector<Rank>& ranks;
  int failure_code = 0;     // the first failed rank's, 0 while none
  int interrupt = 0;        // the first stop signal the launcher received
  bool any_nonzero = false;
  bool stopping = false;    // the ranks were asked to stop ...
  Clock::time_point stop_deadline{};  // ... and are SIGKILLed at this time
  bool killed = false;
  Clock::time_point kill_deadline{};

  int running() const {
    return static_cast<int>(std::count_if(ranks.begin(), ranks.end(), [](const Rank& r) { return r.running; }));
  }

  void start_stopping(int signal_number) {
    for (const Rank& rank : ranks) signal_rank(rank, signal_number);
    if (stopping) return;
    stopping = true;
    stop_deadline = Clock::now() + std::chrono::seconds(plan.timeout_seconds);
  }

  void on_stop_signal(int signal_number) {
    if (interrupt == 0) {
      interrupt = signal_number;
      say(err, describe_signal(signal_number) + ": passing it to " + std::to_string(running()) +
                   " rank(s); SIGKILL after " + std::to_string(plan.timeout_seconds) + " s");
    }
    start_stopping(signal_number);
  }

  void on_exit(Rank& rank, int status) {
    rank.running = false;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    any_nonzero = true;
    if (stopping) return;  // asked to stop: not news, not the cause
    failure_code = exit_code_of(status);
    say(err, describe_exit(rank.rank, status));
    if (running() > 0) {
      say(err, "stopping the other " + std::to_string(running()) + " rank(s): SIGTERM, SIGKILL after " +
                   std::to_string(plan.timeout_seconds) + " s");
    }
    start_stopping(SIGTERM);
  }

  void reap() {
    for (Rank& rank : ranks) {
      if (!rank.running) continue;
      int status = 0;
      pid_t done = 0;
      do {
        done = waitpid(rank.pid, &status, WNOHANG);
      } while (done < 0 && errno == EINTR);
      if (done == rank.pid) on_exit(rank, status);
      if (done < 0 && errno == ECHILD) rank.running = false;  // reaped by someone else: nothing to wait for
    }
  }

  void enforce_deadlines() {
    const Clock::time_point now = Clock::now();
    if (stopping && !killed && now >= stop_deadline && running() > 0) {
      for (const Rank& rank : ranks) {
        if (!rank.running) continue;
        say(err, "rank " + std::to_string(rank.rank) + " did not stop within " + std::to_string(plan.timeout_seconds) +
                     " s: SIGKILL");
        signal_rank(rank, SIGKILL);
      }
      killed = true;
      kill_deadline = now + kAfterKill;
    }
  }

  bool past_kill_deadline() const { return killed && Clock::now() >= kill_deadline; }

  // How long poll() may sleep: until the next deadline, and never more than
  // a second (a lost wake-up then costs a second, not the job).
  int poll_timeout_ms() const {
    Clock::time_point next = Clock::now() + std::chrono::seconds(1);
    if (stopping && !killed) next = std::min(next, stop_deadline);
    if (killed) next = std::min(next, kill_deadline);
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count();
    return static_cast<int>(std::max<long long>(0, wait));
  }

  int result() const {
    if (failure_code != 0) return failure_code;
    if (interrupt != 0 && any_nonzero) return 128 + interrupt;
    return any_nonzero ? 1 : 0;
  }
};

void supervise(Supervision& job, const SignalRoute& route) {
  std::optional<Clock::time_point> drain_deadline;
  for (;;) {
    std::vector<pollfd> fds = {{route.fd(), POLLIN, 0}};
    std::vector<ForwardedStream*> streams;
    for (Rank& rank : job.ranks) {
      for (ForwardedStream* stream : {&rank.out, &rank.err}) {
        if (stream->fd < 0) continue;
        fds.push_back({stream->fd, POLLIN, 0});
        streams.push_back(stream);
      }
    }
    if (job.running() == 0) {
      if (streams.empty()) return;
      if (!drain_deadline) drain_deadline = Clock::now() + kDrain;
      if (Clock::now() >= *drain_deadline) {
        for (ForwardedStream* stream : streams) stream->finish();
        return;
      }
    }
    const int timeout = job.running() == 0 ? 100 : job.poll_timeout_ms();
    const int ready = poll(fds.data(), fds.size(), timeout);
    if (ready < 0 && errno != EINTR) throw RunError(std::string("launch: poll: ") + std::strerror(errno));
    for (int signal_number : route.take_stop_signals()) job.on_stop_signal(signal_number);
    for (std::size_t i = 1; ready > 0 && i < fds.size(); ++i) {
      if (fds[i].revents != 0) streams[i - 1]->read_available();
    }
    job.reap();
    job.enforce_deadlines();
    if (job.past_kill_deadline() && job.running() > 0) {
      say(job.err, "gave up waiting for " + std::to_string(job.running()) + " rank(s) after SIGKILL");
      for (Rank& rank : job.ranks) {
        rank.out.finish();
        rank.err.finish();
      }
      return;
    }
  }
}

}  // namespace

void validate(const LaunchPlan& plan) {
  if (plan.nproc_per_node < 1) throw UsageError(name_of("--nproc-per-node", plan.nproc_per_node) + ": must be at least 1");
  if (plan.nnodes < 1) throw UsageError(name_of("--nnodes", plan.nnodes) + ": must be at least 1");
  if (static_cast<long long>(plan.nproc_per_node) * plan.nnodes > 1000000) {
    throw UsageError(name_of("--nproc-per-node", plan.nproc_per_node) + " times " + name_of("--nnodes", plan.nnodes) +
                     ": more ranks than any job can have");
  }
  if (plan.node_rank < 0 || plan.node_rank >= plan.nnodes) {
    throw UsageError(name_of("--node-rank", plan.node_rank) + ": must be from 0 to " + std::to_string(plan.nnodes - 1) +
                     " (--nnodes " + std::to_string(plan.nnodes) + "; nodes count from 0)");
  }
  if (plan.master_port < 1 || plan.master_port > 65535) {
    throw UsageError(name_of("--master-port", plan.master_port) + ": not a port (1-65535)");
  }
  if (plan.timeout_seconds < 1) throw UsageError(name_of("--timeout", plan.timeout_seconds) + ": must be at least 1 second");
  if (plan.nnodes > 1 && plan.master_addr.empty()) {
    throw UsageError("--nnodes " + std::to_string(plan.nnodes) +
                     " needs --master-addr: the address of node 0 that every node can reach (the default, " +
                     kDefaultMasterAddress + ", only works within one machine)");
  }
  if (plan.master_addr.find_first_of(" \t\n") != std::string::npos) {
    throw UsageError("--master-addr '" + plan.master_addr + "': not a host name or address");
  }
  if (plan.command.empty()) {
    throw UsageError("launch needs the command to run after --, as in: trainbench launch --nproc-per-node 2 -- train --data DIR");
  }
  if (plan.command.front() != "train" && plan.command.front() != "bench") {
    throw UsageError("launch -- " + plan.command.front() +
                     ": only train and bench run data-parallel; run other commands without launch");
  }
}

std::string master_address(const LaunchPlan& plan) {
  return plan.master_addr.empty() ? kDefaultMasterAddress : plan.master_addr;
}

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw RunError(std::string("socket(): ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;  // the kernel picks one
  socklen_t length = sizeof address;
  const bool found = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  if (!found) throw RunError("no free TCP port on 127.0.0.1");
  return ntohs(address.sin_port);
}

std::vector<std::string> child_environment(const LaunchPlan& plan, int local_rank,
                                           const std::vector<std::string>& base, int cores) {
  if (local_rank < 0 || local_rank >= plan.nproc_per_node) {
    throw std::out_of_range("child_environment: local rank " + std::to_string(local_rank) + " of " +
                            std::to_string(plan.nproc_per_node));
  }
  std::vector<std::pair<std::string, std::string>> set = {
      {"RANK", std::to_string(plan.node_rank * plan.nproc_per_node + local_rank)},
      {"WORLD_SIZE", std::to_string(plan.nnodes * plan.nproc_per_node)},
      {"LOCAL_RANK", std::to_string(local_rank)},
      {"LOCAL_WORLD_SIZE", std::to_string(plan.nproc_per_node)},
      {"GROUP_RANK", std::to_string(plan.node_rank)},
      {"NODE_RANK", std::to_string(plan.node_rank)},
      {"MASTER_ADDR", master_address(plan)},
      {"MASTER_PORT", std::to_string(plan.master_port)},
      {"TRAINBENCH_LAUNCH_TIMEOUT", std::to_string(plan.timeout_seconds)},
  };
  const auto has_name = [](const std::string& entry, const std::string& name) {
    return entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 && entry[name.size()] == '=';
  };
  const bool user_threads = std::any_of(base.begin(), base.end(),
                                        [&](const std::string& entry) { return has_name(entry, "OMP_NUM_THREADS"); });
  if (!user_threads) set.emplace_back("OMP_NUM_THREADS", std::to_string(std::max(1, cores / plan.nproc_per_node)));

  std::vector<std::string> environment;
  for (const std::string& entry : base) {
    const bool replaced =
        std::any_of(set.begin(), set.end(), [&](const auto& variable) { return has_name(entry, variable.first); });
    if (!replaced) environment.push_back(entry);
  }
  for (const auto& [name, value] : set) environment.push_back(name + "=" + value);
  return environment;
}

std::vector<std::string> current_environment() {
  std::vector<std::string> environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) environment.emplace_back(*entry);
  return environment;
}

int run_local_ranks(const LaunchPlan& plan, const std::string& binary, const LaunchStreams& streams) {
  const SignalRoute route;
  std::vector<Rank> ranks(static_cast<std::size_t>(std::max(0, plan.nproc_per_node)));
  say(streams.err, std::to_string(plan.nproc_per_node) + " rank(s) on node " + std::to_string(plan.node_rank) + " of " +
                       std::to_string(plan.nnodes) + " (world size " +
                       std::to_string(plan.nnodes * plan.nproc_per_node) + "), master " + master_address(plan) + ":" +
                       std::to_string(plan.master_port));
  start_ranks(ranks, plan, binary, streams, route);
  Supervision job{plan, streams.err, ranks};
  try {
    supervise(job, route);
  } catch (...) {
    abandon(ranks);
    throw;
  }
  return job.result();
}

}  // namespace trainbench::dist
