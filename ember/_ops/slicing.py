"""Slicing views: narrow, select, split/tensor_split/chunk/unbind, hsplit/vsplit/dsplit, and
the Slice op basic indexing (`x[1:, None]`) records. Each result shares its base's array and
version counter.
"""
from ember._ops._aliases import np_names
from ember._ops._helpers import bind, public_functions, xp
from ember._ops.shape import _share_version
from ember._tensor import _wrap_dim
from ember.autograd.function import Op


class Slice(Op):
    """`x[key]` for a basic key (ints, slices, None, Ellipsis): a view of `x`."""

    _bw_name = "SliceBackward0"

    def forward(ctx, x, key=None):
        ctx.shape, ctx.dtype, ctx.key = x.shape, x.dtype, key
        return x[key]

    def backward(ctx, g):
        out = xp.zeros(ctx.shape, ctx.dtype)
        out[ctx.key] = g
        return out

    def tbackward(ctx, g):
        return SliceGrad.apply(g, key=ctx.key, shape=ctx.shape)


class SliceGrad(Op):
    """The backward of Slice as an op (zeros with `g` written at `key`), for create_graph."""

    def forward(ctx, g, key=None, shape=None):
        ctx.key = key
        out = xp.zeros(shape, g.dtype)
        out[key] = g
        return out

    def backward(ctx, g):
        return g[ctx.key]

    def tbackward(ctx, g):
        return Slice.apply(g, key=ctx.key)


# the pieces of split/chunk/unbind under PyTorch's grad_fn names (one node per piece here)
class SplitPiece(Slice):
    _bw_name = "SplitBackward0"


class SplitWithSizesPiece(Slice):
    _bw_name = "SplitWithSizesBackward0"


class UnbindPiece(Slice):
    _bw_name = "UnbindBackward0"


def _slice_view(input, key, op=Slice):
    return _share_version(op.apply(input, key=key), input)


def narrow(input, dim, start, length):
    n = input._data.ndim
    if n == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, n)
    size = input._data.shape[d]
    start, length = int(start), int(length)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    if start < 0:
        start += size
    if length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}).")
    return _slice_view(input, (slice(None),) * d + (slice(start, start + length),))


def _sections(input, sizes, d, op=Slice):
    out, start = [], 0
    pre = (slice(None),) * d
    for s in sizes:
        out.append(_slice_view(input, pre + (slice(start, start + s),), op))
        start += s
    return tuple(out)


def split(tensor, split_size_or_sections, dim=0):
    """Split into chunks of `split_size` (last one smaller) or of the listed sizes (views)."""
    n = tensor._data.ndim
    if n == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _wrap_dim(dim, n)
    size = tensor._data.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != size or any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension {d}), but got split_sizes="
                               f"{sizes}")
        return _sections(tensor, sizes, d, SplitWithSizesPiece)
    step = int(split_size_or_sections)
    if step < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
    if step == 0:
        if size != 0:
            raise RuntimeError("split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {size}")
        return (_slice_view(tensor, (slice(None),) * (d + 1), SplitPiece),)
    sizes = [step] * (size // step) + ([size % step] if size % step or size == 0 else [])
    return _sections(tensor, sizes, d, SplitPiece)


def tensor_split(input, indices_or_sections, dim=0):
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        q, r = divmod(size, k)
        sizes = [q + 1] * r + [q] * (k - r)
    else:
        bounds = [0] + [min(max(int(i), 0), size) for i in indices_or_sections] + [size]
        sizes = [max(b - a, 0) for a, b in zip(bounds, bounds[1:])]
        starts = bounds[:-1]
        pre = (slice(None),) * d
        return tuple(_slice_view(input, pre + (slice(s, s + n),)) for s, n in zip(starts, sizes))
    return _sections(input, sizes, d)


def chunk(input, chunks, dim=0):
    """Split into `chunks` pieces of equal size ceil(n / chunks) (the last may be smaller)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input._data.ndim
    if n == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    size = input._data.shape[_wrap_dim(dim, n)]
    if size == 0:
        return _sections(input, [0] * chunks, _wrap_dim(dim, n), SplitPiece)
    return split(input, -(-size // chunks), dim)


def unbind(input, dim=0, *, axis=None):
    if axis is not None:  # NumPy name
        dim = np_names("unbind", dim, False, axis, None, 0)[0]
    n = input._data.ndim
    if n == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _wrap_dim(dim, n)
    pre = (slice(None),) * d
    return tuple(_slice_view(input, pre + (i,), UnbindPiece)
                 for i in range(input._data.shape[d]))


def select(input, dim, index):
    n = input._data.ndim
    if n == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, n)
    size = input._data.shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input._data.shape)} at dimension {d}")
    return _slice_view(input, (slice(None),) * d + (int(index),))


def _split_dim(input, indices_or_sections, dim, name, min_dim):
    n = input._data.ndim
    if n < min_dim:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dim} dimension, "
                           f"but got a tensor with {n} dimensions!")
    if isinstance(indices_or_sections, int):
        size = input._data.shape[dim]
        if indices_or_sections <= 0 or size % indices_or_sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but "
                               f"the size of the dimension {size} is not divisible by the "
                               f"split_size {indices_or_sections}!")
    return tensor_split(input, indices_or_sections, dim)


def hsplit(input, indices_or_sections):
    return _split_dim(input, indices_or_sections, 1 if input._data.ndim > 1 else 0, "hsplit", 1)


def vsplit(input, indices_or_sections):
    return _split_dim(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input, indices_or_sections):
    return _split_dim(input, indices_or_sections, 2, "dsplit", 3)


bind({"narrow": narrow, "split": split, "tensor_split": tensor_split, "chunk": chunk,
      "unbind": unbind, "select": select, "hsplit": hsplit, "vsplit": vsplit, "dsplit": dsplit,
      "split_with_sizes": lambda self, split_sizes, dim=0: split(self, list(split_sizes), dim),
      "narrow_copy": lambda self, dim, start, length: narrow(self, dim, start, length).clone()})

__all__ = public_functions(globals())
