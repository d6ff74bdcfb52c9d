#!/usr/bin/env bash
# `fuze bench` over the real-model set (scripts/make_real_models.py), one row
# per model: coverage, median TorchScript and fuze per call (interleaved, one
# process), speedup. Writes a markdown table to stdout.
#
#   scripts/bench_real_models.sh [--fuze PATH] [--models DIR] [--duration S] [--threads N]
#
# --fuze picks another build's binary (e.g. one from before a change) run on
# the same models. Benchmark shapes: the CNNs at 1x3x224x224, the RNN layers
# in their _b1_h64 and _b64_h256 configurations (32 steps), the encoder block
# at batch 8 x 128 tokens, the rest as in
# models.txt. Run on a quiet machine; say which allocator setting it ran under.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
fuze="${FUZE_BUILD_DIR:-$root/build}/src/cli/fuze"
models="${FUZE_BUILD_DIR:-$root/build}/real_models"
duration=2 threads=1
while [ $# -gt 0 ]; do
  case "$1" in
    --fuze) fuze="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    *) echo "usage: $0 [--fuze PATH] [--models DIR] [--duration S] [--threads N]" >&2; exit 2 ;;
  esac
done
[ -f "$models/models.txt" ] || { echo "bench_real_models: no $models/models.txt (build first)" >&2; exit 2; }

echo "| model | inputs | coverage | groups | TorchScript | fuze | speedup |"
echo "|---|---|---|---:|---:|---:|---:|"
while read -r name file shapes; do
  case "$name" in
    lstm_layer_scripted|gru_layer_scripted|milstm_layer_scripted) continue ;;  # test sizes
    resnet18_*|mobilenet_*) shapes="1x3x224x224" ;;
    encoder_block_*) shapes="8x128x64 128x128" ;;  # batch 8, 128 tokens, an additive 128x128 mask
  esac
  args=()
  for s in $shapes; do args+=(--input "$s"); done
  out=$("$fuze" bench "$models/$file" "${args[@]}" --duration "$duration" --threads "$threads" 2>&1) || {
    echo "| $name | ${shapes// /, } | (failed: $(echo "$out" | tail -n 1)) | | | | |"; continue; }
  cov=$(echo "$out" | sed -n 's/^coverage: \([0-9]* of [0-9]*\) elementwise nodes fused (\([0-9]*%\)).*/\1 (\2)/p')
  [ -n "$cov" ] || cov="n/a"
  groups=$(echo "$out" | sed -n 's/^fusion: \([0-9]*\) group.*/\1/p')
  ts=$(echo "$out" | awk '$1 == "torchscript" && $4 ~ /^[0-9.]+$/ {print $6, $7; exit}')
  fz=$(echo "$out" | awk '$1 == "fuze" && $4 ~ /^[0-9.]+$/ {print $6, $7; exit}')
  sp=$(echo "$out" | sed -n 's/^speedup: \([0-9.]*x\).*/\1/p')
  echo "| $name | ${shapes// /, } | $cov | ${groups:-0} | $ts | $fz | $sp |"
done < "$models/models.txt"
