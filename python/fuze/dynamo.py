"""fuze as a torch.compile backend (torch 2.x): torch.compile(model, backend="fuze").

How it works: dynamo captures the model's Python code as FX graphs (one per
region between graph breaks; what it cannot capture runs in Python, as with
every backend). For each graph, this backend

  1. types the graph's non-tensor inputs (dynamo passes sizes as ints once
     shapes are dynamic) and scripts the FX GraphModule into TorchScript
     (torch.jit.script); a graph TorchScript cannot script is traced instead
     (torch.jit.trace with the example inputs, only when every input is a tensor);
  2. fuses it with fuze.optimize(): elementwise chains become fuze kernels,
     compiled on their first call, everything else runs as TorchScript.

A graph neither route can take runs as dynamo captured it (the FX module in
Python), with the reason counted in fallback_reasons() and logged once per
reason: never an error.

Sizes: fuze's kernels are compiled per dtype/layout signature, not per size, so
a new input size reuses them. dynamo itself specializes its first graph on the
first call's sizes; when a size changes, its guard fails and it recaptures the
graph once with those dimensions symbolic (torch._dynamo.config.
automatic_dynamic_shapes, on by default), and that graph serves every later
size. So a size change costs one more capture and scripting here (tens of ms),
never a kernel compile; torch.compile(..., dynamic=True) skips the first,
static graph.

Registered for torch.compile through the `torch_dynamo_backends` entry point
that `pip install` writes (and the build tree's fuze-*.dist-info), so
backend="fuze" works without importing fuze first; `fuze.dynamo.backend` is the
same function.
"""

import collections
import logging
import threading

import torch

_log = logging.getLogger("fuze")

_lock = threading.Lock()
_reasons = collections.Counter()
_compiled_graphs = 0


def fallback_reasons():
    """{reason: count} of FX graphs this backend ran unfused (as dynamo captured them)."""
    with _lock:
        return dict(_reasons)


def compiled_graphs():
    """How many FX graphs this backend has turned into fused TorchScript."""
    with _lock:
        return _compiled_graphs


def reset():
    """Clears compiled_graphs() and fallback_reasons()."""
    global _compiled_graphs
    with _lock:
        _reasons.clear()
        _compiled_graphs = 0


def _fall_back(gm, reason):
    with _lock:
        first = reason not in _reasons
        _reasons[reason] += 1
    if first:
        _log.warning("fuze (torch.compile): a graph runs unfused: %s", reason)
    return gm.forward


_PY_TYPES = {torch.SymInt: int, torch.SymFloat: float, torch.SymBool: bool}


def _type_inputs(gm, example_inputs):
    """Annotates the placeholders that are not tensors, so that torch.jit.script
    does not take them for tensors. Returns False if some input type is not one
    TorchScript takes."""
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != len(example_inputs):
        return False
    for node, value in zip(placeholders, example_inputs):
        if isinstance(value, torch.Tensor):
            continue
        kind = _PY_TYPES.get(type(value), type(value))
        if kind not in (int, float, bool):
            return False
        node.type = kind
    gm.recompile()
    return True


def _to_torchscript(gm, example_inputs):
    """(ScriptModule, None) or (None, reason)."""
    problems = []
    if _type_inputs(gm, example_inputs):
        try:
            return torch.jit.script(gm), None
        except Exception as e:  # noqa: BLE001 - any scripting failure means: try tracing
            problems.append("torch.jit.script: %s" % str(e).strip().splitlines()[0])
    else:
        problems.append("an input TorchScript does not take")
    if all(isinstance(x, torch.Tensor) for x in example_inputs):
        try:
            with torch.no_grad():
                return torch.jit.trace(gm, tuple(example_inputs), check_trace=False), None
        except Exception as e:  # noqa: BLE001
            problems.append("torch.jit.trace: %s" % str(e).strip().splitlines()[0])
    return None, "; ".join(problems)


def backend(gm, example_inputs):
    """The torch.compile backend: (FX GraphModule, example inputs) -> callable."""
    global _compiled_graphs
    from . import optimize  # the package's, after its torch version check

    script, reason = _to_torchscript(gm, example_inputs)
    if script is None:
        return _fall_back(gm, reason)
    try:
        fused = optimize(script)
    except Exception as e:  # noqa: BLE001
        return _fall_back(gm, "fuze.optimize: %s" % str(e).strip().splitlines()[0])
    with _lock:
        _compiled_graphs += 1
    forward = fused._impl.forward
    # FX graphs from dynamo return a tuple or list; TorchScript gives a tuple
    # for both, so a list comes back as one.
    returns_list = _returns_list(gm)

    def run(*args):
        out = forward(*args)
        return list(out) if returns_list else out

    run.fused = fused  # for inspection: run.fused.graph, run.fused.num_fusion_groups
    return run


def _returns_list(gm):
    for node in gm.graph.nodes:
        if node.op == "output":
            return isinstance(node.args[0], list)
    return False
