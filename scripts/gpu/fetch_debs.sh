#!/usr/bin/env bash
# Downloads (does not install) the Debian bookworm packages the GPU host lacks
# (asmjit, GoogleTest, Google Benchmark) into a directory to carry there:
#
#   scripts/gpu/fetch_debs.sh [dir]     # default: build-gpu-debs (git-ignored)
#
# then on the GPU host: scripts/gpu/run_cuda_tests.sh <that dir>. About 3 MB.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$(mkdir -p "${1:-$root/build-gpu-debs}" && cd "${1:-$root/build-gpu-debs}" && pwd)"
cd "$dir"
apt-get download googletest libgtest-dev libgmock-dev libasmjit-dev libbenchmark-dev libbenchmark1debian
ls -l "$dir"/*.deb
