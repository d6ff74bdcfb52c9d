"""The fuze Python API: import, enable/disable, optimize, fused_graph, stats,
options, and errors as Python exceptions (never a crash)."""

import os
import threading

import pytest
import torch

import fuze

GROUP = "fuze::FusionGroup"


class AddTanhMul(torch.nn.Module):
    def forward(self, x, y):
        return torch.tanh(x + y) * y


class LinearCell(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 4)

    def forward(self, x, h):
        return torch.tanh(self.linear(x) + h)


def traced_chain():
    return torch.jit.trace(AddTanhMul(), (torch.rand(3, 4), torch.rand(3, 4)))


def close(got, expected):
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_same_libtorch_as_torch():
    """The extension uses the libtorch that `import torch` loaded: one copy in the process."""
    with open("/proc/self/maps") as maps:
        paths = {os.path.realpath(line.split()[-1]) for line in maps
                 if "libtorch_cpu" in line or "libc10." in line}
    assert len([p for p in paths if "libtorch_cpu" in p]) == 1, paths
    assert len([p for p in paths if "libc10." in p]) == 1, paths
    assert os.path.dirname(fuze._C.__file__) == os.path.dirname(fuze.__file__)


def test_enable_disable_and_context():
    assert not fuze.is_enabled()
    fuze.enable()
    fuze.enable()  # idempotent
    assert fuze.is_enabled()
    fuze.disable()
    fuze.disable()
    assert not fuze.is_enabled()
    with fuze.enabled():
        assert fuze.is_enabled()
        with fuze.enabled():
            assert fuze.is_enabled()
        assert fuze.is_enabled()  # the inner block restores the outer state
    assert not fuze.is_enabled()
    with pytest.raises(KeyError):
        with fuze.enabled():
            raise KeyError("boom")
    assert not fuze.is_enabled()


def test_enable_fuses_script_and_trace(no_grad):
    x, y = torch.rand(8, 16), torch.rand(8, 16)
    expected = torch.tanh(x + y) * y
    with fuze.enabled():
        traced = traced_chain()
        for _ in range(3):
            got = traced(x, y)
        assert GROUP in str(torch.jit.last_executed_optimized_graph())
        close(got, expected)
        scripted = torch.jit.script(AddTanhMul())
        for _ in range(3):
            got = scripted(x, y)
        assert GROUP in str(torch.jit.last_executed_optimized_graph())
        close(got, expected)

        @torch.jit.script
        def chain(x, y):
            return torch.tanh(x + y) * y

        for _ in range(3):
            got = chain(x, y)
        assert GROUP in str(torch.jit.last_executed_optimized_graph())
        close(got, expected)
    assert fuze.stats()["kernel_calls"] > 0


def test_plans_outlive_the_enabled_block(no_grad):
    """A module optimized inside `with fuze.enabled()` keeps its fused plan after
    the block; one first run after it is plain TorchScript."""
    x, y = torch.rand(3, 4), torch.rand(3, 4)
    with fuze.enabled():
        fused = traced_chain()
        for _ in range(3):
            fused(x, y)
    plain = traced_chain()
    for _ in range(3):
        close(plain(x, y), torch.tanh(x + y) * y)
    assert GROUP not in str(torch.jit.last_executed_optimized_graph())
    calls = fuze.stats()["kernel_calls"]
    close(fused(x, y), torch.tanh(x + y) * y)
    assert GROUP in str(torch.jit.last_executed_optimized_graph())
    assert fuze.stats()["kernel_calls"] == calls + 1


class Pointwise(torch.nn.Module):
    def forward(self, x, y):
        return torch.sigmoid(torch.relu(x * 2.0 + y) - 0.5)


def _pointwise_inputs(kind):
    x, y = torch.randn(6, 5), torch.randn(6, 5)
    if kind == "transposed":
        return torch.randn(5, 6).t(), y
    if kind == "broadcast_row":
        return x, torch.randn(5)
    if kind == "broadcast_scalar_tensor":
        return x, torch.tensor(0.25)
    if kind == "sliced":
        return torch.randn(12, 10)[::2, ::2], y
    if kind == "float64":
        return x.double(), y.double()
    if kind == "int32":
        return torch.randint(-5, 5, (6, 5), dtype=torch.int32), torch.randint(-5, 5, (6, 5), dtype=torch.int32)
    if kind == "empty":
        return torch.randn(0, 5), torch.randn(0, 5)
    return x, y


@pytest.mark.parametrize("kind", ["contiguous", "transposed", "broadcast_row",
                                  "broadcast_scalar_tensor", "sliced", "float64", "int32", "empty"])
@pytest.mark.parametrize("route", ["optimize", "enable"])
def test_inputs_of_every_kind(kind, route, no_grad):
    """Whatever runs (a kernel or the fallback), results equal eager PyTorch's."""
    x, y = _pointwise_inputs(kind)
    expected = Pointwise()(x, y)
    if route == "optimize":
        module = fuze.optimize(torch.jit.script(Pointwise()))
    else:
        fuze.enable()
        module = torch.jit.script(Pointwise())
    for _ in range(3):
        got = module(x, y)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        close(got, expected)


def test_disabled_does_not_fuse(no_grad):
    traced = traced_chain()
    x, y = torch.rand(3, 4), torch.rand(3, 4)
    for _ in range(3):
        traced(x, y)
    assert GROUP not in str(torch.jit.last_executed_optimized_graph())
    assert fuze.stats()["kernel_calls"] == 0


def test_optimize(no_grad):
    torch.manual_seed(0)
    traced = torch.jit.trace(LinearCell(), (torch.rand(3, 4), torch.rand(3, 4)))
    fast = fuze.optimize(traced)
    assert isinstance(fast, fuze.FusedModule)
    assert fast.num_fusion_groups == 1
    assert isinstance(fast.graph, torch._C.Graph)
    assert GROUP in str(fast.graph)
    assert fast.original is traced
    assert fast.linear.weight is traced.linear.weight  # shared, delegated
    assert "FusedModule" in repr(fast)
    x, h = torch.rand(3, 4), torch.rand(3, 4)
    close(fast(x, h), traced(x, h))
    close(fast.forward(x, h=h), traced(x, h))  # keyword arguments by the schema
    # Optimizing a FusedModule's original again, or the module twice, is fine.
    close(fuze.optimize(fast)(x, h), traced(x, h))


def test_optimize_keeps_module_untouched(no_grad):
    traced = traced_chain()
    before = str(traced.graph)
    fuze.optimize(traced)
    assert str(traced.graph) == before
    assert GROUP not in before


def test_fused_graph():
    traced = traced_chain()
    graph = fuze.fused_graph(traced)
    assert isinstance(graph, torch._C.Graph)
    assert GROUP in str(graph)
    assert GROUP in str(fuze.fused_graph(traced, torch.rand(2, 5), torch.rand(2, 5)))

    @torch.jit.script
    def chain(x, y):
        return torch.tanh(x + y) * y

    assert GROUP in str(fuze.fused_graph(chain))
    assert GROUP not in str(chain.graph)


def test_fuse_graph_copies():
    traced = traced_chain()
    before = str(traced.graph)
    fused, groups = fuze.fuse_graph(traced.graph)
    assert groups == 1
    assert GROUP in str(fused)
    assert str(traced.graph) == before


def test_stats_and_reset(no_grad):
    keys = {"hits", "misses", "compiles", "compile_failures", "fallbacks", "evictions",
            "kernel_calls", "compile_us"}
    stats = fuze.stats()
    assert set(stats) == keys
    assert all(v == 0 for v in stats.values()), stats
    fast = fuze.optimize(traced_chain())
    x, y = torch.rand(3, 4), torch.rand(3, 4)
    for _ in range(4):
        fast(x, y)
    stats = fuze.stats()
    assert stats["kernel_calls"] == 4, stats
    # The kernel cache is process-wide: an earlier test may have compiled this chain.
    assert stats["hits"] + stats["misses"] == 4, stats
    assert stats["compiles"] + stats["compile_failures"] <= stats["misses"], stats
    assert stats["fallbacks"] == 0, stats
    fuze.reset_stats()
    assert all(v == 0 for v in fuze.stats().values())


def test_options():
    default = fuze.default_options()
    assert default["backend"] in ("interp", "x86", "cuda")
    saved = fuze.options()
    try:
        fuze.set_options(backend="interp", num_threads=1)
        assert fuze.options() == {"backend": "interp", "num_threads": 1}
        fuze.set_options(num_threads=0)
        assert fuze.options()["backend"] == "interp"
        with torch.no_grad():
            x, y = torch.rand(3, 4), torch.rand(3, 4)
            close(fuze.optimize(traced_chain())(x, y), torch.tanh(x + y) * y)
        with pytest.raises(ValueError, match="backend"):
            fuze.set_options(backend="tpu")
        with pytest.raises(ValueError, match="num_threads"):
            fuze.set_options(num_threads=-1)
    finally:
        fuze.set_options(**saved)


def test_inputs_requiring_grad_fall_back():
    fast = fuze.optimize(traced_chain())
    x = torch.rand(3, 4, requires_grad=True)
    y = torch.rand(3, 4)
    out = fast(x, y)
    close(out, torch.tanh(x + y) * y)
    out.sum().backward()
    close(x.grad, (1 - torch.tanh(x + y) ** 2) * y)
    stats = fuze.stats()
    assert stats["fallbacks"] == 1 and stats["kernel_calls"] == 0, stats


def test_new_shapes_do_not_recompile(no_grad):
    """Kernels are specialised on dtypes, ranks and layout pattern, not sizes."""
    fast = fuze.optimize(traced_chain())
    for rows, cols in [(3, 4), (5, 7), (64, 33), (2, 1000)]:
        x, y = torch.rand(rows, cols), torch.rand(rows, cols)
        close(fast(x, y), torch.tanh(x + y) * y)
        if (rows, cols) == (3, 4):
            compiles = fuze.stats()["compiles"]
    stats = fuze.stats()
    assert stats["compiles"] == compiles, stats
    assert stats["kernel_calls"] == 4, stats


def test_threads(no_grad):
    fast = fuze.optimize(traced_chain())
    inputs = [(torch.rand(64, 64), torch.rand(64, 64)) for _ in range(4)]
    errors = []

    def work(x, y):
        try:
            for _ in range(20):
                close(fast(x, y), torch.tanh(x + y) * y)
        except Exception as e:  # noqa: BLE001 (reported by the main thread)
            errors.append(e)

    threads = [threading.Thread(target=work, args=xy) for xy in inputs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


# ---- errors: Python exceptions with clear messages, never a crash ----

def test_optimize_rejects_non_modules():
    with pytest.raises(TypeError, match="ScriptModule"):
        fuze.optimize(3)
    with pytest.raises(TypeError, match="script or trace"):
        fuze.optimize(AddTanhMul())
    with pytest.raises(TypeError, match="ScriptModule"):
        fuze._C.optimize("not a module")
    with pytest.raises(TypeError):
        fuze.fuse_graph("graph(%x : Tensor): return (%x)")
    with pytest.raises(TypeError):
        fuze.fused_graph(None)


def test_bad_call_arguments(no_grad):
    fast = fuze.optimize(traced_chain())
    with pytest.raises(RuntimeError, match="forward"):
        fast(torch.rand(3, 4))
    with pytest.raises(RuntimeError, match="forward"):
        fast(torch.rand(3, 4), torch.rand(3, 4), torch.rand(3, 4))
    with pytest.raises(RuntimeError):
        fast(torch.rand(3, 4), "not a tensor")
    with pytest.raises(RuntimeError, match="forward"):
        fast(torch.rand(3, 4), z=torch.rand(3, 4))


@pytest.mark.parametrize("route", ["optimize", "enable"])
def test_shape_mismatch_raises(route, no_grad):
    x, y = torch.rand(3, 4), torch.rand(3, 4)
    if route == "optimize":
        module = fuze.optimize(traced_chain())
    else:
        fuze.enable()
        module = traced_chain()
    for _ in range(3):
        close(module(x, y), torch.tanh(x + y) * y)
    with pytest.raises(RuntimeError, match="size"):
        module(torch.rand(3, 4), torch.rand(5, 6))
    close(module(x, y), torch.tanh(x + y) * y)  # still works afterwards


def test_load_errors(tmp_path):
    with pytest.raises((ValueError, RuntimeError)):
        fuze.load(tmp_path / "missing.pt")
    bad = tmp_path / "corrupt.pt"
    bad.write_bytes(b"this is not a TorchScript archive")
    with pytest.raises(RuntimeError):
        fuze.load(bad)


def test_fused_kernels_show_in_torch_profiler(no_grad):
    @torch.jit.script
    def cell(x, h):
        return torch.tanh(x + h) * 0.5

    x, h = torch.rand(3, 4), torch.rand(3, 4)
    with fuze.enabled():
        for _ in range(3):
            cell(x, h)
        with torch.profiler.profile() as prof:
            cell(x, h)
    names = {e.key for e in prof.key_averages()}
    assert any(n.startswith("fused_") and "tanh" in n for n in names), names
