"""Shape ops: views share the array (and the version counter) with their base."""
from ember import _dtype
from ember._ops._helpers import Tensor, _wrap, bind, cast, public_functions, write_out, xp
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


# -- slicing views (narrow, split, chunk, unbind; also used by indexing) ---------------------
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


def _slice_view(input, key):
    return _share_version(Slice.apply(input, key=key), input)


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


def _sections(input, sizes, d):
    out, start = [], 0
    pre = (slice(None),) * d
    for s in sizes:
        out.append(_slice_view(input, pre + (slice(start, start + s),)))
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
        return _sections(tensor, sizes, d)
    step = int(split_size_or_sections)
    if step < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
    if step == 0:
        if size != 0:
            raise RuntimeError("split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {size}")
        return (_slice_view(tensor, (slice(None),) * (d + 1)),)
    sizes = [step] * (size // step) + ([size % step] if size % step or size == 0 else [])
    return _sections(tensor, sizes, d)


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
        return _sections(input, [0] * chunks, _wrap_dim(dim, n))
    return split(input, -(-size // chunks), dim)


def unbind(input, dim=0):
    n = input._data.ndim
    if n == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _wrap_dim(dim, n)
    pre = (slice(None),) * d
    return tuple(_slice_view(input, pre + (i,)) for i in range(input._data.shape[d]))


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
        return xp.roll(x, shifts, axes)

    def backward(ctx, g):
        return xp.roll(g, tuple(-s for s in ctx.shifts), ctx.axes)

    def tbackward(ctx, g):
        return Roll.apply(g, shifts=tuple(-s for s in ctx.shifts), axes=ctx.axes)


def roll(input, shifts, dims=None):
    shifts = (shifts,) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"`shifts` required to be of size 1 when `dims` is None, "
                               f"but got {len(shifts)}")
        return view(roll(flatten(input), shifts, 0), input._data.shape)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(dims) != len(shifts):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    n = input._data.ndim
    return Roll.apply(input, shifts=shifts, axes=tuple(_wrap_dim(d, n) for d in dims))


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


def meshgrid(*tensors, indexing="ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
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


bind({"repeat_interleave": repeat_interleave, "squeeze_": _meta_inplace("squeeze_", squeeze),
      "unsqueeze_": _meta_inplace("unsqueeze_", unsqueeze), "t_": _meta_inplace("t_", t),
      "transpose_": _meta_inplace("transpose_", transpose),
      "swapaxes_": _meta_inplace("swapaxes_", transpose),
      "swapdims_": _meta_inplace("swapdims_", transpose),
      "split_with_sizes": lambda self, split_sizes, dim=0: split(self, list(split_sizes), dim),
      "narrow_copy": lambda self, dim, start, length: narrow(self, dim, start, length).clone()})
bind({"unfold": _unfold, "ravel": ravel, "broadcast_to": broadcast_to, "hsplit": hsplit,
      "vsplit": vsplit, "dsplit": dsplit, "rot90": rot90})
bind({"narrow": narrow, "split": split, "tensor_split": tensor_split, "chunk": chunk,
      "unbind": unbind, "select": select, "unflatten": unflatten, "repeat": repeat,
      "tile": tile, "flip": flip, "fliplr": fliplr, "flipud": flipud, "roll": roll,
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
