# Sourced by scripts/test.sh and scripts/torch2.sh:
#   run_ctest <build dir> <jobs> [ctest args]
# runs the whole ctest suite there (output kept in <build dir>/ctest.log),
# and sets ctest_status (its exit status) and ctest_summary (its
# "N% tests passed, ..." line, which ctest prints before the skipped list).
run_ctest() {
  local build="$1" jobs="$2"
  shift 2
  set +e
  (cd "$build" && ctest --output-on-failure --no-label-summary -j "$jobs" "$@") 2>&1 | tee "$build/ctest.log"
  ctest_status=${PIPESTATUS[0]}
  set -e
  ctest_summary=$(grep -E "tests passed, [0-9]+ tests failed out of" "$build/ctest.log" | tail -n 1)
}
