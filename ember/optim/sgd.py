"""SGD with momentum, dampening, Nesterov momentum, weight decay and maximize."""
from ember._tensor import _wrap
from ember.optim.optimizer import Optimizer, _a, _bump, _check, _check_common, _grad_array


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as torch.optim.SGD.

    ``buf = momentum * buf + (1 - dampening) * g``; ``p -= lr * buf`` (or, with
    ``nesterov=True``, ``p -= lr * (g + momentum * buf)``).

    Example:
        >>> opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        _check_common(lr, weight_decay=weight_decay)
        _check(0.0 <= momentum, f"Invalid momentum value: {momentum}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimisation step (`closure` re-evaluates the loss)."""
        loss = self._closure_loss(closure)
        state = self.state
        for group in self.param_groups:
            lr = float(group["lr"])
            momentum = float(group["momentum"])
            dampening = float(group["dampening"])
            wd = float(group["weight_decay"])
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g, owned = _grad_array(p, maximize, wd)
                if momentum != 0:
                    st = state[p]
                    buf = st.get("momentum_buffer")
                    if buf is None:
                        # the first step's buffer is the gradient itself (no dampening)
                        b = g.copy()
                        st["momentum_buffer"] = _wrap(b.view(p._data.dtype).reshape(p._data.shape))
                    else:
                        b = _a(buf)
                        b *= momentum
                        if dampening != 0:
                            b += g * (1.0 - dampening)
                        else:
                            b += g
                    if nesterov:
                        if owned:
                            g += b * momentum
                        else:
                            g = b * momentum
                            g += _a(p.grad)
                            owned = True
                    else:
                        g = b
                        owned = False
                if owned:
                    g *= lr
                    pa = _a(p)
                    pa -= g
                else:
                    pa = _a(p)
                    pa -= g * lr
                _bump(p)
        return loss
