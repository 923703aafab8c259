"""Adafactor: Adam-like steps with factored second moments (row and column statistics)."""
from ember._backend import xp
from ember._tensor import _wrap
from ember.optim.optimizer import Optimizer, _a, _bump, _check, _scalar_state, _step_value


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern), as torch.optim.Adafactor.

    Matrices (and higher) keep row and column mean-square estimates instead of a full second
    moment; vectors keep a full one. ``beta2_t = 1 - t ** beta2_decay``; the step is scaled
    by ``max(eps2, rms(p)) * min(lr, 1 / sqrt(t))`` and clipped so that its RMS is at most
    ``d``.

    Example:
        >>> opt = ember.optim.Adafactor(model.parameters(), lr=1e-2)
    """

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        _check(0.0 <= lr, f"Learning rate should be >= 0 but is: {lr}")
        _check(0.0 >= beta2_decay, f"beta2_decay should be <= 0 but is: {beta2_decay}")
        _check(eps[0] is None or 0.0 <= eps[0], f"epsilon1 should be >= 0 but is: {eps[0]}")
        _check(0.0 <= eps[1], f"epsilon2 should be >= 0 but is: {eps[1]}")
        _check(1.0 <= d, f"Clipping threshold d should be >= 1 but is: {d}")
        _check(0.0 <= weight_decay, f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimisation step (`closure` re-evaluates the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, decay = float(group["lr"]), float(group["beta2_decay"])
            eps1, eps2 = group["eps"]
            d, wd = float(group["d"]), float(group["weight_decay"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.is_complex():
                    raise RuntimeError("Adafactor does not support complex parameters")
                st = self.state[p]
                g = p.grad._data
                if len(st) == 0:
                    st["step"] = _scalar_state(0.0)
                    if g.ndim > 1:
                        st["row_var"] = _wrap(xp.zeros(g.shape[:-1] + (1,), g.dtype))
                        st["col_var"] = _wrap(xp.zeros(g.shape[:-2] + (1, g.shape[-1]),
                                                       g.dtype))
                    else:
                        st["variance"] = _wrap(xp.zeros_like(g))
                if group["maximize"]:
                    g = -g
                if eps1 is None:
                    # NOTE: as in PyTorch, the first parameter's dtype fixes eps1 for the group
                    eps1 = float(xp.finfo(p._data.dtype).eps)
                t = _step_value(st)
                w = t ** decay                                    # 1 - beta2_t
                rho = min(lr, 1 / t ** 0.5)
                pa = _a(p)
                rms_p = float(xp.sqrt(xp.sum(pa * pa, dtype=pa.dtype))) / pa.size ** 0.5
                alpha = max(float(eps2), rms_p) * rho
                if wd != 0:
                    pa *= 1 - lr * wd
                if g.ndim > 1:
                    row, col = st["row_var"]._data, st["col_var"]._data
                    gg = g * g
                    row += (gg.sum(-1, keepdims=True) / g.shape[-1] - row) * w
                    col += (gg.sum(-2, keepdims=True) / g.shape[-2] - col) * w
                    est = row @ col
                    est /= xp.maximum(row.mean(-2, keepdims=True), eps1)
                else:
                    var = _a(st["variance"])
                    var += (g.reshape(var.shape) ** 2 - var) * w
                    est = var.copy()
                upd = 1 / xp.sqrt(xp.maximum(est, eps1 * eps1))
                upd *= g.reshape(upd.shape)
                rms_u = float(xp.sqrt(xp.sum(upd * upd, dtype=upd.dtype))) / upd.size ** 0.5
                denom = max(1.0, rms_u / d)
                pa -= upd * (alpha / denom)
                _bump(p)
        return loss
