#!/usr/bin/env bash
# json_test.sh PYTHON KIND FILE MIN CMD ARGS...: runs CMD (must exit 0, its
# output is shown), then validates FILE with check_json.py KIND FILE MIN.
set -u
py="$1"; kind="$2"; file="$3"; min="$4"; shift 4
rm -f "$file"
"$@" || { echo "FAIL: command exited $?"; exit 1; }
"$py" "$(dirname "$0")/check_json.py" "$kind" "$file" "$min"
