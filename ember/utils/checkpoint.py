"""Activation checkpointing (PyTorch's torch.utils.checkpoint).

`checkpoint(fn, *args)` runs `fn` without recording a graph, so none of its intermediate
arrays are kept; the output hangs off one node, `CheckpointFunctionBackward`. When the
gradient reaches that node, `fn` runs again with grad mode on (the global RNG state rewound
to what it was at the first run, so dropout draws the same mask), and the gradient is
back-propagated through the recomputed graph: tensors `fn` closes over (module parameters)
get their `.grad` there, the inputs' gradients flow on through the node's edges.

Both `use_reentrant` variants share this mechanism (PyTorch's reentrant one). With
`use_reentrant=False` the output still requires grad when no input does but a parameter
inside `fn` does, and keyword arguments are accepted, as in PyTorch.
"""
import contextlib
import warnings

from ember._tensor import Tensor, _wrap
from ember.autograd.function import Node, _edge, _OutputOf, _Slots
from ember.autograd.grad_mode import _enabled, enable_grad, no_grad

__all__ = ["checkpoint", "checkpoint_sequential", "noop_context_fn"]

_REENTRANT_WARNING = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting "
    "in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
    "use_reentrant=False is recommended, but if you need to preserve the current default "
    "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
    "differences between the two variants.")


def noop_context_fn():
    """The default `context_fn`: no context around the forward or the recomputation."""
    return contextlib.nullcontext(), contextlib.nullcontext()


class CheckpointFunctionBackward(Node):
    """The node of one checkpointed call: recomputes `function` to back-propagate."""

    _bw_name = "CheckpointFunctionBackward"

    def __init__(self, function, args, kwargs, rng_state, outputs, recompute_context):
        self.function, self.args, self.kwargs = function, args, kwargs
        self.recompute_context = recompute_context
        self.rng_state = rng_state
        self.saved = (True,)  # the engine frees it after backward (no second backward)
        # which outputs carry a gradient, and the shape/dtype of each (zero-fill unused ones)
        self.out_meta = [(o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None
                         for o in outputs]
        self.grad_inputs = [i for i, a in enumerate(args)
                            if isinstance(a, Tensor) and a._requires_grad]
        self._next = tuple(_edge(args[i]) for i in self.grad_inputs)

    def backward(self, grad):
        from ember._random import default_generator
        from ember.autograd.engine import backward as _backward

        grads = grad.grads if isinstance(grad, _Slots) else (grad,)
        # fresh leaves sharing the inputs' arrays: the recomputation's graph ends at them
        args = []
        for a in self.args:
            if isinstance(a, Tensor):
                d = _wrap(a._data)
                d._requires_grad = a._requires_grad
                a = d
            args.append(a)
        outer_state = None
        if self.rng_state is not None:
            outer_state = default_generator.get_state()
            default_generator.set_state(self.rng_state)
        try:
            with enable_grad(), self.recompute_context:
                out = self.function(*args, **self.kwargs)
        finally:
            if outer_state is not None:
                default_generator.set_state(outer_state)
        outs = out if isinstance(out, tuple) else (out,)
        roots, root_grads = [], []
        for o, g in zip(outs, grads):
            if isinstance(o, Tensor) and o._requires_grad and g is not None:
                roots.append(o)
                root_grads.append(_wrap(g))
        if not roots:
            raise RuntimeError(
                "none of output has requires_grad=True, this checkpoint() is not necessary")
        _backward(roots, root_grads)
        result = []
        for i in self.grad_inputs:
            g = args[i].grad
            result.append(None if g is None else g._data)
        return tuple(result)


def _infer_rng_state(preserve):
    if not preserve:
        return None
    from ember._random import default_generator

    return default_generator.get_state()


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default",
               debug=False, early_stop=True, **kwargs):
    """Run `function(*args, **kwargs)` without keeping its intermediate activations; they are
    recomputed during backward.

    Args:
        function: what to run (a module or any callable on tensors).
        use_reentrant: PyTorch's variant switch; pass it explicitly (``None`` warns and
            means ``True``, as in PyTorch). ``True`` rejects keyword arguments.
        preserve_rng_state (keyword, default True): rewind the global RNG before the
            recomputation so dropout masks match the first run.
        context_fn: returns two context managers, entered around the forward run and
            around the recomputation (``use_reentrant=False`` only).
        determinism_check: ``"default"`` or ``"none"`` (accepted; the recomputation is
            deterministic when the RNG state is preserved).

    >>> y = checkpoint(block, x, use_reentrant=False)   # block's activations are not stored
    """
    if use_reentrant is None:
        warnings.warn(_REENTRANT_WARNING, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if determinism_check not in ("default", "none"):
        raise ValueError(
            f"determinism_check should be one of ['default', 'none'], but got {determinism_check}")
    if use_reentrant:
        if (context_fn is not None and context_fn is not noop_context_fn) or debug:
            raise ValueError(
                "Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    forward_context, recompute_context = (context_fn or noop_context_fn)()
    rng_state = _infer_rng_state(preserve)
    needs = _enabled[0] and any(isinstance(a, Tensor) and a._requires_grad for a in args)
    if _enabled[0] and not needs and use_reentrant:
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)
    if _enabled[0] and not needs and not use_reentrant:
        # NOTE: whether a parameter inside `function` requires grad is only known by running
        # it with grad mode on; its graph is dropped as soon as it returns (this case is the
        # first segment of a model whose input needs no gradient)
        with enable_grad(), forward_context:
            out = function(*args, **kwargs)
        raw = out if isinstance(out, tuple) else (out,)
        needs = any(isinstance(o, Tensor) and o._requires_grad for o in raw)
        if not needs:
            return out
        raw = tuple(_wrap(o._data) if isinstance(o, Tensor) else o for o in raw)
        out = raw if isinstance(out, tuple) else raw[0]
    else:
        with no_grad(), forward_context:
            out = function(*args, **kwargs)
        if not needs:
            return out
    raw = out if isinstance(out, tuple) else (out,)
    node = CheckpointFunctionBackward(function, args, kwargs, rng_state, raw, recompute_context)
    outs = []
    for i, o in enumerate(raw):
        if isinstance(o, Tensor) and o.dtype.is_floating_point | o.dtype.is_complex:
            if any(o is a for a in args):  # function returned an input: alias it
                o = _wrap(o._data)
            o._requires_grad = True
            o.grad_fn = node if len(raw) == 1 else _OutputOf(node, i, len(raw))
        outs.append(o)
    return tuple(outs) if isinstance(out, tuple) else outs[0]


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run a sequence of modules (or an nn.Sequential) in `segments` chunks, checkpointing
    every chunk but the last, which runs normally (as PyTorch does).

    >>> out = checkpoint_sequential(model, 2, x, use_reentrant=False)
    """
    if use_reentrant is None:
        warnings.warn(_REENTRANT_WARNING, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    from ember.nn import Sequential

    if isinstance(functions, Sequential):
        functions = list(functions.children())
    functions = list(functions)
    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(_run_range(functions, start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return _run_range(functions, end + 1, len(functions) - 1)(input)


def _run_range(functions, start, end):
    def forward(input):
        for j in range(start, end + 1):
            input = functions[j](input)
        return input

    return forward
