#!/usr/bin/python3
"""Writes the seed models of ../shared/seeds (the "Introduction to TorchScript"
tutorial) as TorchScript .pt files, plus models.json / models.txt listing each
model's input shapes.

    /usr/bin/python3 scripts/make_seed_models.py <outdir>

Run with Debian's /usr/bin/python3 (the python3 on PATH has no torch). Seeds are
fixed, so the files are reproducible. The build runs this into <build>/models.
"""
import json
import os
import sys
import types

import torch


# ---- the tutorial's modules ---------------------------------------------------

def make_models():
    """The tutorial's module classes, defined anew on every call.

    TorchScript shares compiled methods (and their optimized plans) between
    scripted instances of one Python class, so a test comparing plain
    TorchScript with fuze needs fresh classes per side (tests/python uses this).
    """

    class AddTanhCell(torch.nn.Module):
        """In [2]: new_h = tanh(x + h)."""

        def forward(self, x, h):
            new_h = torch.tanh(x + h)
            return new_h, new_h


    class LinearCell(torch.nn.Module):
        """In [6]: new_h = tanh(linear(x) + h)."""

        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(4, 4)

        def forward(self, x, h):
            new_h = torch.tanh(self.linear(x) + h)
            return new_h, new_h


    class DecisionGate(torch.nn.Module):
        def forward(self, x):
            if x.sum() > 0:
                return x
            else:
                return -x


    class GateCell(torch.nn.Module):
        """In [12]: new_h = tanh(dg(linear(x)) + h)."""

        def __init__(self, dg):
            super().__init__()
            self.dg = dg
            self.linear = torch.nn.Linear(4, 4)

        def forward(self, x, h):
            new_h = torch.tanh(self.dg(self.linear(x)) + h)
            return new_h, new_h


    class RNNLoop(torch.nn.Module):
        """In [19]: a scripted loop over a traced cell."""

        def __init__(self, cell):
            super().__init__()
            self.cell = cell

        def forward(self, xs):
            h, y = torch.zeros(3, 4), torch.zeros(3, 4)
            for i in range(xs.size(0)):
                y, h = self.cell(xs[i], h)
            return y, h


    class WrapRNN(torch.nn.Module):
        """In [22]: a trace over a scripted loop."""

        def __init__(self, loop):
            super().__init__()
            self.loop = loop

        def forward(self, xs):
            y, h = self.loop(xs)
            return torch.relu(y)

    return types.SimpleNamespace(AddTanhCell=AddTanhCell, LinearCell=LinearCell,
                                 DecisionGate=DecisionGate, GateCell=GateCell,
                                 RNNLoop=RNNLoop, WrapRNN=WrapRNN)


# ---- fuze's own fixtures --------------------------------------------------------

class LSTMCellPointwise(torch.nn.Module):
    """The pointwise half of an LSTM cell: 4 gate pre-activations + cx -> hy, cy."""

    def forward(self, ingate, forgetgate, cellgate, outgate, cx):
        ingate = torch.sigmoid(ingate)
        forgetgate = torch.sigmoid(forgetgate)
        cellgate = torch.tanh(cellgate)
        outgate = torch.sigmoid(outgate)
        cy = (forgetgate * cx) + (ingate * cellgate)
        hy = outgate * torch.tanh(cy)
        return hy, cy


class CheapChain(torch.nn.Module):
    """A chain of 10 cheap elementwise ops (all in ops.def)."""

    def forward(self, x, y):
        a = x + y
        b = a * 0.5
        c = b - y
        d = c / 1.5
        e = torch.neg(d)
        f = torch.abs(e)
        g = torch.relu(f - 0.25)
        h = torch.clamp(g, min=0.0, max=2.0)
        i = torch.maximum(h, y)
        return i * i


def main():
    if len(sys.argv) != 2:
        print("usage: make_seed_models.py <outdir>", file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)

    m = make_models()
    x, h = torch.rand(3, 4), torch.rand(3, 4)
    xs = torch.rand(10, 3, 4)
    models = []

    def save(name, module, shapes, how, chain):
        module.save(os.path.join(out, name + ".pt"))
        models.append({"name": name, "file": name + ".pt", "inputs": shapes,
                       "capture": how, "chain": chain})

    save("mycell_add_tanh", torch.jit.trace(m.AddTanhCell(), (x, h)),
         [[3, 4], [3, 4]], "trace", "add+tanh")
    save("mycell_linear", torch.jit.trace(m.LinearCell(), (x, h)),
         [[3, 4], [3, 4]], "trace", "add+tanh after linear")
    script_gate = torch.jit.script(m.DecisionGate())
    save("decision_gate", script_gate, [[3, 4]], "script", "neg in an if branch (not fusible alone)")
    save("mycell_scripted_gate", torch.jit.script(m.GateCell(script_gate)),
         [[3, 4], [3, 4]], "script", "add+tanh after the gate")
    traced_cell = torch.jit.trace(m.GateCell(script_gate), (x, h))
    rnn_loop = torch.jit.script(m.RNNLoop(traced_cell))
    save("rnn_loop", rnn_loop, [[10, 3, 4]], "script over trace", "add+tanh in the loop body")
    save("wrap_rnn", torch.jit.trace(m.WrapRNN(rnn_loop), (xs,)),
         [[10, 3, 4]], "trace over script", "add+tanh in the loop body")
    save("lstm_cell_pointwise", torch.jit.script(LSTMCellPointwise()),
         [[3, 8]] * 5, "script", "sigmoid/tanh/mul/add, 5 inputs, 2 outputs")
    save("cheap_chain", torch.jit.script(CheapChain()),
         [[4, 16], [4, 16]], "script", "10 cheap ops")

    with open(os.path.join(out, "models.json"), "w") as f:
        json.dump(models, f, indent=2)
    # One line per model: name file shape shape ... (shapes as 3x4), for C++ tests and demos.
    with open(os.path.join(out, "models.txt"), "w") as f:
        for m in models:
            shapes = " ".join("x".join(str(d) for d in s) for s in m["inputs"])
            f.write(f"{m['name']} {m['file']} {shapes}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
