"""Shape ops: views share the array (and the version counter) with their base.

reshape/view/permute/transpose/expand/squeeze/flatten, unfold, movedim and broadcasting.
Slicing views (narrow, select, split, chunk, unbind and the Slice op of basic indexing) live
in slicing.py; joining and copying ops (cat/stack, repeat/tile, flip/roll/rot90, meshgrid)
in joining.py.
"""
from ember._ops._aliases import np_names, required_dim
from ember._ops._helpers import Tensor, bind, public_functions, xp
from ember._tensor import _make_view, _wrap_dim
from ember.autograd.function import Op
from ember.autograd.grad_mode import _enabled


def _as_shape(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _share_version(out, base):
    return _make_view(out, base)


def _infer(shape, numel, op):
    """Resolve one -1 in `shape`, with PyTorch's error for an invalid shape."""
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s} at index {shape.index(s)} of "
                                   f"shape {list(shape)}")
            known *= s
    if neg:
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} "
                               "because the unspecified dimension size -1 can be any value and "
                               "is ambiguous")
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


class Squeeze0(Reshape):  # NOTE: PyTorch names squeeze's node by overload: () / dim / dims
    _bw_name = "SqueezeBackward0"


class Squeeze1(Reshape):
    _bw_name = "SqueezeBackward1"


class Squeeze2(Reshape):
    _bw_name = "SqueezeBackward2"


class Unsqueeze(Reshape):
    _bw_name = "UnsqueezeBackward0"


def _view_array(x, shape):
    v = x.view()
    v.shape = shape  # raises when a copy would be needed, which is what view must refuse
    return v


def reshape(input, *shape, **kw):
    if kw:
        shape = (kw.pop("shape"),)
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


class T(Permute):
    _bw_name = "TBackward0"


def permute(input, *dims, **kw):
    dims = _as_shape(dims or (kw["dims"],))
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
    if input._data.ndim < 2:
        return input
    return _share_version(T.apply(input, axes=(1, 0)), input)


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


def expand(input, *sizes, **kw):
    sizes = _as_shape(sizes or (kw["size"],))
    shape = input._data.shape
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(f"expand({_legacy_name(input)}{{{list(shape)}}}, size={list(sizes)}): "
                           f"the number of sizes provided ({len(sizes)}) must be greater or "
                           f"equal to the number of dimensions in the tensor ({len(shape)})")
    for i in range(lead):
        if sizes[i] < 0:
            raise RuntimeError(f"The expanded size of the tensor ({sizes[i]}) isn't allowed in a "
                               f"leading, non-existing dimension {i}")
    target = tuple(shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    try:
        out = Expand.apply(input, shape=target)
    except ValueError:
        for i in reversed(range(len(shape))):  # PyTorch reports the last mismatch first
            if shape[i] != 1 and shape[i] != target[i + lead]:
                break
        raise RuntimeError(f"The expanded size of the tensor ({target[i + lead]}) must match the "
                           f"existing size ({shape[i]}) at non-singleton dimension {i + lead}.  "
                           f"Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}") from None
    return _share_version(out, input)


def _legacy_name(t):
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
             "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
    return f"torch.{names.get(t._data.dtype.name, 'Float')}Tensor"


def expand_as(input, other):
    return expand(input, tuple(other.shape))


def unsqueeze(input, dim=None, *, axis=None):
    if dim is None or axis is not None:  # required, or given by its NumPy name
        dim = required_dim("unsqueeze", dim, axis)
    n = input._data.ndim + 1
    d = _wrap_dim(dim, n)
    shape = input._data.shape[:d] + (1,) + input._data.shape[d:]
    return _share_version(Unsqueeze.apply(input, shape=shape), input)


def unsqueeze_dims(input, axes):
    shape = list(input._data.shape)
    for a in sorted(axes):
        shape.insert(a, 1)
    return reshape(input, tuple(shape))


def squeeze(input, dim=None, *, axis=None):
    if axis is not None:  # NumPy name
        dim = np_names("squeeze", dim, False, axis, None)[0]
    shape = input._data.shape
    if dim is None:
        new, op = tuple(s for s in shape if s != 1), Squeeze0
    else:
        many = isinstance(dim, (tuple, list))
        ds = {_wrap_dim(d, len(shape)) for d in (dim if many else (dim,))}
        new = tuple(s for i, s in enumerate(shape) if not (i in ds and s == 1))
        op = Squeeze2 if many else Squeeze1
    return _share_version(op.apply(input, shape=new), input)


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


def unflatten(input, dim, sizes):
    shape = input._data.shape
    d = _wrap_dim(dim, len(shape))
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    if -1 in sizes:
        if known == 0 or shape[d] % known:
            raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to "
                               f"the size of dim {dim} ({shape[d]}) in the input tensor")
    elif known != shape[d]:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({shape[d]}) in the input tensor")
    return view(input, shape[:d] + _infer(sizes, shape[d], "unflatten") + shape[d + 1:])


# -- movedim, hsplit/vsplit/dsplit, broadcasting views, unfold, in-place views ---------------
def movedim(input, source, destination):
    n = input._data.ndim
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source "
                           f"({list(src)} dims) should contain the same number of dims as "
                           f"destination ({list(dst)} dims)")
    src = [_wrap_dim(d, n) for d in src]
    dst = [_wrap_dim(d, n) for d in dst]
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(src)})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(dst)})")
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, tuple(order))


def ravel(input):
    return reshape(input, (-1,))


def broadcast_to(input, size):
    return expand(input, size)


def broadcast_tensors(*tensors):
    shape = xp.broadcast_shapes(*[t._data.shape for t in tensors])
    return tuple(expand(t, shape) for t in tensors)


def broadcast_shapes(*shapes):
    from ember._size import Size

    return Size(xp.broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s)
                                      for s in shapes]))


class Unfold(Op):
    """All windows of `size` along `dim`, `step` apart, as a new last dimension (a view)."""

    def forward(ctx, x, dim=0, size=1, step=1):
        ctx.shape, ctx.args = x.shape, (dim, size, step)
        w = xp.lib.stride_tricks.sliding_window_view(x, size, axis=dim,
                                                     writeable=x.flags.writeable)
        return w[(slice(None),) * dim + (slice(None, None, step),)]

    def backward(ctx, g):
        dim, size, step = ctx.args
        out = xp.zeros(ctx.shape, g.dtype)
        n = g.shape[dim]
        pre = (slice(None),) * dim
        for k in range(size):  # NOTE: windows overlap when step < size: accumulate
            out[pre + (slice(k, k + step * (n - 1) + 1, step),)] += g[..., k]
        return out

    def tbackward(ctx, g):
        from ember._ops._linear_map import Scratch, transpose_of_backward

        dim, size, step = ctx.args
        return (transpose_of_backward(ctx, g, lambda b: xp.ascontiguousarray(
            Unfold.forward(Scratch(), b, dim=dim, size=size, step=step))),)


def _unfold(input, dimension, size, step):
    """Tensor.unfold: a view with the windows of `size` along `dimension` in a new last dim."""
    x = input._data
    if x.ndim == 0:
        if size != 1 and size != 0:
            raise RuntimeError(f"maximum size for tensor at dimension 0 is 1 but size is {size}")
        return unsqueeze(input, 0) if size == 1 else reshape(input, (1, 0))
    d = _wrap_dim(dimension, x.ndim)
    if size > x.shape[d]:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {x.shape[d]} but size "
                           f"is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    return _share_version(Unfold.apply(input, dim=d, size=size, step=step), input)


def _meta_inplace(name, fn):
    """squeeze_/unsqueeze_/t_/transpose_/swapaxes_: self becomes the view `fn` returns."""

    def inplace(self, *args, **kwargs):
        grad = _enabled[0] and self._requires_grad
        if grad and self.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        r = fn(self, *args, **kwargs)
        self._data = r._data
        if grad:
            self.grad_fn = r.grad_fn
        self._bump()
        return self

    inplace.__name__ = name
    return inplace


bind({"squeeze_": _meta_inplace("squeeze_", squeeze),
      "unsqueeze_": _meta_inplace("unsqueeze_", unsqueeze), "t_": _meta_inplace("t_", t),
      "transpose_": _meta_inplace("transpose_", transpose),
      "swapaxes_": _meta_inplace("swapaxes_", transpose),
      "swapdims_": _meta_inplace("swapdims_", transpose)})
bind({"unfold": _unfold, "ravel": ravel, "broadcast_to": broadcast_to, "unflatten": unflatten,
      "movedim": movedim, "moveaxis": movedim})
moveaxis = movedim

bind({"reshape": reshape, "view": view, "view_as": view_as, "reshape_as": reshape_as,
      "permute": permute, "transpose": transpose, "t": t, "expand": expand,
      "expand_as": expand_as, "unsqueeze": unsqueeze, "squeeze": squeeze, "flatten": flatten,
      "contiguous": contiguous, "swapaxes": transpose, "swapdims": transpose})
swapaxes = swapdims = transpose
Tensor.T = property(_T)
Tensor.mT = property(_mT)
Tensor.H = property(lambda self: _T(self).conj() if self.is_complex() else _T(self))

__all__ = public_functions(globals())
