"""ember.compiler: torch.compiler's public functions.

ember has no compiler: `ember.compile` returns the model (or function) unchanged and runs it
eagerly, so nothing is ever "compiling" here, the decorators that steer a compiler hand back
the function they are given, and the cache functions have nothing to save. Code written for
torch.compile (guards on `is_compiling()`, `@disable` on a helper, `reset()` between runs)
runs unchanged.
"""
import contextlib
import functools

import ember as _ember

_BACKENDS = ["cudagraphs", "inductor", "openxla", "tvm"]
_default_backend = ["inductor"]


def compile(*args, **kwargs):  # noqa: A001 - torch.compiler.compile
    """The same as ember.compile: returns the model (or a decorator) unchanged."""
    return _ember.compile(*args, **kwargs)


def reset():
    """Clear the compiler's caches: ember keeps none."""


def is_compiling():
    """True while a compiler traces the code: never, in ember."""
    return False


def is_dynamo_compiling():
    return False


def is_exporting():
    return False


def disable(fn=None, recursive=True, *, reason=None):
    """Keep `fn` out of compilation (a decorator with no `fn`); ember runs it as it is."""
    if fn is None:
        return lambda f: disable(f, recursive, reason=reason)
    return fn


def _callable_arg(name, fn):
    if isinstance(fn, (list, tuple)):
        return [_callable_arg(name, f) for f in fn]
    if not callable(fn):
        raise AssertionError(f"{name} expects a callable")
    return fn


def allow_in_graph(fn):
    """Let a compiler put `fn` in its graph unexamined; the function itself is returned."""
    return _callable_arg("allow_in_graph", fn)


def assume_constant_result(fn):
    return fn


def substitute_in_graph(original_fn, *, can_constant_fold_through=False,
                        skip_signature_check=False):
    """Register a traceable stand-in for `original_fn`: the decorated function is kept."""
    if not callable(original_fn):
        raise TypeError(f"substitute_in_graph expects a function but got {type(original_fn)!r}")
    return lambda fn: fn


def nested_compile_region(fn=None, *, options=None, max_reuse_entries=8, reuse_hash_fn=None):
    if fn is None:
        return lambda f: f
    return fn


def cudagraph_mark_step_begin():
    """Mark the start of a CUDA-graph step: ember has no CUDA graphs."""


def list_backends(exclude_tags=("debug", "experimental")):
    """The backend names torch.compile accepts (ember.compile accepts and ignores them)."""
    from ember._dynamo.eval_frame import list_backends

    return list_backends(exclude_tags)


def get_default_backend():
    return _default_backend[0]


def set_default_backend(backend):
    _default_backend[0] = backend


class set_stance(contextlib.ContextDecorator):
    """How compiled code runs ("default", "force_eager", ...): ember always runs eagerly, so
    the stance is only recorded; usable as a call, a `with` block or a decorator."""

    _current = ["default"]

    def __init__(self, stance="default", *, skip_guard_eval_unsafe=False, force_backend=None):
        self.stance, self.prev = stance, set_stance._current[0]
        set_stance._current[0] = stance

    def __enter__(self):
        set_stance._current[0] = self.stance
        return self

    def __exit__(self, *exc):
        set_stance._current[0] = self.prev
        return False


def wrap_numpy(fn):
    """Let a function written on NumPy arrays take and return tensors: its tensor arguments
    arrive as arrays (shared memory, as Tensor.numpy()) and array results go back as
    tensors, through nested lists, tuples and dicts."""
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        args, kwargs = _tree_map(_to_numpy, (args, kwargs))
        return _tree_map(_to_tensor, fn(*args, **kwargs))

    return wrapped


def _to_numpy(v):
    return v.numpy() if isinstance(v, _ember.Tensor) else v


def _to_tensor(v):
    from ember._backend import xp

    return _ember.from_numpy(v) if isinstance(v, xp.ndarray) else v


def _tree_map(f, v):
    if isinstance(v, (list, tuple)) and not hasattr(v, "_fields"):
        return type(v)(_tree_map(f, x) for x in v)
    if isinstance(v, dict):
        return {k: _tree_map(f, x) for k, x in v.items()}
    return f(v)


def save_cache_artifacts():
    """Nothing is compiled, so there are no cache artifacts (PyTorch returns None then)."""
    return None


def load_cache_artifacts(serialized_artifacts):
    return None


__all__ = ["compile", "reset", "is_compiling", "is_dynamo_compiling", "is_exporting",
           "disable", "allow_in_graph", "assume_constant_result", "substitute_in_graph",
           "nested_compile_region", "cudagraph_mark_step_begin", "list_backends",
           "get_default_backend", "set_default_backend", "set_stance", "wrap_numpy",
           "save_cache_artifacts", "load_cache_artifacts"]
