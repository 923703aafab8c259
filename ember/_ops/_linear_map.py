"""Linear maps of arrays as differentiable ops, for double backward (create_graph=True).

Many first-order backwards are linear in the incoming gradient with coefficients that are
constant (pooling routes, averaging windows, dropout masks, embedding lookups). Under
create_graph their Tensor-level backward is `linear_map(g, f, ft)`: the array function `f`
applied to g, whose own backward is the adjoint `ft` (and whose backward's backward is `f`
again), so gradients of any order flow through it.
"""
import functools

from ember._backend import xp
from ember._tensor import _wrap
from ember.autograd.function import Op


class LinearMap(Op):
    """y = f(x) for a linear array map f whose adjoint (transpose) is ft.

    `anchor` (optional, unused by f) is the op's original input: y then requires grad when
    it does, and its gradient is zero (PyTorch's double backward of pooling does the same)."""

    def forward(ctx, x, anchor, f=None, ft=None):
        ctx.f, ctx.ft = f, ft
        return f(x)

    def backward(ctx, g):
        return ctx.ft(g), _zero_for(ctx)

    def tbackward(ctx, g):
        z = _zero_for(ctx)
        return (linear_map(g, ctx.ft, ctx.f, backward_name(ctx), ctx.inputs[1]),
                None if z is None else _wrap(z))


def _zero_for(ctx):
    if not ctx.needs_input_grad[1]:
        return None
    a = ctx.inputs[1]._data
    return xp.zeros(a.shape, dtype=a.dtype)


@functools.lru_cache(maxsize=None)
def _named(name):
    # NOTE: a subclass per grad_fn name, so the recorded node prints as PyTorch's does
    return type(name, (LinearMap,), {"_bw_name": name, "__module__": __name__})


def linear_map(x, f, ft, name="LinearMapBackward0", anchor=None):
    """Apply the linear array map f to Tensor x, recording ft as its backward."""
    return _named(name).apply(x, anchor, f=f, ft=ft)


def backward_name(ctx):
    """PyTorch's name for the node of an op's backward: XBackward0 -> XBackwardBackward0."""
    name = ctx.name()
    return name[:-1] + "Backward0" if name.endswith("Backward0") else name + "Backward"


class Scratch:
    """A stand-in ctx for calling an op's array forward outside the graph (its adjoint)."""

    def save_for_backward(self, *arrays):
        self.saved = arrays


def gather_scatter(idx, rows, plane, in_shape, out_shape):
    """The pair (scatter, gather) for flat per-row indices idx (rows, k) into planes of size
    `plane`: scatter adds a (out_shape) into zeros (in_shape) at idx; gather is its adjoint."""
    flat = (idx.reshape(rows, -1) + xp.arange(rows).reshape(rows, 1) * plane).reshape(-1)

    def scatter(a):
        out = xp.zeros(rows * plane, dtype=a.dtype)
        xp.add.at(out, flat, a.reshape(-1))
        return out.reshape(in_shape)

    def gather(b):
        return xp.ascontiguousarray(b).reshape(-1)[flat].reshape(out_shape)

    return scatter, gather


def transpose_of_backward(ctx, g, forward, anchor=None):
    """Tensor-level backward of a single-input op linear in its input: the op's own array
    backward, recorded with `forward` (the op's array forward for fixed parameters) as its
    adjoint."""
    def backward(a):
        r = type(ctx).backward(ctx, a)
        return r[0] if type(r) is tuple else r

    return linear_map(g, backward, forward, backward_name(ctx), anchor)


class _Cut(Op):
    """Identity whose edge to its input is cut while `regrad` differentiates a recomputed
    forward, so that inner backward pass stops there (and restored afterwards)."""

    _bw_name = "AliasBackward0"

    def forward(ctx, x):
        return x

    def backward(ctx, g):
        return g

    def tbackward(ctx, g):
        return g


def regrad(ctx, g, composite):
    """Tensor-level backward of an op from `composite`, its forward written with ember ops:
    recompute it on stand-ins of the op's inputs (identity nodes whose edges are cut for the
    inner pass, so it does not run through the inputs' own history), differentiate with
    create_graph, then reconnect the stand-ins so the result's graph reaches the inputs."""
    from ember._tensor import Tensor
    from ember.autograd.engine import grad as autograd_grad

    needs = ctx.needs_input_grad
    args, cuts = [], []
    for a, n in zip(ctx.inputs, needs):
        if n and isinstance(a, Tensor):
            a = _Cut.apply(a)
            cuts.append(a)
        args.append(a)
    out = composite(*args)
    nodes = [c.grad_fn for c in cuts]
    edges = [nd._next for nd in nodes]
    try:
        for nd in nodes:
            nd._next = (None,)
        grads = autograd_grad(out, cuts, g, create_graph=True, allow_unused=True)
    finally:
        for nd, e in zip(nodes, edges):
            nd._next = e
    it = iter(grads)
    return tuple(next(it) if n and isinstance(a, Tensor) else None
                 for a, n in zip(ctx.inputs, needs))
