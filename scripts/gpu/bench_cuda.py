#!/usr/bin/env python3
"""Benchmark skeleton for the GPU host (not run in the session that wrote it).

Measures, at 64M float32 elements, torch CUDA eager and TorchScript with NNC
(torch.jit.fuser("fuser1")) on add+tanh, the LSTM pointwise chain and a 10-op
chain, and a device-to-device copy in the same run; prints GB/s and the
fraction of copy bandwidth. The fuze column is still missing: it needs either
the frontend built against torch 2.11's libtorch or a core-API bench tool
driving the CUDA backend on device buffers (issue 5, item 7).
"""
import torch

N = 64 * 1024 * 1024
REPS = 20


def timed(fn, *args):
    for _ in range(3):
        fn(*args)
    torch.cuda.synchronize()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(REPS):
        fn(*args)
    stop.record()
    torch.cuda.synchronize()
    return start.elapsed_time(stop) / REPS / 1e3  # seconds per call


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


def main():
    assert torch.cuda.is_available(), "no CUDA device"
    dev = torch.device("cuda")
    print("device:", torch.cuda.get_device_name(0), "torch", torch.__version__)
    src = torch.randn(N, device=dev)
    dst = torch.empty_like(src)
    copy_s = timed(lambda: dst.copy_(src))
    copy_gbs = 2 * N * 4 / copy_s / 1e9
    print(f"d2d copy: {copy_gbs:.0f} GB/s")
    cases = {
        "add_tanh": (add_tanh, 2, 1),
        "lstm_cell": (lstm_cell, 5, 2),
        "chain10": (chain10, 2, 1),
    }
    for name, (fn, n_in, n_out) in cases.items():
        args = [torch.randn(N, device=dev) for _ in range(n_in)]
        traffic = (n_in + n_out) * N * 4
        eager = timed(fn, *args)
        with torch.jit.fuser("fuser1"):
            scripted = torch.jit.script(fn)
            nnc = timed(scripted, *args)
        for label, t in (("eager", eager), ("nnc", nnc)):
            gbs = traffic / t / 1e9
            print(f"{name:10s} {label:6s} {t * 1e3:8.3f} ms {gbs:7.0f} GB/s {100 * gbs / copy_gbs:5.1f}% of copy")
        print(f"{name:10s} fuze   (not measured yet: needs the torch-2.11 frontend build)")


if __name__ == "__main__":
    main()
