"""ASGD: averaged stochastic gradient descent."""
from ember._backend import xp
from ember._tensor import _wrap
from ember.optim.optimizer import (
    Optimizer,
    _a,
    _bump,
    _check,
    _grad_array,
    _scalar_state,
    _step_value,
)


class ASGD(Optimizer):
    """Averaged SGD (Polyak & Juditsky), as torch.optim.ASGD.

    ``p *= 1 - lambd * eta``; ``p -= eta * g``; the running average ``ax`` follows ``p``
    with weight ``mu``; then ``eta = lr / (1 + lambd * lr * t) ** alpha`` and
    ``mu = 1 / max(1, t - t0)``.

    Example:
        >>> opt = ember.optim.ASGD(model.parameters(), lr=0.01)
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimisation step (`closure` re-evaluates the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, lambd = float(group["lr"]), float(group["lambd"])
            alpha, t0 = float(group["alpha"]), float(group["t0"])
            wd = float(group["weight_decay"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _scalar_state(0.0)
                    st["eta"] = _scalar_state(lr)
                    st["mu"] = _scalar_state(1.0)
                    st["ax"] = _wrap(xp.zeros_like(p._data))
                step = _step_value(st)
                g, _ = _grad_array(p, group["maximize"], wd)
                eta = float(st["eta"]._data)
                pa = _a(p)
                pa *= 1 - lambd * eta
                pa -= g * eta
                ax, mu = _a(st["ax"]), st["mu"]._data
                if float(mu) != 1:
                    ax += (pa - ax) * mu.astype(pa.dtype)
                else:
                    ax[...] = pa
                st["eta"]._data[...] = lr / ((1 + lambd * lr * step) ** alpha)
                st["mu"]._data[...] = 1 / max(1, step - t0)
                _bump(p)
        return loss
