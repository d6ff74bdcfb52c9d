#!/usr/bin/env bash
# The README's test command: set up, build, and run every test (ctest runs the
# GoogleTest suites and pytest). Ends with ctest's summary line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
build="${FUZE_BUILD_DIR:-$root/build}"
source "$root/scripts/run_ctest.sh"
run_ctest "$build" "${FUZE_JOBS:-$(nproc)}" "$@"
status=$ctest_status
summary=$ctest_summary
# The same suite against torch 2.11's libtorch from PyPI (the GPU host's
# version), then `pip install .` into a torch 2.11 venv and the Python tests
# there: scripts/torch2.sh. FUZE_SKIP_TORCH2=1 leaves it out.
status2=0
summary2=""
if [ "${FUZE_SKIP_TORCH2:-0}" != "1" ]; then
  run_logged "$build/torch2.log" "^libtorch .*tests passed, [0-9]+ tests failed out of" "$root/scripts/torch2.sh"
  status2=$step_status
  summary2=$step_summary
  [ -n "$summary2" ] || summary2="libtorch 2.x: scripts/torch2.sh failed before its tests (exit $status2; see $build/torch2.log)"
  for pattern in "^torch .*pip install \+ Python tests:" "^torchserve e2e"; do
    line=$(grep -E "$pattern" "$build/torch2.log" | tail -n 1)
    [ -z "$line" ] || summary2="$summary2"$'\n'"$line"
  done
fi
# ctest lists skipped tests after its summary: repeat the summaries as the last lines.
echo "libtorch 1.13 (Debian): $summary"
[ -z "$summary2" ] || echo "$summary2"
[ "$status" -ne 0 ] && exit "$status"
exit "$status2"
