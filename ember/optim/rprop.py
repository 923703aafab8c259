"""Rprop: resilient backpropagation (sign-based steps with per-element adaptive sizes)."""
from ember._backend import xp
from ember._tensor import _wrap
from ember.optim.optimizer import Optimizer, _a, _bump, _check, _scalar_state, _step_value


class Rprop(Optimizer):
    """The resilient backpropagation algorithm, as torch.optim.Rprop.

    Each element keeps its own step size: multiplied by ``etas[1]`` when the gradient keeps
    its sign, by ``etas[0]`` when it flips (and that step is skipped), clamped to
    ``step_sizes``; ``p -= sign(g) * step_size``.

    Example:
        >>> opt = ember.optim.Rprop(model.parameters(), lr=0.01)
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 < etas[0] < 1.0 < etas[1], f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimisation step (`closure` re-evaluates the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            etaminus, etaplus = (float(e) for e in group["etas"])
            smin, smax = (float(s) for s in group["step_sizes"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _scalar_state(0.0)
                    st["prev"] = _wrap(xp.zeros_like(p._data))
                    st["step_size"] = _wrap(xp.full_like(p.grad._data, float(group["lr"])))
                _step_value(st)
                g = xp.negative(_a(p.grad)) if group["maximize"] else _a(p.grad).copy()
                prev, size = _a(st["prev"]), _a(st["step_size"])
                s = xp.sign(g * prev)
                # NOTE: the factors in the parameter dtype, so the float32 product rounds
                # as PyTorch's does
                factor = xp.ones_like(g)
                factor[s > 0] = etaplus
                flip = s < 0
                factor[flip] = etaminus
                size *= factor
                xp.clip(size, smin, smax, out=size)
                g[flip] = 0          # a sign flip: no step now, and no flip next time
                pa = _a(p)
                pa -= xp.sign(g) * size
                prev[...] = g
                _bump(p)
        return loss
