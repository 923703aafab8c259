"""Adadelta (with weight decay and maximize)."""
from ember._backend import xp
from ember.optim.optimizer import (
    Optimizer,
    _a,
    _addcmul_sq_,
    _bump,
    _check,
    _check_common,
    _grad_array,
    _scalar_state,
    _step_value,
    _zeros_state,
)


class Adadelta(Optimizer):
    """Adadelta (Zeiler), as torch.optim.Adadelta.

    ``v = rho*v + (1-rho)*g**2``; ``d = sqrt(u + eps) / sqrt(v + eps) * g``;
    ``u = rho*u + (1-rho)*d**2``; ``p -= lr * d``.

    Example:
        >>> opt = ember.optim.Adadelta(model.parameters(), lr=1.0, rho=0.9)
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check_common(lr, eps, weight_decay)
        _check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimisation step (`closure` re-evaluates the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            rho = float(group["rho"])
            eps = float(group["eps"])
            wd = float(group["weight_decay"])
            maximize = group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _scalar_state(0.0)
                    st["square_avg"] = _zeros_state(p)
                    st["acc_delta"] = _zeros_state(p)
                _step_value(st)
                g, _ = _grad_array(p, maximize, wd)
                v = _a(st["square_avg"])
                u = _a(st["acc_delta"])
                tmp = xp.empty_like(v)
                v *= rho
                _addcmul_sq_(v, g, 1.0 - rho, tmp)
                std = v + eps
                xp.sqrt(std, out=std)
                delta = u + eps
                xp.sqrt(delta, out=delta)
                delta /= std
                delta *= g
                u *= rho
                _addcmul_sq_(u, delta, 1.0 - rho, tmp)
                delta *= -lr
                pa = _a(p)
                pa += delta
                _bump(p)
        return loss
