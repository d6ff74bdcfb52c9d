#!/usr/bin/env bash
# png_test.sh FILE CMD ARGS...: removes FILE, runs CMD (must exit 0; its output
# is shown), then checks FILE starts with the PNG signature (89 50 4E 47 0D 0A 1A 0A).
set -u
file="$1"; shift
rm -f "$file"
"$@" || { echo "FAIL: command exited $?"; exit 1; }
[ -s "$file" ] || { echo "FAIL: $file was not written"; exit 1; }
magic=$(od -An -tx1 -N8 "$file" | tr -d ' \n')
[ "$magic" = "89504e470d0a1a0a" ] || { echo "FAIL: $file is not a PNG (starts with $magic)"; exit 1; }
echo "PNG OK: $file, $(wc -c <"$file") bytes"
