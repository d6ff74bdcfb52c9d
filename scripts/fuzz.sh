#!/usr/bin/env bash
# The fuzzer's long mode: many random graphs, fused vs eager, on every backend
# and every x86 ISA level this CPU has (each in its own process).
#
#   scripts/fuzz.sh [--graphs N (100000)] [--seed S (1)] [--jobs J (nproc)] [fuze_fuzz options...]
#
# Graph i of backend b uses seed S + i, so the same graphs run everywhere; a
# mismatch prints the command that regenerates it alone (--seed X --graphs 1).
# Builds fuze_fuzz into ${FUZE_BUILD_DIR:-build} first (scripts/build.sh).
# Each run is split into J chunks run side by side; the logs go to
# $build/fuzz-logs/. Ends with one line: graphs run and mismatches; exit 1 on any.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${FUZE_BUILD_DIR:-$root/build}"
graphs=100000 seed=1 jobs="$(nproc)" extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --graphs) graphs="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    *) extra+=("$1"); shift ;;
  esac
done
if [ ! -x "$build/tests/fuzz/fuze_fuzz" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target fuze_fuzz -j "${FUZE_JOBS:-$jobs}" >/dev/null
fuzz="$build/tests/fuzz/fuze_fuzz"
logs="$build/fuzz-logs"
mkdir -p "$logs"
rm -f "$logs"/*.log

# Backends and levels: interp, then x86 at each level the CPU supports.
configs=("FUZE_BACKEND=interp")
if grep -qw sse4_1 /proc/cpuinfo; then configs+=("FUZE_BACKEND=x86 FUZE_X86_ISA=sse"); fi
if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then configs+=("FUZE_BACKEND=x86 FUZE_X86_ISA=avx2"); fi
if grep -qw avx512f /proc/cpuinfo; then configs+=("FUZE_BACKEND=x86 FUZE_X86_ISA=avx512"); fi

chunk=$(( (graphs + jobs - 1) / jobs ))
status=0
total_mismatches=0
for cfg in "${configs[@]}"; do
  name="$(echo "$cfg" | sed 's/FUZE_BACKEND=//; s/ FUZE_X86_ISA=/-/')"
  pids=()
  for ((j = 0; j < jobs; j++)); do
    start=$(( seed + j * chunk ))
    n=$(( graphs - j * chunk )); [ "$n" -gt "$chunk" ] && n=$chunk
    [ "$n" -le 0 ] && break
    env $cfg "$fuzz" --seed "$start" --graphs "$n" "${extra[@]}" > "$logs/$name.$j.log" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
  m=$(cat "$logs/$name".*.log | awk '/^mismatches:/ {s += $2} END {print s + 0}')
  t=$(cat "$logs/$name".*.log | awk '/^graphs:/ {s += $2} END {print s + 0}')
  total_mismatches=$(( total_mismatches + m ))
  echo "$name: $t graphs, $m mismatches"
  grep -h -A1 "^MISMATCH" "$logs/$name".*.log | head -n 20 || true
done
echo "fuzz: $graphs graphs x ${#configs[@]} configurations, $total_mismatches mismatches (logs in $logs)"
exit "$status"
