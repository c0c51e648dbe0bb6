# Runs one fuzz target for SECONDS on a fresh copy of its seed corpus (ctest,
# see CMakeLists.txt). Crash, leak, timeout and out-of-memory inputs land in
# FINDINGS/ as crash-*, leak-*, timeout-*, oom-*, slow-unit-*: the test fails
# and prints the path. FINDINGS is not emptied by the next run, so a finding
# of a run that failed is still there after a rerun passes.
# EXTRA: more libFuzzer flags (a ;-list).
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus ${FINDINGS})
file(GLOB seeds ${SEEDS}/*)
file(COPY ${seeds} DESTINATION ${WORK}/corpus)
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -timeout=25 -print_final_stats=1
          -artifact_prefix=${FINDINGS}/ ${EXTRA} ${WORK}/corpus
  WORKING_DIRECTORY ${WORK}
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${FUZZER} found a problem (exit ${result}); the input is in ${FINDINGS}/")
endif()
