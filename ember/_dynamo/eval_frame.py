"""`torch.compile`'s front end without a compiler (PyTorch keeps it in torch/_dynamo/eval_frame.py).

ember runs eagerly, so compiling changes no result: `compile(fn)` returns a wrapper that calls
`fn`, and `compile(module)` returns an `OptimizedModule` around it, as PyTorch does (its
parameters show up under `_orig_mod.` in `state_dict()`, attribute reads reach the wrapped
module). The arguments are checked as in PyTorch (modes, backends, mode with options);
`backend=` callables are accepted but never called, since no FX graph is captured.
"""
import functools

from ember.nn.modules.module import Module

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
_BACKENDS = ("cudagraphs", "inductor", "openxla", "tvm")
_DEBUG_BACKENDS = ("eager", "aot_eager", "aot_eager_decomp_partition",
                   "aot_eager_default_partitioner")

class InvalidBackend(RuntimeError):
    def __init__(self, name):
        super().__init__(f"Invalid backend: {name!r}, see `torch._dynamo.list_backends()` for "
                         "available backends.")


def list_backends(exclude_tags=("debug", "experimental")):
    """The names `backend=` accepts (the debug ones too unless excluded)."""
    names = list(_BACKENDS)
    if not exclude_tags or "debug" not in exclude_tags:
        names += _DEBUG_BACKENDS
    return sorted(names)


class OptimizedModule(Module):
    """What `compile(module)` returns: calls the original module (`_orig_mod`)."""

    def __init__(self, mod, dynamo_ctx=None):
        super().__init__()
        self._orig_mod = mod
        self.training = mod.training
        self.dynamo_ctx = dynamo_ctx

    def forward(self, *args, **kwargs):
        return self._orig_mod(*args, **kwargs)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.__dict__["_modules"]["_orig_mod"], name)


def _check(mode, options, backend):
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if isinstance(backend, str) and backend not in _BACKENDS + _DEBUG_BACKENDS:
        raise InvalidBackend(backend)


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor",  # noqa: A001
            mode=None, options=None, disable=False):
    """`torch.compile`: the same results as running `model` eagerly (ember has no compiler).

    Used bare, as ``@compile`` or ``@compile(mode=...)``; a module comes back wrapped in an
    `OptimizedModule`, a function as a wrapper with the function's name and docstring."""
    _check(mode, options, backend)
    if model is None:
        return functools.partial(compile, fullgraph=fullgraph, dynamic=dynamic,
                                 backend=backend, mode=mode, options=options, disable=disable)
    if not callable(model):
        raise RuntimeError("model must be a callable (a function or an nn.Module)")
    if disable:
        return model
    if isinstance(model, Module):
        return OptimizedModule(model)

    @functools.wraps(model)
    def compiled(*args, **kwargs):
        return model(*args, **kwargs)

    return compiled
