"""Joining and copying shape ops: cat/stack and friends (hstack, vstack, atleast_*...),
repeat/tile/repeat_interleave, flip/roll/rot90 and meshgrid. Results are new arrays,
not views. Views (reshape, transpose...) live in shape.py, split/chunk in slicing.py.
"""
import warnings

from ember import _dtype
from ember._ops._helpers import Tensor, _wrap, bind, cast, public_functions, write_out, xp
from ember._ops.shape import _as_shape, expand, reshape, transpose
from ember._ops.slicing import split, unbind
from ember._tensor import _wrap_dim
from ember.autograd.function import Op
from ember.autograd.grad_mode import _enabled


# -- copies: repeat, tile, flip, roll ---------------------------------------------------------
class Repeat(Op):
    def forward(ctx, x, reps=None):
        ctx.in_shape = x.shape
        return xp.tile(x, reps)

    def backward(ctx, g):
        if g.size == 0 or 0 in ctx.in_shape:
            return xp.zeros(ctx.in_shape, g.dtype)
        # NOTE: output dim i is (repeat r_i, size s_i) flattened: fold it and sum the repeats
        folded = g.reshape(tuple(v for n, s in zip(g.shape, ctx.in_shape) for v in (n // s, s)))
        return folded.sum(axis=tuple(range(0, folded.ndim, 2))).reshape(ctx.in_shape)

    def tbackward(ctx, g):
        if g.numel() == 0 or 0 in ctx.in_shape:
            from ember._ops.creation import zeros

            return zeros(ctx.in_shape, dtype=g.dtype)
        folded = reshape(g, tuple(v for n, s in zip(g.shape, ctx.in_shape) for v in (n // s, s)))
        return reshape(folded.sum(tuple(range(0, folded.ndim, 2))), ctx.in_shape)


def repeat(input, *sizes):
    sizes = _as_shape(sizes)
    if len(sizes) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(sizes)}")
    shape = (1,) * (len(sizes) - input._data.ndim) + input._data.shape
    x = input if shape == input._data.shape else reshape(input, shape)
    return Repeat.apply(x, reps=sizes)


def tile(input, dims):
    dims = _as_shape((dims,))
    if len(dims) < input._data.ndim:
        dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


class Flip(Op):
    def forward(ctx, x, axes=None):
        ctx.axes = axes
        return xp.flip(x, axes).copy()  # torch's flip copies; a view would alias writes

    def backward(ctx, g):
        return xp.flip(g, ctx.axes)

    def tbackward(ctx, g):
        return Flip.apply(g, axes=ctx.axes)


def flip(input, *dims, **kw):
    dims = _as_shape(dims or (kw["dims"],))
    n = input._data.ndim
    axes = [_wrap_dim(d, n) for d in dims]
    for a in axes:
        if axes.count(a) > 1:
            raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
    if n == 0:
        return Flip.apply(input, axes=())
    return Flip.apply(input, axes=tuple(axes))


def fliplr(input):
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input):
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


class Roll(Op):
    def forward(ctx, x, shifts=None, axes=None):
        ctx.shifts, ctx.axes = shifts, axes
        # (axes None: the flattened tensor rolls, the shape stays)
        return xp.roll(x, shifts if axes is not None else shifts[0], axes)

    def backward(ctx, g):
        back = tuple(-s for s in ctx.shifts)
        return xp.roll(g, back if ctx.axes is not None else back[0], ctx.axes)

    def tbackward(ctx, g):
        return Roll.apply(g, shifts=tuple(-s for s in ctx.shifts), axes=ctx.axes)


def roll(input, shifts, dims=None):
    shifts = (shifts,) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"`shifts` required to be of size 1 when `dims` is None, "
                               f"but got {len(shifts)}")
        return Roll.apply(input, shifts=shifts, axes=None)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(dims) != len(shifts):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    n = input._data.ndim
    return Roll.apply(input, shifts=shifts, axes=tuple(_wrap_dim(d, n) for d in dims))


# -- joining: cat, stack and friends ---------------------------------------------------------
class Cat(Op):
    def forward(ctx, *xs, axis=0, skip=None):
        ctx.axis, ctx.skip = axis, skip
        if skip is not None:  # NOTE: legacy 1-D empty inputs take no part (grad: empty)
            xs = [x for x, s in zip(xs, skip) if not s]
        ctx.sizes = [x.shape[axis] for x in xs]
        return xp.concatenate(xs, axis=axis)

    def backward(ctx, g):
        out, start, pre = [], 0, (slice(None),) * ctx.axis
        sizes = iter(ctx.sizes)
        for k, need in enumerate(ctx.needs_input_grad):
            if ctx.skip is not None and ctx.skip[k]:
                out.append(xp.zeros(0, g.dtype) if need else None)
                continue
            s = next(sizes)
            out.append(g[pre + (slice(start, start + s),)] if need else None)
            start += s
        return tuple(out)

    def tbackward(ctx, g):
        if ctx.skip is not None:
            raise RuntimeError("create_graph through cat with skipped empty inputs is not "
                               "supported")
        return split(g, ctx.sizes, ctx.axis)


class Stack(Op):
    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        idx = (slice(None),) * axis + (None,)
        return xp.concatenate([x[idx] for x in xs], axis=axis)

    def backward(ctx, g):
        pre = (slice(None),) * ctx.axis
        return tuple(g[pre + (i,)] if need else None
                     for i, need in enumerate(ctx.needs_input_grad))

    def tbackward(ctx, g):
        return unbind(g, ctx.axis)


def _common(tensors, op):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        "not Tensor")
    if not tensors:
        if op == "cat":
            raise ValueError("torch.cat(): expected a non-empty list of Tensors")
        raise RuntimeError("stack expects a non-empty TensorList")
    d0 = tensors[0]._data.dtype
    for t in tensors:
        if t._data.dtype != d0:
            d = _dtype.result_type(*tensors)
            return [cast(t, d) for t in tensors]
    return tensors


def _cat_error(tensors, kept, dim):
    ref = kept[0]._data.shape
    n = len(ref)
    if n == 0:
        return RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = _wrap_dim(dim, n)
    for i, t in enumerate(tensors):
        s = t._data.shape
        if s == (0,) and t is not kept[0]:
            continue
        if len(s) != n:
            if len(s) == 0:
                return RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                                    "concatenated")
            return RuntimeError(f"Tensors must have same number of dimensions: got {n} and "
                                f"{len(s)}")
        for k in range(n):
            if k != d and s[k] != ref[k]:
                return RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref[k]} but got size {s[k]} for tensor number {i} in the list.")
    return None


def cat(tensors, dim=0, *, axis=None, out=None):
    """Concatenate along `dim`; 1-D empty tensors are skipped (PyTorch's legacy rule)."""
    if axis is not None:
        dim = axis
    tensors = _common(tensors, "cat")
    skip = None
    for t in tensors:
        if t._data.shape == (0,):
            kept = [t for t in tensors if t._data.shape != (0,)] or [tensors[0]]
            skip = tuple(t._data.shape == (0,) and t is not kept[0] for t in tensors)
            break
    else:
        kept = tensors
    ref = kept[0]._data.shape
    n = len(ref)
    d = dim if 0 <= dim < n else _wrap_dim(dim, n) if n else -1
    head, tail = ref[:d], ref[d + 1:]
    for t in kept:  # NOTE: one tuple comparison per input on the hot path; messages on failure
        s = t._data.shape
        if len(s) != n or s[:d] != head or s[d + 1:] != tail or n == 0:
            raise _cat_error(tensors, kept, dim)
    if skip is None and not (_enabled[0] and any(t._requires_grad for t in tensors)):
        parts = [t._data for t in tensors]
        if out is not None and out._data.dtype == parts[0].dtype:
            shape = head + (sum(p.shape[d] for p in parts),) + tail
            if out._data.shape == shape and out._data.flags.c_contiguous:
                xp.concatenate(parts, axis=d, out=out._data)
                out._bump()
                return out
        r = _wrap(xp.concatenate(parts, axis=d))
        return r if out is None else write_out(r, out)
    r = Cat.apply(*tensors, axis=d) if skip is None else Cat.apply(*tensors, axis=d, skip=skip)
    return r if out is None else write_out(r, out)


concat = concatenate = cat


def stack(tensors, dim=0, *, axis=None, out=None):
    if axis is not None:
        dim = axis
    if isinstance(tensors, Tensor) or not tensors:
        _common(tensors, "stack")  # raises PyTorch's error
    a0 = tensors[0]._data
    ref, dt = a0.shape, a0.dtype
    grad = mixed = False
    for t in tensors:  # NOTE: one pass: shapes, dtypes and grad (collate stacks many tensors)
        a = t._data
        if a.shape != ref:
            i = next(k for k, u in enumerate(tensors) if u._data.shape != ref)
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(ref)} at entry 0 and {list(a.shape)} at entry {i}")
        if a.dtype != dt:
            mixed = True
        if t._requires_grad:
            grad = True
    if mixed:
        tensors = _common(tensors, "stack")
    d = _wrap_dim(dim, len(ref) + 1)
    if grad and _enabled[0]:
        r = Stack.apply(*tensors, axis=d)
        return r if out is None else write_out(r, out)
    # NOTE: no graph. Along dim 0 a stack is a concatenation of the flattened inputs (about
    # 2x faster than np.stack), written straight into `out` when it fits (the DataLoader
    # collates into shared memory this way)
    shape = ref[:d] + (len(tensors),) + ref[d:]
    if d == 0:
        if out is not None and out._data.shape == shape and out._data.flags.c_contiguous and \
                out._data.dtype == tensors[0]._data.dtype:
            xp.concatenate([t._data.reshape(-1) for t in tensors], out=out._data.reshape(-1))
            out._bump()
            return out
        r = _wrap(xp.array([t._data for t in tensors]))
    else:
        idx = (slice(None),) * d + (None,)
        r = _wrap(xp.concatenate([t._data[idx] for t in tensors], axis=d))
    return r if out is None else write_out(r, out)


def atleast_1d(*tensors):
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        return tuple(atleast_1d(t) for t in tensors[0])
    if len(tensors) > 1:
        return tuple(atleast_1d(t) for t in tensors)
    t = tensors[0]
    return reshape(t, (1,)) if t._data.ndim == 0 else t


def atleast_2d(*tensors):
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        return tuple(atleast_2d(t) for t in tensors[0])
    if len(tensors) > 1:
        return tuple(atleast_2d(t) for t in tensors)
    t = tensors[0]
    n = t._data.ndim
    return reshape(t, (1,) * (2 - n) + t._data.shape) if n < 2 else t


def atleast_3d(*tensors):
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        return tuple(atleast_3d(t) for t in tensors[0])
    if len(tensors) > 1:
        return tuple(atleast_3d(t) for t in tensors)
    t = tensors[0]
    s = t._data.shape
    if len(s) == 0:
        return reshape(t, (1, 1, 1))
    if len(s) == 1:
        return reshape(t, (1,) + s + (1,))
    if len(s) == 2:
        return reshape(t, s + (1,))
    return t


def hstack(tensors, *, out=None):
    tensors = [atleast_1d(t) for t in tensors]
    return cat(tensors, 0 if tensors and tensors[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    return cat([atleast_2d(t) for t in tensors], 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    return cat([atleast_3d(t) for t in tensors], 2, out=out)


def column_stack(tensors, *, out=None):
    cols = [reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in tensors]
    return cat(cols, 1, out=out)


# -- meshgrid, rot90, repeat_interleave ------------------------------------------------------
_MESHGRID_WARNED = False


def meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        global _MESHGRID_WARNED
        if not _MESHGRID_WARNED:  # PyTorch's TORCH_WARN_ONCE: once per process
            _MESHGRID_WARNED = True
            warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass "
                          "the indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    n = len(tensors)
    sizes = [t._data.size for t in tensors]
    if indexing == "xy" and n >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for k, t in enumerate(tensors):
        pos = k if indexing == "ij" or n < 2 or k > 1 else 1 - k
        shape = [1] * n
        shape[pos] = t._data.size
        out.append(expand(reshape(t, tuple(shape)), tuple(sizes)))
    return tuple(out)


def rot90(input, k=1, dims=(0, 1)):
    n = input._data.ndim
    d0, d1 = (_wrap_dim(d, n) for d in dims)
    if len(dims) != 2 or d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    k %= 4
    if k == 1:
        return transpose(flip(input, (d1,)), d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(transpose(input, d0, d1), (d1,))
    from ember._ops.conversion import clone

    return clone(input)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element `repeats` times along `dim` (flattened when dim is None).

    `repeat_interleave(counts)` alone gives each index i repeated counts[i] times."""
    if repeats is None:  # the one-argument form
        counts = input._data
        return _wrap(xp.repeat(xp.arange(counts.size, dtype=xp.int64), counts))
    x = input if dim is not None else reshape(input, (-1,))
    d = 0 if dim is None else _wrap_dim(dim, x._data.ndim)
    n = x._data.shape[d] if x._data.ndim else 1
    r = repeats._data if isinstance(repeats, Tensor) else int(repeats)
    if isinstance(repeats, Tensor) and r.ndim and r.size not in (1, n):
        raise RuntimeError("repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {r.size} and input.size({d}) = {n}")
    from ember._ops.indexing import Index

    idx = xp.repeat(xp.arange(n), r if not isinstance(r, int) else r)
    if x._data.ndim == 0:
        x = reshape(x, (1,))
    return Index.apply(x, key=(slice(None),) * d + (idx,))


bind({"repeat_interleave": repeat_interleave, "rot90": rot90, "repeat": repeat,
      "tile": tile, "flip": flip, "fliplr": fliplr, "flipud": flipud, "roll": roll})

__all__ = public_functions(globals())
