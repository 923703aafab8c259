"""ember._dynamo: the torch._dynamo names notebooks touch (config, reset, disable,
mark_dynamic, ...).

ember has no tracing compiler (`ember.compile` runs the model eagerly; a module comes back
wrapped in an `OptimizedModule`, see eval_frame.py), so every function here leaves the code
to run eagerly: `config` records settings, `reset` has no
caches to clear, the marks on tensors' dimensions are accepted and change nothing.
"""
from ember._dynamo import config
from ember._dynamo.eval_frame import InvalidBackend, OptimizedModule, compile, list_backends
from ember.compiler import (
    allow_in_graph,
    assume_constant_result,
    disable,
    is_compiling,
    reset,
    set_stance,
    substitute_in_graph,
)


def optimize(backend="inductor", *, nopython=False, guard_export_fn=None,
             guard_fail_fn=None, disable=False, dynamic=None):
    """The older spelling of compile: a decorator that returns what it is given."""
    return lambda fn: fn


def run(fn=None):
    return fn if fn is not None else (lambda f: f)


def disallow_in_graph(fn):
    return allow_in_graph(fn)


def forbid_in_graph(fn):
    return allow_in_graph(fn)


def graph_break():
    """Split the compiled graph here: nothing to split in ember."""


def mark_dynamic(t, index, *, min=None, max=None, specialize_on=None):  # noqa: A002
    """Mark dimension(s) `index` of tensor `t` as varying between calls (no effect)."""


def maybe_mark_dynamic(t, index):
    pass


def mark_static(t, index=None):
    pass


def mark_static_address(t, guard=True):
    pass


def reset_code_caches():
    pass


def is_dynamo_supported():
    """Whether torch.compile can be used: ember.compile takes every model (and runs it
    eagerly), so True, as on PyTorch's CPU builds."""
    return True


def is_inductor_supported():
    return True


__all__ = ["config", "compile", "OptimizedModule", "InvalidBackend", "reset", "disable",
           "optimize", "run", "allow_in_graph",
           "disallow_in_graph", "forbid_in_graph", "assume_constant_result", "graph_break",
           "mark_dynamic", "maybe_mark_dynamic", "mark_static", "mark_static_address",
           "is_compiling", "list_backends", "set_stance", "substitute_in_graph",
           "reset_code_caches", "is_dynamo_supported", "is_inductor_supported"]
