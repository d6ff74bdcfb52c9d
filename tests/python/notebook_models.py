"""The models of the seed tutorial (intro_to_torchscript_notebook), as factories.

TorchScript shares compiled methods (and so their graph executors and optimized
plans) between scripted instances of one Python class. A test that compares
plain TorchScript with fuze therefore needs fresh classes for each side:
`make_models()` defines them anew on every call.
"""

import types

import torch


def make_models():
    class AddTanhCell(torch.nn.Module):
        """Section 1: new_h = tanh(x + h)."""

        def forward(self, x, h):
            new_h = torch.tanh(x + h)
            return new_h, new_h

    class LinearCell(torch.nn.Module):
        """Section 1: new_h = tanh(linear(x) + h)."""

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
        """Sections 3-4: new_h = tanh(dg(linear(x)) + h)."""

        def __init__(self, dg):
            super().__init__()
            self.dg = dg
            self.linear = torch.nn.Linear(4, 4)

        def forward(self, x, h):
            new_h = torch.tanh(self.dg(self.linear(x)) + h)
            return new_h, new_h

    class RNNLoop(torch.nn.Module):
        """Section 4, first case: a scripted loop over a traced cell."""

        def __init__(self, cell):
            super().__init__()
            self.cell = cell

        def forward(self, xs):
            h, y = torch.zeros(3, 4), torch.zeros(3, 4)
            for i in range(xs.size(0)):
                y, h = self.cell(xs[i], h)
            return y, h

    class WrapRNN(torch.nn.Module):
        """Section 4, second case: a traced module around the scripted loop."""

        def __init__(self, loop):
            super().__init__()
            self.loop = loop

        def forward(self, xs):
            y, h = self.loop(xs)
            return torch.relu(y)

    return types.SimpleNamespace(
        AddTanhCell=AddTanhCell,
        LinearCell=LinearCell,
        DecisionGate=DecisionGate,
        GateCell=GateCell,
        RNNLoop=RNNLoop,
        WrapRNN=WrapRNN,
    )
