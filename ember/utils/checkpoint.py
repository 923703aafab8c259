"""Activation checkpointing (PyTorch's torch.utils.checkpoint).

`checkpoint(fn, *args)` runs `fn` without recording a graph, so none of its intermediate
arrays are kept; the output hangs off one node, `CheckpointFunctionBackward`. When the
gradient reaches that node, `fn` runs again with grad mode on (the global RNG state rewound
to what it was at the first run, so dropout draws the same mask), and the gradient is
back-propagated through the recomputed graph: tensors `fn` closes over (module parameters)
get their `.grad` there, the inputs' gradients flow on through the node's edges.

`use_reentrant=True` (PyTorch's default, with a warning when not passed) back-propagates
the recomputation in a nested backward pass, as PyTorch's reentrant variant does.
`use_reentrant=False` also gives the node edges to the parameters of `fn` when it is a module,
a module's method or a checkpoint_sequential segment, so `autograd.grad` and
`backward(inputs=...)` reach them; it accepts keyword arguments and `context_fn`, and the
output requires grad when a parameter does even if no input does.
"""
import contextlib
import warnings

from ember._tensor import Tensor, _wrap
from ember.autograd.function import (
    AccumulateGrad,
    Node,
    _edge,
    _OutputOf,
    _Slots,
    leaf_node,
)
from ember.autograd.grad_mode import _enabled, enable_grad, no_grad

__all__ = ["CheckpointError", "checkpoint", "checkpoint_sequential", "noop_context_fn"]

_REENTRANT_WARNING = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting "
    "in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
    "use_reentrant=False is recommended, but if you need to preserve the current default "
    "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
    "differences between the two variants.")
_SEQUENTIAL_REENTRANT_WARNING = (
    "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be "
    "passed explicitly. In version 2.9 we will raise an exception if use_reentrant is not "
    "passed. use_reentrant=False is recommended, but if you need to preserve the current "
    "default behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
    "differences between the two variants.")


class CheckpointError(RuntimeError):
    """The recomputation did not reproduce the first run (use_reentrant=False)."""


def noop_context_fn():
    """The default `context_fn`: no context around the forward or the recomputation."""
    return contextlib.nullcontext(), contextlib.nullcontext()


class CheckpointFunctionBackward(Node):
    """The node of one checkpointed call: recomputes `function` to back-propagate.

    Its edges go to the inputs that require grad and, given `params` (the non-reentrant
    variant, when `function` is a module or a module's method), to those parameters' leaves,
    so their gradients flow through the engine like any other (autograd.grad and
    backward(inputs=...) see them). Leaves reached only during the recomputation (tensors a
    closure captured) have their gradient accumulated into `.grad` right there.
    """

    _bw_name = "CheckpointFunctionBackward"

    def __init__(self, function, args, kwargs, rng_state, outputs, recompute_context,
                 params=(), check=False):
        self.function, self.args, self.kwargs = function, args, kwargs
        self.check = check
        self.recompute_context = recompute_context
        self.rng_state = rng_state
        self.saved = (True,)  # the engine frees it after backward (no second backward)
        # which outputs carry a gradient, and the shape/dtype of each (zero-fill unused ones)
        self.out_meta = [(o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None
                         for o in outputs]
        self.grad_inputs = [i for i, a in enumerate(args)
                            if isinstance(a, Tensor) and a._requires_grad]
        self.params = params
        self._next = tuple([_edge(args[i]) for i in self.grad_inputs]
                           + [leaf_node(p) for p in params])

    def _recompute(self):
        from ember._random import default_generator

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
        return args, (out if isinstance(out, tuple) else (out,))

    def backward(self, grad):
        grads = grad.grads if isinstance(grad, _Slots) else (grad,)
        args, outs = self._recompute()
        if self.check:
            self._check_metadata(outs)
        roots, root_grads = [], []
        for o, g in zip(outs, grads):
            if isinstance(o, Tensor) and o._requires_grad and g is not None:
                roots.append(o)
                root_grads.append(g)
        if not roots:
            raise RuntimeError(
                "none of output has requires_grad=True, this checkpoint() is not necessary")
        if not self.params:
            from ember.autograd.engine import backward as _backward

            _backward(roots, [_wrap(g) for g in root_grads])
            result = []
            for i in self.grad_inputs:
                g = args[i].grad
                result.append(None if g is None else g._data)
            return tuple(result)
        return self._backward_through_edges(args, roots, root_grads)

    def _check_metadata(self, outs):
        """PyTorch's determinism_check='default' (it compares the saved tensors; ember, which
        saves none, compares the outputs)."""
        from ember._dtype import from_np
        from ember._size import Size

        def meta(shape, dtype):
            return (f"{{'shape': {Size(shape)!r}, 'dtype': {from_np(dtype)!r}, "
                    "'device': device(type='cpu')}")

        bad = []
        for i, (o, m) in enumerate(zip(outs, self.out_meta)):
            if m is None or not isinstance(o, Tensor):
                continue
            if o._data.shape != m[0] or o._data.dtype != m[1]:
                bad.append(f"tensor at position {i}:\nsaved metadata: {meta(*m)}\n"
                           f"recomputed metadata: {meta(o._data.shape, o._data.dtype)}\n")
        if bad:
            raise CheckpointError(
                "torch.utils.checkpoint: Recomputed values for the following tensors have "
                "different metadata than during the forward pass.\n" + "".join(bad))

    def _backward_through_edges(self, args, roots, root_grads):
        from ember.autograd.engine import _accumulate_leaf, run_backward

        nodes = [_edge(o) for o in roots]
        mine = [leaf_node(args[i]) for i in self.grad_inputs]
        edges = [leaf_node(p) for p in self.params]
        capture = {n: None for n in _leaves(nodes)}
        for n in mine + edges:
            capture[n] = None
        # the parameters' own hooks run when the outer pass reaches them, not here
        stashed = [(n, n._hooks) for n in edges if n._hooks]
        for n, _ in stashed:
            n._hooks = None
        try:
            run_backward(nodes, root_grads, False, False, capture, accumulate=False)
        finally:
            for n, hooks in stashed:
                n._hooks = hooks
        targets = set(mine) | set(edges)
        stored = set()
        for n, g in capture.items():
            if g is not None and n not in targets:  # a leaf a closure captured
                _accumulate_leaf(n, g.copy(), False, stored)
        return tuple(capture[n] for n in mine + edges)


def _leaves(roots):
    """The AccumulateGrad nodes reachable from `roots`."""
    seen, stack, out = set(), list(roots), []
    while stack:
        n = stack.pop()
        if n is None or n in seen:
            continue
        seen.add(n)
        if type(n) is AccumulateGrad:
            out.append(n)
        else:
            stack.extend(n._next)
    return out


def _module_params(function, args):
    """Parameters requiring grad of `function` when it is a module, a module's bound method
    or a checkpoint_sequential segment; () for other callables."""
    from ember.nn import Module

    owners = getattr(function, "_modules_run", None) or []
    if isinstance(function, Module):
        owners = [function]
    elif isinstance(getattr(function, "__self__", None), Module):
        owners = [function.__self__]
    found = {}
    for m in owners:
        if isinstance(m, Module):
            for p in m.parameters():
                if p._requires_grad and p.grad_fn is None:
                    found[id(p)] = p
    for a in args:  # a parameter passed as an input already has its edge
        found.pop(id(a), None)
    return tuple(found.values())


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
    if not use_reentrant and determinism_check not in ("default", "none"):
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
    params = () if use_reentrant else _module_params(function, args)
    node = CheckpointFunctionBackward(function, args, kwargs, rng_state, raw, recompute_context,
                                      params, not use_reentrant and determinism_check == "default")
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
        warnings.warn(_SEQUENTIAL_REENTRANT_WARNING, stacklevel=2)
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

    forward._modules_run = functions[start:end + 1]
    return forward
