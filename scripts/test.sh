#!/usr/bin/env bash
# The README's test command: set up, build, and run every test (ctest runs the
# GoogleTest suites and pytest). Ends with ctest's summary line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
build="${FUZE_BUILD_DIR:-$root/build}"
cd "$build"
ctest --output-on-failure --no-label-summary -j "${FUZE_JOBS:-$(nproc)}" "$@"
