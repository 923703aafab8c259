"""Adam (with amsgrad, L2 or decoupled weight decay, maximize)."""

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


def _adam_update(p, g, st, lr, beta1, beta2, eps, amsgrad, step):
    """One Adam step on raw arrays, in place (PyTorch's single-tensor order of operations)."""
    m = _a(st["exp_avg"])
    v = _a(st["exp_avg_sq"])
    tmp = xp.empty_like(m)
    _lerp_(m, g, 1.0 - beta1, tmp)
    v *= beta2
    _addcmul_sq_(v, g, 1.0 - beta2, tmp)
    bias_correction1 = 1.0 - beta1 ** step
    bias_correction2 = 1.0 - beta2 ** step
    step_size = lr / bias_correction1
    if amsgrad:
        vmax = _a(st["max_exp_avg_sq"])
        xp.maximum(vmax, v, out=vmax)
        v = vmax
    # denom = sqrt(v) / sqrt(bc2) + eps;  p += (-step_size * m) / denom
    xp.sqrt(v, out=tmp)
    tmp /= bias_correction2 ** 0.5
    tmp += eps
    upd = m * (-step_size)
    upd /= tmp
    p += upd


class Adam(Optimizer):
    """Adam (Kingma & Ba), as torch.optim.Adam.

    Example:
        >>> opt = ember.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check_common(lr, eps, weight_decay, betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _init_state(self, p, amsgrad):
        st = self.state[p]
        if len(st) == 0:
            st["step"] = _scalar_state(0.0)
            st["exp_avg"] = _zeros_state(p)
            st["exp_avg_sq"] = _zeros_state(p)
            if amsgrad:
                st["max_exp_avg_sq"] = _zeros_state(p)
        return st

    def step(self, closure=None):
        """Perform one optimisation step (`closure` re-evaluates the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = (float(b) for b in group["betas"])
            eps = float(group["eps"])
            wd = float(group["weight_decay"])
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            decoupled = group.get("decoupled_weight_decay", False)
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self._init_state(p, amsgrad)
                step = _step_value(st)
                if decoupled:
                    if wd != 0:
                        pa = _a(p)
                        pa *= 1.0 - lr * wd
                    g, _ = _grad_array(p, maximize, 0.0)
                else:
                    g, _ = _grad_array(p, maximize, wd)
                _adam_update(_a(p), g, st, lr, beta1, beta2, eps, amsgrad, step)
                _bump(p)
        return loss
