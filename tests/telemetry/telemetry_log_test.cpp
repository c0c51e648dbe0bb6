#include "telemetry/telemetry_log.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "test_support.h"

namespace trainbench::telemetry {
namespace {

TEST(TelemetryLog, AMissingFileHasNoSamples) {
  testing::TempDir dir;
  EXPECT_TRUE(read_telemetry_log(dir / "telemetry.jsonl").empty());
}

TEST(TelemetryLog, ALastLineCutShortByACrashIsSkipped) {
  testing::TempDir dir;
  std::ofstream(dir / "t.jsonl") << "{\"seconds\":0.5,\"phase\":\"train\",\"process_cpu_percent\":99}\n"
                                 << "\n{\"seconds\":1.0,\"phase\":\"eval\"}\n{\"seconds\":1.5,\"pha";
  const std::vector<TelemetrySample> samples = read_telemetry_log(dir / "t.jsonl");
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].process_cpu_percent, 99.0);
  EXPECT_EQ(samples[1].phase, "eval");
}

TEST(TelemetryLog, AMalformedLineInTheMiddleIsAnErrorNamingIt) {
  testing::TempDir dir;
  std::ofstream(dir / "t.jsonl") << "{\"seconds\":0.5}\nnot json\n{\"seconds\":1.0}\n";
  try {
    read_telemetry_log(dir / "t.jsonl");
    FAIL();
  } catch (const RunError& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace trainbench::telemetry
