#!/usr/bin/env python3
"""Turns Google Benchmark JSON from build/bench/fuze_bench into a markdown
table (stdout or --md FILE) and a PNG plot (--png FILE).

Names follow "<chain>/<runner>/n:<N>/threads:<T>" (and "triad/n:<N>/threads:<T>").
With repetitions, the median aggregate is used. For every chain, size and
thread count the table gives time per call, GB/s of minimal traffic, the
speedup over TorchScript measured in the same run, and the fraction of the
triad bandwidth of the same run.

It also reads the JSON of `fuze bench --json` (context "executable": "fuze
bench", families "<model>/torchscript" and "<model>/fuze"): give one file per
model and it prints one markdown row per model with both sides' median, p90,
p99 (per call), calls/s, the speedup and its 95% bootstrap interval; --png
draws, per model, both sides' median time per call (bars, whiskers from the
fastest call to p90) with the speedup and its interval above them. `fuze bench
--plot out.png` runs this script for its plot.

Whatever it cannot do (matplotlib missing, a file it cannot read or write,
nothing to plot) ends it with a one-line "bench_report: ..." error and exit 1.
"""
import argparse
import json
import os
import re
import sys
from collections import defaultdict

NAME = re.compile(r"^(?P<chain>[^/]+)/(?:(?P<runner>[a-z0-9_]+)/)?n:(?P<n>\d+)/threads:(?P<t>\d+)")


def load(path):
    with open(path) as f:
        data = json.load(f)
    rows = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        if b.get("error_occurred"):
            continue
        m = NAME.match(b["run_name"] if "run_name" in b else b["name"])
        if not m:
            continue
        key = (m["chain"], m["runner"] or "triad", int(m["n"]), int(m["t"]))
        # Prefer the median aggregate over single iterations when present.
        if key in rows and b.get("run_type") != "aggregate":
            continue
        unit = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b.get("time_unit", "ns")]
        rows[key] = {"us": b["real_time"] * unit, "gbs": b.get("bytes_per_second", 0.0) / 1e9}
    return data.get("context", {}), rows


def fmt_time(us):
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.2f} µs"


def table(rows):
    chains = sorted({k[0] for k in rows if k[0] != "triad"})
    runners = ["torchscript", "fuze_interp", "fuze_x86"]
    out = ["| chain | n | threads | " + " | ".join(runners) + " | x86 vs TorchScript | x86 GB/s | % of triad |",
           "|---|---:|---:|" + "---:|" * len(runners) + "---:|---:|---:|"]
    for chain in chains:
        for n in sorted({k[2] for k in rows if k[0] == chain}):
            for t in sorted({k[3] for k in rows if k[0] == chain and k[2] == n}):
                cells = []
                for r in runners:
                    v = rows.get((chain, r, n, t))
                    cells.append(fmt_time(v["us"]) if v else "—")
                ts, x86 = rows.get((chain, "torchscript", n, t)), rows.get((chain, "fuze_x86", n, t))
                triad = rows.get(("triad", "triad", n, t))
                speed = f"{ts['us'] / x86['us']:.2f}x" if ts and x86 else "—"
                gbs = f"{x86['gbs']:.1f}" if x86 else "—"
                frac = f"{100 * x86['gbs'] / triad['gbs']:.0f}%" if x86 and triad and triad["gbs"] else "—"
                out.append(f"| {chain} | {n} | {t} | " + " | ".join(cells) + f" | {speed} | {gbs} | {frac} |")
    tri = ["", "| triad n | threads | time | GB/s |", "|---:|---:|---:|---:|"]
    for (c, r, n, t), v in sorted(rows.items()):
        if c == "triad":
            tri.append(f"| {n} | {t} | {fmt_time(v['us'])} | {v['gbs']:.1f} |")
    return "\n".join(out + tri) + "\n"


def pyplot():
    """matplotlib.pyplot with the Agg backend, or a one-line error."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        sys.exit(f"bench_report: --png needs matplotlib (apt-get install python3-matplotlib): {e}")
    return plt


def save(fig, path):
    """Writes the figure, or exits with a one-line error; checks the file is there."""
    try:
        fig.savefig(path, dpi=90, format="png")
    except (OSError, ValueError) as e:
        sys.exit(f"bench_report: cannot write {path}: {e}")
    if not os.path.isfile(path) or os.path.getsize(path) == 0:
        sys.exit(f"bench_report: {path} was not written")


def plot(rows, path):
    if not any(k[0] != "triad" for k in rows):
        sys.exit("bench_report: nothing to plot (no <chain>/<runner>/n:<N>/threads:<T> entries)")
    plt = pyplot()
    chains = sorted({k[0] for k in rows if k[0] != "triad"})
    threads = sorted({k[3] for k in rows})
    fig, axes = plt.subplots(len(threads), len(chains), figsize=(5 * len(chains), 4 * len(threads)), squeeze=False)
    for i, t in enumerate(threads):
        for j, chain in enumerate(chains):
            ax = axes[i][j]
            for r in ["torchscript", "fuze_interp", "fuze_x86", "triad"]:
                src = "triad" if r == "triad" else chain
                pts = sorted((k[2], v["gbs"]) for k, v in rows.items() if k[0] == src and k[1] == r and k[3] == t)
                if pts:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=r,
                            linestyle="--" if r == "triad" else "-")
            ax.set_xscale("log")
            ax.set_title(f"{chain}, {t} thread(s)")
            ax.set_xlabel("elements")
            ax.set_ylabel("GB/s (minimal traffic)")
            ax.legend(fontsize=8)
    fig.tight_layout()
    save(fig, path)


def fuze_bench_aggregates(data):
    """{(side, aggregate_name): time in µs} of one `fuze bench --json` file."""
    agg = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate":
            unit = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b.get("time_unit", "ns")]
            side = b["run_name"].rsplit("/", 1)[-1]
            agg[(side, b["aggregate_name"])] = b["real_time"] * unit
    return agg


def fuze_bench_plot(paths, png):
    """Per model: TorchScript's and fuze's median time per call (bars), whiskers
    from the fastest call to p90, and the speedup with its 95% interval."""
    models = []
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        ctx, agg = data["context"], fuze_bench_aggregates(data)
        sides = {}
        for side in ("torchscript", "fuze"):
            med = agg.get((side, "p50"), agg.get((side, "median")))
            if med is None:
                raise ValueError(f"{path}: no median of the {side} side")
            sides[side] = (med, agg.get((side, "min"), med), agg.get((side, "p90"), med))
        models.append((ctx, sides))
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(4.5, 2.0 * len(models) + 1.5), 4.2))
    width = 0.3
    colors = {"torchscript": "#8c8c8c", "fuze": "#1f77b4"}
    top = max(max(hi, med) for _, sides in models for med, _, hi in sides.values())
    for i, (ctx, sides) in enumerate(models):
        for j, side in enumerate(("torchscript", "fuze")):
            med, lo, hi = sides[side]
            x = i + (j - 0.5) * width
            ax.bar(x, med, width, color=colors[side], label=("TorchScript" if side == "torchscript" else "fuze")
                   if i == 0 else None)
            ax.errorbar(x, med, yerr=[[max(0.0, med - lo)], [max(0.0, hi - med)]], color="black", capsize=3, lw=1)
            ax.annotate(fmt_time(med), (x, max(hi, med)), textcoords="offset points", xytext=(0, 3), ha="center",
                        va="bottom", fontsize=7)
        pair_top = max(max(hi, med) for med, _, hi in sides.values())
        lo_ci, hi_ci = ctx.get("fuze_speedup_ci95", [0, 0])
        ax.annotate(f"{ctx.get('fuze_speedup_median', 0):.2f}x ({lo_ci:.2f}..{hi_ci:.2f})", (i, pair_top),
                    textcoords="offset points", xytext=(0, 16), ha="center", va="bottom", fontsize=8,
                    fontweight="bold")
    ax.set_xticks(range(len(models)))
    ax.set_xticklabels([m[0].get("fuze_model", "?") for m in models], fontsize=8)
    ax.set_xlim(-0.6, len(models) - 0.4)
    ax.set_ylim(0, top * 1.5 if top > 0 else 1)  # room for the labels and the legend above the bars
    ax.set_ylabel("time per call, µs (median; whiskers: min..p90)", fontsize=8)
    ctx0 = models[0][0]
    title = (f"fuze bench: backend {ctx0.get('fuze_backend', '?')}, {ctx0.get('fuze_threads', '?')} thread(s), "
             f"{ctx0.get('host_name', '?')}")
    if len(models) == 1:
        title += f"\n{ctx0.get('fuze_model', '?')} on {ctx0.get('fuze_inputs', '?')}"
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8, loc="upper right", ncol=2)
    fig.tight_layout()
    fig.subplots_adjust(bottom=0.16)
    fig.text(0.01, 0.01, "bold: speedup = median TorchScript / median fuze (95% bootstrap interval)", fontsize=7,
             va="bottom", ha="left", color="dimgray")
    save(fig, png)


def fuze_bench_table(paths):
    """One markdown row per `fuze bench --json` file."""
    out = ["| model | backend | threads | TorchScript median | fuze median | fuze p90 | fuze p99 "
           "| fuze calls/s (1/median) | speedup (95% interval) | coverage |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        ctx = data["context"]
        agg = fuze_bench_aggregates(data)
        # Per-call median: the p50 aggregate (the "median" one is over repetitions).
        med = lambda side: agg.get((side, "p50"), agg.get((side, "median"), 0.0))
        cell = lambda v: fmt_time(v) if v else "—"
        lo, hi = ctx.get("fuze_speedup_ci95", [0, 0])
        fz = med("fuze")
        out.append(f"| {ctx.get('fuze_model', path)} | {ctx.get('fuze_backend', '?')} | {ctx.get('fuze_threads', '?')} "
                   f"| {cell(med('torchscript'))} | {cell(fz)} | {cell(agg.get(('fuze', 'p90')))} "
                   f"| {cell(agg.get(('fuze', 'p99')))} | {1e6 / fz if fz else 0:.0f} "
                   f"| {ctx.get('fuze_speedup_median', 0):.2f}x ({lo:.2f}..{hi:.2f}) "
                   f"| {ctx.get('fuze_coverage_percent', 0):.0f}% |")
    return "\n".join(out) + "\n"


def is_fuze_bench(path):
    try:
        with open(path) as f:
            return json.load(f).get("context", {}).get("executable") == "fuze bench"
    except (OSError, ValueError, AttributeError):
        return False


def write_text(text, md):
    """The markdown to stdout, or to the --md file."""
    if not md:
        sys.stdout.write(text)
        return
    try:
        with open(md, "w") as f:
            f.write(text)
    except OSError as e:
        sys.exit(f"bench_report: cannot write {md}: {e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("json", nargs="+", help="fuze_bench JSON, or one or more `fuze bench --json` files")
    ap.add_argument("--md")
    ap.add_argument("--png")
    args = ap.parse_args()
    if all(is_fuze_bench(p) for p in args.json):
        try:
            text = fuze_bench_table(args.json)
        except (OSError, ValueError, KeyError, TypeError) as e:
            sys.exit(f"bench_report: cannot read {' '.join(args.json)}: {e}")
        write_text(text, args.md)
        if args.png:
            try:
                fuze_bench_plot(args.json, args.png)
            except (OSError, ValueError, KeyError, TypeError) as e:
                sys.exit(f"bench_report: cannot plot {' '.join(args.json)}: {e}")
            print(f"plot written to {args.png}", file=sys.stderr)
        return
    if len(args.json) != 1:
        sys.exit("bench_report: give one fuze_bench JSON file (or only `fuze bench --json` files)")
    args.json = args.json[0]
    try:
        context, rows = load(args.json)
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"bench_report: cannot read {args.json}: {e}")
    text = table(rows)
    write_text(text, args.md)
    if args.png:
        plot(rows, args.png)
        print(f"plot written to {args.png}", file=sys.stderr)


if __name__ == "__main__":
    main()
