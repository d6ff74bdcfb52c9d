"""torch.compile(model, backend="fuze") (torch 2.x; skipped on torch 1.x).

The tutorial's models as eager nn.Modules, compiled by dynamo with fuze as the
backend: results equal to eager (a tolerance where tanh is computed: fuze's
tanh and ATen's may differ by an ULP or two), fused kernels actually run, a
graph break (DecisionGate's data-dependent `if`) falls back as dynamo does, and
a new input size does not compile a fuze kernel again.
"""

import os
import sys
import warnings

import pytest
import torch

import fuze

if not hasattr(torch, "compile"):
    pytest.skip("torch.compile needs torch 2.x (this is torch %s)" % torch.__version__,
                allow_module_level=True)

import torch._dynamo  # noqa: E402

import fuze.dynamo  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
from make_seed_models import LSTMCellPointwise, make_models  # noqa: E402

TANH_TOL = dict(rtol=1e-5, atol=1e-6)


@pytest.fixture(autouse=True)
def fresh_dynamo():
    torch._dynamo.reset()
    fuze.dynamo.reset()
    yield
    torch._dynamo.reset()


def _models():
    torch.manual_seed(0)
    m = make_models()
    x, h = torch.rand(3, 4), torch.rand(3, 4)
    xs = torch.rand(10, 3, 4)
    cell = m.GateCell(m.DecisionGate())
    return {
        "add_tanh": (m.AddTanhCell(), (x, h)),
        "linear_cell": (m.LinearCell(), (x, h)),
        "decision_gate": (m.DecisionGate(), (x,)),
        "gate_cell": (cell, (x, h)),
        "rnn_loop": (m.RNNLoop(cell), (xs,)),
        "wrap_rnn": (m.WrapRNN(m.RNNLoop(cell)), (xs,)),
        "lstm_cell": (LSTMCellPointwise(), tuple(torch.randn(3, 8) for _ in range(5))),
    }


def _flat(out):
    if isinstance(out, torch.Tensor):
        return [out]
    return [t for o in out for t in _flat(o)]


@pytest.mark.parametrize("name", sorted(_models()))
def test_tutorial_models_equal_eager(name):
    model, inputs = _models()[name]
    with torch.no_grad():
        expected = model(*inputs)
        compiled = torch.compile(model, backend="fuze")
        for _ in range(2):
            got = compiled(*inputs)
    for e, g in zip(_flat(expected), _flat(got), strict=True):
        torch.testing.assert_close(g, e, **TANH_TOL)
    assert fuze.dynamo.fallback_reasons() == {}
    assert fuze.dynamo.compiled_graphs() >= 1
    if name != "decision_gate":  # the gate alone is one negation: nothing to fuse
        assert fuze.stats()["kernel_calls"] > 0


def test_backend_name_resolves_without_importing_fuze_first():
    # The entry point (python/entry_points.txt) is what torch.compile finds.
    from torch._dynamo.backends.registry import lookup_backend
    assert lookup_backend("fuze") is fuze.dynamo.backend


def test_graph_break_falls_back_as_dynamo_does():
    torch.manual_seed(1)
    m = make_models()
    model = m.GateCell(m.DecisionGate())
    x, h = torch.rand(3, 4), torch.rand(3, 4)
    explanation = torch._dynamo.explain(model)(x, h)
    assert explanation.graph_break_count >= 1  # the gate's `if x.sum() > 0`
    with torch.no_grad():
        compiled = torch.compile(model, backend="fuze")
        for sign in (1, -1):  # both branches of the gate
            torch.testing.assert_close(compiled(sign * x, h)[0], model(sign * x, h)[0], **TANH_TOL)


def test_new_input_sizes_compile_no_kernel_again():
    model = LSTMCellPointwise()
    with torch.no_grad():
        compiled = torch.compile(model, backend="fuze")
        compiled(*[torch.randn(4, 8) for _ in range(5)])
        compiles = fuze.stats()["compiles"]  # 0 if an earlier test compiled the same kernel
        assert fuze.stats()["kernel_calls"] >= 1
        for rows in (5, 17, 64, 3):
            inputs = [torch.randn(rows, 8) for _ in range(5)]
            for e, g in zip(model(*inputs), compiled(*inputs), strict=True):
                torch.testing.assert_close(g, e, **TANH_TOL)
    assert fuze.stats()["compiles"] == compiles
    # dynamo recaptures once with the changed dimension symbolic, then no more
    # (once only: if it saw this code with other sizes before, in an earlier
    # test, it remembers and starts symbolic).
    assert 1 <= fuze.dynamo.compiled_graphs() <= 2


def test_autograd_on_runs_unfused_with_equal_values_and_grads():
    torch.manual_seed(2)
    model = make_models().LinearCell()
    x, h = torch.rand(3, 4, requires_grad=True), torch.rand(3, 4)
    compiled = torch.compile(model, backend="fuze")
    out = compiled(x, h)[0]
    out.sum().backward()
    grad = x.grad.clone()
    x.grad = None
    model(x, h)[0].sum().backward()
    torch.testing.assert_close(grad, x.grad, **TANH_TOL)


def _python_only(x, k):
    return x * sum(v for v in (k, k))  # a generator expression: TorchScript has none


torch.fx.wrap("_python_only")


def _uses_python_only(x, k):
    return torch.tanh(_python_only(x, k))


def test_a_graph_torchscript_cannot_take_runs_as_captured():
    # An FX graph that neither scripting (the generator expression) nor tracing
    # (a float input) can take: the backend hands back the graph's own forward,
    # counts the reason, and the results are eager's.
    gm = torch.fx.symbolic_trace(_uses_python_only)
    x = torch.randn(3, 4)
    run = fuze.dynamo.backend(gm, [x, 2.0])
    torch.testing.assert_close(run(x, 2.0), _uses_python_only(x, 2.0), rtol=0, atol=0)
    reasons = fuze.dynamo.fallback_reasons()
    assert list(reasons.values()) == [1], reasons
    assert next(iter(reasons)).startswith("torch.jit.script: "), reasons
    assert fuze.dynamo.compiled_graphs() == 0
