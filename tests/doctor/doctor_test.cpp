// `trainbench doctor` as a whole: the report's order, the JSON's shape, and
// the real command's exit code and findings on this machine.
#include "doctor/doctor.h"

#include <gtest/gtest.h>

#include "core/threads.h"
#include "test_support.h"

namespace trainbench::doctor {
namespace {

std::vector<CheckResult> sample_results() {
  return {
      {"threads", "intra_op", Status::kOk, "8 threads", ""},
      {"build", "blas", Status::kFail, "reference BLAS", "install OpenBLAS"},
      {"threads", "omp_num_threads", Status::kWarn, "OMP_NUM_THREADS=1", "unset it"},
      {"build", "libtorch", Status::kOk, "LibTorch 1.13.1", ""},
      {"environment", "disk", Status::kWarn, "3.0 GiB free", "free space"},
      {"threads", "omp_wait_policy", Status::kOk, "PASSIVE", ""},
  };
}

TEST(DoctorReportTest, ProblemsComeFirstThenOkLinesByGroup) {
  const std::string report = format_report(sample_results());
  const std::string expected =
      "fail  build/blas: reference BLAS\n"
      "      -> install OpenBLAS\n"
      "warn  threads/omp_num_threads: OMP_NUM_THREADS=1\n"
      "      -> unset it\n"
      "warn  environment/disk: 3.0 GiB free\n"
      "      -> free space\n"
      "ok    threads/intra_op: 8 threads\n"
      "ok    threads/omp_wait_policy: PASSIVE\n"
      "ok    build/libtorch: LibTorch 1.13.1\n"
      "1 failed, 2 warnings, 3 ok\n";
  EXPECT_EQ(report, expected);
}

TEST(DoctorReportTest, JsonKeepsRunOrderAndCounts) {
  const nlohmann::ordered_json json = to_json(sample_results());
  EXPECT_EQ(json.at("summary").dump(), R"({"ok":3,"warn":2,"fail":1})");
  ASSERT_EQ(json.at("checks").size(), 6u);
  EXPECT_EQ(json.at("checks")[1].dump(),
            R"({"group":"build","name":"blas","status":"fail","evidence":"reference BLAS","advice":"install OpenBLAS"})");
  EXPECT_EQ(json.at("checks")[0].at("name"), "intra_op");
}

TEST(DoctorReportTest, AnyFailedDecidesTheExitCode) {
  std::vector<CheckResult> results = sample_results();
  EXPECT_TRUE(any_failed(results));
  results.erase(results.begin() + 1);
  EXPECT_FALSE(any_failed(results));
}

// The checks a JSON report holds, by "group/name".
std::map<std::string, nlohmann::json> checks_by_name(const std::string& output) {
  std::map<std::string, nlohmann::json> checks;
  const nlohmann::json json = nlohmann::json::parse(output);
  for (const nlohmann::json& check : json.at("checks")) {
    checks[check.at("group").get<std::string>() + "/" + check.at("name").get<std::string>()] = check;
  }
  return checks;
}

bool has_failure(const std::map<std::string, nlohmann::json>& checks) {
  for (const auto& [name, check] : checks) {
    if (check.at("status") == "fail") return true;
  }
  return false;
}

TEST(DoctorCommandTest, JsonReportAndExitCodeOnThisMachine) {
  testing::TempDir runs;
  int exit_code = -1;
  const std::string output = testing::run_command(
      "env -u OMP_NUM_THREADS -u CUDA_LAUNCH_BLOCKING " +
          testing::trainbench_command("doctor --json --runs '" + runs.path().string() + "'"),
      &exit_code);
  const std::map<std::string, nlohmann::json> checks = checks_by_name(output);
  for (const char* name : {"threads/intra_op", "threads/omp_num_threads", "build/libtorch", "build/blas", "build/matmul",
                           "environment/memory", "environment/disk", "environment/cuda_launch_blocking"}) {
    EXPECT_EQ(checks.count(name), 1u) << name;
  }
  EXPECT_EQ(exit_code, has_failure(checks) ? 1 : 0);
  EXPECT_EQ(checks.at("threads/omp_num_threads").at("status"), "ok");
  EXPECT_NE(checks.at("environment/disk").at("evidence").get<std::string>().find(runs.path().string()), std::string::npos);
}

TEST(DoctorCommandTest, OmpNumThreadsOneIsReported) {
  if (core::available_cores() < 2) GTEST_SKIP() << "one core: OMP_NUM_THREADS=1 costs nothing here";
  int exit_code = -1;
  const std::string output =
      testing::run_command("env OMP_NUM_THREADS=1 " + testing::trainbench_command("doctor --json"), &exit_code);
  const std::map<std::string, nlohmann::json> checks = checks_by_name(output);
  EXPECT_EQ(exit_code, has_failure(checks) ? 1 : 0);
  const nlohmann::json& variable = checks.at("threads/omp_num_threads");
  EXPECT_EQ(variable.at("status"), "warn");
  EXPECT_NE(variable.at("evidence").get<std::string>().find("training would use 1 of " +
                                                          std::to_string(core::available_cores()) + " cores"),
            std::string::npos);
  EXPECT_EQ(checks.at("threads/intra_op").at("status"), "warn");

  // The text form lists that problem before any ok line.
  const std::string text = testing::run_command("env OMP_NUM_THREADS=1 " + testing::trainbench_command("doctor"), &exit_code);
  const auto problem = text.find("warn  threads/omp_num_threads");
  ASSERT_NE(problem, std::string::npos) << text;
  EXPECT_LT(problem, text.find("\nok    "));
}

}  // namespace
}  // namespace trainbench::doctor
