"""nn.utils.parametrizations: weight_norm and spectral_norm built on `parametrize`
(PyTorch's current API; the hook-based nn.utils.weight_norm/spectral_norm stay as they were)."""
import ember
from ember._tensor import Tensor
from ember.autograd.grad_mode import no_grad
from ember.nn import functional as F
from ember.nn.modules.module import Module
from ember.nn.utils import parametrize
from ember.nn.utils.weight_norm import _norm_except_dim

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


class _WeightNorm(Module):
    """w = g * v / ||v||, the norm taken over every dim but `dim` (the whole tensor when
    dim is None / -1)."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight):
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Weight normalisation: `module.<name>` becomes g * v / ||v||, with the magnitude g in
    `parametrizations.<name>.original0` and the direction v in `original1`. Old checkpoints
    with `<name>_g` / `<name>_v` keys still load.

    Args:
        module (nn.Module): containing module.
        name (str): name of the weight. Default: "weight".
        dim (int or None): the dim kept by the norm (None: norm of the whole tensor).

    Example::

        >>> m = weight_norm(nn.Linear(20, 40))
        >>> m.parametrizations.weight.original0.size()
        ember.Size([40, 1])
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _compat_hook(state_dict, prefix, local_metadata, strict, missing_keys,
                     unexpected_keys, error_msgs):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(_compat_hook)
    return module


class _SpectralNorm(Module):
    """w / sigma(w), sigma estimated by power iteration on the buffers `_u` and `_v`
    (one or more steps per access in training mode, none in eval mode)."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError("Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            with no_grad():
                mat = self._reshape_weight_to_matrix(weight.detach())
                h, w = mat.shape
                u = F.normalize(ember.randn(h, dtype=weight.dtype), dim=0, eps=eps)
                v = F.normalize(ember.randn(w, dtype=weight.dtype), dim=0, eps=eps)
            self.register_buffer("_u", u)
            self.register_buffer("_v", v)
            # start from good singular vector estimates rather than random ones
            self._power_method(mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations):
        # NOTE: u and v are updated in place (the buffers keep their identity); forward
        # clones them so a graph built by an earlier forward stays valid (GAN-style
        # D(real) + D(fake) before one backward).
        with no_grad():
            mat = weight_mat.detach()
            u, v = self._u, self._v
            for _ in range(n_power_iterations):
                u.copy_(F.normalize(ember.mv(mat, v), dim=0, eps=self.eps))
                v.copy_(F.normalize(ember.mv(mat.mH, u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            # a vector: its spectral norm is its 2-norm, no estimate needed
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = ember.vdot(u, ember.mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Spectral normalisation: `module.<name>` becomes w / sigma(w), sigma (the largest
    singular value of w reshaped to a matrix around `dim`) estimated by power iteration.

    Args:
        module (nn.Module): containing module.
        name (str): name of the weight. Default: "weight".
        n_power_iterations (int): power iterations per access in training mode. Default: 1.
        eps (float): epsilon of the normalisations. Default: 1e-12.
        dim (int): the output dim; default 0, or 1 for ConvTranspose modules.

    Example::

        >>> m = spectral_norm(nn.Linear(20, 40))
        >>> list(m.state_dict())[-2:]
        ['parametrizations.weight.0._u', 'parametrizations.weight.0._v']
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if type(module).__name__ in ("ConvTranspose1d", "ConvTranspose2d",
                                              "ConvTranspose3d") else 0
        if dim == 0 and _is_conv_transpose(module):
            dim = 1
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


def _is_conv_transpose(module):
    from ember import nn

    kinds = tuple(getattr(nn, k) for k in ("ConvTranspose1d", "ConvTranspose2d",
                                           "ConvTranspose3d") if hasattr(nn, k))
    return isinstance(module, kinds)


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    raise NotImplementedError("ember.nn.utils.parametrizations.orthogonal is not implemented")
