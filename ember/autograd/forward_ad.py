"""Forward-mode automatic differentiation (PyTorch's `torch.autograd.forward_ad`).

    with fwAD.dual_level():
        y = f(fwAD.make_dual(x, v))
        jvp = fwAD.unpack_dual(y).tangent        # J(x) @ v

A dual tensor carries a tangent next to its value; every op applied to one computes the
output's tangent at once. ember has no separate forward formulas: an op's tangent is its
Jacobian applied to the input tangents, J t, and the op already knows how to apply J's
transpose (its `tbackward`, the differentiable backward that double backward uses). Since
g -> J^T g is linear, J t is the gradient with respect to g of <J^T g, t>: one small
backward pass through the op's own backward. That is a few times the cost of the op, where
PyTorch's hand-written forward formulas cost about one op; the values are the same.

How ops see dual tensors: a dual is a Tensor of class `_DualTensor` whose internal
`_requires_grad` is set, so every op takes its graph-building path into `Op.apply`
(no fast path skips it); while a level is open, `Op.apply` is replaced by `_fw_apply`,
which computes the tangent and drops the graph again unless a primal really requires grad.
The public `requires_grad` of a dual reports the real flag. Leaving the level turns every
dual back into a plain Tensor; PyTorch, too, supports one level at a time.
"""
import collections
import weakref

from ember._backend import xp
from ember._tensor import Tensor, _wrap
from ember.autograd import function as _function
from ember.autograd.grad_mode import _enabled

UnpackedDualTensor = collections.namedtuple("UnpackedDualTensor", ["primal", "tangent"])

_state = {"level": None}


class _Level:
    def __init__(self):
        # id(dual) -> [weakref, tangent, real requires_grad] for every dual of this level
        # (kept here, not on the tensor: view ops replace a tensor's _extra)
        self.duals = {}
        self.busy = False  # computing a tangent: ops inside are plain
        self.apply = None  # Op.apply as it was before the level


class _DualTensor(Tensor):
    """A tensor with a tangent at the open level (see the module docstring)."""

    __slots__ = ()

    @property
    def requires_grad(self):
        entry = _entry(self)
        return self._requires_grad if entry is None else entry[2]

    @requires_grad.setter
    def requires_grad(self, value):
        entry = _entry(self)
        if entry is not None and self.grad_fn is None:
            entry[2] = bool(value)
        else:
            Tensor.requires_grad.fset(self, value)


def _entry(t):
    """t's [weakref, tangent, real requires_grad] at the open level, or None."""
    level = _state["level"]
    if level is None:
        return None
    entry = level.duals.get(id(t))
    return entry if entry is not None and entry[0]() is t else None


def enter_dual_level():
    """Open the (single) forward AD level; returns its index, 0."""
    if _state["level"] is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    level = _Level()
    level.apply = _function.Op.__dict__["apply"]
    _function.Op.apply = classmethod(_fw_apply)
    _function._fw_hook[0] = _function_apply
    _inplace_hook()[0] = _inplace
    _state["level"] = level
    return 0


def exit_dual_level(*, level=None):
    """Close the level: every dual tensor made in it becomes a plain tensor again."""
    current = _state["level"]
    if current is None:
        raise RuntimeError("Trying to exit a forward AD level that was not entered")
    _function.Op.apply = current.apply
    from ember._backend import meta

    meta.rewatch()  # a meta wrapper installed during the level went with it
    _function._fw_hook[0] = None
    _inplace_hook()[0] = None
    _state["level"] = None
    for ref, _, real_rg in current.duals.values():
        t = ref()
        if t is not None and type(t) is _DualTensor:
            t._requires_grad = real_rg or t.grad_fn is not None
            t.__class__ = Tensor


def _inplace_hook():
    from ember._ops.inplace import fw_inplace

    return fw_inplace


def _inplace(self, args, compute, write):
    """An elementwise in-place op (add_, mul_, ...) involving a dual tensor: the value is
    written as usual and `self` takes the result's tangent. None when no dual is involved."""
    if type(self) is not _DualTensor and not any(type(a) is _DualTensor for a in args):
        return None
    if self.grad_fn is None and self.requires_grad:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    result = compute()
    write(result)
    return take_tangent(self, result)


def take_tangent(self, result):
    """After an in-place op wrote `result` into `self`: self's tangent becomes result's."""
    level = _state["level"]
    tangent = _tangent(result)
    if tangent is None:
        tangent = _wrap(xp.zeros_like(self._data))
    entry = _entry(self)
    if entry is None:
        return _to_dual(level, self, tangent, result.requires_grad)
    entry[2] = entry[2] or result.requires_grad
    old = entry[1]
    if old._data.shape == tangent._data.shape and old._data.dtype == tangent._data.dtype:
        old._data[...] = tangent._data  # in place, as PyTorch: make_dual's tangent changes too
        old._bump()
    else:
        _to_dual(level, self, tangent, entry[2])
    return self


class dual_level:
    """Context manager for a forward AD level: duals made inside lose their tangents on exit."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()


def _is_float(t):
    return t._data.dtype.kind in "fc"


def make_dual(tensor, tangent, *, level=None):
    """A tensor with `tensor`'s value (shared) and `tangent` as its forward gradient."""
    current = _state["level"]
    if current is None:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    if not _is_float(tensor):
        raise ValueError(f"Expected primal to be floating point or complex, but got: "
                         f"{tensor.dtype}")
    if not _is_float(tangent):
        raise ValueError(f"Expected tangent to be floating point or complex, but got: "
                         f"{tangent.dtype}")
    if tangent._data.shape != tensor._data.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {list(tensor.shape)} "
            f"while the given forward gradient is of size {list(tangent.shape)}.")
    if tangent._data.strides != tensor._data.strides:
        # NOTE: PyTorch gives the tangent the primal's layout, copying when they differ
        data = xp.empty_like(tensor._data)
        data[...] = tangent._data
        tangent = _wrap(data)
    real_rg = _enabled[0] and tensor.requires_grad
    dual = tensor.view_as(tensor) if real_rg else _wrap(tensor._data)
    return _to_dual(current, dual, tangent, real_rg)


def _to_dual(level, t, tangent, real_rg):
    t._requires_grad = True
    t.__class__ = _DualTensor
    level.duals[id(t)] = [weakref.ref(t), _plain(tangent), real_rg]
    return t


def _plain(t):
    """A tangent as a plain tensor without history of its own."""
    return t if type(t) is Tensor and not t._requires_grad else _wrap(t._data)


def _tangent(t):
    """The tangent of `t` at the open level, or None."""
    if type(t) is not _DualTensor:
        return None
    entry = _entry(t)
    return None if entry is None else entry[1]


def unpack_dual(tensor, *, level=None):
    """(primal, tangent) of a dual tensor; (tensor, None) for any other."""
    tangent = _tangent(tensor)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    if tensor.requires_grad:
        primal = Tensor.view_as(tensor, tensor)
        primal.__class__ = Tensor
    else:
        primal = _wrap(tensor._data)
    return UnpackedDualTensor(primal, tangent)


def _fw_apply(cls, *args, **params):
    """Op.apply while a level is open: the op, plus its output's tangent when an input is
    a dual tensor."""
    level = _state["level"]
    apply = level.apply.__func__
    if level.busy or not any(type(a) is _DualTensor for a in args):
        return apply(cls, *args, **params)
    grad_on = _enabled[0]
    real_rg = grad_on and any(isinstance(a, Tensor) and a.requires_grad for a in args)
    _enabled[0] = True  # the node is needed for the tangent, even under no_grad
    try:
        out = apply(cls, *args, **params)
    finally:
        _enabled[0] = grad_on
    node = out.grad_fn
    if node is None or not _is_float(out):
        return out
    tangent = _tangent_through(level, node, args, out)
    if real_rg:  # keep the graph, but only towards what really requires grad
        node._next = tuple(None if type(a) is _DualTensor and not a.requires_grad else e
                           for a, e in zip(args, node._next))
    else:
        out.grad_fn = None
    return _to_dual(level, out, tangent, real_rg)


def _tangent_through(level, node, args, out):
    """J t for one op: the gradient in g of sum_i <tbackward(g)_i, t_i>."""
    from ember.autograd.engine import grad

    tb = getattr(node, "tbackward", None)
    if tb is None:
        raise NotImplementedError(
            f"Trying to use forward AD with {node.name().removesuffix('Backward0')} "
            "that does not support it because it has not been implemented yet.")
    g = _wrap(xp.zeros_like(out._data))
    g._requires_grad = True
    level.busy = True
    grad_on = _enabled[0]
    _enabled[0] = True
    try:
        grads = tb(g)
        grads = grads if isinstance(grads, tuple) else (grads,)
        total = None
        for a, gi in zip(args, grads):
            t = _tangent(a)
            if t is None or gi is None:
                continue
            term = (gi * t).sum()
            total = term if total is None else total + term
        if total is None or not total._requires_grad:
            return _wrap(xp.zeros_like(out._data))
        # (retain: the walk may pass through the op's own node, which backward still needs)
        (jt,) = grad(total, g, retain_graph=True, allow_unused=True)
    finally:
        level.busy = False
        _enabled[0] = grad_on
    return _wrap(xp.zeros_like(out._data)) if jt is None else _wrap(jt._data)


def _function_apply(cls, args, kwargs):
    """A user-defined Function applied to dual tensors: its forward on the primals, its
    `jvp` for the tangents (PyTorch's contract). NotImplemented when no input is dual."""
    level = _state["level"]
    if level.busy or not any(type(a) is _DualTensor for a in args):
        return NotImplemented
    if cls.jvp is _function.Function.jvp:
        raise NotImplementedError("You must implement the jvp function for custom "
                                  "autograd.Function to use it with forward mode AD.")
    primals = [unpack_dual(a).primal if type(a) is _DualTensor else a for a in args]
    level.busy = True
    try:
        ctx, out = _function.apply_function(cls, primals, kwargs)
        tangents = [None if not isinstance(a, Tensor)
                    else _tangent(a) if type(a) is _DualTensor
                    else _wrap(xp.zeros_like(a._data)) for a in args]
        out_tangents = cls.jvp(ctx, *tangents)
    finally:
        level.busy = False
    outs = out if isinstance(out, tuple) else (out,)
    out_tangents = out_tangents if isinstance(out_tangents, tuple) else (out_tangents,)
    for o, t in zip(outs, out_tangents):
        if isinstance(o, Tensor) and t is not None and _is_float(o):
            _to_dual(level, o, t, o.requires_grad)
    return out


__all__ = ["dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual",
           "UnpackedDualTensor"]
