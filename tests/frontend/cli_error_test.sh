#!/usr/bin/env bash
# cli_error_test.sh REGEX CMD ARGS...: CMD must exit non-zero and print exactly
# one line on stderr, matching REGEX, with no stack trace.
set -u
regex="$1"; shift
err="$(mktemp)"
"$@" >/dev/null 2>"$err"
rc=$?
lines=$(wc -l <"$err")
msg="$(cat "$err")"; rm -f "$err"
echo "exit $rc, stderr: $msg"
[ "$rc" -ne 0 ] || { echo "FAIL: exit status 0"; exit 1; }
[ "$lines" -eq 1 ] || { echo "FAIL: $lines lines on stderr"; exit 1; }
echo "$msg" | grep -Eq -- "$regex" || { echo "FAIL: message does not match /$regex/"; exit 1; }
echo "$msg" | grep -Eq 'Exception raised from|frame #' && { echo "FAIL: stack trace"; exit 1; }
exit 0
