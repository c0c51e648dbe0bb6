# Runs one fuzz target for SECONDS on a fresh copy of its seed corpus (ctest,
# see CMakeLists.txt). Crash, leak, timeout and out-of-memory inputs land in
# WORK/ as crash-*, leak-*, timeout-*, oom-*: the test fails and prints the path.
# EXTRA: more libFuzzer flags (a ;-list).
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus)
file(GLOB seeds ${SEEDS}/*)
file(COPY ${seeds} DESTINATION ${WORK}/corpus)
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -timeout=25 -print_final_stats=1
          -artifact_prefix=${WORK}/ ${EXTRA} ${WORK}/corpus
  WORKING_DIRECTORY ${WORK}
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${FUZZER} found a problem (exit ${result}); the input is in ${WORK}/")
endif()
