#include "telemetry/proc_stats.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "core/clock.h"

namespace trainbench::telemetry {
namespace {

using core::steady_seconds;

// A whole token of decimal digits; strtoull alone would accept "-1", "12abc"
// or leading spaces, which would turn a garbled file into a plausible number.
std::optional<unsigned long long> parse_count(const std::string& token) {
  if (token.empty() || !std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  errno = 0;
  const unsigned long long value = std::strtoull(token.c_str(), nullptr, 10);
  if (errno == ERANGE) return std::nullopt;
  return value;
}

std::vector<std::string> split_words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

// The rest of the first line that starts with `prefix`, or nullopt.
std::optional<std::string> line_after(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, prefix.size(), prefix) == 0) return line.substr(prefix.size());
  }
  return std::nullopt;
}

// /proc files report a size of 0, so read until the end rather than by size.
std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

// A counter's last readable value and when it was read.
template <typename T>
struct Reading {
  T value;
  double at;
};

class ProcessSource : public TelemetrySource {
 public:
  ProcessSource(std::string proc_root, std::function<double()> clock_seconds)
      : root_(std::move(proc_root)), clock_(std::move(clock_seconds)), ticks_(::sysconf(_SC_CLK_TCK)) {}

  std::string name() const override { return "process"; }

  void sample(TelemetrySample& sample) override {
    // Only allocation can throw in here; a sampler must outlive that too.
    try {
      const double now = clock_();
      sample_cpu(now, sample);
      if (const auto status = read_text(root_ + "/self/status")) sample.process_rss_bytes = parse_vm_rss_bytes(*status);
      sample_system(sample);
      sample_reads(now, sample);
    } catch (...) {
    }
  }

 private:
  void sample_cpu(double now, TelemetrySample& sample) {
    const auto text = read_text(root_ + "/self/stat");
    const auto seconds = text ? parse_process_cpu_seconds(*text, ticks_) : std::nullopt;
    if (!seconds) return;  // keep the last good reading: the next rate then spans the gap
    if (cpu_ && now > cpu_->at && *seconds >= cpu_->value) {
      sample.process_cpu_percent = (*seconds - cpu_->value) / (now - cpu_->at) * 100.0;
    }
    cpu_ = Reading<double>{*seconds, now};
  }

  void sample_system(TelemetrySample& sample) {
    const auto text = read_text(root_ + "/stat");
    const auto times = text ? parse_system_cpu(*text) : std::nullopt;
    if (!times) return;
    if (system_ && times->total > system_->total) {
      const double busy = static_cast<double>(times->busy) - static_cast<double>(system_->busy);
      const double total = static_cast<double>(times->total - system_->total);
      // iowait may go backwards on Linux (it is an estimate per core), which
      // can push the busy share a little outside 0-100.
      sample.system_cpu_percent = std::clamp(busy / total * 100.0, 0.0, 100.0);
    }
    system_ = *times;
  }

  void sample_reads(double now, TelemetrySample& sample) {
    // Often unreadable: root-only, or missing in containers without task I/O
    // accounting; the rate then stays empty.
    const auto text = read_text(root_ + "/self/io");
    const auto bytes = text ? parse_read_bytes(*text) : std::nullopt;
    if (!bytes) return;
    if (reads_ && now > reads_->at && *bytes >= reads_->value) {
      sample.read_bytes_per_sec = static_cast<double>(*bytes - reads_->value) / (now - reads_->at);
    }
    reads_ = Reading<unsigned long long>{*bytes, now};
  }

  const std::string root_;
  const std::function<double()> clock_;
  const long ticks_;
  std::optional<Reading<double>> cpu_;
  std::optional<SystemCpuTimes> system_;
  std::optional<Reading<unsigned long long>> reads_;
};

}  // namespace

std::optional<double> parse_process_cpu_seconds(const std::string& proc_self_stat, long ticks_per_second) {
  if (ticks_per_second <= 0) return std::nullopt;
  // The command name (field 2) is in parentheses and may itself hold spaces
  // and ')', so the fields after it start at the last ')'.
  const auto open = proc_self_stat.find('(');
  const auto close = proc_self_stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  const std::vector<std::string> fields = split_words(proc_self_stat.substr(close + 1));
  // fields[0] is field 3 (state), so utime (14) and stime (15) are 11 and 12.
  if (fields.size() < 13) return std::nullopt;
  const auto utime = parse_count(fields[11]);
  const auto stime = parse_count(fields[12]);
  if (!utime || !stime) return std::nullopt;
  return (static_cast<double>(*utime) + static_cast<double>(*stime)) / static_cast<double>(ticks_per_second);
}

std::optional<double> parse_vm_rss_bytes(const std::string& proc_self_status) {
  const auto rest = line_after(proc_self_status, "VmRSS:");
  if (!rest) return std::nullopt;
  const std::vector<std::string> words = split_words(*rest);
  // The kernel always writes "kB", meaning KiB.
  if (words.size() != 2 || words[1] != "kB") return std::nullopt;
  const auto kib = parse_count(words[0]);
  if (!kib) return std::nullopt;
  return static_cast<double>(*kib) * 1024.0;
}

std::optional<SystemCpuTimes> parse_system_cpu(const std::string& proc_stat) {
  const auto rest = line_after(proc_stat, "cpu ");
  if (!rest) return std::nullopt;
  const std::vector<std::string> words = split_words(*rest);
  // user nice system idle [iowait irq softirq steal [guest guest_nice]]: the
  // later ones came with later kernels, so only the first four must be there.
  // guest and guest_nice are already counted in user and nice.
  if (words.size() < 4) return std::nullopt;
  unsigned long long values[8] = {};
  for (std::size_t i = 0; i < 8 && i < words.size(); ++i) {
    const auto value = parse_count(words[i]);
    if (!value) return std::nullopt;
    values[i] = *value;
  }
  SystemCpuTimes times;
  for (const unsigned long long value : values) times.total += value;
  const unsigned long long idle = values[3] + values[4];
  if (idle > times.total) return std::nullopt;  // only on overflow of the sum
  times.busy = times.total - idle;
  return times;
}

std::optional<unsigned long long> parse_read_bytes(const std::string& proc_self_io) {
  const auto rest = line_after(proc_self_io, "read_bytes:");
  if (!rest) return std::nullopt;
  const std::vector<std::string> words = split_words(*rest);
  if (words.size() != 1) return std::nullopt;
  return parse_count(words[0]);
}

std::unique_ptr<TelemetrySource> make_process_source(std::string proc_root) {
  return make_process_source(std::move(proc_root), steady_seconds);
}

std::unique_ptr<TelemetrySource> make_process_source(std::string proc_root, std::function<double()> clock_seconds) {
  if (!clock_seconds) clock_seconds = steady_seconds;
  return std::make_unique<ProcessSource>(std::move(proc_root), std::move(clock_seconds));
}

}  // namespace trainbench::telemetry
