"""nn.utils.parametrizations: weight_norm and spectral_norm built on `parametrize`
(PyTorch's current API; the hook-based nn.utils.weight_norm/spectral_norm stay as they were)."""
from enum import Enum, auto

import ember
from ember._backend import xp
from ember._tensor import Tensor, _wrap
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




# -- orthogonal ------------------------------------------------------------------------------
class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


def _matrix_exp(A):
    """exp(A) by scaling and squaring with a Taylor series, written with differentiable
    Tensor ops (matmul, add) so the gradient comes from autograd."""
    with no_grad():
        norm = float(A.detach().abs().sum(-2).amax()) if A.numel() else 0.0
    s = max(0, int(xp.ceil(xp.log2(norm))) + 1) if norm > 0.5 else 0
    B = A / (2.0 ** s)
    eye = ember.eye(A.shape[-1], dtype=A.dtype).expand(A.shape)
    term, out = eye, eye
    for i in range(1, 19):  # ||B|| <= 1/2: the 19th term is below float64 eps
        term = (term @ B) / i
        out = out + term
    for _ in range(s):
        out = out @ out
    return out


def _householder_product(A, tau):
    """The first k columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^H, v_i the i-th column of
    the strictly lower triangular A with a unit on the diagonal (LAPACK's orgqr)."""
    n, k = A.shape[-2], A.shape[-1]
    eye = ember.eye(n, dtype=A.dtype)
    Q = eye.expand(*A.shape[:-2], n, n)
    for i in range(k):
        v = (A[..., :, i] + eye[i]).unsqueeze(-1)
        Q = Q - (Q @ v) @ (v.mH * tau[..., i, None, None])
    return Q[..., :k]


def _qr_q(A):
    """Q of A = QR with diag(R) >= 0 (A tall)."""
    Q, R = ember.linalg.qr(A)
    return Q * R.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


def _geqrf(A):
    """LAPACK geqrf (Householder vectors below the diagonal, R above; tau) per matrix."""
    a = A.numpy()
    flat = a.reshape(-1, *a.shape[-2:])
    hs, taus = [], []
    for m in flat:
        h, tau = xp.linalg.qr(m, mode="raw")
        hs.append(h.T)
        taus.append(tau)
    h = xp.stack(hs).reshape(a.shape).astype(a.dtype)
    tau = xp.stack(taus).reshape(*a.shape[:-2], -1).astype(a.dtype)
    return _wrap(h), _wrap(tau)


def _is_orthogonal(Q):
    n, k = Q.shape[-2], Q.shape[-1]
    eps = 10.0 * n * ember.finfo(Q.dtype).eps
    return ember.allclose(Q.mH @ Q, ember.eye(k, dtype=Q.dtype), atol=eps)


class _Orthogonal(Module):
    """Q = map(X) orthogonal (orthonormal columns, or rows when wide); with the dynamic
    trivialization Q = base @ map(X), `base` a buffer set by right_inverse."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex "
                             "tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map == _OrthMaps.householder:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            # NOTE: the sign of each column comes from the integer part of X's diagonal
            # (right_inverse stores -1 there)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        else:
            X = X.tril()
            if n != k:
                X = ember.cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)],
                              dim=-1)
            A = X - X.mH  # skew-symmetric
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = _matrix_exp(A)
            else:  # Cayley: (I - A/2)^-1 (I + A/2)
                eye = ember.eye(n, dtype=A.dtype)
                Q = ember.linalg.solve(eye - 0.5 * A, eye + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        if hasattr(self, "base"):
            Q = self.base @ Q
        return Q.mT if transposed else Q

    def right_inverse(self, Q):
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape "
                                 f"{self.shape}. Got a tensor of shape {Q.shape}.")
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if not hasattr(self, "base"):
                if self.orthogonal_map != _OrthMaps.householder:
                    raise NotImplementedError(
                        "It is not possible to assign to the matrix exponential or the Cayley "
                        "parametrizations when use_trivialization=False.")
                A, tau = _geqrf(Q.detach())
                d = A.diagonal(dim1=-2, dim2=-1)
                d.copy_(d.sign() * ember.where(tau == 0.0, -1.0, 1.0).to(d.dtype))
                return A.mT if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _qr_q(Q)
            else:
                N = ember.randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype)
                Q = _qr_q(ember.cat([Q, N], dim=-1))
            self.base = Q
            neg_id = ember.zeros_like(Q_init)
            neg_id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return neg_id


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Make `module.<name>` (a matrix or a batch of matrices) orthogonal: orthonormal
    columns when tall, orthonormal rows when wide.

    Args:
        module (nn.Module): containing module.
        name (str): name of the tensor. Default: "weight".
        orthogonal_map (str): "matrix_exp", "cayley" or "householder". Default:
            "matrix_exp" for square or complex matrices, "householder" otherwise.
        use_trivialization (bool): keep a `base` buffer (dynamic trivialization).
            Default: True.

    Example::

        >>> m = orthogonal(nn.Linear(20, 40))
        >>> Q = m.weight
        >>> bool(ember.allclose(Q.T @ Q, ember.eye(20), atol=1e-5))
        True
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError("Expected a matrix or batch of matrices. "
                         f"Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
