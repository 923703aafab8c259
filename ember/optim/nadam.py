"""NAdam: Adam with Nesterov momentum (with momentum decay, weight decay, maximize)."""
from ember._backend import xp
from ember.optim.optimizer import (
    Optimizer,
    _a,
    _addcmul_sq_,
    _bump,
    _check,
    _check_common,
    _grad_array,
    _lerp_,
    _scalar_state,
    _step_value,
    _zeros_state,
)


class NAdam(Optimizer):
    """NAdam (Dozat), as torch.optim.NAdam.

    Example:
        >>> opt = ember.optim.NAdam(model.parameters(), lr=2e-3)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_common(lr, eps, weight_decay, betas)
        _check(0.0 <= momentum_decay, f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimisation step (`closure` re-evaluates the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = (float(b) for b in group["betas"])
            eps = float(group["eps"])
            wd = float(group["weight_decay"])
            md = float(group["momentum_decay"])
            decoupled = group["decoupled_weight_decay"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _scalar_state(0.0)
                    st["mu_product"] = _scalar_state(1.0)
                    st["exp_avg"] = _zeros_state(p)
                    st["exp_avg_sq"] = _zeros_state(p)
                step = _step_value(st)
                bias_correction2 = 1.0 - beta2 ** step
                if decoupled:
                    if wd != 0:
                        pa = _a(p)
                        pa *= 1.0 - lr * wd
                    g, _ = _grad_array(p, maximize, 0.0)
                else:
                    g, _ = _grad_array(p, maximize, wd)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * md)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * md)))
                # mu_product is a float32 tensor in PyTorch: round it the same way
                mp = _a(st["mu_product"])
                mp *= mu
                mu_product = float(mp[0])
                mu_product_next = mu_product * mu_next
                m = _a(st["exp_avg"])
                v = _a(st["exp_avg_sq"])
                denom = xp.empty_like(m)
                _lerp_(m, g, 1.0 - beta1, denom)
                v *= beta2
                _addcmul_sq_(v, g, 1.0 - beta2, denom)
                xp.divide(v, bias_correction2, out=denom)
                xp.sqrt(denom, out=denom)
                denom += eps
                upd = g * (-lr * (1.0 - mu) / (1.0 - mu_product))
                upd /= denom
                pa = _a(p)
                pa += upd
                xp.multiply(m, (-lr * mu_next) / (1.0 - mu_product_next), out=upd)
                upd /= denom
                pa = _a(p)
                pa += upd
                _bump(p)
        return loss
