# Runs one fuzz target for SECONDS on a fresh copy of its seed corpus (ctest,
# see CMakeLists.txt). Crash, leak, timeout and out-of-memory inputs land in
# FINDINGS/ as crash-*, leak-*, timeout-*, oom-*, slow-unit-*: the test fails
# and prints the path. FINDINGS is not emptied by the next run, so a finding
# of a run that failed is still there after a rerun passes.
# EXTRA: more libFuzzer flags (a ;-list).
# -timeout=120: a few hundred bytes of JPEG can decode to an image just under
# the pixel limit (172 megapixels), which takes 13 s under ASan on an idle
# core of the 2-core machine; two fuzzers run at once and CI machines vary,
# so a tighter limit would fail on load, not on a hang.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus ${FINDINGS})
file(GLOB seeds ${SEEDS}/*)
file(COPY ${seeds} DESTINATION ${WORK}/corpus)
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -timeout=120 -print_final_stats=1
          -artifact_prefix=${FINDINGS}/ ${EXTRA} ${WORK}/corpus
  WORKING_DIRECTORY ${WORK}
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${FUZZER} found a problem (exit ${result}); the input is in ${FINDINGS}/")
endif()
