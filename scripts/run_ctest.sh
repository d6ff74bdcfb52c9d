# Sourced by scripts/test.sh and scripts/torch2.sh.
#
#   run_logged <log> <summary regex> <command...>
# runs the command with its output on the terminal and in <log>, and sets
# step_status (its exit status) and step_summary (the last line of <log>
# matching the regex, "" if none).
run_logged() {
  local log="$1" pattern="$2"
  shift 2
  set +e
  "$@" 2>&1 | tee "$log"
  step_status=${PIPESTATUS[0]}
  set -e
  step_summary=$(grep -E "$pattern" "$log" | tail -n 1)
}

#   run_ctest <build dir> <jobs> [ctest args]
# runs the whole ctest suite there (output kept in <build dir>/ctest.log),
# and sets ctest_status (its exit status) and ctest_summary (its
# "N% tests passed, ..." line, which ctest prints before the skipped list).
run_ctest() {
  local build="$1" jobs="$2"
  shift 2
  run_logged "$build/ctest.log" "tests passed, [0-9]+ tests failed out of" \
    ctest --test-dir "$build" --output-on-failure --no-label-summary -j "$jobs" "$@"
  ctest_status=$step_status
  ctest_summary=$step_summary
}
