#!/usr/bin/env python3
"""CUDA benchmark for the GPU host (scripts/gpu/run_cuda_tests.sh runs it).

Measures, at 64M float32 elements, torch CUDA eager, TorchScript with NNC
(torch.jit.fuser("fuser1")) and fuze (fuze.optimize of the scripted function,
built against this python's torch: PYTHONPATH=<build>/python) on add+tanh, the
LSTM pointwise chain and a 10-op chain, and a device-to-device copy in the
same run; prints GB/s (bytes each chain must move: inputs read once, outputs
written once) and the fraction of the copy's bandwidth. Times are medians of
REPEATS runs of REPS calls each, timed with CUDA events. Each fuze result is
checked against eager before it is timed. --json FILE writes the figures.
"""
import argparse
import json
import statistics

import torch

N = 64 * 1024 * 1024
REPS = 20
REPEATS = 5


def timed(fn, *args):
    for _ in range(5):  # warm-up: the profiling executor optimizes after its profiling runs
        fn(*args)
    torch.cuda.synchronize()
    times = []
    for _ in range(REPEATS):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(REPS):
            fn(*args)
        stop.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(stop) / REPS / 1e3)  # seconds per call
    return statistics.median(times)


def add_tanh(a, b):
    return torch.tanh(a + b)


def lstm_cell(i, f, g, o, c):
    c2 = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c2), c2


def chain10(x, y):
    z = x + y
    z = z * 0.5
    z = torch.tanh(z)
    z = z - y
    z = torch.sigmoid(z)
    z = z * x
    z = torch.relu(z)
    z = z + 1.0
    z = torch.exp(-z)
    return z * y


def as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    assert torch.cuda.is_available(), "no CUDA device"
    try:
        import fuze
    except ImportError as e:
        fuze = None
        print(f"fuze Python module not importable ({e}): fuze column skipped")
    dev = torch.device("cuda")
    torch.set_grad_enabled(False)
    report = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "n": N, "cases": {}}
    print("device:", report["device"], "torch", report["torch"])
    src = torch.randn(N, device=dev)
    dst = torch.empty_like(src)
    copy_s = timed(lambda: dst.copy_(src))
    copy_gbs = 2 * N * 4 / copy_s / 1e9
    report["copy_gbs"] = copy_gbs
    print(f"d2d copy: {copy_gbs:.0f} GB/s")
    cases = {
        "add_tanh": (add_tanh, 2, 1),
        "lstm_cell": (lstm_cell, 5, 2),
        "chain10": (chain10, 2, 1),
    }
    for name, (fn, n_in, n_out) in cases.items():
        args_ = [torch.randn(N, device=dev) for _ in range(n_in)]
        traffic = (n_in + n_out) * N * 4
        row = {"eager": timed(fn, *args_)}
        with torch.jit.fuser("fuser1"):
            scripted = torch.jit.script(fn)
            row["nnc"] = timed(scripted, *args_)
        if fuze is not None:
            fast = fuze.optimize(torch.jit.script(fn))
            fast(*args_)
            fast(*args_)
            want = as_list(fn(*args_))
            got = as_list(fast(*args_))
            worst = max(float((g - w).abs().max()) for g, w in zip(got, want))
            before = fuze.stats()
            row["fuze"] = timed(fast, *args_)
            after = fuze.stats()
            calls = after["kernel_calls"] - before["kernel_calls"]
            print(f"{name:10s} fuze   max |fuze - eager| {worst:.3g}, kernel calls while timed {calls}")
            report.setdefault("fuze_check", {})[name] = {"max_abs_diff": worst, "kernel_calls": calls}
        out = report["cases"][name] = {}
        for label, t in row.items():
            gbs = traffic / t / 1e9
            out[label] = {"ms": t * 1e3, "gbs": gbs, "of_copy": gbs / copy_gbs}
            print(f"{name:10s} {label:6s} {t * 1e3:8.3f} ms {gbs:7.0f} GB/s {100 * gbs / copy_gbs:5.1f}% of copy")
        if "fuze" in row:
            print(f"{name:10s} fuze vs nnc: {row['nnc'] / row['fuze']:.2f}x, vs eager: {row['eager'] / row['fuze']:.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
