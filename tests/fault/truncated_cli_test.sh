#!/usr/bin/env bash
# truncated_cli_test.sh FUZE CLI_ERROR_TEST MODEL OUTDIR: `fuze run` on
# truncated copies of MODEL (and on an empty file) prints one `fuze: ...` line
# and exits non-zero each time.
set -u
fuze="$1" check="$2" model="$3" dir="$4"
size=$(stat -c %s "$model")
status=0
for keep in 0 1 30 $((size / 3)) $((size / 2)) $((size - 100)) $((size - 22)) $((size - 1)); do
  f="$dir/truncated_$keep.pt"
  head -c "$keep" "$model" >"$f"
  echo "--- $keep of $size bytes"
  "$check" "^fuze: " "$fuze" run "$f" --input 3x4 --input 3x4 || status=1
  rm -f "$f"
done
exit $status
