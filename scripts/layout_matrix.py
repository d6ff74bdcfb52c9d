"""The layout matrix (issue 14): runs build/bench/fuze_layout_bench under both
allocator settings and writes its JSON and a table per thread count: fuze's
speedup over TorchScript (median per call, both measured in the same loop)
for every pair of input layouts of tanh(x * y + x) - y over 1024 x 1024.

    python3 scripts/layout_matrix.py [--bench build/bench/fuze_layout_bench] [--reps 3]
                                     [--out bench/results/layout-matrix-DATE]

Each cell is the median over --reps repetitions of the per-run ratio. A pair
whose inner strides conflict (one operand transposed against a dense one:
no order walks both with stride 1) is marked with *.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys

TUNED = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "17179869184"}
LAYOUTS = ["contiguous", "row", "column", "scalar", "sliced", "transposed"]


def conflict(x, y):
    dense = ("contiguous", "sliced")
    return (x == "transposed" and y in dense) or (y == "transposed" and x in dense)


def run(bench, reps, alloc, out_json, flt):
    env = {k: v for k, v in os.environ.items() if k not in TUNED}
    if alloc == "tuned":
        env.update(TUNED)
    # min_time counts fuze's manual time only; each iteration also runs
    # TorchScript (2-20x longer): 0.1 s keeps one allocator's run near 5 min.
    cmd = [bench, "--benchmark_repetitions=%d" % reps, "--benchmark_min_time=0.1", "--benchmark_format=json",
           "--benchmark_out=" + out_json, "--benchmark_out_format=json"] + (
               ["--benchmark_filter=" + flt] if flt else [])
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    with open(out_json) as f:
        data = json.load(f)
    cells = {}
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration" or "error_occurred" in b and b["error_occurred"]:
            continue
        parts = b["run_name"].split("/")  # chain4/x:L/y:L/threads:T/manual_time
        x, y, t = parts[1][2:], parts[2][2:], int(parts[3].split(":")[1])
        cells.setdefault((x, y, t), []).append((b["speedup"], b["torchscript_us"], b["fuze_us"]))
    return data.get("context", {}), cells


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", default="build/bench/fuze_layout_bench")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--filter", default="", help="a --benchmark_filter regex (default: every pair)")
    ap.add_argument("--out", default="bench/results/layout-matrix-" + datetime.date.today().isoformat())
    args = ap.parse_args()
    lines = ["# Layout matrix: tanh(x * y + x) - y over 1024 x 1024, fuze vs TorchScript",
             "",
             "`python3 scripts/layout_matrix.py` (bench/layout_bench.cpp): TorchScript and fuze (x86) called",
             "alternately in one loop; each cell is fuze's speedup (median TorchScript / median fuze per call),",
             "the median over %d repetitions. Rows: x's layout; columns: y's. Blank: the pair's broadcast" % args.reps,
             "is smaller than 1024 x 1024. *: inner strides conflict (transposed against dense).",
             ""]
    summary = {}
    for alloc in ("tuned", "default"):
        ctx, cells = run(args.bench, args.reps, alloc, "%s-%s.json" % (args.out, alloc), args.filter)
        if alloc == "tuned":
            lines.insert(2, "Machine: %s CPUs at %s MHz, caches %s." % (
                ctx.get("num_cpus"), ctx.get("mhz_per_cpu"),
                ", ".join("L%d %d KiB" % (c["level"], c["size"] // 1024) for c in ctx.get("caches", []))))
        for threads in (1, 2):
            lines += ["### %s allocator, %d thread%s" % (alloc, threads, "s" if threads > 1 else ""), "",
                      "| x \\ y | " + " | ".join(LAYOUTS) + " |", "|---|" + "---:|" * len(LAYOUTS)]
            worst, worst_conflict = None, None
            for x in LAYOUTS:
                row = []
                for y in LAYOUTS:
                    runs = cells.get((x, y, threads))
                    if not runs:
                        row.append("")
                        continue
                    s = statistics.median(r[0] for r in runs)
                    row.append("%.2fx%s" % (s, "*" if conflict(x, y) else ""))
                    if conflict(x, y):
                        worst_conflict = s if worst_conflict is None else min(worst_conflict, s)
                    else:
                        worst = s if worst is None else min(worst, s)
                lines.append("| %s | %s |" % (x, " | ".join(row)))
            fmt = lambda v: "-" if v is None else "%.2fx" % v  # noqa: E731
            lines += ["", "Lowest: %s (pairs without a conflict), %s (conflicting pairs)." % (
                fmt(worst), fmt(worst_conflict)), ""]
            summary["%s/%d" % (alloc, threads)] = {"lowest": worst, "lowest_conflict": worst_conflict}
    with open(args.out + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(json.dumps(summary), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
