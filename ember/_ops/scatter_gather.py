"""The gather/scatter family: gather, scatter(_add/_reduce), index_select/add/fill/copy,
index_put/put, take/take_along_dim, index_reduce (the masked_* ops are in masked.py).

Out-of-place ops on coordinates; their in-place `_` variants (through `_make_inplace`) write
the result back and take over its history. Backwards scatter or gather the gradient at the
same coordinates.
"""
from ember._ops._helpers import Tensor, _wrap, bind, public_functions, unbroadcast, xp
from ember._ops.indexing import (
    Index,
    IndexGrad,
    _broadcast_error,
    _convert,
    _index_error,
    _make_inplace,
)
from ember._ops.slicing import Slice
from ember._tensor import _wrap_dim
from ember.autograd.function import Op

_int64 = xp.dtype("int64")


# -- the ops ---------------------------------------------------------------------------------
class Gather(Op):
    """out[i][j][k] = x[i][idx[i][j][k]][k] along `axis` (idx may be smaller than x)."""

    def forward(ctx, x, idx=None, axis=0):
        ctx.shape, ctx.key = x.shape, _coords(idx, axis)
        ctx.unique = idx.shape[axis] == 1  # one pick per line: positions never repeat
        return x[ctx.key]  # NOTE: plain fancy indexing; take_along_axis is ~3x slower

    def backward(ctx, g):
        out = xp.zeros(ctx.shape, g.dtype)
        if ctx.unique:
            out[ctx.key] = g
        else:
            xp.add.at(out, ctx.key, g)
        return out

    def tbackward(ctx, g):
        return IndexGrad.apply(g, key=ctx.key, shape=ctx.shape)


class TakeAlongDim(Index):
    pass


class Take(Index):
    pass


class Scatter(Op):
    """Out-of-place scatter of `src` (or a value) at coordinates; `reduce` in (None, 'add')."""

    def forward(ctx, x, src, coords=None, reduce=None):
        ctx.coords, ctx.reduce, ctx.src_shape = coords, reduce, xp.shape(src)
        out = x.copy()
        if reduce is None:
            out[coords] = src
        elif reduce == "add":
            xp.add.at(out, coords, src)
        else:
            xp.multiply.at(out, coords, src)
        return out

    def backward(ctx, g):
        if ctx.reduce == "multiply":
            raise RuntimeError("scatter(): backward with reduce='multiply' is not implemented")
        gx = gs = None
        if ctx.needs_input_grad[0]:
            gx = g
            if ctx.reduce is None:
                gx = g.copy()
                gx[ctx.coords] = 0
        if ctx.needs_input_grad[1]:
            gs = unbroadcast(g[ctx.coords], ctx.src_shape)
        return gx, gs

    def tbackward(ctx, g):
        if ctx.reduce == "multiply":
            raise RuntimeError("scatter(): backward with reduce='multiply' is not implemented")
        gx = gs = None
        if ctx.needs_input_grad[0]:
            gx = g
            if ctx.reduce is None:
                keep = xp.ones(tuple(g.shape), dtype=g._data.dtype)
                keep[ctx.coords] = 0
                gx = g * _wrap(keep)
        if ctx.needs_input_grad[1]:
            gs = Index.apply(g, key=ctx.coords)
            if tuple(gs.shape) != tuple(ctx.src_shape):
                gs = gs.sum_to_size(*ctx.src_shape)
        return gx, gs


class ScatterAdd(Scatter):
    pass


class ScatterReduce(Op):
    """scatter_reduce: sum/prod/mean/amax/amin of src values into a copy of x."""

    _UFUNC = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum",
              "amin": "minimum"}

    def forward(ctx, x, src, coords=None, reduce="sum", include_self=True):
        ctx.coords, ctx.reduce, ctx.include_self = coords, reduce, include_self
        out = x.copy()
        if not include_self:
            out[coords] = _identity(reduce, x.dtype)
        getattr(xp, ScatterReduce._UFUNC[reduce]).at(out, coords, src)
        if reduce == "mean":
            cnt = xp.zeros(x.shape, x.dtype if x.dtype.kind == "f" else xp.int64)
            xp.add.at(cnt, coords, 1)
            if include_self:
                cnt += 1
            else:
                cnt[cnt == 0] = 1
            ctx.cnt = cnt
            out = out / cnt if x.dtype.kind == "f" else out // cnt
        ctx.save_for_backward(x, src, out)
        return out

    def backward(ctx, g):
        x, src, out = ctx.saved
        c, r = ctx.coords, ctx.reduce
        hit = xp.zeros(x.shape, bool)
        hit[c] = True
        if r == "sum":
            gx, gs = g, g[c]
        elif r == "mean":
            gx, gs = g / ctx.cnt, (g / ctx.cnt)[c]
        elif r in ("amax", "amin"):
            # NOTE: ties (in self and src) share the gradient equally, as in PyTorch
            sel_x = (x == out) & (ctx.include_self | ~hit)
            sel_s = src == out[c]
            n = sel_x.astype(g.dtype)
            xp.add.at(n, c, sel_s)
            gx = xp.where(sel_x, g / xp.maximum(n, 1), 0)
            gs = xp.where(sel_s, (g / xp.maximum(n, 1))[c], 0)
        else:
            gx, gs = _prod_grads(g, x, src, c, ctx.include_self, hit)
        if not ctx.include_self and r != "amax" and r != "amin":
            gx = xp.where(hit, 0, gx)
        return (gx if ctx.needs_input_grad[0] else None,
                gs if ctx.needs_input_grad[1] else None)


def _prod_grads(g, x, src, c, include_self, hit):
    """Gradients of a product reduction: for each factor, the product of the other factors
    of its group, computed without dividing by zero (one zero in a group: only that factor
    gets a gradient, the product of the rest; two or more: none)."""
    zeros = xp.zeros(x.shape, xp.int64)
    xp.add.at(zeros, c, src == 0)
    nonzero = xp.ones(x.shape, g.dtype)
    xp.multiply.at(nonzero, c, xp.where(src == 0, 1, src))
    if include_self:
        zeros += x == 0
        nonzero *= xp.where(x == 0, 1, x)

    def others(v, zc, pnz):  # product of the other factors of v's group
        safe = xp.where(v == 0, 1, v)
        return xp.where(v == 0, xp.where(zc == 1, pnz, 0), xp.where(zc == 0, pnz / safe, 0))

    gs = g[c] * others(src, zeros[c], nonzero[c])
    gx = g * others(x, zeros, nonzero) if include_self else g
    return gx, gs


def _identity(reduce, dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    big = xp.inf if dtype.kind == "f" else xp.iinfo(dtype).max
    return -big if reduce == "amax" else big


# -- gather / scatter family -----------------------------------------------------------------
def _check_index(index, op, allow_int32=True, exc=RuntimeError, msg=None):
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    k = index._data.dtype
    if k != _int64 and not (allow_int32 and k == xp.int32):
        raise exc(msg or f"{op}(): Expected dtype int64 for index")
    return index._data


def _bounds(idx, size, d, exc=RuntimeError):
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= size:
            bad = lo if lo < 0 else hi
            raise exc(f"index {bad} is out of bounds for dimension {d} with size {size}")


def _coords(index, axis):
    """Full coordinate tuple selecting, at each position of `index`, entry index along axis."""
    nd = index.ndim
    c = []
    for k, n in enumerate(index.shape):
        if k == axis:
            c.append(index)
        else:
            shape = [1] * nd
            shape[k] = n
            c.append(xp.arange(n).reshape(shape))
    return tuple(c)


def _vector_index(idx, src):
    """A 0-d index into a vector means one position (PyTorch treats 0-d as size-1 here);
    a 0-d src tensor goes along as a one-element vector."""
    if isinstance(src, Tensor) and src._data.ndim == 0:
        src = src.reshape(1)
    return idx.reshape(1), src


def _check_scatter_shapes(op, x, idx, d, src=None):
    if idx.ndim != x.ndim and not (idx.ndim <= 1 and x.ndim <= 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as "
                           f"{'self' if src is None else 'input'} tensor")
    for k in range(idx.ndim):
        if k != d and idx.shape[k] > x.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index "
                               f"{list(idx.shape)} to be no larger than self "
                               f"{list(x.shape)} apart from dimension {d}")
        if src is not None and idx.shape[k] > src.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index "
                               f"{list(idx.shape)} to be no larger than src "
                               f"{list(src.shape)}")


def gather(input, dim, index, *, sparse_grad=False, out=None):
    """out[i][j][k] = input[i][index[i][j][k]][k] (for dim=1)."""
    idx = _check_index(index, "gather")
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    _check_scatter_shapes("gather", x, idx, d)
    if idx.ndim == 0 and x.ndim == 1:  # a 0-d index on a vector: one element, 0-d result
        r = gather(input, d, index.reshape(1)).reshape(())
        return r if out is None else _write(r, out)
    if x.ndim == 0:
        _bounds(idx, 1, d)
        r = Index.apply(input, key=())
        return r if idx.ndim == 0 else r.reshape(index.shape)
    if idx.size and idx.min() < 0:
        _bounds(idx, x.shape[d], d)
    try:
        r = Gather.apply(input, idx=idx, axis=d)
    except IndexError as e:
        raise RuntimeError(str(e).replace("for axis", "for dimension")) from None
    return r if out is None else _write(r, out)


def _write(r, out):
    from ember._ops._helpers import write_out

    return write_out(r, out)


def _src_array(src, idx, x):
    if isinstance(src, Tensor):
        a = src._data
        if a.ndim != idx.ndim and idx.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as src "
                               "tensor")
        if a.shape != idx.shape:
            a = a[tuple(slice(0, s) for s in idx.shape)]
        if a.dtype != x.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        return src, a
    return None, xp.asarray(src, dtype=x.dtype)


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """Write `src` (or `value`) into a copy of input at the positions given by index."""
    if src is None:
        src = value
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")
    idx = _check_index(index, "scatter")
    x = input._data
    if idx.ndim == 0 and x.ndim == 1:
        idx, src = _vector_index(idx, src)
    d = _wrap_dim(dim, x.ndim)
    _check_scatter_shapes("scatter", x, idx, d,
                          src._data if isinstance(src, Tensor) else None)
    _bounds(idx, x.shape[d] if x.ndim else 1, d)
    src_t, a = _src_array(src, idx, x)
    coords = _coords(idx, d) if x.ndim else ()
    if src_t is not None and a is not src_t._data:
        # src was cropped to index's shape: differentiate through the crop
        src_t = Slice.apply(src_t, key=tuple(slice(0, s) for s in idx.shape))
    return Scatter.apply(input, src_t if src_t is not None else a, coords=coords, reduce=reduce)


def scatter_add(input, dim, index, src):
    idx = _check_index(index, "scatter_add")
    x = input._data
    if idx.ndim == 0 and x.ndim == 1:
        idx, src = _vector_index(idx, src)
    d = _wrap_dim(dim, x.ndim)
    _check_scatter_shapes("scatter_add", x, idx, d, src._data)
    _bounds(idx, x.shape[d] if x.ndim else 1, d)
    src_t, a = _src_array(src, idx, x)
    if a is not src_t._data:
        src_t = Slice.apply(src_t, key=tuple(slice(0, s) for s in idx.shape))
    return ScatterAdd.apply(input, src_t, coords=_coords(idx, d) if x.ndim else (),
                            reduce="add")


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """Reduce (sum, prod, mean, amax, amin) src values into input at index along dim."""
    if reduce not in ScatterReduce._UFUNC:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    idx = _check_index(index, "scatter_reduce", allow_int32=False)
    x = input._data
    if idx.ndim == 0 and x.ndim == 1:
        idx, src = _vector_index(idx, src)
    d = _wrap_dim(dim, x.ndim)
    _check_scatter_shapes("scatter_reduce", x, idx, d, src._data)
    _bounds(idx, x.shape[d] if x.ndim else 1, d)
    src_t, a = _src_array(src, idx, x)
    if a is not src_t._data:
        src_t = Slice.apply(src_t, key=tuple(slice(0, s) for s in idx.shape))
    return ScatterReduce.apply(input, src_t, coords=_coords(idx, d) if x.ndim else (),
                               reduce=reduce, include_self=include_self)


def index_put(input, indices, values, accumulate=False):
    """out-of-place `input[indices] = values` (`+=` with accumulate=True)."""
    key, _ = _convert(tuple(indices))
    if not isinstance(values, Tensor):
        values = xp.asarray(values, dtype=input._data.dtype)
    elif values._data.dtype != input._data.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{input.dtype.name.capitalize()} for the destination and "
                           f"{values.dtype.name.capitalize()} for the source.")
    try:
        return Scatter.apply(input, values, coords=key, reduce="add" if accumulate else None)
    except IndexError as e:
        raise _index_error(e, input._data.ndim) from None
    except ValueError:
        v = values._data if isinstance(values, Tensor) else values
        raise _broadcast_error(input._data[key].shape, xp.shape(v)) from None


def put(input, index, source, accumulate=False):
    """Write source (flattened) into input treated as 1-D at `index` (out of place)."""
    from ember._ops.shape import reshape

    idx = _check_index(index, "put", False, msg="put_(): Expected a long tensor for index")
    n = input._data.size
    if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
        bad = int(idx.min()) if int(idx.min()) < -n else int(idx.max())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    if source._data.size != idx.size:
        raise RuntimeError(f"put_(): Expected source and index to have the same number of "
                           f"elements, but got source.numel() = {source._data.size}, "
                           f"index.numel() = {idx.size}")
    flat = index_put(reshape(input, (n,)), (_wrap(idx.reshape(-1)),),
                     reshape(source, (idx.size,)), accumulate)
    return reshape(flat, input._data.shape)


def index_select(input, dim, index, *, out=None):
    if not isinstance(index, Tensor):
        raise TypeError("index_select(): argument 'index' must be Tensor")
    idx = index._data
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if idx.dtype.kind not in "iu" or idx.dtype.itemsize < 4:
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    size = x.shape[d] if x.ndim else 1
    _bounds(idx, size, d, IndexError)
    if x.ndim == 0:
        r = Index.apply(input, key=xp.zeros(idx.shape, xp.intp) if idx.ndim else ())
        return r.reshape(idx.shape) if idx.ndim else r
    key = (slice(None),) * d + (idx.reshape(-1),)
    r = Index.apply(input, key=key)
    return r if out is None else _write(r, out)


def index_add(input, dim, index, source, *, alpha=1):
    idx = _check_index(index, "index_add")
    if idx.ndim > 1:
        raise IndexError("index_add_(): Index is supposed to be a vector")
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    _bounds(idx, x.shape[d] if x.ndim else 1, d, IndexError)
    src = source if alpha == 1 else source * alpha
    key = (slice(None),) * d + (idx.reshape(-1),) if x.ndim else ()
    expect = x.shape[:d] + (idx.size,) + x.shape[d + 1:] if x.ndim else ()
    if src._data.shape != expect and src._data.size != 0:
        raise RuntimeError(f"index_add_(): Source/destination tensor must have same slice "
                           f"shapes. Destination slice shape: {list(x.shape)} at dimension "
                           f"{d} and source slice shape: {list(src._data.shape)} at "
                           f"dimension {d}.")
    return ScatterAdd.apply(input, src, coords=key, reduce="add")


def index_fill(input, dim, index, value):
    idx = _check_index(index, "index_fill", False, IndexError,
                       "index_fill_(): Expected dtype int64 for index.")
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    _bounds(idx, x.shape[d] if x.ndim else 1, d, IndexError)
    key = (slice(None),) * d + (idx.reshape(-1),) if x.ndim else ()
    if isinstance(value, Tensor):
        return Scatter.apply(input, value.to(input.dtype) if value.dtype != input.dtype
                             else value, coords=key)
    return Scatter.apply(input, xp.asarray(value, dtype=x.dtype), coords=key)


def index_copy(input, dim, index, source):
    idx = _check_index(index, "index_copy")
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    _bounds(idx, x.shape[d] if x.ndim else 1, d, IndexError)
    key = (slice(None),) * d + (idx.reshape(-1),) if x.ndim else ()
    return Scatter.apply(input, source, coords=key)


def _dtype_name(t):
    names = {"int64": "long int", "int32": "int", "int16": "short int", "float32": "float",
             "float64": "double", "uint8": "unsigned char", "int8": "signed char"}
    return names.get(t.dtype.name, t.dtype.name)


def take(input, index):
    idx = _check_index(index, "take", False,
                       msg="take(): Expected a long tensor for index, but got "
                       f"{_dtype_name(index).split()[0].capitalize()}")
    n = input._data.size
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < -n or hi >= n:
            raise IndexError(f"out of range: tried to access index {lo if lo < -n else hi} on "
                             f"a tensor of {n} elements.")
    from ember._ops.shape import reshape

    return Take.apply(reshape(input, (n,)), key=idx)


def take_along_dim(input, indices, dim=None):
    idx = _check_index(indices, "take_along_dim", False,
                       msg="torch.take_along_dim(): dtype of indices should be Long but got "
                       f"{_dtype_name(indices).split()[0].capitalize()}")
    from ember._ops.shape import expand, reshape

    if dim is None:
        n = input._data.size
        return TakeAlongDim.apply(reshape(input, (n,)), key=idx.reshape(-1) % max(n, 1))
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    if idx.ndim != x.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {x.ndim} dimensions for input, and "
                           f"{idx.ndim} dimensions for indices")
    shape = list(xp.broadcast_shapes(x.shape[:d] + (1,) + x.shape[d + 1:],
                                     idx.shape[:d] + (1,) + idx.shape[d + 1:]))
    ishape, shape[d] = shape.copy(), x.shape[d]
    ishape[d] = idx.shape[d]
    if tuple(shape) != x.shape:
        input = expand(input, tuple(shape))
    idx = xp.broadcast_to(idx, tuple(ishape))
    _bounds(xp.where(idx < 0, idx + shape[d], idx), shape[d], d)
    return TakeAlongDim.apply(input, key=_coords(idx % max(shape[d], 1), d))


_INDEX_REDUCE = ("prod", "mean", "amax", "amin")


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """Reduce (prod, mean, amax, amin) the slices of `source` into `input` at the positions
    `index` along `dim` (scatter_reduce with the index spread over each slice)."""
    if reduce not in _INDEX_REDUCE:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    if not isinstance(index, Tensor):
        raise TypeError(f"index_reduce(): argument 'index' must be Tensor, not "
                        f"{type(index).__name__}")
    idx = index._data
    if idx.dtype.kind not in "iu" or idx.dtype.itemsize < 4:
        from ember._ops.inplace import _tname

        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: "
                           f"{_tname(index.dtype)}")
    if idx.ndim > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    x, src = input._data, source._data
    d = _wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        x_shape, s_shape = (1,), src.shape or (1,)
    else:
        x_shape, s_shape = x.shape, src.shape
    idx = idx.reshape(-1)
    if len(s_shape) != len(x_shape) or s_shape[:d] + s_shape[d + 1:] != \
            x_shape[:d] + x_shape[d + 1:] or s_shape[d] != idx.size:
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(x.shape)} "
                           f"source.shape = {list(src.shape)}")
    if idx.size and (int(idx.min()) < -x_shape[d] or int(idx.max()) >= x_shape[d]):
        raise IndexError("index out of range in self")
    if x.ndim == 0:
        return _index_reduce_0d(input, source, reduce, include_self)
    shape = [1] * x.ndim
    shape[d] = idx.size
    full = xp.broadcast_to((idx % x_shape[d]).reshape(shape), s_shape)
    return ScatterReduce.apply(input, source, coords=_coords(full, d), reduce=reduce,
                               include_self=include_self)


def _index_reduce_0d(input, source, reduce, include_self):
    from ember._ops.shape import reshape

    r = index_reduce(reshape(input, (1,)), 0, _wrap(xp.zeros(source._data.size, _int64)),
                     reshape(source, (source._data.size,)), reduce, include_self=include_self)
    return reshape(r, ())


bind({
    "index_reduce": index_reduce,
    "index_reduce_": _make_inplace(index_reduce, "index_reduce_"),
    "index_select": index_select,
    "gather": gather, "scatter": scatter, "scatter_add": scatter_add, "index_add": index_add,
    "index_fill": index_fill, "index_copy": index_copy, "take": take,
    "take_along_dim": take_along_dim,
    "scatter_": _make_inplace(scatter, "scatter_"),
    "scatter_add_": _make_inplace(scatter_add, "scatter_add_"),
    "index_add_": _make_inplace(index_add, "index_add_"),
    "index_fill_": _make_inplace(index_fill, "index_fill_"),
    "index_copy_": _make_inplace(index_copy, "index_copy_"),
    "scatter_reduce": scatter_reduce, "index_put": index_put,
    "put": put, "put_": _make_inplace(put, "put_"),
    "scatter_reduce_": _make_inplace(scatter_reduce, "scatter_reduce_"),
    "index_put_": _make_inplace(index_put, "index_put_"),
})

__all__ = public_functions(globals())
