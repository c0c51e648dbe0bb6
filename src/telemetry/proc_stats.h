#pragma once
// The process telemetry source: this process's CPU use, resident memory and
// storage reads, and the whole machine's CPU use, read from Linux /proc. The
// parsers take the files' text, so they can be tested on literal strings.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "telemetry/telemetry_sample.h"

namespace trainbench::telemetry {

// User plus system CPU time of the process, in seconds, from the text of
// /proc/self/stat (fields 14 and 15, in clock ticks). Nullopt when the text
// is not in that format or ticks_per_second is not positive.
std::optional<double> parse_process_cpu_seconds(const std::string& proc_self_stat, long ticks_per_second);

// Resident set size in bytes from the "VmRSS:" line of /proc/self/status.
std::optional<double> parse_vm_rss_bytes(const std::string& proc_self_status);

// Machine-wide CPU time, in clock ticks since boot, summed over all cores.
struct SystemCpuTimes {
  unsigned long long busy = 0, total = 0;
};

// From the aggregate "cpu " line of /proc/stat: total = user + nice + system
// + idle + iowait + irq + softirq + steal, busy = total - idle - iowait.
std::optional<SystemCpuTimes> parse_system_cpu(const std::string& proc_stat);

// The "read_bytes:" line of /proc/self/io: bytes this process caused to be
// fetched from storage.
std::optional<unsigned long long> parse_read_bytes(const std::string& proc_self_io);

// The "process" source. Each sample() reads <proc_root>/self/stat,
// self/status, stat and self/io; rates compare with the previous readable
// reading, so they are empty on the first sample and while a file cannot be
// read. `clock_seconds` gives the wall time rates divide by (a monotonic
// clock in seconds; the default is std::chrono::steady_clock); tests inject
// one to get exact rates.
std::unique_ptr<TelemetrySource> make_process_source(std::string proc_root = "/proc");
std::unique_ptr<TelemetrySource> make_process_source(std::string proc_root, std::function<double()> clock_seconds);

}  // namespace trainbench::telemetry
