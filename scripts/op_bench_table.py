#!/usr/bin/env python3
"""Turns fuze_op_bench's JSON (bench/op_dtype_bench.cpp) into the op x dtype
table of docs/op-bench.md: per op and dtype, TorchScript / fuze at 4K and 1M
elements, and whether the group ran a kernel or TorchScript's own ops.
    python3 scripts/op_bench_table.py ops.json [--header TEXT] > docs/op-bench.md
Exits 1 when a fused row (a kernel ran) is below --floor (default 1.0)."""
import argparse
import json
import sys
from collections import OrderedDict

ap = argparse.ArgumentParser()
ap.add_argument("json")
ap.add_argument("--floor", type=float, default=1.0)
ap.add_argument("--header", default="")
args = ap.parse_args()
data = json.load(open(args.json))
rows = OrderedDict()
skipped = []
for b in data["benchmarks"]:
    _, op, dtype, n = b["name"].split("/")[:4]
    n = int(n.split(":")[1])
    if b.get("error_occurred"):
        skipped.append((op, dtype, n, b.get("error_message", "")))
        continue
    rows.setdefault((op, dtype), {})[n] = b
out = sys.stdout
if args.header:
    out.write(args.header.rstrip() + "\n\n")
out.write("| op | dtype | 4K: TorchScript / fuze | 1M: TorchScript / fuze | runs |\n|---|---|---|---|---|\n")
below, fused_rows, ts_rows, worst = [], 0, 0, None
for (op, dtype), by_n in rows.items():
    cells, runs = [], "kernel"
    for n in (4096, 1 << 20):
        b = by_n.get(n)
        if b is None:
            cells.append("-")
            continue
        r = b["speedup"]
        fused = b.get("fused", 0) >= 1
        if not fused:
            runs = "TorchScript's ops: " + (b.get("label") or "not fused")
        else:
            fused_rows += 1
            if worst is None or r < worst[0]:
                worst = (r, op, dtype, n)
            if r < args.floor:
                below.append((op, dtype, n, r))
        ts_rows += 0 if fused else 1
        cells.append("%.2fx (%.1f / %.1f us)" % (r, b["torchscript_us"], b["fuze_us"]))
    out.write("| `%s` | %s | %s | %s | %s |\n" % (op, dtype, cells[0], cells[1], runs.replace("|", "/")))
out.write("\n%d rows ran a fused kernel; lowest %s. %d rows ran TorchScript's ops (no kernel for the op or dtype, "
          "or eager's 16-bit kernel rounds otherwise). %d rows below %.2fx%s.\n"
          % (fused_rows, "%.2fx (%s %s, n=%d)" % (worst[0], worst[1], worst[2], worst[3]) if worst else "-",
             ts_rows, len(below), args.floor, ": " + ", ".join("%s %s n=%d %.2fx" % x for x in below) if below else ""))
if skipped:
    out.write("\nSkipped (eager raises, or fuze differs): %s.\n" % ", ".join(
        "%s %s n=%d (%s)" % s for s in skipped if s[2] == 4096))
sys.exit(1 if below else 0)
