#include "data/data_verify.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <mutex>
#include <thread>

#include "core/threads.h"
#include "data/image_codec.h"
#include "data/image_limits.h"

namespace trainbench::data {
namespace {

// Decodes samples[i] for every i, claiming indices from a shared counter so a
// slow file holds up one thread only; returns each sample's problem ("" when
// it decodes).
std::vector<std::string> decode_all(const std::vector<Sample>& samples, int workers, const VerifyProgress& progress) {
  std::vector<std::string> problems(samples.size());
  const auto total = static_cast<std::int64_t>(samples.size());
  std::atomic<std::int64_t> next{0};
  std::int64_t done = 0;
  std::mutex mutex;  // guards done, progress and error
  std::exception_ptr error;
  const auto work = [&] {
    try {
      for (std::int64_t i = next++; i < total; i = next++) {
        const auto index = static_cast<std::size_t>(i);
        Image image;  // in full, as training without DCT scaling would: every scan is read
        problems[index] = read_image_problem(samples[index].path, 0, &image);
        std::lock_guard<std::mutex> lock(mutex);
        ++done;
        if (progress) progress(done, total);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex);
      if (!error) error = std::current_exception();
      next = total;  // the others stop at their next file
    }
  };
  const int threads = static_cast<int>(std::min<std::int64_t>(std::max(workers, 1), std::max<std::int64_t>(total, 1)));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();
  if (error) std::rethrow_exception(error);
  return problems;
}

std::string padded(const std::string& text, std::size_t width) {
  return text + std::string(width > text.size() ? width - text.size() : 0, ' ');
}

}  // namespace

VerifyReport verify_image_folder(const std::filesystem::path& root, int workers, const VerifyProgress& progress) {
  const ImageFolder folder = scan_image_folder(root);
  VerifyReport report;
  report.root = root;
  report.max_image_pixels = max_image_pixels();
  report.ignored = folder.ignored;
  for (const std::string& name : folder.classes) report.classes.push_back({name, 0, 0});
  const std::vector<std::string> problems =
      decode_all(folder.samples, workers > 0 ? workers : core::available_cores(), progress);
  for (std::size_t i = 0; i < folder.samples.size(); ++i) {
    const Sample& sample = folder.samples[i];
    ClassCount& count = report.classes[static_cast<std::size_t>(sample.label)];
    if (problems[i].empty()) {
      ++count.ok;
      ++report.ok;
    } else {
      ++count.bad;
      report.bad.push_back({sample.path, count.name, problems[i]});
    }
  }
  std::sort(report.bad.begin(), report.bad.end(), [](const BadFile& a, const BadFile& b) { return a.path < b.path; });
  return report;
}

std::string format_verify_text(const VerifyReport& report) {
  std::string out;
  for (const BadFile& file : report.bad) out += file.path.string() + ": " + file.reason + "\n";
  if (!report.ignored.empty()) {
    if (!out.empty()) out += "\n";
    out += "ignored (training does not use these; not errors):\n";
    for (const IgnoredEntry& entry : report.ignored) out += "  " + entry.path.string() + ": " + entry.reason + "\n";
  }
  if (!out.empty()) out += "\n";
  std::size_t width = 5;  // "class"
  for (const ClassCount& c : report.classes) width = std::max(width, c.name.size());
  char line[64];
  out += padded("class", width) + "        ok       bad\n";
  for (const ClassCount& c : report.classes) {
    std::snprintf(line, sizeof line, " %9lld %9lld\n", static_cast<long long>(c.ok), static_cast<long long>(c.bad));
    out += padded(c.name, width) + line;
  }
  out += std::to_string(report.ok) + " images ok, " + std::to_string(report.bad.size()) + " bad, " +
         std::to_string(report.ignored.size()) + " ignored, in " + std::to_string(report.classes.size()) +
         " classes of " + report.root.string() + " (at most " + std::to_string(report.max_image_pixels) +
         " pixels an image)\n";
  return out;
}

nlohmann::ordered_json to_json(const VerifyReport& report) {
  nlohmann::ordered_json classes = nlohmann::ordered_json::array();
  for (const ClassCount& c : report.classes) classes.push_back({{"name", c.name}, {"ok", c.ok}, {"bad", c.bad}});
  nlohmann::ordered_json bad = nlohmann::ordered_json::array();
  for (const BadFile& f : report.bad) {
    bad.push_back({{"path", f.path.string()}, {"class", f.class_name}, {"reason", f.reason}});
  }
  nlohmann::ordered_json ignored = nlohmann::ordered_json::array();
  for (const IgnoredEntry& e : report.ignored) ignored.push_back({{"path", e.path.string()}, {"reason", e.reason}});
  return {{"root", report.root.string()},
          {"ok", report.ok},
          {"bad", report.bad.size()},
          {"ignored", report.ignored.size()},
          {"max_image_pixels", report.max_image_pixels},
          {"classes", classes},
          {"bad_files", bad},
          {"ignored_files", ignored}};
}

}  // namespace trainbench::data
