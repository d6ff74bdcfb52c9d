#!/usr/bin/env bash
# env_help_test.sh FUZE SRC_DIR CLI_MD: every FUZE_* environment variable the
# sources read (getenv("FUZE_...") under src/, found at test time) is listed in
# the --help of every model command (run, bench, profile, dump) and in
# docs/cli.md; `fuze --help` points to it. A variable added to the code fails
# this test until the help and the doc name it.
set -u
fuze="$1"; src="$2"; doc="$3"
# src/torchscript is libfuze_torchscript.so, not the CLI: its FUZE_TORCHSCRIPT
# switch is documented in docs/serving.md.
vars=$(grep -rhoE --exclude-dir=torchscript 'getenv\("FUZE_[A-Z0-9_]+"' "$src" | sed -E 's/.*"(FUZE_[A-Z0-9_]+)"/\1/' | sort -u)
[ -n "$vars" ] || { echo "FAIL: no getenv(\"FUZE_...\") found under $src"; exit 1; }
echo "variables read by the code: $(echo $vars)"
status=0
# FUZE_PYTHON only affects bench --plot: checked for bench alone, below.
common=$(echo "$vars" | grep -vx FUZE_PYTHON)
for cmd in run bench profile dump; do
  help="$("$fuze" "$cmd" --help)" || { echo "FAIL: fuze $cmd --help exited $?"; status=1; continue; }
  echo "$help" | grep -q '^Environment:' || { echo "FAIL: fuze $cmd --help has no Environment: section"; status=1; }
  for v in $common; do
    echo "$help" | grep -qw "$v" || { echo "FAIL: fuze $cmd --help does not mention $v"; status=1; }
  done
done
"$fuze" bench --help | grep -q FUZE_PYTHON || { echo "FAIL: fuze bench --help does not mention FUZE_PYTHON"; status=1; }
for v in $vars; do
  grep -q "\`$v" "$doc" || { echo "FAIL: docs/cli.md does not list \`$v\`"; status=1; }
done
"$fuze" --help | grep -qi "environment" || { echo "FAIL: fuze --help does not mention the environment"; status=1; }
[ $status -eq 0 ] && echo "env help OK: $(echo $vars | wc -w) variables in 4 commands' --help and docs/cli.md"
exit $status
