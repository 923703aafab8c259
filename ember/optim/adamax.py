"""Adamax: Adam with the infinity norm (with weight decay and maximize)."""
from ember._backend import xp
from ember.optim.optimizer import (
    Optimizer,
    _a,
    _bump,
    _check_common,
    _grad_array,
    _lerp_,
    _scalar_state,
    _step_value,
    _zeros_state,
)


class Adamax(Optimizer):
    """Adamax (Kingma & Ba), as torch.optim.Adamax.

    ``m = lerp(m, g, 1-beta1)``; ``u = max(beta2*u, |g| + eps)``;
    ``p -= lr / (1 - beta1**t) * m / u``.

    Example:
        >>> opt = ember.optim.Adamax(model.parameters(), lr=2e-3)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_common(lr, eps, weight_decay, betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimisation step (`closure` re-evaluates the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = (float(b) for b in group["betas"])
            eps = float(group["eps"])
            wd = float(group["weight_decay"])
            maximize = group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _scalar_state(0.0)
                    st["exp_avg"] = _zeros_state(p)
                    st["exp_inf"] = _zeros_state(p)
                step = _step_value(st)
                g, _ = _grad_array(p, maximize, wd)
                m = _a(st["exp_avg"])
                u = _a(st["exp_inf"])
                tmp = xp.empty_like(m)
                _lerp_(m, g, 1.0 - beta1, tmp)
                u *= beta2
                xp.abs(g, out=tmp)
                tmp += eps
                xp.maximum(u, tmp, out=u)
                clr = lr / (1.0 - beta1 ** step)
                xp.multiply(m, -clr, out=tmp)
                tmp /= u
                pa = _a(p)
                pa += tmp
                _bump(p)
        return loss
