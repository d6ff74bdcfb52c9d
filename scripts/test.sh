#!/usr/bin/env bash
# The README's test command: set up, build, and run every test (ctest runs the
# GoogleTest suites and pytest). Ends with ctest's summary line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
build="${FUZE_BUILD_DIR:-$root/build}"
cd "$build"
set +e
ctest --output-on-failure --no-label-summary -j "${FUZE_JOBS:-$(nproc)}" "$@" 2>&1 | tee "$build/ctest.log"
status=${PIPESTATUS[0]}
set -e
# ctest lists skipped tests after its summary: repeat the summary as the last line.
grep -E "tests passed, [0-9]+ tests failed out of" "$build/ctest.log" | tail -n 1
exit "$status"
