#!/usr/bin/env bash
# fuze against torch 2.11 from PyPI (the torch most users have, and the GPU
# host's), in two parts; no GPU needed:
#   1. the C++ suite: fuze built against the libtorch inside that torch
#      (build-torch2/, linking libtorch_cpu and libc10 only,
#      cmake/FuzeTorchDir.cmake), whole ctest suite;
#   2. the Python route a user takes: `pip install .` into a virtual
#      environment with that torch, then the Python test suite (tests/python)
#      against the installed package, run from outside the source tree.
#
#   scripts/torch2.sh [ctest args]
#
# The environment (scripts/torch2_env.sh: torch's wheel, the NVIDIA runtime
# wheels `import torch` needs, its pure-Python dependencies, pytest) is made
# once from wheels cached in ${FUZE_TORCH2_CACHE:-~/.cache/fuze/torch-2.11.0}.
# FUZE_SKIP_PIP=1 leaves part 2 out. Then scripts/torchserve_e2e.sh (TorchServe
# from PyPI serving a model fused through libfuze_torchscript.so) where Java
# runs. Ends with ctest's summary line, pytest's and the TorchServe line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/torch2_paths.sh"  # version (the venv dir comes from torch2_env.sh)
build="${FUZE_TORCH2_BUILD_DIR:-$root/build-torch2}"
jobs="${FUZE_JOBS:-$(nproc)}"

"$root/scripts/setup.sh"
venv="$("$root/scripts/torch2_env.sh")"
python="$venv/bin/python"
torch_dir="$("$python" -c 'import os, torch; print(os.path.dirname(torch.__file__))')"

echo "torch2: building into $build (libtorch from $torch_dir)"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DFUZE_TORCH_DIR="$torch_dir" -DFUZE_WITH_PYTHON=OFF ${FUZE_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$jobs"

source "$root/scripts/run_ctest.sh"
run_ctest "$build" "$jobs" "$@"
pytest_status=0
pytest_summary=""
if [ "${FUZE_SKIP_PIP:-0}" != "1" ]; then
  echo "torch2: pip install $root into $venv"
  start=$SECONDS
  set +e
  (cd "$root" && FUZE_JOBS="$jobs" "$python" -m pip install --disable-pip-version-check --no-deps \
     --force-reinstall "$root")
  pip_status=$?
  echo "torch2: pip install took $((SECONDS - start)) s (exit $pip_status)"
  if [ "$pip_status" -eq 0 ]; then
    # From outside the tree (the venv), so that `import fuze` is the installed package.
    run_logged "$build/pytest.log" "^=*.* (passed|failed|error)" \
      env -C "$venv" "$python" -m pytest -q -p no:cacheprovider "$root/tests/python"
    pytest_status=$step_status
    pytest_summary=$(echo "$step_summary" | tr -d '=' | sed 's/^ *//')
  else
    pytest_status=$pip_status
  fi
  set -e
  [ -n "$pytest_summary" ] || pytest_summary="pip install or pytest failed (exit $pytest_status)"
fi
# TorchServe from PyPI serving a model fused through libfuze_torchscript.so
# (needs the pip-installed fuze above and a Java runtime; about 20 s, plus the
# TorchServe wheels once). FUZE_SKIP_TORCHSERVE=1 leaves it out.
serve_status=0
serve_summary=""
if [ "${FUZE_SKIP_PIP:-0}" != "1" ] && [ "${FUZE_SKIP_TORCHSERVE:-0}" != "1" ] && [ "$pytest_status" -eq 0 ]; then
  if command -v java >/dev/null 2>&1; then
    run_logged "$build/torchserve.log" "^torchserve e2e" "$root/scripts/torchserve_e2e.sh"
    serve_status=$step_status
    serve_summary=$step_summary
    [ -n "$serve_summary" ] || serve_summary="torchserve e2e FAILED: no summary (exit $serve_status)"
  else
    serve_summary="torchserve e2e: skipped (no Java runtime on this machine)"
  fi
fi
echo "libtorch $version: $ctest_summary"
[ -z "$pytest_summary" ] || echo "torch $version, pip install + Python tests: $pytest_summary"
[ -z "$serve_summary" ] || echo "$serve_summary"
[ "$ctest_status" -ne 0 ] && exit "$ctest_status"
[ "$pytest_status" -ne 0 ] && exit "$pytest_status"
exit "$serve_status"
