"""Muon: momentum orthogonalised by a Newton-Schulz iteration, for 2-D parameters."""
import math

from ember import _dtype
from ember._backend import xp
from ember._tensor import _wrap
from ember.optim.optimizer import Optimizer, _bump, _check, _lerp_

EPS = 1e-7
DEFAULT_A, DEFAULT_B, DEFAULT_C = 3.4445, -4.7750, 2.0315
DEFAULT_NS_STEPS = 5


def _bf16():
    try:
        return _dtype.bfloat16.np
    except Exception:  # ml_dtypes missing: the iteration runs in float32
        return None


def _round(a, bf):
    """a rounded to bfloat16 (as PyTorch's bfloat16 kernels store results), kept float32."""
    return a if bf is None else a.astype(bf).astype(xp.float32)


def _zeropower_via_newtonschulz(g, coefficients, steps, eps):
    """The quintic Newton-Schulz iteration of PyTorch's Muon (in bfloat16, as there):
    approximately U V^T for g = U S V^T."""
    if steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if g.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = (float(v) for v in coefficients)
    bf = _bf16()
    x = _round(g.astype(xp.float32), bf)
    tall = g.shape[0] > g.shape[1]
    if tall:
        x = x.T
    norm = _round(xp.sqrt(xp.sum(x * x, dtype=xp.float32)), bf)
    x = _round(x / max(float(norm), eps), bf)
    for _ in range(steps):
        gram = _round(x @ x.T, bf)
        upd = _round(b * gram + c * (gram @ gram), bf)
        x = _round(a * x + upd @ x, bf)
    return x.T if tall else x


def _lerp(a, b, w):
    """a + w (b - a) out of place, with PyTorch's two-sided formula."""
    return a + w * (b - a) if w < 0.5 else b - (1 - w) * (b - a)


def _adjust_lr(lr, fn, shape):
    rows, cols = shape[:2]
    if fn is None or fn == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    """Muon (Keller Jordan et al.), as torch.optim.Muon: SGD momentum (Nesterov by default)
    whose update is orthogonalised by ``ns_steps`` Newton-Schulz iterations, with decoupled
    weight decay and a shape-dependent learning-rate adjustment. 2-D parameters only.

    Example:
        >>> opt = ember.optim.Muon([p for p in model.parameters() if p.ndim == 2], lr=0.02)
    """

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C), eps=EPS,
                 ns_steps=DEFAULT_NS_STEPS, adjust_lr_fn=None):
        _check(0.0 <= lr, f"Learning rate should be >= 0 but is: {lr}")
        _check(0.0 <= momentum, f"momentum should be >= 0 but is: {momentum}")
        _check(0.0 <= weight_decay, f"weight decay should be >= 0 but is: {weight_decay}")
        _check(adjust_lr_fn in (None, "original", "match_rms_adamw"),
               f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps,
                        adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError("Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {p.size()}")

    def step(self, closure=None):
        """Perform one optimisation step (`closure` re-evaluates the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, wd = float(group["lr"]), float(group["weight_decay"])
            mom = float(group["momentum"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.is_complex():
                    raise RuntimeError("Muon does not support complex parameters")
                st = self.state[p]
                if "momentum_buffer" not in st:
                    st["momentum_buffer"] = _wrap(xp.zeros_like(p.grad._data))
                g = p.grad._data
                buf = st["momentum_buffer"]._data
                _lerp_(buf, g, 1 - mom, xp.empty_like(buf))
                upd = _lerp(g, buf, mom) if group["nesterov"] else buf
                o = _zeropower_via_newtonschulz(upd, group["ns_coefficients"],
                                                group["ns_steps"], float(group["eps"]))
                pa = p._data
                pa *= 1 - lr * wd
                pa -= (o * _adjust_lr(lr, group["adjust_lr_fn"], pa.shape)).astype(
                    pa.dtype, copy=False)
                _bump(p)
        return loss
