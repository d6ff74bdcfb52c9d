#!/usr/bin/env bash
# The accuracy sweeps of kernels/math/ULP.md at one ISA level:
#   scripts/ulp_sweeps.sh [sse|avx2|avx512] [build dir] [base|trig|all]
# base (the default): exp, tanh, sigmoid, silu, erf, log1p, log, log2, log10
# and softplus (float32 lanes at the FMA levels) over all 2^32 float32 inputs;
# the float64-internal functions (exp2, expm1, mish, logit) over every 257th
# bit pattern (16.7M inputs of every class). trig: sin, cos, tan (float32
# lanes at the FMA levels below 2^13, float64 above), asin, acos, atan, sinh, cosh, asinh,
# acosh, atanh and erfc over all 2^32 inputs (FUZE_SWEEP_STEP=257 for every
# 257th), and atan2 on its grid + random sample. all: both.
# Runs FUZE_SWEEP_JOBS (default $(nproc)) sweeps at a time (each is
# single-threaded) and prints one line per function; exits non-zero when a
# sweep does (max error above 2 ULP).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
isa="${1:-avx2}"
build="${2:-${FUZE_BUILD_DIR:-$root/build}}"
sweep="$build/tools/ulp_sweep"
[ -x "$sweep" ] || { echo "ulp_sweeps: $sweep not built (bash scripts/build.sh)"; exit 2; }
set_="${3:-base}"
jobs="${FUZE_SWEEP_JOBS:-$(nproc)}"
trig_how="full"; [ -n "${FUZE_SWEEP_STEP:-}" ] && trig_how="${FUZE_SWEEP_STEP}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

run() {  # run NAME ARGS...
  local name="$1"; shift
  if "$sweep" "$@" > "$tmp/$name.out" 2>&1; then echo 0 > "$tmp/$name.rc"; else echo $? > "$tmp/$name.rc"; fi
}

names=()
if [ "$set_" != trig ]; then
  for fn in exp tanh sigmoid silu erf log1p log log2 log10 softplus; do names+=("$fn:full"); done
  for fn in exp2 expm1 mish logit; do names+=("$fn:257"); done
fi
if [ "$set_" != base ]; then
  for fn in sin cos tan asin acos atan sinh cosh asinh acosh atanh erfc; do names+=("$fn:$trig_how"); done
  names+=("atan2:full")
fi
start=$(date +%s)
for entry in "${names[@]}"; do
  fn="${entry%%:*}"; how="${entry##*:}"
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 0.5; done
  if [ "$how" = full ]; then
    run "$fn" "$fn" --isa "$isa" &
  else
    run "$fn" "$fn" --isa "$isa" --step "$how" &
  fi
done
wait
status=0
for entry in "${names[@]}"; do
  fn="${entry%%:*}"; how="${entry##*:}"
  printf "%-8s %-14s %s\n" "$isa" "$([ "$fn" = atan2 ] && echo "grid+random" || { [ "$how" = full ] && echo "all 2^32" || echo "step $how"; })" "$(cat "$tmp/$fn.out")"
  [ "$(cat "$tmp/$fn.rc")" = 0 ] || status=1
done
echo "ulp_sweeps: ${#names[@]} sweeps at $isa in $(( $(date +%s) - start )) s, $([ $status = 0 ] && echo "all within 2 ULP" || echo "SOME ABOVE 2 ULP")"
exit $status
