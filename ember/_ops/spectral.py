"""Short-time Fourier transforms: stft and istft (torch.stft / Tensor.stft), on NumPy's FFT.

Like ember.fft, forward only: the results are complex and ember's autograd refuses complex
gradients, so an input that requires grad raises at once.
"""
import warnings

from ember._ops._helpers import _wrap, bind, xp
from ember.autograd.grad_mode import _enabled

_PAD_MODES = {"reflect": "reflect", "constant": "constant", "replicate": "edge",
              "circular": "wrap"}


def _no_grad(name, input):
    if _enabled[0] and input.requires_grad:
        raise RuntimeError(f"ember.{name}: the input requires grad, but ember cannot "
                           "differentiate through complex results yet (PyTorch can); "
                           "transform a detached tensor")


def _window(window, win_length, n_fft, dtype, what):
    if window is None:
        warnings.warn(f"A window was not provided. A rectangular window will be applied{what}",
                      UserWarning, stacklevel=3)
        w = xp.ones(win_length, dtype)
    else:
        w = window._data.astype(dtype, copy=False)
        if w.shape != (win_length,):
            raise RuntimeError(f"stft: expected a 1D window tensor of size equal to "
                               f"win_length={win_length}, but got window with size "
                               f"{list(w.shape)}")
    left = (n_fft - win_length) // 2  # a shorter window is centred in the frame
    return xp.pad(w, (left, n_fft - win_length - left))


def _complex_dtype(a):
    return xp.complex128 if a.dtype in (xp.float64, xp.complex128) else xp.complex64


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
         pad_mode="reflect", normalized=False, onesided=None, return_complex=None):
    """Fourier transforms of windowed frames: (..., n_fft // 2 + 1, n_frames) complex (all
    n_fft frequencies with onesided=False)."""
    _no_grad("stft", input)
    x = input._data
    if return_complex is None and x.dtype.kind != "c":
        raise RuntimeError("stft requires the return_complex parameter be given for real "
                           "inputs, and will further require that return_complex=True in a "
                           "future PyTorch release.")
    if x.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got {x.ndim}D")
    hop = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    if not 0 < win_length <= n_fft:
        raise RuntimeError(f"stft: expected 0 < win_length <= n_fft, but got "
                           f"win_length={win_length}")
    if hop <= 0:
        raise RuntimeError(f"stft: expected hop_length > 0, but got hop_length={hop}")
    real = xp.float64 if x.dtype in (xp.float64, xp.complex128) else xp.float32
    w = _window(window, win_length, n_fft, real,
                ",which is known to cause spectral leakage. Other windows such as "
                "torch.hann_window or torch.hamming_window are recommended to reduce spectral "
                "leakage.To suppress this warning and use a rectangular window, explicitly set "
                "`window=torch.ones(n_fft, device=<device>)`.")
    if center:
        pad = [(0, 0)] * (x.ndim - 1) + [(n_fft // 2, n_fft // 2)]
        x = xp.pad(x, pad, mode=_PAD_MODES[pad_mode])
    if x.shape[-1] < n_fft:
        raise RuntimeError(f"stft: expected 0 < n_fft <= {x.shape[-1]}, but got n_fft={n_fft}")
    frames = xp.lib.stride_tricks.sliding_window_view(x, n_fft, axis=-1)[..., ::hop, :] * w
    one_sided = x.dtype.kind != "c" if onesided is None else onesided
    spec = xp.fft.rfft(frames, axis=-1) if one_sided else xp.fft.fft(frames, axis=-1)
    if normalized:
        spec = spec / xp.sqrt(n_fft)
    spec = xp.ascontiguousarray(xp.swapaxes(spec, -1, -2)).astype(_complex_dtype(x))
    if not return_complex:
        warnings.warn("stft with return_complex=False is deprecated. In a future pytorch "
                      "release, stft will return complex tensors for all inputs, and "
                      "return_complex=False will raise an error.", UserWarning, stacklevel=2)
        spec = xp.stack([spec.real, spec.imag], -1)
    return _wrap(spec)


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
          normalized=False, onesided=None, length=None, return_complex=False):
    """Inverse of stft by windowed overlap-add (least squares for overlapping windows)."""
    _no_grad("istft", input)
    spec = input._data
    if spec.dtype.kind != "c":
        raise RuntimeError("istft requires a complex-valued input tensor")
    hop = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    real = xp.float64 if spec.dtype == xp.complex128 else xp.float32
    w = _window(window, win_length, n_fft, real,
                ".Please provide the same window used by stft to make the inversion "
                "lossless.To suppress this warning and use a rectangular window, explicitly "
                "set `window=torch.ones(n_fft, device=<device>)`.")
    frames = xp.swapaxes(spec, -1, -2)  # (..., n_frames, freq)
    if normalized:
        frames = frames * xp.sqrt(n_fft)
    one_sided = (spec.shape[-2] != n_fft) if onesided is None else onesided
    if one_sided:
        time = xp.fft.irfft(frames, n=n_fft, axis=-1)
    else:
        time = xp.fft.ifft(frames, n=n_fft, axis=-1)
        if not return_complex:
            time = time.real
    n_frames = frames.shape[-2]
    total = n_fft + hop * (n_frames - 1)
    out = xp.zeros(frames.shape[:-2] + (total,), time.dtype)
    env = xp.zeros(total, real)
    for i in range(n_frames):  # overlap-add frame by frame (n_frames adds of n_fft samples)
        out[..., i * hop:i * hop + n_fft] += time[..., i, :] * w
        env[i * hop:i * hop + n_fft] += w * w
    start = n_fft // 2 if center else 0
    end = total - n_fft // 2 if center else total
    if length is not None:
        end = start + length
    out, env = out[..., start:end], env[start:end]
    if env.size and float(xp.abs(env).min()) < 1e-11:
        raise RuntimeError("istft: window overlap add min: 1 (the squared windows sum to zero "
                           "somewhere: no inverse)")
    out = out / env
    if length is not None and out.shape[-1] < length:
        out = xp.concatenate([out, xp.zeros(out.shape[:-1] + (length - out.shape[-1],),
                                            out.dtype)], -1)
    dtype = _complex_dtype(spec) if return_complex else real
    return _wrap(xp.ascontiguousarray(out).astype(dtype, copy=False))


bind({"stft": stft, "istft": istft})
__all__ = ["stft", "istft"]
