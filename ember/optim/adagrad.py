"""Adagrad (with learning-rate decay, initial accumulator, weight decay and maximize)."""
from ember._backend import xp
from ember.optim.optimizer import (
    Optimizer,
    _a,
    _bump,
    _check,
    _check_common,
    _grad_array,
    _scalar_state,
    _step_value,
    _zeros_state,
)


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), as torch.optim.Adagrad.

    ``s += g**2``; ``p -= clr * g / (sqrt(s) + eps)`` with
    ``clr = lr / (1 + (step - 1) * lr_decay)``. State is created at construction.

    Example:
        >>> opt = ember.optim.Adagrad(model.parameters(), lr=1e-2)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_common(lr, eps, weight_decay)
        _check(0.0 <= lr_decay, f"Invalid lr_decay value: {lr_decay}")
        _check(0.0 <= initial_accumulator_value,
               f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group):
        st = self.state[p]
        if len(st) == 0:
            st["step"] = _scalar_state(0.0)
            st["sum"] = _zeros_state(p, float(group["initial_accumulator_value"]))
        return st

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        if hasattr(self, "state"):
            for p in param_group["params"]:
                self._init_state(p, param_group)

    def step(self, closure=None):
        """Perform one optimisation step (`closure` re-evaluates the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            lr_decay = float(group["lr_decay"])
            eps = float(group["eps"])
            wd = float(group["weight_decay"])
            maximize = group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self._init_state(p, group)
                step = _step_value(st)
                g, _ = _grad_array(p, maximize, wd)
                clr = lr / (1 + (step - 1) * lr_decay)
                s = _a(st["sum"])
                std = g * g
                s += std
                xp.sqrt(s, out=std)
                std += eps
                upd = g * (-clr)
                upd /= std
                pa = _a(p)
                pa += upd
                _bump(p)
        return loss
