#!/usr/bin/env bash
# Configures and builds fuze into ${FUZE_BUILD_DIR:-build} (Release, Ninja).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${FUZE_BUILD_DIR:-$root/build}"
jobs="${FUZE_JOBS:-$(nproc)}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${FUZE_BUILD_TYPE:-Release}" ${FUZE_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$jobs"
