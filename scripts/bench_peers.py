"""fuze beside its peers on one torch 2.x (issue 14): eager, TorchScript,
Inductor (torch.compile's default backend) and fuze (fuze.optimize of the
scripted module) on the three chains of fuze's benchmarks (add+tanh, the LSTM
cell's pointwise half, a 10-op cheap chain) at 16M float32 elements, with 1
and 2 threads, under both allocator settings (glibc's defaults, and
MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184 which keeps freed memory
faulted in), plus a STREAM triad (torch.add(b, c, alpha=3, out=a), ATen's own
vectorized and threaded kernel) measured in the same process as the roofline.

    python scripts/bench_peers.py [--n N] [--reps R] [--out bench/results/peers-DATE]

Needs torch 2.x and fuze importable in one environment (scripts/torch2_env.sh
makes such a venv; `pip install .` installs fuze into it). Each (allocator,
threads) pair runs in its own child process. Inside it the runners are called
round-robin, call by call, as a model interleaves ATen ops and fused groups:
every runner pays for what the others leave behind (spinning OpenMP workers,
freed memory). Each result is checked against eager first. Reported: the
median per call over R rounds, ratios against the medians of the same
process, and fuze's bandwidth (each input read once, each output written
once) as a percentage of the triad's. Writes OUT.json and OUT.md with the
machine's CPU model and flags.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

TUNED = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "17179869184"}
ALLOCATORS = ["default", "tuned"]


def cpu_info():
    model, flags = platform.processor() or "?", []
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model in ("?", "", "x86_64"):
                    model = line.split(":", 1)[1].strip()
                elif line.startswith("flags"):
                    flags = line.split(":", 1)[1].split()
                    break
    except OSError:
        pass
    simd = [f for f in flags if f.startswith(("sse4", "avx", "fma", "f16c"))]
    return {"model": model, "cpus": os.cpu_count(), "simd_flags": sorted(simd)}


def child(args):
    import torch

    import fuze

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from make_seed_models import CheapChain, LSTMCellPointwise

    class AddTanh(torch.nn.Module):
        def forward(self, x, h):
            return torch.tanh(x + h)

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    n = args.n
    chains = [("add_tanh", AddTanh(), 2, 1), ("lstm_cell", LSTMCellPointwise(), 5, 2),
              ("chain10", CheapChain(), 2, 1)]
    a, b, c = torch.empty(n), torch.randn(n), torch.randn(n)

    def triad():
        torch.add(b, c, alpha=3.0, out=a)

    rows = []
    with torch.no_grad():
        for name, model, n_in, n_out in chains:
            inputs = tuple(torch.randn(n) for _ in range(n_in))
            scripted = torch.jit.script(model)
            runners = {
                "eager": model,
                "torchscript": scripted,
                "inductor": torch.compile(model),
                "fuze": fuze.optimize(scripted),
            }
            want = model(*inputs)
            want = want if isinstance(want, tuple) else (want,)
            for rname, fn in runners.items():
                for _ in range(3):  # profiling runs, compiles
                    got = fn(*inputs)
                got = got if isinstance(got, tuple) else (got,)
                for g, w in zip(got, want):
                    if not torch.allclose(g, w, rtol=1e-4, atol=1e-5):
                        raise SystemExit("%s: %s differs from eager" % (name, rname))
                del got
            del want
            fuze.reset_stats()
            times = {r: [] for r in list(runners) + ["triad"]}
            for _ in range(args.reps):
                for rname, fn in runners.items():
                    t0 = time.perf_counter()
                    out = fn(*inputs)
                    t1 = time.perf_counter()
                    del out
                    times[rname].append((t1 - t0) * 1e3)
                t0 = time.perf_counter()
                triad()
                times["triad"].append((time.perf_counter() - t0) * 1e3)
            st = fuze.stats()
            if st["fallbacks"] != 0:
                raise SystemExit("%s: fuze fell back %d times" % (name, st["fallbacks"]))
            med = {r: statistics.median(v) for r, v in times.items()}
            triad_gbs = 3 * 4 * n / (med["triad"] * 1e-3) / 1e9
            fuze_gbs = (n_in + n_out) * 4 * n / (med["fuze"] * 1e-3) / 1e9
            rows.append({"chain": name, "n": n, "threads": args.threads, "allocator": args.alloc,
                         "median_ms": med, "fuze_gbs": fuze_gbs, "triad_gbs": triad_gbs,
                         "fuze_vs_inductor": med["inductor"] / med["fuze"],
                         "fuze_vs_torchscript": med["torchscript"] / med["fuze"],
                         "fuze_vs_eager": med["eager"] / med["fuze"],
                         "pct_of_triad": 100.0 * fuze_gbs / triad_gbs})
    json.dump({"rows": rows, "torch": torch.__version__, "fuze": fuze.__version__}, sys.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=16 * 1024 * 1024)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--allocators", default=",".join(ALLOCATORS))
    ap.add_argument("--out", default="bench/results/peers-" + datetime.date.today().isoformat())
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--alloc", default="default", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        args.threads = int(args.threads)
        return child(args)

    rows, versions = [], {}
    for alloc in args.allocators.split(","):
        for threads in args.threads.split(","):
            env = {k: v for k, v in os.environ.items() if k not in TUNED}
            if alloc == "tuned":
                env.update(TUNED)
            cmd = [sys.executable, os.path.abspath(__file__), "--child", "--alloc", alloc, "--threads", threads,
                   "--n", str(args.n), "--reps", str(args.reps)]
            print("running: %s allocator, %s thread(s)" % (alloc, threads), file=sys.stderr, flush=True)
            res = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True)
            if res.returncode != 0:
                print("bench_peers: the %s/%s run failed (exit %d)" % (alloc, threads, res.returncode),
                      file=sys.stderr)
                return 1
            data = json.loads(res.stdout)
            rows += data["rows"]
            versions = {"torch": data["torch"], "fuze": data["fuze"]}

    cpu = cpu_info()
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out + ".json", "w") as f:
        json.dump({"cpu": cpu, "versions": versions, "reps": args.reps, "rows": rows}, f, indent=1)
    lines = [
        "# fuze beside eager, TorchScript and Inductor (scripts/bench_peers.py)",
        "",
        "CPU: %s, %d logical CPUs; SIMD flags: %s." % (cpu["model"], cpu["cpus"], " ".join(cpu["simd_flags"])),
        "torch %s, fuze %s. %d elements per input, float32, median of %d interleaved rounds per runner;"
        % (versions.get("torch"), versions.get("fuze"), args.n, args.reps),
        "allocator `default` = glibc's defaults, `tuned` = `MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184`.",
        "",
        "| chain | allocator | threads | eager ms | TorchScript ms | Inductor ms | fuze ms | fuze vs Inductor "
        "| fuze vs TorchScript | fuze GB/s | triad GB/s | % of triad |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        m = r["median_ms"]
        lines.append("| %s | %s | %d | %.2f | %.2f | %.2f | %.2f | %.2fx | %.2fx | %.1f | %.1f | %.0f%% |" % (
            r["chain"], r["allocator"], r["threads"], m["eager"], m["torchscript"], m["inductor"], m["fuze"],
            r["fuze_vs_inductor"], r["fuze_vs_torchscript"], r["fuze_gbs"], r["triad_gbs"], r["pct_of_triad"]))
    with open(args.out + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print("written: %s.json, %s.md" % (args.out, args.out), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
