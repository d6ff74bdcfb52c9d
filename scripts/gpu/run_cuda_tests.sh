#!/usr/bin/env bash
# Build fuze on a GPU host (H100/H200: python3 with torch 2.11+cu130, nvcc 13,
# CMake, ninja, NO package registries) and run the CUDA tests, then the CUDA
# benchmark skeleton. Not run in the session that wrote it (no GPU was lent):
# treat the first run as a bring-up.
#
# Usage: scripts/gpu/run_cuda_tests.sh <dir with .deb files> [build dir]
#   The .deb directory carries Debian bookworm packages copied from a dev
#   machine (apt-get download libasmjit-dev libasmjit0 googletest libgtest-dev
#   libbenchmark-dev libbenchmark1debian ...). They are unpacked with
#   `dpkg-deb -x` into a private prefix: nothing is installed system-wide.
#
# Builds the torch-free core with the x86 and CUDA backends (FUZE_WITH_TORCH=OFF
# is enough for every CUDA test: they drive the backend through the core API on
# device buffers). The torch-2.11 frontend build is NOT attempted here; it would
# need: -DFUZE_WITH_TORCH=ON -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')"
# -DFUZE_PYTHON=$(command -v python3), the C++11 ABI flag torch 2.11 was built
# with (torch._C._GLIBCXX_USE_CXX11_ABI), and the frontend's torch-1.13/2.11
# compatibility work (owned by the frontend, tracked in issue 5 item 5).
set -euo pipefail

DEBS=${1:?usage: $0 <dir with .deb files> [build dir]}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${2:-$ROOT/build-gpu}
PREFIX=$BUILD/deps
OUT=${FUZE_GPU_OUT:-$BUILD/results}
mkdir -p "$PREFIX" "$OUT"

echo "== unpacking .debs from $DEBS into $PREFIX"
shopt -s nullglob
debs=("$DEBS"/*.deb)
[ ${#debs[@]} -gt 0 ] || { echo "no .deb files in $DEBS" >&2; exit 1; }
for d in "${debs[@]}"; do dpkg-deb -x "$d" "$PREFIX"; done
# Debian puts CMake packages under usr/lib/x86_64-linux-gnu/cmake and usr/lib/cmake.
CMAKE_PREFIXES="$PREFIX/usr;$PREFIX/usr/lib/x86_64-linux-gnu/cmake;$PREFIX/usr/lib/cmake"
export LD_LIBRARY_PATH="$PREFIX/usr/lib/x86_64-linux-gnu:$PREFIX/usr/lib:${LD_LIBRARY_PATH:-}"

echo "== host"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi failed"
nvcc --version | tail -1 || true
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available())' || true

echo "== configure + build (core, x86, cuda; no torch)"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DFUZE_WITH_TORCH=OFF -DFUZE_BUILD_BENCH=OFF -DCMAKE_PREFIX_PATH="$CMAKE_PREFIXES" | tee "$OUT/configure.log"
cmake --build "$BUILD" -j"$(nproc)" 2>&1 | tail -20 | tee "$OUT/build.log"

echo "== CUDA tests (NVRTC from /usr/local/cuda or FUZE_NVRTC_PATH; libcuda.so.1 from the driver)"
export FUZE_CACHE_DIR="$BUILD/fuze-cache"
FUZE_LOG=info "$BUILD/tests/cuda/cuda_tests" 2>&1 | tee "$OUT/cuda_tests.log"
echo "== the whole suite"
(cd "$BUILD" && ctest --output-on-failure -j4 2>&1 | tail -30 | tee "$OUT/ctest.log")

echo "== benchmark skeleton"
python3 "$ROOT/scripts/gpu/bench_cuda.py" 2>&1 | tee "$OUT/bench.log" || echo "bench failed (see $OUT/bench.log)"
echo "results in $OUT"
