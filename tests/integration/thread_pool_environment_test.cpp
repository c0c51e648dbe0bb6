// main() re-executes trainbench once with OMP_WAIT_POLICY=PASSIVE and
// OPENBLAS_THREAD_TIMEOUT=4 where the user set neither, and keeps a value
// the user did set (core/thread_pool_environment.h). `doctor` shows what the
// process runs with.
#include <gtest/gtest.h>

#include <string>

#include "test_support.h"

namespace trainbench::testing {
namespace {

std::string doctor_threads(const std::string& environment) {
  int exit_code = -1;
  const std::string out =
      run_command("env -u OMP_WAIT_POLICY -u OPENBLAS_THREAD_TIMEOUT " + environment + " " + trainbench_command("doctor"),
                  &exit_code);
  EXPECT_NE(exit_code, -1);
  return out;
}

TEST(ThreadPoolEnvironment, UnsetVariablesAreSetForTheProcessAndUserValuesKept) {
  const std::string unset = doctor_threads("");
  EXPECT_NE(unset.find("OMP_WAIT_POLICY=PASSIVE (trainbench sets"), std::string::npos) << unset;
  EXPECT_NE(unset.find("OPENBLAS_THREAD_TIMEOUT=4 (trainbench sets"), std::string::npos) << unset;

  const std::string chosen = doctor_threads("OPENBLAS_THREAD_TIMEOUT=9 OMP_WAIT_POLICY=passive");
  EXPECT_NE(chosen.find("OMP_WAIT_POLICY=passive (trainbench sets"), std::string::npos) << chosen;
  EXPECT_NE(chosen.find("OPENBLAS_THREAD_TIMEOUT=9 (trainbench sets"), std::string::npos) << chosen;

  const std::string spinning = doctor_threads("OPENBLAS_THREAD_TIMEOUT=28");
  EXPECT_NE(spinning.find("OMP_WAIT_POLICY=PASSIVE (trainbench sets"), std::string::npos) << spinning;
  EXPECT_NE(spinning.find("warn  threads/openblas_thread_timeout"), std::string::npos) << spinning;
}

}  // namespace
}  // namespace trainbench::testing
