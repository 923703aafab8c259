"""RMSprop (with momentum, centering, weight decay and maximize)."""
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


class RMSprop(Optimizer):
    """RMSprop (Hinton), as torch.optim.RMSprop.

    ``v = alpha * v + (1 - alpha) * g**2``; ``p -= lr * g / (sqrt(v) + eps)`` (centered
    subtracts the squared running mean of g; momentum accumulates the step).

    Example:
        >>> opt = ember.optim.RMSprop(model.parameters(), lr=1e-2, alpha=0.99)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check_common(lr, eps, weight_decay)
        _check(0.0 <= momentum, f"Invalid momentum value: {momentum}")
        _check(0.0 <= alpha, f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimisation step (`closure` re-evaluates the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            alpha = float(group["alpha"])
            eps = float(group["eps"])
            wd = float(group["weight_decay"])
            momentum = float(group["momentum"])
            centered = group["centered"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _scalar_state(0.0)
                    st["square_avg"] = _zeros_state(p)
                    if momentum > 0:
                        st["momentum_buffer"] = _zeros_state(p)
                    if centered:
                        st["grad_avg"] = _zeros_state(p)
                _step_value(st)
                g, _ = _grad_array(p, maximize, wd)
                v = _a(st["square_avg"])
                avg = xp.empty_like(v)
                v *= alpha
                _addcmul_sq_(v, g, 1.0 - alpha, avg)
                if centered:
                    ga = _a(st["grad_avg"])
                    _lerp_(ga, g, 1.0 - alpha, avg)
                    xp.multiply(ga, ga, out=avg)
                    xp.subtract(v, avg, out=avg)
                    xp.sqrt(avg, out=avg)
                else:
                    xp.sqrt(v, out=avg)
                avg += eps
                if momentum > 0:
                    buf = _a(st["momentum_buffer"])
                    buf *= momentum
                    buf += g / avg
                    pa = _a(p)
                    pa -= buf * lr
                else:
                    upd = g * (-lr)
                    upd /= avg
                    pa = _a(p)
                    pa += upd
                _bump(p)
        return loss
