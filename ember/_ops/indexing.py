"""Indexing: `t[key]`, `t[key] = v` and the ops behind them (Index, IndexPut, Select).

Basic keys (ints, slices, None, Ellipsis) give views sharing the version counter with the
base; advanced keys (int/bool tensors, lists, arrays) copy. Both backwards scatter the
gradient into zeros (`add.at` where indices may repeat). The gather/scatter family lives in
scatter_gather.py, the masked_* ops in masked.py, slicing views in slicing.py, sort/topk/unique
and counting in sorting.py.
"""

from ember._ops._helpers import Tensor, _wrap, bind, public_functions, unbroadcast, xp
from ember._ops.slicing import Slice
from ember._tensor import _make_view
from ember.autograd._views import check_view_leaf, protect_saved, rebase_history
from ember.autograd.function import Op
from ember.autograd.grad_mode import _enabled

_ndarray = xp.ndarray
_int64 = xp.dtype("int64")


# -- the ops ---------------------------------------------------------------------------------
class Select(Slice):
    _bw_name = "SelectBackward0"


# NOTE: PyTorch applies a basic key entry by entry, so `x[key]`'s grad_fn is named after the
# last entry that does anything: x[0, 1] is a select, x[0, None] an unsqueeze, x[:, :] an alias
class UnsqueezeView(Slice):
    _bw_name = "UnsqueezeBackward0"


class AliasView(Slice):
    _bw_name = "AliasBackward0"


def _view_op(key, shape):
    """The op (named as PyTorch's grad_fn) for basic tuple `key` on a tensor of `shape`."""
    n = len(shape)
    nd = sum(1 for e in key if e is not None and e is not Ellipsis)
    dims = []  # the dim each entry indexes (None for None / Ellipsis)
    d = 0
    for e in key:
        if e is Ellipsis:
            d = n - nd + sum(1 for x in dims if x is not None)
            dims.append(None)
        elif e is None:
            dims.append(None)
        else:
            dims.append(d)
            d += 1
    for e, d in zip(reversed(key), reversed(dims)):
        if e is Ellipsis:
            continue
        if e is None:
            return UnsqueezeView
        if type(e) is not slice:
            return Select
        if e.start not in (None, 0) or e.step not in (None, 1) or not (
                e.stop is None or (d is not None and d < n and e.stop >= shape[d])):
            return Slice
    return AliasView


class Index(Op):
    """`x[key]` for an advanced key; `unique=True` when the key never repeats a position."""

    def forward(ctx, x, key=None, unique=False):
        ctx.shape, ctx.dtype, ctx.key, ctx.unique = x.shape, x.dtype, key, unique
        return x[key]

    def backward(ctx, g):
        out = xp.zeros(ctx.shape, ctx.dtype)
        key = ctx.key
        if ctx.unique:
            out[key] = g
        elif type(key) is _ndarray and key.ndim == 1 and key.dtype.kind in "iu":
            _add_rows(out, key, g)
        else:
            xp.add.at(out, key, g)
        return out

    def tbackward(ctx, g):
        return IndexGrad.apply(g, key=ctx.key, shape=ctx.shape)


def _add_rows(out, idx, g):
    """out[idx] += g for a 1-D index into dim 0 of zeros `out`.

    NOTE: `add.at` is slow on rows (about 20x a plain assignment), so rows seen once are
    assigned and only the repeats go through `add.at`."""
    if idx.size < 2:
        out[idx] = g
        return
    order = xp.argsort(idx, kind="stable")
    si = idx[order]
    if si[0] < 0:  # -1 and n-1 are the same row
        idx = xp.where(idx < 0, idx + out.shape[0], idx)
        order = xp.argsort(idx, kind="stable")
        si = idx[order]
    dup = si[1:] == si[:-1]
    if not dup.any():
        out[idx] = g
        return
    first = order[xp.concatenate(([True], ~dup))]
    rest = order[1:][dup]
    out[idx[first]] = g[first]
    xp.add.at(out, idx[rest], g[rest])


class IndexGrad(Op):
    """The backward of Index as an op (zeros, then `g` added at `key`), for create_graph."""

    def forward(ctx, g, key=None, shape=None):
        ctx.key = key
        out = xp.zeros(shape, g.dtype)
        xp.add.at(out, key, g)
        return out

    def backward(ctx, g):
        return g[ctx.key]

    def tbackward(ctx, g):
        return Index.apply(g, key=ctx.key)


class IndexPut(Op):
    """`x[key] = v` written into x's own buffer (PyTorch's CopySlices)."""

    _bw_name = "CopySlices"

    def forward(ctx, x, v, key=None):
        ctx.key, ctx.vshape = key, v.shape
        x[key] = v
        return x

    def backward(ctx, g):
        gx = gv = None
        if ctx.needs_input_grad[1]:
            gv = g[ctx.key]
            short = len(ctx.vshape) - gv.ndim
            if short > 0:
                gv = gv.reshape((1,) * short + gv.shape)
            gv = unbroadcast(gv, ctx.vshape)
        if ctx.needs_input_grad[0]:
            gx = g.copy()
            gx[ctx.key] = 0
        return gx, gv

    def tbackward(ctx, g):
        gx = gv = None
        if ctx.needs_input_grad[1]:
            gv = Index.apply(g, key=ctx.key)
            short = len(ctx.vshape) - gv.ndim
            if short > 0:
                gv = gv.reshape((1,) * short + tuple(gv.shape))
            gv = gv.sum_to_size(ctx.vshape)
        if ctx.needs_input_grad[0]:
            gx = IndexPut.apply(g.clone(), xp.zeros((), g._data.dtype), key=ctx.key)
        return gx, gv


# -- key conversion --------------------------------------------------------------------------
def _bad_step(step):
    if step == 0:
        return ValueError("slice step cannot be zero")
    return ValueError("step must be greater than zero")


def _index_array(k):
    """An advanced index entry as an array, with PyTorch's dtype rules."""
    a = k._data if isinstance(k, Tensor) else xp.asarray(
        [x._data if isinstance(x, Tensor) else x for x in k] if type(k) is list and k and
        isinstance(k[0], Tensor) else k)
    kind = a.dtype.kind
    if kind == "i" or kind == "b":
        return a
    if a.dtype == xp.uint8:
        return a.astype(bool)
    if kind == "u":
        return a.astype(xp.int64)
    if a.size == 0 and kind == "f" and not isinstance(k, Tensor):  # x[[]]: an empty long
        return a.astype(xp.int64)
    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")


def _convert(key):
    """Translate a PyTorch key to a NumPy key; returns (key, is_basic)."""
    if type(key) is not tuple:
        # NOTE: like PyTorch (and old NumPy), a short list holding tensors, sequences, slices,
        # None or Ellipsis means a tuple of indices: x[[rows, cols]] == x[rows, cols]
        if type(key) is list and len(key) < 32 and any(
                isinstance(e, (Tensor, list, tuple, slice, _ndarray)) or e is None
                or e is Ellipsis for e in key):
            key = tuple(key)
        else:
            key = (key,)
    out = []
    basic = True
    for k in key:
        tk = type(k)
        if tk is int or k is None or k is Ellipsis:
            out.append(k)
        elif tk is slice:
            if k.step is not None and k.step <= 0:
                raise _bad_step(k.step)
            out.append(k)
        elif isinstance(k, Tensor) and k._data.ndim == 0 and k._data.dtype.kind in "iu":
            out.append(int(k._data))
        elif isinstance(k, (Tensor, list, tuple, _ndarray, range)) or tk is bool:
            out.append(_index_array(k) if tk is not bool else k)
            basic = False
        elif hasattr(k, "__index__"):
            out.append(k.__index__())
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             "byte Variables are valid indices (got "
                             f"{type(k).__name__})")
    return tuple(out), basic


def _index_error(e, ndim, shape=None, key=None):
    msg = str(e)
    if msg.startswith("too many indices"):
        return IndexError(f"too many indices for tensor of dimension {ndim}")
    if msg.startswith("boolean index did not match") and key is not None:
        mask_error = _mask_error(shape, key)
        if mask_error is not None:
            return mask_error
    return IndexError(msg.replace("for axis", "for dimension"))


def _mask_error(shape, key):
    """PyTorch's words for a bool mask whose shape does not fit the dims it indexes: the
    mask's and the tensor's whole shapes, and the first dim that differs."""
    dim = 0
    for entry in key:
        if type(entry) is _ndarray and entry.dtype.kind == "b":
            for i, size in enumerate(entry.shape):
                if dim + i >= len(shape) or shape[dim + i] != size:
                    return IndexError(
                        f"The shape of the mask {list(entry.shape)} at index {i} does not "
                        f"match the shape of the indexed tensor {list(shape)} at index "
                        f"{dim + i}")
            dim += entry.ndim
        elif entry is Ellipsis:
            return None  # (the dims it covers depend on the rest of the key)
        elif entry is not None:
            dim += 1
    return None


# -- __getitem__ / __setitem__ ---------------------------------------------------------------
def _getitem(self, key):
    tk = type(key)
    # NOTE: the three hot shapes of key (a batch of indices, a slice, an int) come first
    if tk is Tensor and key._data.dtype == _int64 and key._data.ndim:
        try:
            if _enabled[0] and self._requires_grad:
                return Index.apply(self, key=key._data)
            return _wrap(self._data[key._data])
        except IndexError as e:
            raise _index_error(e, self._data.ndim) from None
    if tk is slice or tk is int:
        if tk is slice and key.step is not None and key.step <= 0:
            raise _bad_step(key.step)
        if _enabled[0] and self._requires_grad:
            out = (Select if tk is int else Slice).apply(self, key=key)
        else:
            try:
                out = _wrap(self._data[key])
            except IndexError as e:
                raise _index_error(e, self._data.ndim) from None
        return _make_view(out, self)
    k, basic = _convert(key)
    if basic:
        if not (_enabled[0] and self._requires_grad):
            try:
                out = _wrap(self._data[k])
            except IndexError as e:
                raise _index_error(e, self._data.ndim) from None
        else:
            out = _view_op(k, self._data.shape).apply(self, key=k)
        return _make_view(out, self)
    if any(type(e) is int for e in k):
        # NOTE: PyTorch selects ints first (basic), NumPy would treat them as advanced and
        # move dims when a slice separates them from the arrays: index in two steps
        k1, k2 = _split_ints(k)
        return _getitem(_getitem(self, k1), k2)
    try:
        if _enabled[0] and self._requires_grad:
            if len(k) == 1 and type(k[0]) is _ndarray and k[0].ndim == 1 and \
                    k[0].dtype.kind != "b":
                return Index.apply(self, key=k[0])  # the row-scatter fast path in backward
            # bool masks and slices never select a position twice: assign in backward
            unique = not any(type(i) is _ndarray and i.dtype.kind != "b" for i in k)
            return Index.apply(self, key=k, unique=unique)
        return _wrap(self._data[k])
    except IndexError as e:
        raise _index_error(e, self._data.ndim, self._data.shape, k) from None


def _split_ints(k):
    """Split a mixed key into (basic part with the ints, the rest for the selected view)."""
    k1, k2 = [], []
    for e in k:
        if type(e) is int:
            k1.append(e)
        elif e is None:
            k1.append(None)
            k2.append(slice(None))
        elif e is Ellipsis:
            k1.append(e)
            k2.append(e)
        elif type(e) is slice:
            k1.append(e)
            k2.append(slice(None))
        elif type(e) is bool:  # consumes no dim
            k2.append(e)
        else:  # an index array (a bool mask spans its ndim dims)
            k1.extend([slice(None)] * (e.ndim if e.dtype.kind == "b" else 1))
            k2.append(e)
    return tuple(k1), tuple(k2)


def _broadcast_error(target, value):
    for i in range(1, min(len(target), len(value)) + 1):
        if value[-i] != 1 and value[-i] != target[-i]:
            d = len(value) - i
            return RuntimeError(
                f"The expanded size of the tensor ({target[-i]}) must match the existing size "
                f"({value[-i]}) at non-singleton dimension {d}.  Target sizes: {list(target)}.  "
                f"Tensor sizes: {list(value)}")
    return RuntimeError(f"shape mismatch: value tensor of shape {list(value)} cannot be "
                        f"broadcast to indexing result of shape {list(target)}")


def _setitem(self, key, value):
    if type(key) is int and not isinstance(value, Tensor):  # hot: x[i] = scalar
        k = key
    else:
        k, basic = _convert(key)
        if not basic and any(type(e) is int for e in k):  # ints first, as in _getitem
            k1, k2 = _split_ints(k)
            return _setitem(_getitem(self, k1), k2, value)
    is_t = isinstance(value, Tensor)
    if _enabled[0] and (self._requires_grad or (is_t and value._requires_grad)):
        if self.grad_fn is None and self.requires_grad:  # (the property: dual tensors)
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
        check_view_leaf(self)
        if is_t:
            from ember._ops._helpers import cast

            v = cast(value, self.dtype)
        else:
            v = xp.asarray(value, dtype=self._data.dtype)
        try:
            out = IndexPut.apply(self, v, key=k)
        except ValueError:
            raise _broadcast_error(self._data[k].shape, xp.shape(v._data if is_t else v)
                                   ) from None
        except IndexError as e:
            raise _index_error(e, self._data.ndim) from None
        self._bump()
        rebase_history(self, out.grad_fn)
        if out.__class__ is not Tensor:  # a dual tensor: self takes its tangent
            from ember.autograd.forward_ad import take_tangent

            take_tangent(self, out)
        return
    if is_t:
        value = value._data
    try:
        self._data[k] = value
    except ValueError:
        if isinstance(value, (int, float, bool, complex)):
            raise
        raise _broadcast_error(self._data[k].shape, xp.shape(value)) from None
    except IndexError as e:
        raise _index_error(e, self._data.ndim) from None
    self._bump()


# -- in-place helpers (shared by the op families) -------------------------------------------
def _check_inplace(self, what=""):
    if self.grad_fn is None and self._requires_grad:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           f"operation{what}.")


def _make_inplace(fn, name):
    """`t.op_(...)`: compute `op` out of place, write it into t, and take over its history."""

    def inplace(self, *args, **kwargs):
        grad = _enabled[0] and (self._requires_grad or any(
            isinstance(a, Tensor) and a._requires_grad for a in args))
        if grad:
            _check_inplace(self)
            check_view_leaf(self)
        r = fn(self, *args, **kwargs)
        if r._data.shape != self._data.shape:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the "
                               f"broadcast shape {list(r._data.shape)}")
        if grad:
            protect_saved(r.grad_fn, self)
        self._data[...] = r._data
        self._bump()
        if grad:
            rebase_history(self, r.grad_fn)
        return self

    inplace.__name__ = name
    return inplace


bind({"__getitem__": _getitem, "__setitem__": _setitem})

__all__ = public_functions(globals())
