"""RAdam: Adam with a rectified adaptive learning rate (weight decay, maximize)."""
from ember._backend import xp
from ember.optim.optimizer import (
    Optimizer,
    _a,
    _addcmul_sq_,
    _bump,
    _check_common,
    _grad_array,
    _lerp_,
    _scalar_state,
    _step_value,
    _zeros_state,
)


class RAdam(Optimizer):
    """RAdam (Liu et al.), as torch.optim.RAdam: plain momentum SGD while the variance of
    the adaptive rate is intractable (rho_t <= 5), rectified Adam afterwards.

    Example:
        >>> opt = ember.optim.RAdam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_common(lr, eps, weight_decay, betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimisation step (`closure` re-evaluates the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = (float(b) for b in group["betas"])
            eps = float(group["eps"])
            wd = float(group["weight_decay"])
            decoupled = group["decoupled_weight_decay"]
            maximize = group["maximize"]
            rho_inf = 2.0 / (1.0 - beta2) - 1.0
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _scalar_state(0.0)
                    st["exp_avg"] = _zeros_state(p)
                    st["exp_avg_sq"] = _zeros_state(p)
                step = _step_value(st)
                if decoupled:
                    if wd != 0:
                        pa = _a(p)
                        pa *= 1.0 - lr * wd
                    g, _ = _grad_array(p, maximize, 0.0)
                else:
                    g, _ = _grad_array(p, maximize, wd)
                m = _a(st["exp_avg"])
                v = _a(st["exp_avg_sq"])
                tmp = xp.empty_like(m)
                _lerp_(m, g, 1.0 - beta1, tmp)
                v *= beta2
                _addcmul_sq_(v, g, 1.0 - beta2, tmp)
                bias_correction1 = 1.0 - beta1 ** step
                bias_correction2 = 1.0 - beta2 ** step
                upd = m / bias_correction1
                upd *= lr
                rho_t = rho_inf - 2.0 * step * (beta2 ** step) / bias_correction2
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    xp.sqrt(v, out=tmp)
                    tmp += eps
                    xp.divide(bias_correction2 ** 0.5, tmp, out=tmp)
                    upd *= tmp
                    upd *= rect
                pa = _a(p)
                pa -= upd
                _bump(p)
        return loss
