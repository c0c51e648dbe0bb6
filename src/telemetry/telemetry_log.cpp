#include "telemetry/telemetry_log.h"

#include <fstream>
#include <string>

#include "core/error.h"

namespace trainbench::telemetry {

std::vector<TelemetrySample> read_telemetry_log(const std::filesystem::path& jsonl) {
  std::vector<TelemetrySample> samples;
  std::ifstream in(jsonl);
  if (!in) return samples;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    const bool last = in.peek() == std::char_traits<char>::eof();
    try {
      samples.push_back(telemetry_sample_from_json(nlohmann::json::parse(line)));
    } catch (const nlohmann::json::exception& error) {
      if (last) break;  // the sampler was writing it when the process died
      throw RunError(jsonl.string() + " line " + std::to_string(number) + " is not a telemetry sample: " + error.what());
    }
  }
  return samples;
}

}  // namespace trainbench::telemetry
