#!/usr/bin/env bash
# Builds fuze against the libtorch inside torch==2.11 from PyPI (the torch of
# the GPU host, issue 5) and runs the whole test suite with it. No GPU needed.
#
#   scripts/torch2.sh [ctest args]
#
# The wheel (~530 MB, CUDA 13 build) is downloaded once into
# ${FUZE_TORCH2_CACHE:-~/.cache/fuze/torch-2.11.0}; only its C++ parts
# (torch/lib, torch/include) are unpacked, with the two NVIDIA runtime
# libraries libtorch_cpu.so links (libcudart, libcupti, 13 MB from PyPI) laid
# out where the wheel's RPATH looks for them. Nothing is installed into any
# Python. The build (cmake/FuzeTorchDir.cmake) links libtorch_cpu and libc10
# only; the Python module and its tests are left out (they need a Python that
# imports this torch; on the GPU host scripts/gpu/run_cuda_tests.sh builds
# them against its own torch). Ends with ctest's summary line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="${FUZE_TORCH2_VERSION:-2.11.0}"
cache="${FUZE_TORCH2_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fuze/torch-$version}"
build="${FUZE_TORCH2_BUILD_DIR:-$root/build-torch2}"
jobs="${FUZE_JOBS:-$(nproc)}"

"$root/scripts/setup.sh"

site="$cache/site"
if [ ! -f "$site/.complete" ]; then
  pip=(python3 -m pip)
  if ! "${pip[@]}" --version >/dev/null 2>&1; then
    echo "torch2: no pip for python3; installing Debian's python3-pip"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
    pip=(/usr/bin/python3 -m pip)
  fi
  mkdir -p "$cache/wheels"
  echo "torch2: downloading torch==$version and the CUDA runtime wheels from PyPI into $cache/wheels"
  # cuda-toolkit 13.0.2 (torch 2.11's pin) = nvidia-cuda-runtime 13.0.96 + nvidia-cuda-cupti 13.0.85.
  "${pip[@]}" download --quiet --no-deps --only-binary=:all: --implementation cp --python-version 3.11 \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_25_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d "$cache/wheels" \
    "torch==$version" nvidia-cuda-runtime==13.0.96 nvidia-cuda-cupti==13.0.85
  echo "torch2: unpacking the C++ parts into $site"
  rm -rf "$site" && mkdir -p "$site"
  python3 - "$cache/wheels" "$site" "$version" <<'PY'
import glob, os, sys, zipfile
wheels, site, version = sys.argv[1:]
for whl in sorted(glob.glob(os.path.join(wheels, "*.whl"))):
    torch = os.path.basename(whl).startswith("torch-")
    if torch and not os.path.basename(whl).startswith("torch-%s-" % version):
        continue
    with zipfile.ZipFile(whl) as z:
        for info in z.infolist():
            n = info.filename
            if torch and not (n.startswith(("torch/lib/", "torch/include/")) or n == "torch/version.py"):
                continue
            if not torch and not n.startswith("nvidia/"):
                continue
            path = z.extract(info, site)
            if (info.external_attr >> 16) & 0o111:
                os.chmod(path, 0o755)
PY
  touch "$site/.complete"
fi

echo "torch2: building into $build"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DFUZE_TORCH_DIR="$site/torch" -DFUZE_WITH_PYTHON=OFF ${FUZE_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$jobs"

source "$root/scripts/run_ctest.sh"
run_ctest "$build" "$jobs" "$@"
echo "libtorch $version: $ctest_summary"
exit "$ctest_status"
