"""torch.compile(backend="fuze") against Inductor (torch.compile's default
backend) and eager, in one process: first-call time (capture + compile + run)
and steady-state median per call, on the tutorial models, fuze's fixtures and
the real-model set (scripts/make_real_models.py's modules, as eager
nn.Modules). Needs torch 2.x and fuze importable (pip install . into the same
environment).

    python scripts/bench_compile.py [--threads N] [--reps R] [--json out.json] [--filter REGEX]

Everything runs under torch.no_grad() (inference). Inductor compiles with its
caches off (TORCHINDUCTOR_FORCE_DISABLE_CACHES=1, set below unless already
set): a first compile, as a new model or a new torch gets; fuze keeps no
kernels on disk for the CPU. Steady state: the median of R calls after 5 warm-up
calls. Ratios are against eager measured in the same process.
"""

import argparse
import json
import os
import re
import statistics
import sys
import time

os.environ.setdefault("TORCHINDUCTOR_FORCE_DISABLE_CACHES", "1")

import torch  # noqa: E402
import torch._dynamo  # noqa: E402

import fuze  # noqa: E402,F401 (registers nothing itself: backend="fuze" comes from the entry point)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_real_models as real  # noqa: E402
from make_seed_models import CheapChain, LSTMCellPointwise, make_models  # noqa: E402


def models():
    torch.manual_seed(0)
    t = make_models()
    cell = t.GateCell(t.DecisionGate())
    r = lambda *s: torch.randn(*s)  # noqa: E731
    yield "tutorial: MyCell (add+tanh)", t.AddTanhCell(), (r(3, 4), r(3, 4))
    yield "tutorial: MyCell (linear)", t.LinearCell(), (r(3, 4), r(3, 4))
    yield "tutorial: MyCell (DecisionGate)", cell, (r(3, 4), r(3, 4))
    yield "tutorial: RNNLoop", t.RNNLoop(cell), (r(10, 3, 4),)
    yield "tutorial: WrapRNN", t.WrapRNN(t.RNNLoop(cell)), (r(10, 3, 4),)
    yield "lstm_cell_pointwise 3x8", LSTMCellPointwise(), tuple(r(3, 8) for _ in range(5))
    yield "lstm_cell_pointwise 64x1024", LSTMCellPointwise(), tuple(r(64, 1024) for _ in range(5))
    yield "cheap_chain 1024x1024", CheapChain(), (r(1024, 1024), r(1024, 1024))
    yield "gpt2_mlp", real.GPT2MLP(64).eval(), (r(8, 64),)
    yield "gelu_tanh 128x3072", real.TanhGelu(), (r(128, 3072),)
    yield "llama_swiglu", real.SwiGLU(64, 172).eval(), (r(8, 64),)
    yield "rmsnorm_residual", real.RMSNormResidual(256), (r(16, 256), r(16, 256))
    for batch, hidden, steps in [(3, 16, 8), (1, 64, 32), (64, 256, 32)]:
        tag = " b%d h%d" % (batch, hidden)
        yield "lstm_layer" + tag, real.LSTMLayer(hidden, hidden), (r(steps, batch, hidden), r(batch, hidden),
                                                                   r(batch, hidden))
        yield "gru_layer" + tag, real.GRULayer(hidden, hidden), (r(steps, batch, hidden), r(batch, hidden))
        yield "milstm_layer" + tag, real.MILSTMLayer(hidden, hidden), (r(steps, batch, hidden), r(batch, hidden),
                                                                       r(batch, hidden))


def steady(fn, inputs, reps):
    for _ in range(5):
        fn(*inputs)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn(*inputs)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def first_call(model, backend, inputs):
    torch._dynamo.reset()
    compiled = torch.compile(model, backend=backend)
    t0 = time.perf_counter()
    compiled(*inputs)
    return compiled, time.perf_counter() - t0


def flat(out):
    if isinstance(out, torch.Tensor):
        return [out]
    return [t for o in out for t in flat(o)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--reps", type=int, default=50)
    ap.add_argument("--json")
    ap.add_argument("--filter", default="")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    # Inductor probes its vector ISA by loading a test library in a process
    # without libtorch; where that fails (torch 2.11's CUDA wheel on our
    # machines: SLEEF symbols unresolved) it generates scalar C++. Said here,
    # since it decides Inductor's steady-state column.
    from torch._inductor.cpu_vec_isa import pick_vec_isa
    print("Inductor's vector ISA: %s" % (pick_vec_isa() or "none (scalar code)"))
    print("torch %s, fuze %s, %d thread(s), %d reps, Inductor caches %s" % (
        torch.__version__, fuze.__version__, args.threads, args.reps,
        "off" if os.environ.get("TORCHINDUCTOR_FORCE_DISABLE_CACHES") == "1" else "on"))
    print("| model | eager µs | Inductor first call s | fuze first call s | Inductor µs | fuze µs "
          "| eager/Inductor | eager/fuze | fuze vs Inductor |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    with torch.no_grad():
        for name, model, inputs in models():
            if args.filter and not re.search(args.filter, name):
                continue
            expected = flat(model(*inputs))
            eager = steady(model, inputs, args.reps)
            row = {"model": name, "eager_s": eager}
            for backend in ("inductor", "fuze"):
                compiled, first = first_call(model, backend, inputs)
                for e, g in zip(expected, flat(compiled(*inputs))):
                    torch.testing.assert_close(g, e, rtol=1e-4, atol=1e-5)
                row[backend + "_first_s"] = first
                row[backend + "_s"] = steady(compiled, inputs, args.reps)
            torch._dynamo.reset()
            rows.append(row)
            print("| %s | %.1f | %.2f | %.3f | %.1f | %.1f | %.2fx | %.2fx | %.2fx |" % (
                name, eager * 1e6, row["inductor_first_s"], row["fuze_first_s"], row["inductor_s"] * 1e6,
                row["fuze_s"] * 1e6, eager / row["inductor_s"], eager / row["fuze_s"],
                row["inductor_s"] / row["fuze_s"]), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": torch.__version__, "threads": args.threads, "reps": args.reps,
                       "inductor_vec_isa": str(pick_vec_isa()), "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
