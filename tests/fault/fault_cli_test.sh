#!/usr/bin/env bash
# fault_cli_test.sh FUZE MODELS: `fuze run` with FUZE_FAULT set still gives
# TorchScript's result (max difference 0 or tiny), exits 0, and counts the
# fallback; an unknown fault name is a warning, not a failure.
set -u
fuze="$1" models="$2"
status=0
run() {  # run FAULT REGEX: FUZE_FAULT=FAULT fuze run ... must exit 0 and match REGEX
  local out
  out=$(FUZE_FAULT="$1" "$fuze" run "$models/lstm_cell_pointwise.pt" --input 3x8 --input 3x8 --input 3x8 \
        --input 3x8 --input 3x8 2>&1)
  local rc=$?
  echo "--- FUZE_FAULT=$1: exit $rc"
  echo "$out" | grep -E "max \||fusion groups|fuze|injected" | grep -v "^ *%" | head -5
  [ $rc -eq 0 ] || { echo "FAIL: exit $rc"; status=1; return; }
  echo "$out" | grep -Eq "max \|fuze - torchscript\|: (0|[0-9.]+e-0[6-9]|[0-9.]+e-[1-9][0-9])$" ||
    { echo "FAIL: results differ"; status=1; }
  echo "$out" | grep -Eq -- "$2" || { echo "FAIL: no match for /$2/"; status=1; }
}
run x86_emit "kernel calls: 0, fallbacks: 1, compiles: 0"
run exec_mem "kernel calls: 0, fallbacks: 1, compiles: 0"
run output_alloc "kernel calls: 0, fallbacks: 1"
run nvrtc_missing,nvrtc_fail,driver_load "kernel calls: 1, fallbacks: 0"
run x86_emit,exec_mem,output_alloc "kernel calls: 0, fallbacks: 1"
run bogus_fault "unknown fault 'bogus_fault'"
exit $status
