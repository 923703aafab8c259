"""ember.fft: discrete Fourier transforms (PyTorch's torch.fft), on NumPy's pocketfft.

Same names, arguments (`n`/`s`, `dim`, `norm` = "backward" | "ortho" | "forward"), output
shapes and dtypes as PyTorch: a float32 or integer input gives complex64, float64 gives
complex128 (NumPy computes in double precision; the result is rounded to PyTorch's dtype).

NOTE: the transforms are not differentiable in ember: their results are complex, and ember's
autograd refuses complex gradients (see ember/autograd/engine.py). A transform of a tensor
that requires grad raises at once rather than produce a result whose backward would fail.
"""
from ember import _dtype
from ember._backend import xp
from ember._tensor import Tensor, _wrap
from ember.autograd.grad_mode import _enabled

_NORMS = (None, "backward", "ortho", "forward")


def _complex_of(t):
    """PyTorch's result dtype for a transform of `t`: complex128 from float64/complex128,
    else complex64."""
    return xp.complex128 if t._data.dtype in (xp.float64, xp.complex128) else xp.complex64


def _real_of(t):
    return xp.float64 if t._data.dtype in (xp.float64, xp.complex128) else xp.float32


def _check(name, input, norm):
    if not isinstance(input, Tensor):
        raise TypeError(f"fft_{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if norm not in _NORMS:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    if _enabled[0] and input.requires_grad:
        raise RuntimeError(
            f"ember.fft.{name}: the input requires grad, but ember cannot differentiate "
            "through complex results yet (PyTorch can); transform a detached tensor")


def _one_dim(name, np_fn, out_kind):
    def transform(input, n=None, dim=-1, norm=None, *, out=None):
        _check(name, input, norm)
        r = np_fn(input._data, n=n, axis=dim, norm=norm)
        dtype = _complex_of(input) if out_kind == "complex" else _real_of(input)
        return _result(_wrap(xp.ascontiguousarray(r.astype(dtype, copy=False))), out)

    transform.__name__ = name
    transform.__doc__ = f"PyTorch's torch.fft.{name} (1-D, over `dim`)."
    return transform


def _many_dims(name, np_fn, out_kind, default_dims):
    def transform(input, s=None, dim=default_dims, norm=None, *, out=None):
        _check(name, input, norm)
        axes = None if dim is None else tuple(dim) if isinstance(dim, (tuple, list)) \
            else (dim,)
        if axes is None and s is not None:
            axes = tuple(range(-len(s), 0))
        r = np_fn(input._data, s=s, axes=axes, norm=norm)
        dtype = _complex_of(input) if out_kind == "complex" else _real_of(input)
        return _result(_wrap(xp.ascontiguousarray(r.astype(dtype, copy=False))), out)

    transform.__name__ = name
    transform.__doc__ = f"PyTorch's torch.fft.{name} (over several dims)."
    return transform


def _result(t, out):
    if out is None:
        return t
    from ember._ops._helpers import write_out

    return write_out(t, out)


fft = _one_dim("fft", xp.fft.fft, "complex")
ifft = _one_dim("ifft", xp.fft.ifft, "complex")
rfft = _one_dim("rfft", xp.fft.rfft, "complex")
irfft = _one_dim("irfft", xp.fft.irfft, "real")
hfft = _one_dim("hfft", xp.fft.hfft, "real")
ihfft = _one_dim("ihfft", xp.fft.ihfft, "complex")
fft2 = _many_dims("fft2", xp.fft.fftn, "complex", (-2, -1))
ifft2 = _many_dims("ifft2", xp.fft.ifftn, "complex", (-2, -1))
rfft2 = _many_dims("rfft2", xp.fft.rfftn, "complex", (-2, -1))
irfft2 = _many_dims("irfft2", xp.fft.irfftn, "real", (-2, -1))
fftn = _many_dims("fftn", xp.fft.fftn, "complex", None)
ifftn = _many_dims("ifftn", xp.fft.ifftn, "complex", None)
rfftn = _many_dims("rfftn", xp.fft.rfftn, "complex", None)
irfftn = _many_dims("irfftn", xp.fft.irfftn, "real", None)

_SWAP = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}


def _hfftn(a, s=None, axes=None, norm=None):
    # the Hermitian transform of a is the inverse real one of conj(a), scaled the other way
    return xp.fft.irfftn(xp.conj(a), s=s, axes=axes, norm=_SWAP[norm])


def _ihfftn(a, s=None, axes=None, norm=None):
    return xp.conj(xp.fft.rfftn(a, s=s, axes=axes, norm=_SWAP[norm]))


hfft2 = _many_dims("hfft2", _hfftn, "real", (-2, -1))
ihfft2 = _many_dims("ihfft2", _ihfftn, "complex", (-2, -1))
hfftn = _many_dims("hfftn", _hfftn, "real", None)
ihfftn = _many_dims("ihfftn", _ihfftn, "complex", None)


def _frequencies(np_fn, n, d, dtype, requires_grad):
    d_ = _dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)
    t = _wrap(np_fn(n, d=d).astype(d_.np))
    if requires_grad:
        t.requires_grad_(True)
    return t


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None,
            requires_grad=False):
    """The sample frequencies of an n-point fft (cycles per unit of spacing d)."""
    return _result(_frequencies(xp.fft.fftfreq, n, d, dtype, requires_grad), out)


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """The sample frequencies of an n-point rfft (non-negative ones only)."""
    return _result(_frequencies(xp.fft.rfftfreq, n, d, dtype, requires_grad), out)


def _shift(input, dim, sign):
    from ember._ops.joining import roll

    dims = tuple(range(input.dim())) if dim is None else \
        tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    return roll(input, tuple(sign * (input.shape[d] // 2) for d in dims), dims)


def fftshift(input, dim=None):
    """The zero-frequency term moved to the centre (over `dim`, all dims by default); a
    roll, so differentiable."""
    return _shift(input, dim, 1)


def ifftshift(input, dim=None):
    """fftshift undone."""
    return _shift(input, dim, -1)


__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "hfft2", "ihfft2", "hfftn",
           "ihfftn", "fft2", "ifft2", "rfft2", "irfft2",
           "fftn", "ifftn", "rfftn", "irfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]
