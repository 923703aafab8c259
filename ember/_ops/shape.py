"""Shape ops: views share the array (and the version counter) with their base."""
from ember._ops._helpers import Tensor, bind, public_functions, xp
from ember._tensor import _wrap_dim
from ember.autograd.function import Op


def _as_shape(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _share_version(out, base):
    out._vc = base._version_counter()
    return out


def _infer(shape, numel, op):
    """Resolve one -1 in `shape`, with PyTorch's error for an invalid shape."""
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = shape[:neg[0]] + (numel // known,) + shape[neg[0] + 1:]
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class Reshape(Op):
    _bw_name = "ViewBackward0"

    def forward(ctx, x, shape=None, view=False):
        ctx.in_shape = x.shape
        if view:
            try:
                return _view_array(x, shape)
            except (AttributeError, ValueError):
                raise RuntimeError(
                    "view size is not compatible with input tensor's size and stride (at least "
                    "one dimension spans across two contiguous subspaces). Use .reshape(...) "
                    "instead.") from None
        return x.reshape(shape)

    def backward(ctx, g):
        return g.reshape(ctx.in_shape)

    def tbackward(ctx, g):
        return g.reshape(ctx.in_shape)


def _view_array(x, shape):
    v = x.view()
    v.shape = shape  # raises when a copy would be needed, which is what view must refuse
    return v


def reshape(input, *shape):
    shape = _infer(_as_shape(shape), input._data.size, "reshape")
    out = Reshape.apply(input, shape=shape)
    if out._data.base is not None:
        _share_version(out, input)
    return out


def view(input, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)):
        from ember._ops.conversion import view_dtype

        return view_dtype(input, shape[0])
    shape = _infer(_as_shape(shape), input._data.size, "view")
    return _share_version(Reshape.apply(input, shape=shape, view=True), input)


def view_as(input, other):
    return view(input, tuple(other.shape))


def reshape_as(input, other):
    return reshape(input, tuple(other.shape))


class Permute(Op):
    def forward(ctx, x, axes=None):
        ctx.axes = axes
        return xp.transpose(x, axes)

    def backward(ctx, g):
        return xp.transpose(g, xp.argsort(ctx.axes))

    def tbackward(ctx, g):
        return permute(g, tuple(int(i) for i in xp.argsort(ctx.axes)))


class Transpose(Permute):
    pass


def permute(input, *dims):
    dims = _as_shape(dims)
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {n} is not equal to len(dims) = {len(dims)}")
    axes = tuple(_wrap_dim(d, n) for d in dims)
    if len(set(axes)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _share_version(Permute.apply(input, axes=axes), input)


def transpose(input, dim0, dim1):
    n = input._data.ndim
    d0, d1 = _wrap_dim(dim0, n), _wrap_dim(dim1, n)
    axes = list(range(n))
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return _share_version(Transpose.apply(input, axes=tuple(axes)), input)


def t(input):
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input._data.ndim}D")
    return transpose(input, 0, 1) if input._data.ndim == 2 else input


class Expand(Op):
    def forward(ctx, x, shape=None):
        ctx.in_shape = x.shape
        return xp.broadcast_to(x, shape)

    def backward(ctx, g):
        from ember._ops._helpers import unbroadcast

        return unbroadcast(g, ctx.in_shape)

    def tbackward(ctx, g):
        from ember._ops.reduction import sum_to_size

        return sum_to_size(g, ctx.in_shape)


def expand(input, *sizes):
    sizes = _as_shape(sizes)
    shape = input._data.shape
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(shape)}}}, size={list(sizes)}): the "
                           "number of sizes provided must be greater or equal to the number of "
                           "dimensions in the tensor")
    target = tuple(shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    try:
        out = Expand.apply(input, shape=target)
    except ValueError:
        raise RuntimeError(f"The expanded size of the tensor ({list(target)}) must match the "
                           f"existing size ({list(shape)}) at non-singleton dimensions") from None
    return _share_version(out, input)


def expand_as(input, other):
    return expand(input, tuple(other.shape))


def unsqueeze(input, dim):
    n = input._data.ndim + 1
    d = _wrap_dim(dim, n)
    shape = input._data.shape[:d] + (1,) + input._data.shape[d:]
    return _share_version(Reshape.apply(input, shape=shape), input)


def unsqueeze_dims(input, axes):
    shape = list(input._data.shape)
    for a in sorted(axes):
        shape.insert(a, 1)
    return reshape(input, tuple(shape))


def squeeze(input, dim=None):
    shape = input._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        ds = dim if isinstance(dim, (tuple, list)) else (dim,)
        ds = {_wrap_dim(d, len(shape)) for d in ds}
        new = tuple(s for i, s in enumerate(shape) if not (i in ds and s == 1))
    return _share_version(Reshape.apply(input, shape=new), input)


def flatten(input, start_dim=0, end_dim=-1):
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    s, e = _wrap_dim(start_dim, len(shape)), _wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return reshape(input, shape[:s] + (n,) + shape[e + 1:])


def contiguous(input, memory_format=None):
    if input._data.flags.c_contiguous:
        return input
    from ember._ops.conversion import clone

    return clone(input)


def _T(self):
    n = self._data.ndim
    return permute(self, tuple(range(n - 1, -1, -1))) if n > 1 else self


def _mT(self):
    if self._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {self._data.ndim}-D tensor.")
    return transpose(self, -2, -1)


bind({"reshape": reshape, "view": view, "view_as": view_as, "reshape_as": reshape_as,
      "permute": permute, "transpose": transpose, "t": t, "expand": expand,
      "expand_as": expand_as, "unsqueeze": unsqueeze, "squeeze": squeeze, "flatten": flatten,
      "contiguous": contiguous, "swapaxes": transpose, "swapdims": transpose})
Tensor.T = property(_T)
Tensor.mT = property(_mT)
Tensor.H = property(lambda self: _T(self).conj() if self.is_complex() else _T(self))

__all__ = public_functions(globals())
