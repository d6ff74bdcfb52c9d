"""fuze where users meet it: the install's torch check, the package metadata,
libfuze_torchscript.so in a process that never imports fuze, enable() reaching
modules that ran before it, and the one-time note about autograd.

Each scenario that depends on process state runs in a fresh Python
(subprocess), with the same sys.path as this one.
"""

import os
import subprocess
import sys
import tempfile
import textwrap

import pytest
import torch

import fuze

PATH_SETUP = "import sys; sys.path[:0] = %r\n" % [p for p in sys.path if p]


def _python(code, env=None):
    # From a file: torch.jit.script reads the source of what it compiles.
    full_env = dict(os.environ)
    full_env.update(env or {})
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "scenario.py")
        with open(script, "w") as f:
            f.write(PATH_SETUP + textwrap.dedent(code))
        return subprocess.run([sys.executable, script], capture_output=True, text=True,
                              env=full_env, timeout=240)


def test_import_refuses_a_torch_of_another_minor_version():
    res = _python("""
        import torch
        torch.__version__ = "9.9.0"
        import fuze
        """)
    assert res.returncode != 0
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: fuze ") and "built against torch" in last, res.stderr
    assert "torch 9.9.0" in last and "pip install --force-reinstall" in last


def test_package_metadata_names_the_torch_compile_backend():
    from importlib import metadata
    eps = [ep for ep in metadata.entry_points(group="torch_dynamo_backends") if ep.name == "fuze"]
    assert len(eps) == 1 and eps[0].value == "fuze.dynamo:backend"
    assert metadata.version("fuze") == fuze.__version__


def test_installed_fuze_command_reports_versions():
    # pip install puts the CLI beside the Python (console script fuze ->
    # fuze/bin/fuze); a build-tree run has none.
    command = os.path.join(os.path.dirname(sys.executable), "fuze")
    if not os.path.isfile(command):
        pytest.skip("no fuze command beside %s (not a pip install)" % sys.executable)
    res = subprocess.run([command, "--version"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("fuze %s\n" % fuze.__version__), res.stdout
    built = fuze._build_info.TORCH_VERSION
    assert "libtorch %s" % ".".join(built.split(".")[:2]) in res.stdout, res.stdout


def test_torchscript_library_fuses_a_process_that_never_imports_fuze():
    lib = fuze.torchscript_library()
    assert lib is not None and os.path.isfile(lib)
    res = _python("""
        import torch
        class Cell(torch.nn.Module):
            def forward(self, x, h):
                return torch.tanh(x + h) * h
        x, h = torch.rand(64, 32), torch.rand(64, 32)
        with torch.no_grad():
            plain = torch.jit.trace(Cell(), (x, h))
            expected = [plain(x, h) for _ in range(3)][-1]
            torch.ops.load_library(%r)
            traced = torch.jit.trace(Cell(), (x, h))
            got = [traced(x, h) for _ in range(3)][-1]
        assert "fuze" not in sys.modules
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
        graph = str(torch.jit.last_executed_optimized_graph())
        stats = torch.ops.fuze.stats()
        print("groups", graph.count("fuze::FusionGroup"), "calls", stats["kernel_calls"],
              "fallbacks", stats["fallbacks"], "enabled", stats["enabled"])
        """ % lib)
    assert res.returncode == 0, res.stderr
    words = res.stdout.split()
    assert words[0::2] == ["groups", "calls", "fallbacks", "enabled"], res.stdout
    groups, calls, fallbacks, enabled = map(int, words[1::2])
    assert groups >= 1 and calls >= 1 and fallbacks == 0 and enabled == 1


def test_torchscript_library_can_be_loaded_switched_off():
    res = _python("""
        import torch
        torch.ops.load_library(%r)
        s = torch.ops.fuze.stats()
        print(s["enabled"], torch.ops.fuze.set_enabled(True), torch.ops.fuze.stats()["enabled"])
        """ % fuze.torchscript_library(), env={"FUZE_TORCHSCRIPT": "0"})
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["0", "False", "1"]


def test_enable_reaches_modules_and_functions_that_already_ran():
    res = _python("""
        import torch, fuze
        class Cell(torch.nn.Module):
            def forward(self, x, h):
                return torch.tanh(x + h) * h
        @torch.jit.script
        def scripted(x, h):
            return torch.sigmoid(x * h) + x
        x, h = torch.rand(8, 8), torch.rand(8, 8)
        with torch.no_grad():
            traced = torch.jit.trace(Cell(), (x, h))
            for _ in range(5):                    # optimized and cached, unfused
                traced(x, h); scripted(x, h)
            fuze.enable()
            for _ in range(3):
                traced(x, h)
            module_fused = "fuze::FusionGroup" in str(torch.jit.last_executed_optimized_graph())
            for _ in range(3):
                scripted(x, h)
            function_fused = "fuze::FusionGroup" in str(torch.jit.last_executed_optimized_graph())
        print(module_fused, function_fused, fuze.stats()["kernel_calls"])
        """)
    assert res.returncode == 0, res.stderr
    module_fused, function_fused, calls = res.stdout.split()
    assert (module_fused, function_fused) == ("True", "True")
    assert int(calls) >= 2


def test_refresh_counts_what_it_reset(no_grad):
    class Outer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = torch.nn.Linear(4, 4)

        def forward(self, x):
            return torch.tanh(self.inner(x))

    scripted = torch.jit.script(Outer())
    assert fuze.refresh(scripted) == 2  # forward and the submodule's forward
    with pytest.raises(TypeError, match="fuze.refresh: expected a torch.jit.ScriptModule"):
        fuze.refresh(Outer())


def test_autograd_fallback_is_explained_once_per_process():
    res = _python("""
        import torch, fuze
        fuze.enable()
        m = torch.jit.trace(torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Tanh(), torch.nn.Sigmoid()),
                            torch.rand(2, 4))
        for _ in range(4):
            m(torch.rand(2, 4))
        print("fallbacks", fuze.stats()["fallbacks"])
        """)
    assert res.returncode == 0, res.stderr
    assert res.stderr.count("input requires grad") == 1, res.stderr
    assert "torch.no_grad()" in res.stderr and "torch.inference_mode()" in res.stderr
    assert int(res.stdout.split()[1]) >= 2
