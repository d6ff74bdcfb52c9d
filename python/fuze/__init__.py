"""fuze: a JIT fusion compiler for TorchScript.

Three ways to use it:

    import torch, fuze

    # 1. Drop-in: every TorchScript module optimized from now on runs fused.
    fuze.enable()                    # or: with fuze.enabled(): ...
    traced = torch.jit.trace(model, (x, h))
    with torch.no_grad():
        for _ in range(3):           # the profiling executor optimizes after its profiling runs
            out = traced(x, h)
    print(torch.jit.last_executed_optimized_graph())   # shows fuze::FusionGroup nodes
    print(fuze.stats())                                 # kernel cache counters

    # 2. Explicit: one module, fused now.
    fast = fuze.optimize(traced)     # a FusedModule: call it like the module
    out = fast(x, h)
    print(fast.graph)                # the fused forward graph

    # 3. torch.compile (torch 2.x): dynamo's graphs scripted, then fused.
    compiled = torch.compile(model, backend="fuze")

Fusion is for inference: a fusion group whose inputs require grad runs its
TorchScript fallback (logged once), so run under torch.no_grad() (or
torch.inference_mode()) to get fused kernels. fuze.enable() also reaches
modules that already ran before it (see refresh()).

Install: `pip install .` from the source tree, into the Python whose torch fuze
should use; or from a build tree: PYTHONPATH=<build>/python /usr/bin/python3.
"""

import contextlib as _contextlib
import gc as _gc
import logging as _logging
import os as _os

import torch as _torch  # loads libtorch and torch's pybind11 types before the extension

from . import _build_info


def _check_torch_version():
    # The extension links libtorch's C++ ABI, which changes between torch's minor
    # versions: loading it into another torch fails with undefined symbols or
    # worse, so a mismatch stops here with what to do about it.
    have = _torch.__version__.split("+")[0]
    built = _build_info.TORCH_VERSION
    if have.split(".")[:2] != built.split(".")[:2]:
        raise ImportError(
            "fuze %s was built against torch %s, but this Python imports torch %s (from %s); "
            "rebuild fuze for this torch: pip install --force-reinstall --no-cache-dir <fuze source dir>"
            % (_build_info.VERSION, built, _torch.__version__, _os.path.dirname(_torch.__file__)))


_check_torch_version()

from . import _C  # noqa: E402

__all__ = [
    "FusedModule",
    "default_options",
    "disable",
    "enable",
    "enabled",
    "fuse_graph",
    "fused_graph",
    "is_enabled",
    "load",
    "optimize",
    "options",
    "refresh",
    "reset_stats",
    "set_options",
    "stats",
    "torchscript_library",
]

__version__ = _build_info.VERSION

_log = _logging.getLogger("fuze")


def enable(refresh=True):
    """Registers fuze as a TorchScript pre-pass: scripted and traced modules run fused.

    Takes effect when a graph executor optimizes (a module's first calls).
    TorchScript keeps the plan it optimized, so with refresh=True (the default)
    every ScriptModule and scripted function that already ran in this process is
    refreshed (see refresh()) and runs fused from its next calls. Call it while
    no other thread runs TorchScript. PyTorch's own NNC fuser is kept off while
    fuze is enabled.
    """
    was_enabled = _C.is_enabled()
    _C.enable()
    if refresh and not was_enabled:
        n = _refresh_all()
        if n:
            _log.info("fuze.enable: %d TorchScript method(s) that had run before will be optimized again", n)


def refresh(module):
    """Drops the plans TorchScript cached for `module` (a ScriptModule, its
    submodules included, a FusedModule's original, or a scripted function), so
    that its next calls are profiled and optimized again: fused if fuze is
    enabled. Returns how many methods were reset."""
    if isinstance(module, FusedModule):
        module = module.original
    return _C.refresh(module)


def _refresh_all():
    # Only what TorchScript finished compiling: live ScriptModules (each found
    # here, so without recursing) and ScriptFunctions held in a dict (module
    # globals, attributes). Not torch's compilation unit as a whole: a failed
    # torch.jit.script leaves half-defined functions there, and asking those
    # for an executor compiles them again and crashes.
    # type(), not isinstance(): isinstance also asks obj.__class__, which some
    # deprecated proxies answer with a warning.
    module_type, function_type = _torch.jit.ScriptModule, _torch.jit.ScriptFunction
    n = 0
    seen = set()
    for obj in _gc.get_objects():
        kind = type(obj)
        if issubclass(kind, module_type):
            if hasattr(obj, "_c"):
                n += _C.refresh(obj, False)
        elif kind is dict:
            for value in list(obj.values()):
                if type(value) is function_type and id(value) not in seen:
                    seen.add(id(value))
                    n += _C.refresh(value)
    return n


def disable():
    """Removes the fuze pre-pass (modules already optimized keep their fused plan)."""
    _C.disable()


def is_enabled():
    """True between enable() and disable()."""
    return _C.is_enabled()


@_contextlib.contextmanager
def enabled():
    """Context manager (or decorator): fuze enabled inside the block, the previous
    state restored after. Modules first optimized inside the block keep their
    fused plan afterwards; the block decides what gets fused, not what stays fused."""
    was_enabled = _C.is_enabled()
    enable()
    try:
        yield
    finally:
        if not was_enabled:
            _C.disable()


def torchscript_library():
    """Path of libfuze_torchscript.so, the library that makes any libtorch host run
    its TorchScript fused once loaded (torch.ops.load_library(path) in a process
    that has not imported fuze, a serving engine's custom-op setting, dlopen or
    LD_PRELOAD in C++). None if this build has none."""
    here = _os.path.dirname(_os.path.abspath(__file__))
    for path in (_os.path.join(here, "lib", "libfuze_torchscript.so"),             # installed
                 _os.path.join(here, "..", "..", "lib", "libfuze_torchscript.so")):  # build tree
        if _os.path.isfile(path):
            return _os.path.normpath(path)
    return None


def stats():
    """The kernel cache counters: hits, misses, compiles, compile_failures, fallbacks,
    evictions, kernel_calls (ints) and compile_us (float)."""
    return _C.stats()


def reset_stats():
    """Sets every counter of stats() back to zero."""
    _C.reset_stats()


def options():
    """The current options as a dict: backend ('interp', 'x86', 'cuda'), num_threads."""
    return _C.options()


def default_options():
    """The options fuze starts with on this machine."""
    return _C.default_options()


def set_options(backend=None, num_threads=None):
    """Changes the backend ('interp', 'x86', 'cuda') and/or the CPU thread count
    (0: torch's count); arguments left as None keep their value."""
    _C.set_options(backend, num_threads)


def _script_module_of(module, who):
    if isinstance(module, FusedModule):
        return module.original
    if isinstance(module, _torch.jit.ScriptModule):
        return module
    if isinstance(module, _torch.nn.Module):
        raise TypeError(
            "%s: got a plain torch.nn.Module (%s); script or trace it first "
            "(torch.jit.script(m) or torch.jit.trace(m, example_inputs))"
            % (who, type(module).__name__))
    raise TypeError(
        "%s: expected a torch.jit.ScriptModule (from torch.jit.script, torch.jit.trace "
        "or torch.jit.load), got %s" % (who, type(module).__name__))


class FusedModule:
    """A TorchScript module whose forward runs with fuze::FusionGroup nodes.

    Made by fuze.optimize() or fuze.load(). Call it like the module it came from;
    attributes it does not define (parameters, submodules, code, save, ...) are
    those of the original ScriptModule, which shares its parameters with this one.
    """

    def __init__(self, impl, original):
        self._impl = impl          # fuze._C.FusedModule
        self._original = original  # the torch.jit.ScriptModule

    def forward(self, *args, **kwargs):
        return self._impl.forward(*args, **kwargs)

    def __call__(self, *args, **kwargs):
        return self._impl.forward(*args, **kwargs)

    @property
    def graph(self):
        """The optimized forward graph (a torch._C.Graph, inlined, with fuze::FusionGroup nodes)."""
        return self._impl.graph

    @property
    def num_fusion_groups(self):
        """How many fuze::FusionGroup nodes the fused forward graph has."""
        return self._impl.num_fusion_groups

    @property
    def original(self):
        """The torch.jit.ScriptModule this module was made from."""
        return self._original

    @property
    def code(self):
        """The original module's TorchScript code (fusion happens below the code level)."""
        return self._original.code

    def save(self, path, **kwargs):
        """Saves the original module (fusion is redone when loaded with fuze.load)."""
        self._original.save(path, **kwargs)

    def __getattr__(self, name):
        # Only called when normal lookup fails: delegate to the original module.
        if name in ("_impl", "_original"):
            raise AttributeError(name)
        return getattr(self._original, name)

    def __repr__(self):
        return "FusedModule(%s, fusion_groups=%d)" % (
            getattr(self._original, "original_name", type(self._original).__name__),
            self.num_fusion_groups)


def optimize(module):
    """Returns a FusedModule: `module` (a torch.jit.ScriptModule from torch.jit.script,
    torch.jit.trace or torch.jit.load) with its forward fused. Parameters are shared,
    not copied. Raises TypeError for anything else."""
    script = _script_module_of(module, "fuze.optimize")
    return FusedModule(_C.optimize(script), script)


def load(path, map_location=None):
    """Loads a TorchScript file (torch.jit.save / ScriptModule.save) and fuses it."""
    original = _torch.jit.load(str(path), map_location=map_location)
    return FusedModule(_C.optimize(original), original)


def fuse_graph(graph):
    """Runs the fusion pass on a copy of `graph` (a torch._C.Graph; calls are
    inlined first). Returns (fused_graph, number_of_fusion_groups)."""
    if not isinstance(graph, _torch._C.Graph):
        raise TypeError("fuze.fuse_graph: expected a torch._C.Graph, got %s"
                        % type(graph).__name__)
    return _C.fuse_graph(graph)


def fused_graph(module, *inputs):
    """The graph fuze runs for `module`, as a torch._C.Graph (str() it to print).

    `module` is a torch.jit.ScriptModule, a FusedModule or a scripted function.
    With `inputs`, the fused module is first run on them (without autograd), so
    that the fusion groups have seen real inputs and bad inputs fail here.
    """
    if isinstance(module, _torch.jit.ScriptFunction):
        fused, _ = fuse_graph(module.graph)
        return fused
    fused = module if isinstance(module, FusedModule) else optimize(module)
    if inputs:
        with _torch.no_grad():
            fused(*inputs)
    return fused.graph
