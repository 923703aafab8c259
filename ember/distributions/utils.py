"""Helpers shared by the distributions (torch.distributions.utils)."""
from functools import update_wrapper

import ember
from ember._tensor import Tensor

euler_constant = 0.57721566490153286060  # Euler-Mascheroni constant

_Number = (int, float)

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits", "lazy_property",
           "tril_matrix_to_vec", "vec_to_tril_matrix"]


def broadcast_all(*values):
    """Broadcast tensors and numbers to one shape; numbers become tensors of the first
    tensor's dtype (or the default dtype when every value is a number)."""
    if not all(isinstance(v, (Tensor,) + _Number) for v in values):
        raise ValueError("Input arguments must all be instances of Number, ember.Tensor or "
                         "objects implementing __torch_function__.")
    if not all(isinstance(v, Tensor) for v in values):
        dtype = next((v.dtype for v in values if isinstance(v, Tensor)),
                     ember.get_default_dtype())
        values = [v if isinstance(v, Tensor) else ember.tensor(v, dtype=dtype) for v in values]
    shape = values[0].shape
    if all(v.shape == shape for v in values):
        return tuple(values)  # nothing to broadcast: no expand nodes in the graph
    return ember.broadcast_tensors(*values)


def _standard_normal(shape, dtype, device=None):
    return ember.randn(shape, dtype=dtype)


def _sum_rightmost(value, dim):
    """Sum out the `dim` rightmost dimensions of `value`."""
    if dim == 0:
        return value
    return value.reshape(value.shape[:-dim] + (-1,)).sum(-1)


def logits_to_probs(logits, is_binary=False):
    if is_binary:
        return ember.sigmoid(logits)
    return ember.softmax(logits, dim=-1)


def clamp_probs(probs):
    eps = ember.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return ember.log(ps_clamped) - ember.log1p(-ps_clamped)
    return ember.log(ps_clamped)


class lazy_property:
    """A property computed on first access (with grad enabled) and then cached on the
    instance, so a distribution built from `probs` derives `logits` once."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        with ember.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _tril_mask(n, diag):
    arange = ember.arange(n)
    return arange < arange.view(-1, 1) + (diag + 1)


def tril_matrix_to_vec(mat, diag=0):
    """The lower-triangular entries of `mat` (row by row) as a vector."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    return mat[..., _tril_mask(n, diag)]


def vec_to_tril_matrix(vec, diag=0):
    """The inverse of tril_matrix_to_vec: a vector to a lower-triangular matrix."""
    m = vec.shape[-1]
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * m + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    if round(n) - n > ember.finfo(vec.dtype).eps:
        raise ValueError(f"The size of last dimension is {m} which cannot be expressed as "
                         "the lower triangular part of a square D x D matrix.")
    n = round(n)
    mask = _tril_mask(n, diag).reshape(-1)
    count = int(mask.sum())
    if count != m:  # the size check above is one-sided, as in PyTorch
        value = ", ".join(map(str, vec.shape))
        result = ", ".join(map(str, vec.shape[:-1] + (count,)))
        raise RuntimeError(f"shape mismatch: value tensor of shape [{value}] cannot be "
                           f"broadcast to indexing result of shape [{result}]")
    idx = ember.cumsum(mask.long(), 0) - 1
    flat = ember.where(mask, vec[..., idx.clamp(min=0)], vec.new_zeros(()))
    return flat.reshape(vec.shape[:-1] + (n, n))
