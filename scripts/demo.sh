#!/usr/bin/env bash
# The README's main command: set up, build, then run every seed model (the
# TorchScript tutorial's MyCell, DecisionGate, RNNLoop, WrapRNN, plus an LSTM
# cell's pointwise half and a 10-op chain) fused by fuze and compared with
# plain TorchScript on the same inputs: `fuze run` prints each output's shape
# and checksum, the max difference, and the fused graph. Then the Python route.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
build="${FUZE_BUILD_DIR:-$root/build}"
fuze="$build/src/cli/fuze"
models="$build/models"

status=0
while read -r name file shapes; do
  [ -n "$name" ] || continue
  args=()
  for s in $shapes; do args+=(--input "$s"); done
  echo
  echo "================ $name ($file, inputs ${shapes}) ================"
  if ! "$fuze" run "$models/$file" "${args[@]}" --seed 0; then
    echo "demo: $name FAILED" >&2
    status=1
  fi
done < "$models/models.txt"

echo
echo "================ Python: examples/python_demo.py ================"
PYTHONPATH="$build/python" /usr/bin/python3 "$root/examples/python_demo.py" || status=1

echo
if [ $status -eq 0 ]; then echo "demo: all seed models ran fused and matched TorchScript"; fi
exit $status
