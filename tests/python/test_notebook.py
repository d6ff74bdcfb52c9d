"""The seed tutorial's flows (intro_to_torchscript_notebook) with fuze on.

Each flow builds a fresh TorchScript module twice from the same seed: one runs
as plain TorchScript, the other with fuze (enable() as a pre-pass, or
optimize()). Results must be equal (a tolerance only where tanh is computed),
and fuze::FusionGroup nodes must be present where the elementwise chains are.
The forward runs a few times: the profiling executor optimizes after its
profiling runs. Fusion is for inference, so the fused runs are under no_grad;
with autograd on, the fallback must give the same values and gradients.
"""

import os
import sys
import warnings

import pytest
import torch

import fuze

# The tutorial's classes live with the fixture script (scripts/make_seed_models.py).
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
from make_seed_models import make_models  # noqa: E402

RUNS = 3
GROUP = "fuze::FusionGroup"

torch.manual_seed(1234)
X, H = torch.rand(3, 4), torch.rand(3, 4)
XS = torch.rand(10, 3, 4)


def _seeded(fn):
    def build():
        torch.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            return fn(make_models())

    return build


# name -> (builder of a fresh ScriptModule, inputs, fusion expected, computes tanh)
@_seeded
def traced_add_tanh(m):
    return torch.jit.trace(m.AddTanhCell(), (X, H))


@_seeded
def traced_linear_cell(m):
    return torch.jit.trace(m.LinearCell(), (X, H))


@_seeded
def scripted_gate(m):
    return torch.jit.script(m.DecisionGate())


@_seeded
def traced_cell_python_gate(m):
    # Tracing erases the gate's `if` (the notebook's point about tracing).
    return torch.jit.trace(m.GateCell(m.DecisionGate()), (X, H))


@_seeded
def traced_cell_scripted_gate(m):
    return torch.jit.trace(m.GateCell(torch.jit.script(m.DecisionGate())), (X, H))


@_seeded
def scripted_cell_scripted_gate(m):
    return torch.jit.script(m.GateCell(torch.jit.script(m.DecisionGate())))


def _rnn_loop(m):
    cell = torch.jit.trace(m.GateCell(torch.jit.script(m.DecisionGate())), (X, H))
    return torch.jit.script(m.RNNLoop(cell))


rnn_loop = _seeded(_rnn_loop)


@_seeded
def wrap_rnn(m):
    return torch.jit.trace(m.WrapRNN(_rnn_loop(m)), (XS,))


FLOWS = {
    "traced_add_tanh": (traced_add_tanh, (X, H), True, True),
    "traced_linear_cell": (traced_linear_cell, (X, H), True, True),
    "scripted_gate_positive": (scripted_gate, (X,), None, False),
    "scripted_gate_negative": (scripted_gate, (-X,), None, False),
    "traced_cell_python_gate": (traced_cell_python_gate, (X, H), True, True),
    "traced_cell_scripted_gate": (traced_cell_scripted_gate, (X, H), True, True),
    "scripted_cell_scripted_gate": (scripted_cell_scripted_gate, (X, H), True, True),
    "rnn_loop": (rnn_loop, (XS,), True, True),
    "wrap_rnn": (wrap_rnn, (XS,), True, True),
}


def assert_same(got, expected, tanh):
    tol = dict(rtol=1e-5, atol=1e-5) if tanh else dict(rtol=0, atol=0)
    torch.testing.assert_close(got, expected, **tol)


def run_plain(build, inputs, grad=False):
    assert not fuze.is_enabled()
    module = build()
    with torch.set_grad_enabled(grad):
        for _ in range(RUNS):
            out = module(*inputs)
    return out


@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_enable(flow):
    build, inputs, fuses, tanh = FLOWS[flow]
    expected = run_plain(build, inputs)
    with fuze.enabled():
        module = build()
        with torch.no_grad():
            for _ in range(RUNS):
                got = module(*inputs)
        graph = str(torch.jit.last_executed_optimized_graph())
    assert_same(got, expected, tanh)
    if fuses:
        assert GROUP in graph, graph
        assert fuze.stats()["kernel_calls"] > 0, fuze.stats()
    # The module's own graph and code are TorchScript's, untouched by fuze.
    assert GROUP not in str(module.graph)
    assert "def forward" in module.code


@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_optimize(flow, no_grad):
    build, inputs, fuses, tanh = FLOWS[flow]
    expected = run_plain(build, inputs)
    fast = fuze.optimize(build())
    for _ in range(RUNS):
        got = fast(*inputs)
    assert_same(got, expected, tanh)
    if fuses:
        assert fast.num_fusion_groups > 0
        assert GROUP in str(fast.graph)
        assert fuze.stats()["kernel_calls"] > 0, fuze.stats()
    assert "def forward" in fast.code


@pytest.mark.parametrize("flow", ["traced_linear_cell", "scripted_cell_scripted_gate", "rnn_loop"])
def test_autograd_runs_fallback(flow):
    """With autograd on (Linear's weights require grad), fuze must not change
    values or gradients."""
    build, inputs, _, tanh = FLOWS[flow]

    def values_and_grads(module):
        for _ in range(RUNS):
            module.zero_grad()
            out = module(*inputs)
            out[0].sum().backward()
        return out, [p.grad.clone() for p in module.parameters()]

    expected = values_and_grads(build())
    with fuze.enabled():
        got = values_and_grads(build())
    assert_same(got[0], expected[0], tanh)
    assert_same(got[1], expected[1], tanh)


def test_backend_follows_environment():
    """ctest runs this file again with FUZE_BACKEND=interp and with the x86 backend
    at its lowest ISA level: make sure that variant really runs on that backend."""
    wanted = os.environ.get("FUZE_BACKEND")
    if wanted:
        assert fuze.options()["backend"] == wanted


def test_traced_cell_erases_python_gate():
    """The notebook's tracing caveat holds under fuze too: the Python `if` is gone."""
    with fuze.enabled():
        assert "prim::If" not in str(traced_cell_python_gate().dg.graph)
        assert "prim::If" in str(traced_cell_scripted_gate().dg.graph)


def test_save_and_load(tmp_path):
    """Section 5: save the traced WrapRNN, load it back, run it fused."""
    expected = run_plain(wrap_rnn, (XS,))
    path = tmp_path / "wrapped_rnn.pt"
    with fuze.enabled():
        traced = wrap_rnn()
        with torch.no_grad():
            traced(XS)
        traced.save(str(path))
        loaded = torch.jit.load(str(path))
        assert "def forward" in loaded.code
        assert "prim::CallMethod" in str(loaded.graph)
        assert "RNNLoop" in repr(loaded) or "loop" in repr(loaded)
        with torch.no_grad():
            for _ in range(RUNS):
                got = loaded(XS)
        assert GROUP in str(torch.jit.last_executed_optimized_graph())
    assert_same(got, expected, tanh=True)

    fast = fuze.load(path)
    assert fast.num_fusion_groups > 0
    with torch.no_grad():
        assert_same(fast(XS), expected, tanh=True)

    # A FusedModule saves its original; the file loads in plain TorchScript.
    again = tmp_path / "again.pt"
    fast.save(str(again))
    with torch.no_grad():
        assert_same(torch.jit.load(str(again))(XS), expected, tanh=True)


def test_print_graph_and_code(capsys):
    """Printing .graph and .code works on plain, enabled and optimized modules."""
    with fuze.enabled():
        traced = traced_linear_cell()
        print(traced)
        print(traced.graph)
        print(traced.code)
        fast = fuze.optimize(traced)
        print(fast)
        print(fast.graph)
        print(fast.code)
        print(fuze.fused_graph(traced, X, H))
    out = capsys.readouterr().out
    assert "aten::tanh" in out
    assert "def forward" in out
    assert GROUP in out
    assert "FusedModule" in out


def test_new_shapes_and_broadcast(no_grad):
    """A module traced at 3x4 runs at other shapes and with broadcasting."""
    with fuze.enabled():
        traced = traced_add_tanh()
        plain_fn = lambda x, h: (torch.tanh(x + h),) * 2  # noqa: E731
        for x, h in [(X, H), (torch.rand(5, 7), torch.rand(5, 7)),
                     (torch.rand(6, 4), torch.rand(4)), (torch.rand(2, 1, 3), torch.rand(4, 1)),
                     (torch.rand(0, 4), torch.rand(0, 4))]:
            for _ in range(RUNS):
                got = traced(x, h)
            assert_same(got, plain_fn(x, h), tanh=True)
