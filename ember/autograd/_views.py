"""Autograd for in-place writes into views (PyTorch's CopySlices).

A view records its root base tensor. When an in-place op or an assignment writes into a view
while gradients are recorded, the base's history becomes: "the old base, with the view's
region replaced by the op's result". Its backward splits the incoming gradient in two: the
region goes to the op's node (and on to the view's old value and the op's other inputs),
the rest goes to the old base.
"""
from ember._backend import xp
from ember._tensor import _wrap
from ember.autograd.function import Node, leaf_node


def _geometry(view, base):
    """Element offset and byte strides of `view`'s region inside `base`'s array."""
    v, b = view._data, base._data
    if not b.flags.c_contiguous:
        raise RuntimeError("in-place write into a view of a non-contiguous tensor that takes "
                           "part in autograd is not supported in ember; call .contiguous() on "
                           "the base first")
    if 0 in v.strides and v.size > 1:
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.")
    start = v.__array_interface__["data"][0] - b.__array_interface__["data"][0]
    return start // b.itemsize, v.shape, v.strides


def _region(flat_like_base, geometry):
    offset, shape, strides = geometry
    return xp.lib.stride_tricks.as_strided(flat_like_base.reshape(-1)[offset:], shape, strides)


class CopySlices(Node):
    _bw_name = "CopySlices"

    def __init__(self, base_edge, op_node, geometry):
        self._next = (base_edge, op_node)
        self.geometry = geometry

    def backward(self, g):
        g_base = xp.array(g, copy=True, order="C")
        region = _region(g_base, self.geometry)
        g_region = region.copy()
        region[...] = 0
        return g_base, g_region


class AsStridedView(Node):
    """grad_fn of a view after the in-place write: its gradient lands in the base's region."""

    _bw_name = "AsStridedBackward0"

    def __init__(self, base_node, base_shape, base_dtype, geometry):
        self._next = (base_node,)
        self.base_shape, self.base_dtype, self.geometry = base_shape, base_dtype, geometry

    def backward(self, g):
        g_base = xp.zeros(self.base_shape, dtype=self.base_dtype)
        _region(g_base, self.geometry)[...] = g
        return (g_base,)


def _overwritten(t):
    """A stand-in for an input an in-place op overwrote: same shape and dtype (backward
    reads those), no memory, flagged so create_graph refuses to differentiate through it."""
    stand_in = _wrap(xp.broadcast_to(xp.zeros((), t._data.dtype), t._data.shape))
    stand_in._extra = {"overwritten": True}
    return stand_in


def view_base(t):
    extra = t._extra
    return extra.get("base") if extra else None


def rebase_history(view, op_node):
    """Called after an in-place op wrote into `view` with gradient recorded by `op_node`.

    For a plain tensor, the tensor simply takes over the op's history. For a view, the
    history is attached to its base (CopySlices) and the view becomes a view of that.
    """
    inputs = getattr(op_node, "inputs", None)
    if inputs is not None and any(a is view for a in inputs):
        # NOTE: the node must not refer back to the tensor that now refers to it (a cycle
        # only the GC frees, keeping activations alive); its old value is gone anyway.
        op_node.inputs = tuple(_overwritten(a) if a is view else a for a in inputs)
    base = view_base(view)
    if base is None:
        view.grad_fn = op_node
        view._requires_grad = True
        return
    if base.grad_fn is None and base._requires_grad:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    geometry = _geometry(view, base)
    base_edge = None
    if base._requires_grad:
        base_edge = base.grad_fn if base.grad_fn is not None else leaf_node(base)
    node = CopySlices(base_edge, op_node, geometry)
    base.grad_fn = node
    base._requires_grad = True
    view.grad_fn = AsStridedView(node, base._data.shape, base._data.dtype, geometry)
    view._requires_grad = True


def check_view_leaf(view):
    """PyTorch refuses in-place writes into views of leaves that require grad."""
    base = view_base(view)
    if base is not None and base.grad_fn is None and base._requires_grad:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")


def protect_saved(node, t):
    """Before an in-place op overwrites `t`, give the op's own node a private copy of any
    array of `t` it saved (its backward needs the old values, which are about to go)."""
    if node is None or not node.saved or isinstance(node.saved, tuple) and not node.saved:
        return
    data = t._data
    if any(s is data for s in node.saved):
        node.saved = tuple(s.copy() if s is data else s for s in node.saved)
        record = node._saved_versions
        if record is not None and record[1] is not None and record[1][0] is t._vc:
            node._saved_versions = (record[0], None)  # the private copy can't be overwritten
