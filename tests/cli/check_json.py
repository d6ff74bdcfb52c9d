#!/usr/bin/env python3
"""Validates the JSON files of `fuze bench --json` and `fuze profile --trace`.

  check_json.py bench FILE [MIN_ITERS]   Google Benchmark schema, both sides,
                                         the timer overhead fuze subtracted
  check_json.py trace FILE MIN_FUSED     Trace Event Format, fused_* X events, and
                                         the first call's compile events (at least
                                         one, each before its kernel's first call)

Prints "<kind> JSON OK ..." and exits 0, or prints the problem and exits 1.
Standard library only.
"""
import json
import math
import sys


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def positive(entry, key, where):
    v = entry.get(key)
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v <= 0:
        fail("%s: %s is %r, expected a positive number" % (where, key, v))


def check_bench(path, min_iters):
    with open(path) as f:
        data = json.load(f)
    ctx = data.get("context")
    if not isinstance(ctx, dict):
        fail("no context object")
    for key in ("date", "host_name", "executable", "num_cpus", "mhz_per_cpu", "cpu_scaling_enabled",
                "caches", "library_build_type", "fuze_model", "fuze_backend"):
        if key not in ctx:
            fail("context lacks %s" % key)
    positive(ctx, "num_cpus", "context")
    overhead = ctx.get("fuze_timer_overhead_ns")
    if not isinstance(overhead, dict) or set(overhead) != {"wall", "cpu"} or \
            not all(isinstance(v, (int, float)) and v >= 0 for v in overhead.values()):
        fail("context.fuze_timer_overhead_ns is %r, expected {wall, cpu} in ns" % (overhead,))
    positive(ctx, "fuze_speedup_median", "context")
    benches = data.get("benchmarks")
    if not isinstance(benches, list) or not benches:
        fail("no benchmarks list")
    required = ("name", "run_name", "run_type", "repetitions", "threads", "iterations", "real_time",
                "cpu_time", "time_unit")
    sides = {}
    for b in benches:
        for key in required:
            if key not in b:
                fail("%s lacks %s" % (b.get("name"), key))
        if b["time_unit"] not in ("ns", "us", "ms", "s"):
            fail("%s: bad time_unit %r" % (b["name"], b["time_unit"]))
        side = b["run_name"].rsplit("/", 1)[-1]
        s = sides.setdefault(side, {"iterations": 0, "aggregates": set()})
        if b["run_type"] == "iteration":
            if "repetition_index" not in b:
                fail("%s lacks repetition_index" % b["name"])
            if b["name"] != b["run_name"]:
                fail("iteration %s: name differs from run_name" % b["name"])
            positive(b, "iterations", b["name"])
            positive(b, "real_time", b["name"])
            positive(b, "cpu_time", b["name"])
            positive(b, "items_per_second", b["name"])
            s["iterations"] += b["iterations"]
        elif b["run_type"] == "aggregate":
            agg = b.get("aggregate_name")
            if not agg or b["name"] != b["run_name"] + "_" + agg:
                fail("aggregate %s: bad aggregate_name %r" % (b["name"], agg))
            if agg not in ("stddev", "cv"):
                positive(b, "real_time", b["name"])
            s["aggregates"].add(agg)
        else:
            fail("%s: bad run_type %r" % (b["name"], b["run_type"]))
    if set(sides) != {"torchscript", "fuze"}:
        fail("sides %s, expected torchscript and fuze" % sorted(sides))
    for side, s in sides.items():
        if s["iterations"] < min_iters:
            fail("%s: %d calls, expected at least %d" % (side, s["iterations"], min_iters))
        for agg in ("mean", "median", "stddev", "cv", "min", "max"):
            if agg not in s["aggregates"]:
                fail("%s lacks the %s aggregate" % (side, agg))
    print("bench JSON OK: %d entries, sides %s, speedup %.2fx" %
          (len(benches), ", ".join(sorted(sides)), ctx["fuze_speedup_median"]))


def check_trace(path, min_fused):
    with open(path) as f:
        data = json.load(f)
    events = data["traceEvents"] if isinstance(data, dict) else data
    if not isinstance(events, list) or not events:
        fail("no traceEvents")
    fused = 0
    compiles = []
    first_fused = {}
    forwards = []
    for e in events:
        for key in ("name", "ph", "pid", "tid"):
            if key not in e:
                fail("event lacks %s: %r" % (key, e))
        if e["ph"] != "X":
            continue
        if not isinstance(e.get("ts"), (int, float)) or e["ts"] < 0:
            fail("bad ts in %r" % e)
        if not isinstance(e.get("dur"), (int, float)) or e["dur"] < 0:
            fail("bad dur in %r" % e)
        if e.get("cat") == "compile":
            args = e.get("args", {})
            for key in ("kernel", "backend", "signature", "group", "compile_us", "failed"):
                if key not in args:
                    fail("compile event lacks args.%s: %r" % (key, e))
            if e["name"] != "compile " + args["kernel"] or not args["signature"] or not args["group"]:
                fail("bad compile event %r" % e)
            if e["dur"] <= 0 or e["dur"] > args["compile_us"] + 1e-3:
                fail("compile event lasts %r us, the kernel compiled in %r us" % (e["dur"], args["compile_us"]))
            compiles.append(e)
        if e.get("cat") == "forward":
            forwards.append(e)
        if e["name"].startswith("fused_"):
            if e["name"] not in first_fused or e["ts"] < first_fused[e["name"]]["ts"]:
                first_fused[e["name"]] = e
            args = e.get("args", {})
            for key in ("backend", "kernel", "signature", "shapes"):
                if key not in args:
                    fail("fused event lacks args.%s: %r" % (key, e))
            if not args["shapes"] or not all("[" in s for s in args["shapes"] if s):
                fail("fused event without tensor shapes: %r" % e)
            fused += 1
    if fused < min_fused:
        fail("%d fused_* X events, expected at least %d" % (fused, min_fused))
    if not compiles:
        fail("no compile event (cat \"compile\") although the trace covers the first call")
    first_forward = min(forwards, key=lambda f: f["ts"]) if forwards else None
    for c in compiles:
        end = c["ts"] + c["dur"]
        k = first_fused.get(c["args"]["kernel"])
        if not c["args"]["failed"] and (k is None or end > k["ts"] + 1e-3):
            fail("compile event %r does not end before its kernel's first call %r" % (c, k))
        if first_forward and not (first_forward["ts"] <= c["ts"] and end <= first_forward["ts"] + first_forward["dur"]):
            fail("compile event %r is not inside the first forward call %r" % (c, first_forward))
    print("trace JSON OK: %d events, %d fused_* X events, %d compile events" % (len(events), fused, len(compiles)))


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("bench", "trace"):
        print(__doc__)
        sys.exit(2)
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    try:
        (check_bench if sys.argv[1] == "bench" else check_trace)(sys.argv[2], n)
    except (OSError, ValueError, KeyError, TypeError) as e:
        fail("%s: %s" % (sys.argv[2], e))


if __name__ == "__main__":
    main()
