"""fuze from Python: the tutorial's MyCell, traced, run fused, compared with plain TorchScript.

    cmake --build build --target fuze_python
    PYTHONPATH=build/python /usr/bin/python3 examples/python_demo.py
"""

import torch

import fuze


class MyCell(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 4)

    def forward(self, x, h):
        new_h = torch.tanh(self.linear(x) + h)
        return new_h, new_h


def run(module, x, h, runs=3):
    # The profiling executor optimizes after its profiling run(s): call a few times.
    with torch.no_grad():  # fusion is for inference; autograd runs the fallback
        for _ in range(runs):
            out = module(x, h)
    return out


def main():
    torch.manual_seed(0)
    cell = MyCell()
    x, h = torch.rand(3, 4), torch.rand(3, 4)

    plain = torch.jit.trace(cell, (x, h))
    expected = run(plain, x, h)

    # 1. Drop-in: every TorchScript module optimized from now on runs fused.
    fuze.enable()
    traced = torch.jit.trace(cell, (x, h))
    got = run(traced, x, h)
    print("TorchScript's optimized graph with fuze enabled:")
    print(torch.jit.last_executed_optimized_graph())
    fuze.disable()

    # 2. Explicit: one module, fused now.
    fast = fuze.optimize(plain)
    got_optimized = run(fast, x, h)
    print("fuze.optimize(traced).graph (%d fusion group(s)):" % fast.num_fusion_groups)
    print(fast.graph)

    for name, value in (("enable()", got), ("optimize()", got_optimized)):
        torch.testing.assert_close(value, expected, rtol=1e-5, atol=1e-5)
        print("%-10s matches plain TorchScript: max |diff| = %.2e" % (
            name, (value[0] - expected[0]).abs().max().item()))
    print("options:", fuze.options())
    print("stats:", fuze.stats())


if __name__ == "__main__":
    main()
