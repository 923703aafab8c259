"""Out-of-place view scatters (select_scatter, slice_scatter, diagonal_scatter), the complex
views (view_as_real, view_as_complex) and constructors (complex, polar), the `unsafe_`
split aliases and the `*_copy` forms of the view ops.

The scatters are a clone with the view overwritten by `copy_`, so their gradients come from
clone and the in-place view write (the view's slots get src's gradient, the rest input's).
"""
from ember import _dtype
from ember._ops._helpers import Tensor, _wrap, bind, xp
from ember._tensor import _make_view


def _scatter_into(input, src, view_of):
    out = input.clone()
    view = view_of(out)
    if tuple(src.shape) != tuple(view.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(view.shape)}")
    view.copy_(src)
    return out


def select_scatter(input, src, dim, index):
    """A copy of `input` with `input.select(dim, index)` replaced by `src`."""
    return _scatter_into(input, src, lambda t: t.select(dim, index))


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of `input` with the slice start:end:step along `dim` replaced by `src`."""
    key = (slice(None),) * (dim % max(input.ndim, 1)) + (slice(start, end, step),)
    return _scatter_into(input, src, lambda t: t[key])


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """A copy of `input` with its as_strided(size, stride, storage_offset) view replaced by
    `src`."""
    return _scatter_into(input.contiguous(), src,
                         lambda t: t.as_strided(size, stride, storage_offset))


def _as_strided_(self, size, stride, storage_offset=None):
    """Make `self` the as_strided view of its own storage, in place (no autograd record)."""
    self._data = self.detach().as_strided(size, stride, storage_offset)._data
    return self


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of `input` with its `diagonal(offset, dim1, dim2)` replaced by `src`."""
    return _scatter_into(input, src, lambda t: t.diagonal(offset, dim1, dim2))


# -- complex views and constructors -------------------------------------------------------------
_COMPLEX_OF = {"float32": xp.complex64, "float64": xp.complex128}
_REAL_OF = {"complex64": xp.float32, "complex128": xp.float64}


def view_as_real(input):
    """A complex tensor seen as a real one with a trailing dimension (real, imag)."""
    x = input._data
    if x.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    r = x.view(_REAL_OF[x.dtype.name]) if x.ndim else x.reshape(1).view(_REAL_OF[x.dtype.name])
    return _make_view(_wrap(r.reshape(x.shape + (2,))), input)


def view_as_complex(input):
    """A real tensor with a trailing dimension of size 2 seen as a complex one."""
    x = input._data
    if x.dtype.name not in _COMPLEX_OF:
        raise RuntimeError(f"view_as_complex is only supported for half, float and double "
                           f"tensors, but got a tensor of scalar type: {_cname(input.dtype)}")
    if x.ndim == 0 or x.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if x.strides[-1] != x.itemsize:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % (2 * x.itemsize) for s in x.strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    c = x.view(_COMPLEX_OF[x.dtype.name]) if x.size else xp.empty(
        x.shape[:-1] + (1,), _COMPLEX_OF[x.dtype.name])
    return _make_view(_wrap(c.reshape(x.shape[:-1])), input)


def _cname(d):
    from ember._ops.inplace import _tname

    return _tname(d)


def _float_pair(a, b):
    if a.dtype.category != _dtype.FLOAT or b.dtype.category != _dtype.FLOAT:
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_cname(a.dtype)} and {_cname(b.dtype)}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"Expected object of scalar type {_cname(a.dtype)} but got scalar "
                           f"type {_cname(b.dtype)} for second argument")
    return a._data, b._data


def complex(real, imag, *, out=None):  # noqa: A001 - torch.complex
    """real + i imag, elementwise (broadcast); float32 gives complex64."""
    a, b = _float_pair(real, imag)
    r = _wrap((a + 1j * b).astype(_COMPLEX_OF[a.dtype.name]))
    return r if out is None else out.copy_(r)


def polar(abs, angle, *, out=None):  # noqa: A002 - PyTorch's names
    """abs * (cos(angle) + i sin(angle)), elementwise."""
    a, t = _float_pair(abs, angle)
    r = _wrap((a * xp.cos(t) + 1j * (a * xp.sin(t))).astype(_COMPLEX_OF[a.dtype.name]))
    return r if out is None else out.copy_(r)


# -- split aliases and *_copy forms -------------------------------------------------------------
def split_with_sizes(input, split_sizes, dim=0):
    return input.split(list(split_sizes), dim)


def unsafe_split(input, split_size, dim=0):
    return input.split(split_size, dim)


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    return input.split(list(split_sizes), dim)


def unsafe_chunk(input, chunks, dim=0):
    return input.chunk(chunks, dim)


def _copy_form(view_name):
    """torch.<view>_copy: the view op's result as a fresh tensor (a tuple of them for
    split/unbind)."""

    def fn(input, *args, out=None, **kwargs):
        r = getattr(Tensor, view_name)(input, *args, **kwargs)
        if isinstance(r, (tuple, list)):
            return tuple(t.clone() for t in r)
        r = r.clone()
        return r if out is None else out.copy_(r)

    fn.__name__ = fn.__qualname__ = view_name + "_copy"
    fn.__module__ = __name__
    return fn


_COPY_FORMS = ("view", "permute", "transpose", "t", "squeeze", "unsqueeze", "expand",
               "diagonal", "select", "narrow", "unfold", "as_strided", "split",
               "split_with_sizes", "unbind", "detach", "view_as_real", "view_as_complex")
for _name in _COPY_FORMS:
    globals()[_name + "_copy"] = _copy_form(_name)


def alias_copy(input):
    return input.clone()


def _conj_physical(self):
    return self.conj().clone() if self._data.dtype.kind == "c" else self.clone()


def _conj_physical_(self):
    if self._data.dtype.kind == "c":
        xp.conjugate(self._data, out=self._data)
        self._bump()
    return self


def conj_physical(input, *, out=None):
    """The complex conjugate, materialised (a copy of a real tensor)."""
    r = _conj_physical(input)
    return r if out is None else out.copy_(r)


def _nonzero_static(self, *, size, fill_value=-1):
    """nonzero padded with `fill_value` (or truncated) to exactly `size` rows."""
    idx = xp.argwhere(self._data)
    n = min(len(idx), size)
    out = xp.full((size, self._data.ndim), fill_value, dtype=xp.int64)
    out[:n] = idx[:n]
    return _wrap(out)


def nonzero_static(input, *, size, fill_value=-1):
    return _nonzero_static(input, size=size, fill_value=fill_value)


bind({
    "select_scatter": select_scatter, "slice_scatter": slice_scatter,
    "diagonal_scatter": diagonal_scatter, "as_strided_scatter": as_strided_scatter,
    "as_strided_": _as_strided_, "unsafe_split": unsafe_split,
    "unsafe_split_with_sizes": unsafe_split_with_sizes, "unsafe_chunk": unsafe_chunk,
    "split_with_sizes": split_with_sizes, "conj_physical": _conj_physical,
    "conj_physical_": _conj_physical_, "nonzero_static": _nonzero_static,
    "to_dense": lambda self, dtype=None, *, masked_grad=None: self if dtype is None
    else self.to(dtype),
    "is_shared": lambda self: False,
    "dim_order": lambda self, *, ambiguity_check=False: tuple(
        sorted(range(self._data.ndim), key=lambda d: -self._data.strides[d])),
    "const_data_ptr": lambda self: self.data_ptr(),
})

__all__ = ["select_scatter", "slice_scatter", "diagonal_scatter", "as_strided_scatter",
           "view_as_real",
           "view_as_complex", "complex", "polar", "split_with_sizes", "unsafe_split",
           "unsafe_split_with_sizes", "unsafe_chunk", "conj_physical", "nonzero_static",
           "alias_copy"] + [n + "_copy" for n in _COPY_FORMS]
