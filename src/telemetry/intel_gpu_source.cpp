#include "telemetry/intel_gpu_source.h"

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "core/clock.h"

namespace trainbench::telemetry {
namespace {

using core::steady_seconds;

namespace fs = std::filesystem;

std::string trim(const std::string& text) {
  const auto is_space = [](unsigned char c) { return std::isspace(c) != 0; };
  const auto begin = std::find_if_not(text.begin(), text.end(), is_space);
  const auto end = std::find_if_not(text.rbegin(), text.rend(), is_space).base();
  return begin < end ? std::string(begin, end) : std::string();
}

// The trimmed contents of a small sysfs file, or nullopt when unreadable.
std::optional<std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return trim(text.str());
}

// All of `text` as an integer in `base`; sysfs files hold one number.
std::optional<long long> parse_integer(const std::string& text, int base = 10) {
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, base);
  if (errno == ERANGE || end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

std::optional<long long> read_integer(const fs::path& path) {
  const auto text = read_text(path);
  return text ? parse_integer(*text) : std::nullopt;
}

bool path_exists(const fs::path& path) {
  std::error_code error;
  return fs::exists(path, error);
}

// The entries of `folder` whose names start with `prefix`, in natural order
// (hwmon2 before hwmon10), empty when the folder cannot be listed.
std::vector<fs::path> entries(const fs::path& folder, const std::string& prefix) {
  std::vector<std::pair<long long, fs::path>> found;
  std::error_code error;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    found.emplace_back(parse_integer(name.substr(prefix.size())).value_or(-1), it->path());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> paths;
  for (auto& entry : found) paths.push_back(std::move(entry.second));
  return paths;
}

// The first <hwmon>/<file> over the card's hwmon folders, or "" when none.
fs::path first_hwmon_file(const fs::path& card, const std::string& file) {
  for (const fs::path& hwmon : entries(card / "device" / "hwmon", "hwmon")) {
    if (path_exists(hwmon / file)) return hwmon / file;
  }
  return {};
}

// An owned file descriptor (the perf counter), closed with the card.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

// A counter's last value and when it was read.
struct CounterReading {
  unsigned long long value;
  double at;
};

struct Card {
  int number = 0;
  std::string driver;  // "i915" or "xe"
  std::string name;
  std::vector<fs::path> frequency_files;  // the first readable one wins
  fs::path temperature_file;              // millidegrees Celsius; empty: none
  fs::path energy_file;                   // microjoules, counting up; empty: none
  Fd busy_counter;                        // render engine busy nanoseconds; -1: none
  std::optional<CounterReading> energy;
  std::optional<CounterReading> busy;
};

// The render engine's busy-time counter from the driver's PMU, or -1. A
// discrete i915 GPU's PMU is named after its PCI address
// ("i915_0000_03_00.0"), the integrated one's plain "i915".
Fd open_busy_counter(const fs::path& root, const fs::path& card, const std::string& driver) {
  std::vector<std::string> pmus;
  std::error_code error;
  const fs::path device = fs::read_symlink(card / "device", error);
  if (!error) {
    std::string address = device.filename().string();
    std::replace(address.begin(), address.end(), ':', '_');
    pmus.push_back(driver + "_" + address);
  }
  pmus.push_back(driver);
  for (const std::string& pmu : pmus) {
    const fs::path folder = root / "bus" / "event_source" / "devices" / pmu;
    const auto type = read_integer(folder / "type");
    const auto event = read_text(folder / "events" / "rcs0-busy");
    const auto config = event ? parse_perf_event_config(*event) : std::nullopt;
    if (!type || !config) continue;
    // A PMU not bound to a task counts on the CPU its cpumask names ("0").
    int cpu = 0;
    if (const auto mask = read_text(folder / "cpumask")) {
      cpu = static_cast<int>(parse_integer(mask->substr(0, mask->find_first_of(",-"))).value_or(0));
    }
    perf_event_attr attr{};
    attr.type = static_cast<std::uint32_t>(*type);
    attr.size = sizeof attr;
    attr.config = *config;
    // Fails without CAP_PERFMON when kernel.perf_event_paranoid is above 0;
    // utilisation then stays empty, as documented.
    const long fd = ::syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
    return Fd(fd >= 0 ? static_cast<int>(fd) : -1);
  }
  return Fd();
}

class IntelGpuSource : public TelemetrySource {
 public:
  IntelGpuSource(std::vector<Card> cards, std::function<double()> clock_seconds)
      : cards_(std::move(cards)), clock_(std::move(clock_seconds)) {}

  std::string name() const override { return "intel-gpu"; }

  void sample(TelemetrySample& sample) override {
    try {
      const double now = clock_();
      for (Card& card : cards_) sample.gpus.push_back(read(card, now));
    } catch (...) {
      // Only allocation can throw here; the sample keeps what it has.
    }
  }

 private:
  static GpuSample read(Card& card, double now) {
    GpuSample gpu;
    gpu.index = card.number;
    gpu.name = card.name;
    gpu.source = card.driver;
    for (const fs::path& file : card.frequency_files) {
      if (const auto mhz = read_integer(file)) {
        gpu.sm_clock_mhz = static_cast<double>(*mhz);
        break;
      }
    }
    if (!card.temperature_file.empty()) {
      const auto millidegrees = read_integer(card.temperature_file);
      if (millidegrees) gpu.temperature_celsius = *millidegrees / 1000.0;
    }
    if (!card.energy_file.empty()) {
      const auto microjoules = read_integer(card.energy_file);
      if (microjoules && *microjoules >= 0) {
        gpu.power_watts = rate(card.energy, static_cast<unsigned long long>(*microjoules), now, 1e6);
      }
    }
    if (card.busy_counter.get() >= 0) {
      std::uint64_t nanoseconds = 0;
      if (::read(card.busy_counter.get(), &nanoseconds, sizeof nanoseconds) == sizeof nanoseconds) {
        const auto per_second = rate(card.busy, nanoseconds, now, 1e9);
        // Busy time can run a little ahead of the wall clock between reads.
        if (per_second) gpu.utilization_percent = std::clamp(*per_second * 100.0, 0.0, 100.0);
      }
    }
    return gpu;
  }

  // The counter's growth per second since its previous reading, in counter
  // units / `per_unit` (1e6: microjoules to joules; a division, which is
  // exact for whole numbers where multiplying by 1e-6 is not); empty on the
  // first reading and when the counter went back (it wrapped, or the driver
  // was reloaded).
  static std::optional<double> rate(std::optional<CounterReading>& previous, unsigned long long value, double now,
                                    double per_unit) {
    std::optional<double> result;
    if (previous && now > previous->at && value >= previous->value) {
      result = static_cast<double>(value - previous->value) / per_unit / (now - previous->at);
    }
    previous = CounterReading{value, now};
    return result;
  }

  std::vector<Card> cards_;
  const std::function<double()> clock_;
};

bool is_card_node(const std::string& name) {
  // cardN only: renderD128 is the same GPU again, card0-DP-1 a connector.
  return name.size() > 4 && name.compare(0, 4, "card") == 0 &&
         std::all_of(name.begin() + 4, name.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

}  // namespace

std::optional<unsigned long long> parse_perf_event_config(const std::string& event_text) {
  const std::string text = trim(event_text);
  const std::string prefix = "config=";
  if (text.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  std::string digits = text.substr(prefix.size());
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    digits = digits.substr(2);
    base = 16;
  }
  const auto valid = [base](unsigned char c) { return base == 16 ? std::isxdigit(c) != 0 : std::isdigit(c) != 0; };
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), valid)) return std::nullopt;
  errno = 0;
  const unsigned long long value = std::strtoull(digits.c_str(), nullptr, base);
  if (errno == ERANGE) return std::nullopt;
  return value;
}

OpenedSource open_intel_gpu_source(const std::string& sysfs_root) {
  return open_intel_gpu_source(sysfs_root, steady_seconds);
}

OpenedSource open_intel_gpu_source(const std::string& sysfs_root, std::function<double()> clock_seconds) {
  OpenedSource opened;
  try {
    const fs::path root(sysfs_root);
    const fs::path drm = root / "class" / "drm";
    std::vector<Card> cards;
    std::vector<std::string> other_drivers;  // Intel cards this source cannot read, for the reason
    for (const fs::path& node : entries(drm, "card")) {
      const std::string node_name = node.filename().string();
      if (!is_card_node(node_name)) continue;
      const auto vendor = read_text(node / "device" / "vendor");
      if (!vendor || parse_integer(*vendor, 16) != 0x8086) continue;
      std::error_code error;
      const fs::path driver_link = fs::read_symlink(node / "device" / "driver", error);
      const std::string driver = error ? std::string("no driver") : driver_link.filename().string();
      if (driver != "i915" && driver != "xe") {
        other_drivers.push_back(node_name + ": " + driver);
        continue;
      }
      Card card;
      card.number = static_cast<int>(parse_integer(node_name.substr(4)).value_or(0));
      card.driver = driver;
      const auto label = read_text(node / "device" / "label");
      const auto device_id = read_text(node / "device" / "device");
      std::string model = "Intel GPU";
      if (label && !label->empty()) {
        model = *label;
      } else if (device_id && !device_id->empty()) {
        model += " " + *device_id;  // the PCI device id names the model in `lspci -nn` and Intel's tables
      }
      card.name = model + " (" + node_name + ", " + driver + ")";
      if (driver == "i915") {
        card.frequency_files = {node / "gt_act_freq_mhz", node / "gt_cur_freq_mhz"};
      } else {
        card.frequency_files = {node / "device" / "tile0" / "gt0" / "freqs" / "act_freq"};
      }
      card.temperature_file = first_hwmon_file(node, "temp1_input");
      card.energy_file = first_hwmon_file(node, "energy1_input");
      card.busy_counter = open_busy_counter(root, node, driver);
      cards.push_back(std::move(card));
    }
    if (cards.empty()) {
      opened.unavailable_reason = "no Intel GPU under " + drm.string();
      if (!other_drivers.empty()) {
        opened.unavailable_reason += " uses the i915 or xe driver (";
        for (std::size_t i = 0; i < other_drivers.size(); ++i) {
          opened.unavailable_reason += (i > 0 ? ", " : "") + other_drivers[i];
        }
        opened.unavailable_reason += ")";
      }
      return opened;
    }
    if (!clock_seconds) clock_seconds = steady_seconds;
    opened.source = std::make_unique<IntelGpuSource>(std::move(cards), std::move(clock_seconds));
  } catch (const std::exception& error) {
    // Only allocation can throw above; say so rather than end the run.
    opened.source.reset();
    opened.unavailable_reason = std::string("cannot read Intel GPUs: ") + error.what();
  }
  return opened;
}

}  // namespace trainbench::telemetry
