"""SparseAdam: Adam for sparse gradients. ember has no sparse tensors, so every gradient it
can produce is dense and step() refuses it, as PyTorch's does."""
from ember.optim.optimizer import Optimizer, _check


class SparseAdam(Optimizer):
    """Lazy Adam for sparse gradients (torch.optim.SparseAdam): only the rows present in
    the gradient are updated. ember's gradients are always dense, for which PyTorch's (and
    this) step() raises "SparseAdam does not support dense gradients".

    Example:
        >>> opt = ember.optim.SparseAdam(embedding.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        _check(0.0 < lr, f"Invalid learning rate: {lr}")
        _check(0.0 < eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        defaults = dict(lr=lr, betas=betas, eps=eps, maximize=maximize)
        super().__init__(params, defaults)
        cplx = [[i, j] for i, g in enumerate(self.param_groups)
                for j, p in enumerate(g["params"]) if p.is_complex()]
        if cplx:
            raise ValueError(f"Complex params at indices {cplx}: SparseAdam does not support "
                             "complex parameters")

    def step(self, closure=None):
        """Perform one optimisation step; refuses dense gradients."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    raise RuntimeError("SparseAdam does not support dense gradients, please "
                                       "consider Adam instead")
        return loss
