#!/usr/bin/env bash
# Build fuze on a GPU host (H100/H200: python3 with torch 2.11+cu130, nvcc 13,
# CMake, ninja, NO package registries) and run the CUDA tests, then the CUDA
# benchmark. Not run yet by any session (no GPU was lent to one): treat the
# first run as a bring-up.
#
# Usage: scripts/gpu/run_cuda_tests.sh <dir with .deb files> [build dir]
#   The .deb directory carries Debian bookworm packages made on a dev machine
#   by scripts/gpu/fetch_debs.sh (asmjit, GoogleTest, Google Benchmark: 1.5
#   MB). They are unpacked with `dpkg-deb -x` into a private prefix: nothing
#   is installed system-wide. With the session's device tool:
#     run(command="FUZE_GPU_OUT=$OUT bash scripts/gpu/run_cuda_tests.sh build-gpu-debs /tmp/fuze-gpu",
#         carry=["build-gpu-debs"])
#   then copy $OUT/bench.json to bench/results/ and its figures into the note.
#
# Two builds:
#   1. the torch-free core with the x86 and CUDA backends (build dir): the CUDA
#      tests drive the backend through the core API on device buffers;
#   2. the whole of fuze against python3's own torch 2.11 (build dir + -torch):
#      cmake/FuzeTorchDir.cmake with FUZE_TORCH_CUDA=ON, so the C++ tests can
#      make CUDA tensors (tests/frontend/fusion_cuda_test.cpp runs for real),
#      plus the Python module, which bench_cuda.py uses for the fuze column.
# Then the benchmark (scripts/gpu/bench_cuda.py) writes $OUT/bench.json.
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

if ! TORCH_DIR=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))' 2>/dev/null); then
  echo "== build 2 skipped: python3 cannot import torch"
  exit 0
fi
echo "== build 2: everything against python3's torch (CUDA tensors, Python module)"
BUILD_T=${BUILD}-torch
cmake -S "$ROOT" -B "$BUILD_T" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DFUZE_TORCH_DIR="$TORCH_DIR" -DFUZE_TORCH_CUDA=ON -DFUZE_PYTHON="$(command -v python3)" \
  -DCMAKE_PREFIX_PATH="$CMAKE_PREFIXES" 2>&1 | tee "$OUT/configure-torch.log" | grep -E "fuze|Warning|Error" || true
cmake --build "$BUILD_T" -j"$(nproc)" 2>&1 | tail -20 | tee "$OUT/build-torch.log"
echo "== fused groups on CUDA tensors"
"$BUILD_T/tests/frontend/fuze_frontend_pass_tests" --gtest_filter='FusionCuda.*' 2>&1 | tee "$OUT/fusion_cuda.log"
echo "== the whole suite against torch $(python3 -c 'import torch; print(torch.__version__)')"
(cd "$BUILD_T" && ctest --output-on-failure -j8 2>&1 | tail -40 | tee "$OUT/ctest-torch.log")

echo "== benchmark (64M float32: add+tanh, LSTM cell, 10-op chain vs eager, NNC, d2d copy)"
PYTHONPATH="$BUILD_T/python" python3 "$ROOT/scripts/gpu/bench_cuda.py" --json "$OUT/bench.json" 2>&1 | tee "$OUT/bench.log" \
  || echo "bench failed (see $OUT/bench.log)"
echo "results in $OUT"
