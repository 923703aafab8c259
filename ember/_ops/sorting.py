"""Sorting and searching: sort/argsort/msort/topk/kthvalue, searchsorted/bucketize,
unique/unique_consecutive, nonzero/argwhere, and counting (bincount/histc).

Indices come back as int64 tensors without a gradient; sorted values carry one through
a gather at the sorted positions.
"""
import builtins
from collections import namedtuple

from ember import _dtype
from ember._ops._aliases import np_names
from ember._ops._helpers import Tensor, _wrap, bind, public_functions, xp
from ember._ops.indexing import Index, IndexGrad
from ember._ops.scatter_gather import _coords
from ember._tensor import _wrap_dim
from ember.autograd.function import Op
from ember.autograd.grad_mode import _enabled

_int64 = xp.dtype("int64")


# -- the ops ---------------------------------------------------------------------------------
class Sort(Op):
    """Sorted values (computed by the caller with xp.sort); backward puts g back in place."""

    def forward(ctx, x, values=None, idx=None, axis=-1):
        ctx.shape, ctx.idx, ctx.axis = x.shape, idx, axis
        return values

    def backward(ctx, g):
        out = xp.zeros(ctx.shape, g.dtype)
        out[_coords(ctx.idx, ctx.axis)] = g  # a permutation: positions never repeat
        return out

    def tbackward(ctx, g):
        return IndexGrad.apply(g, key=_coords(ctx.idx, ctx.axis), shape=ctx.shape)


class Topk(Index):
    pass


class Kthvalue(Index):
    pass


# -- nonzero / argwhere ---------------------------------------------------------------------
def nonzero(input, *, out=None, as_tuple=False):
    x = input._data
    if as_tuple:
        if x.ndim == 0:
            return (_wrap(xp.zeros(int(x != 0), _int64)),)
        return tuple(_wrap(a.astype(_int64, copy=False)) for a in xp.nonzero(x))
    return _wrap(xp.argwhere(x).astype(_int64, copy=False))


def argwhere(input):
    return nonzero(input)


# -- sorting -----------------------------------------------------------------------------------
def _return_type(name, fields):
    cls = namedtuple(name, fields)
    cls.__repr__ = lambda self: (f"ember.return_types.{name}(\n" + ",\n".join(
        f"{f}={v!r}" for f, v in zip(fields, self)) + ")")
    cls.__module__ = "ember.return_types"
    return cls


sort_result = _return_type("sort", ["values", "indices"])
topk_result = _return_type("topk", ["values", "indices"])
kthvalue_result = _return_type("kthvalue", ["values", "indices"])


def _argsort(x, axis, descending):
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable")
    # NOTE: stable descending order: sort the reversed array ascending, reverse the result
    n = x.shape[axis]
    r = xp.argsort(xp.flip(x, axis), axis=axis, kind="stable")
    return (n - 1) - xp.flip(r, axis)


def _values(input, idx, d, cls):
    if input._data.ndim == 0:
        return cls.apply(input, key=())
    return cls.apply(input, key=_coords(idx, d), unique=True)


def _sort_dim(input, dim):
    if input.dtype.category == _dtype.COMPLEX:
        raise RuntimeError("sort(): input tensor must be of non-complex type")
    n = input._data.ndim
    return _wrap_dim(dim, n)


def sort(input, dim=-1, descending=False, stable=False, *, out=None, axis=None):
    if axis is not None:  # NumPy name
        dim = np_names("sort", dim, False, axis, None, -1)[0]
    d = _sort_dim(input, dim)
    if input._data.ndim == 0:
        return sort_result(Index.apply(input, key=()), _wrap(xp.zeros((), _int64)))
    x = input._data
    idx = _argsort(x, d, descending).astype(_int64, copy=False)
    # NOTE: xp.sort is ~3x faster than gathering with idx, and gives the same values
    values = xp.sort(x, axis=d)
    if descending:
        values = xp.flip(values, d).copy()
    if _enabled[0] and input._requires_grad:
        return sort_result(Sort.apply(input, values=values, idx=idx, axis=d), _wrap(idx))
    return sort_result(_wrap(values), _wrap(idx))


def argsort(input, dim=-1, descending=False, stable=False, *, axis=None):
    if axis is not None:  # NumPy name
        dim = np_names("argsort", dim, False, axis, None, -1)[0]
    d = _sort_dim(input, dim)
    if input._data.ndim == 0:
        return _wrap(xp.zeros((), _int64))
    return _wrap(_argsort(input._data, d, descending).astype(_int64, copy=False))


def msort(input):
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None, axis=None):  # noqa: A002
    if axis is not None:  # NumPy name
        dim = np_names("topk", dim, False, axis, None, -1)[0]
    x = input._data
    d = _sort_dim(input, dim)
    size = x.shape[d] if x.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    if x.ndim == 0:
        return topk_result(_values(input, None, d, Topk), _wrap(xp.zeros((), _int64)))
    if 0 < k < size and size > 32:
        # NOTE: select the k winners in linear time, then sort only those
        part = xp.argpartition(x, size - k if largest else k - 1, axis=d)
        cand = xp.take(part, xp.arange(size - k, size) if largest else xp.arange(k), axis=d)
        idx = xp.take_along_axis(cand, _argsort(xp.take_along_axis(x, cand, d), d, largest), d)
    else:
        idx = xp.take(_argsort(x, d, largest), xp.arange(k), axis=d)
    idx = idx.astype(_int64, copy=False)
    return topk_result(_values(input, idx, d, Topk), _wrap(idx))


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None, axis=None, keepdims=None):
    if axis is not None or keepdims is not None:  # NumPy names
        dim, keepdim = np_names("kthvalue", dim, keepdim, axis, keepdims, -1)
    x = input._data
    d = _sort_dim(input, dim)
    size = x.shape[d] if x.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if x.ndim == 0:
        return kthvalue_result(_values(input, None, d, Kthvalue), _wrap(xp.zeros((), _int64)))
    idx = xp.take(xp.argsort(x, axis=d, kind="stable"), [k - 1], axis=d).astype(_int64)
    v = _values(input, idx, d, Kthvalue)
    if not keepdim:
        from ember._ops.shape import squeeze

        v, idx = squeeze(v, d), idx.squeeze(d)
    return kthvalue_result(v, _wrap(idx))


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None,
                 sorter=None, out=None):
    """Indices at which `values` would be inserted to keep the last dim sorted."""
    seq = sorted_sequence._data
    v = values._data if isinstance(values, Tensor) else xp.asarray(values)
    if side is not None:
        right = side == "right"
    how = "right" if right else "left"
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter._data, -1)
    if seq.ndim <= 1:
        r = xp.searchsorted(seq, v, side=how)
    else:
        if seq.shape[:-1] != v.shape[:-1]:
            raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or "
                               "the first N-1 dimensions of boundaries tensor and input value "
                               "tensor must match, but we got boundaries tensor "
                               f"{list(seq.shape)} and input value tensor {list(v.shape)}")
        flat_s = seq.reshape(-1, seq.shape[-1])
        flat_v = v.reshape(-1, v.shape[-1])
        r = xp.stack([xp.searchsorted(a, b, side=how) for a, b in zip(flat_s, flat_v)])
        r = r.reshape(v.shape)
    r = _wrap(xp.asarray(r, dtype=xp.int32 if out_int32 else _int64))
    if out is not None:
        from ember._ops._helpers import write_out

        return write_out(r, out)
    return r


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """Bucket index of each element of input given 1-D sorted `boundaries`."""
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


def unique(input, sorted=True, return_inverse=False, return_counts=False,  # noqa: A002
           dim=None):
    x = input._data
    res = xp.unique(x, return_inverse=return_inverse, return_counts=return_counts, axis=dim)
    if not (return_inverse or return_counts):
        return _wrap(res)
    res = list(res)
    out = [_wrap(res[0])]
    if return_inverse:
        inv = res[1].astype(_int64, copy=False)
        out.append(_wrap(inv.reshape(x.shape if dim is None else (x.shape[dim],))))
    if return_counts:
        out.append(_wrap(res[-1].astype(_int64, copy=False)))
    return tuple(out)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    if dim is not None:
        raise NotImplementedError("unique_consecutive with dim is not supported")
    x = input._data.reshape(-1)
    if x.size == 0:
        keep = xp.zeros(0, bool)
    else:
        keep = xp.concatenate([[True], x[1:] != x[:-1]])
    out = [_wrap(x[keep])]
    if return_inverse:
        out.append(_wrap((xp.cumsum(keep) - 1).astype(_int64).reshape(input._data.shape)))
    if return_counts:
        starts = xp.flatnonzero(keep)
        out.append(_wrap(xp.diff(xp.append(starts, x.size)).astype(_int64)))
    return out[0] if len(out) == 1 else tuple(out)


# -- counting: bincount / histc (no gradient, as in PyTorch) -----------------------------------
_C_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
            "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _c_name(a):
    """PyTorch's C++ name of an array's dtype, as its 'not implemented for' errors print it."""
    return _C_NAMES.get(_dtype.from_np(a.dtype).name, str(a.dtype))


def bincount(input, weights=None, minlength=0):
    """Occurrences of each value of a 1-D non-negative integer tensor (summed weights if given).

    Counts are int64; float32 weights give float32 sums, any other weights float64.
    """
    x = input._data
    if x.dtype.kind not in "iu":
        raise NotImplementedError(f'"bincount_cpu" not implemented for \'{_c_name(x)}\'')
    if x.ndim != 1 or (x.size and int(x.min()) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return _wrap(xp.bincount(x, minlength=minlength).astype(xp.int64))
    w = weights._data
    if w.shape != x.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    out_dtype = xp.float32 if w.dtype == xp.float32 else xp.float64
    return _wrap(xp.bincount(x, weights=w, minlength=minlength).astype(out_dtype))


def histc(input, bins=100, min=0, max=0, *, out=None):  # noqa: A002
    """Histogram of `bins` equal-width bins over [min, max] (the data's range when both are 0);
    values outside are ignored, a value equal to max falls in the last bin."""
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"histogram_cpu" not implemented for \'{_c_name(x)}\'')
    if bins <= 0:
        raise RuntimeError("torch.histc: bins must be > 0")
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    flat = x.reshape(-1)
    flat = flat[(flat >= lo) & (flat <= hi)]
    pos = ((flat - x.dtype.type(lo)) * x.dtype.type(bins) / x.dtype.type(hi - lo)).astype(xp.int64)
    pos[pos == bins] = bins - 1
    r = _wrap(xp.bincount(pos, minlength=bins).astype(x.dtype))
    if out is not None:
        from ember._ops._helpers import write_out

        return write_out(r, out)
    return r


_CPP_FLOAT = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16"}
histogram_result = _return_type("histogram", ["hist", "bin_edges"])


def _hist_edges(x, bins, range_):
    """The bin edges of histogram(): `bins` + 1 evenly spaced over `range_` (the data's range
    when None, widened by 0.5 each way when empty), computed as PyTorch's linspace computes."""
    from ember._ops.ranges import linspace

    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if range_ is not None:
        lo, hi = float(range_[0]), float(range_[1])
    elif x.size:
        lo, hi = float(x.min()), float(x.max())
    else:
        lo, hi = 0.0, 1.0
    if not (xp.isfinite(lo) and xp.isfinite(hi)):
        raise RuntimeError(f"torch.histogramdd: dimension 0's range [{lo:g}, {hi:g}] is not "
                           "finite")
    if lo > hi:
        raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {lo:g} "
                           f"max {hi:g} for dimension 0")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return linspace(lo, hi, bins + 1, dtype=_dtype.from_np(x.dtype))._data


def histogram(input, bins=100, *, range=None, weight=None, density=False, out=None):  # noqa: A002
    """Histogram of `input`'s values: (hist, bin_edges). `bins` is a count of equal-width bins
    over `range` (the data's min and max by default) or a 1-D tensor of increasing edges; a
    value equal to the last edge falls in the last bin, values outside are ignored. `density`
    divides by the total and the bin widths, so the histogram integrates to 1."""
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"histogramdd" not implemented for \'{_c_name(x)}\'')
    if isinstance(bins, Tensor):
        edges = bins._data
        if edges.dtype != x.dtype:
            raise RuntimeError(
                "torch.histogramdd: input tensor and bins tensors should have the same dtype, "
                f"but got input with dtype {_CPP_FLOAT.get(x.dtype.name, x.dtype.name)} and bins "
                f"for dimension 0 with dtype {_CPP_FLOAT.get(edges.dtype.name, edges.dtype.name)}")
        edges = edges.reshape(-1)
    else:
        edges = _hist_edges(x, int(bins), range)
    flat = x.reshape(-1)
    w = None
    if weight is not None:
        w = weight._data
        if w.dtype != x.dtype:
            raise RuntimeError(
                "torch.histogramdd: if weight tensor is provided, input tensor and weight "
                f"tensor should have the same dtype, but got input({_c_name(x).lower()}), and "
                f"weight({_c_name(w).lower()})")
        if w.shape != x.shape:
            raise RuntimeError(
                "torch.histogramdd: if weight tensor is provided it should have the same shape "
                "as the input tensor excluding its innermost dimension, but got input with "
                f"shape {list(x.shape) + [1]} and weight with shape {list(w.shape)}")
        w = w.reshape(-1)
    nbins = edges.shape[0] - 1
    if nbins > 0:
        keep = (flat >= edges[0]) & (flat <= edges[-1])
        flat = flat[keep]
        w = None if w is None else w[keep]
        # NOTE: the bin is found from the edges themselves (as PyTorch's local search does),
        # not from (x - lo) / width, which rounds values sitting on an edge either way
        pos = xp.searchsorted(edges, flat, side="right") - 1
        pos[pos >= nbins] = nbins - 1
        hist = xp.bincount(pos, weights=w, minlength=nbins).astype(x.dtype)
    else:
        hist = xp.zeros(0, dtype=x.dtype)
    if density:
        total = hist.sum()
        hist = hist / (total * xp.diff(edges)).astype(x.dtype)
    r = histogram_result(_wrap(hist.astype(x.dtype, copy=False)), _wrap(edges.copy()))
    if out is not None:
        from ember._ops._helpers import write_out

        write_out(r.hist, out[0])
        write_out(r.bin_edges, out[1])
        return histogram_result(out[0], out[1])
    return r


histogramdd_result = _return_type("histogramdd", ["hist", "bin_edges"])


def histogramdd(input, bins, *, range=None, weight=None, density=False):  # noqa: A002
    """Histogram of the points in the rows of `input` (..., D) over D dims: `bins` is an int,
    one int per dim, or one edges tensor per dim; `range` is (min0, max0, min1, max1, ...)."""
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"histogramdd" not implemented for \'{_c_name(x)}\'')
    if x.ndim < 1:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 1 dimension")
    n_dims = x.shape[-1]
    pts = x.reshape(-1, n_dims)
    if isinstance(bins, int):
        bins = [bins] * n_dims
    edges = []
    for d in builtins.range(n_dims):  # (`range` is the argument here)
        b = bins[d]
        if isinstance(b, Tensor):
            edges.append(b._data.astype(x.dtype))
            continue
        col = pts[:, d]
        if range is not None:
            lo, hi = float(range[2 * d]), float(range[2 * d + 1])
            if lo > hi:
                raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min "
                                   f"{lo:g} max {hi:g} for dimension {d}")
        elif col.size:
            lo, hi = float(col.min()), float(col.max())
        else:
            lo, hi = 0.0, 1.0
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges.append(xp.linspace(lo, hi, int(b) + 1).astype(x.dtype))
    w = None if weight is None else weight._data.reshape(-1)
    hist, _ = xp.histogramdd(pts, [e.astype(xp.float64) for e in edges], weights=w,
                             density=density)
    return histogramdd_result(_wrap(hist.astype(x.dtype)),
                              tuple(_wrap(e.copy()) for e in edges))


bind({
    "bincount": bincount, "histc": histc, "histogram": histogram,
    "nonzero": nonzero, "argwhere": argwhere, "sort": sort,
    "argsort": argsort, "msort": msort, "topk": topk, "kthvalue": kthvalue, "unique": unique,
    "unique_consecutive": unique_consecutive,
})

__all__ = public_functions(globals())
