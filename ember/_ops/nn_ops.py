"""Fused neural-network ops: linear, softmax family, dropout, norms and distances
(activations are in activations.py, losses in loss_ops.py).

Each is ONE graph node with a hand-written backward, so a training step builds a short
graph and does few NumPy calls.
"""
import math
import warnings

from ember import _random
from ember import _random_draws as _draws
from ember._backend.threads import dot as _dot
from ember._ops._aliases import required_dim
from ember._ops._autocast import DTYPE as _AC
from ember._ops._autocast import lower as _ac_lower
from ember._ops._helpers import Tensor, _wrap, bind, xp
from ember._ops.activations import (  # noqa: F401 - also re-exported for nn.functional
    _SELU_ALPHA,
    _SELU_SCALE,
    ACT_OPS,
    PRelu,
    _const,
    _dt,
    activation,
    prelu,
)
from ember.autograd.function import Op


# -- linear -----------------------------------------------------------------------------------
class Linear(Op):
    """y = x @ W.T + b in one node; backward gives grad_x, grad_W, grad_b directly."""

    _bw_name = "AddmmBackward0"

    # NOTE: ndarray.dot equals matmul when the right operand is 2-D, and costs half the
    # dispatch of a small matmul (0.65 vs 1.3 us on 8x8)
    def forward(ctx, x, w, b):
        y = _dot(x, w.T)
        if b is not None:
            y += b
        ctx.save_for_backward(x, w)
        return y

    def backward(ctx, g):
        x, w = ctx.saved
        needs = ctx.needs_input_grad
        gx = gw = gb = None
        if needs[0]:
            gx = _dot(g, w)
        if x.ndim > 2:  # fold leading dims into one batch dim
            g = g.reshape(-1, g.shape[-1])
            x = x.reshape(-1, x.shape[-1])
        if needs[1]:
            gw = _dot(g.T, x) if x.ndim == 2 else xp.multiply.outer(g, x)
        if needs[2]:
            gb = g.sum(0) if g.ndim == 2 else g
        return gx, gw, gb

    def tbackward(ctx, g):
        x, w, b = ctx.inputs
        needs = ctx.needs_input_grad
        gx = g.matmul(w) if needs[0] else None
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        gw = g2.t().matmul(x2) if needs[1] else None
        gb = g2.sum(0) if needs[2] else None
        return gx, gw, gb


class _LinearMm(Linear):
    _bw_name = "MmBackward0"  # PyTorch's name for a 2-D input without bias


class _LinearView(Linear):
    _bw_name = "ViewBackward0"  # ... and for inputs of more than 2 dims (or 1-D) with a bias


class _LinearUnsafeView(Linear):
    _bw_name = "UnsafeViewBackward0"  # ... inputs of more than 2 dims without bias (a matmul)


class _LinearSqueeze(Linear):
    _bw_name = "SqueezeBackward4"  # ... and a 1-D input without bias


def _typename(obj):
    t = type(obj)
    mod = t.__module__.split(".")[0]
    return t.__name__ if mod == "builtins" else f"{mod}.{t.__name__}"


def _linear_error(x, w):
    xa, wa = x._data, w._data
    if xa.dtype != wa.dtype:
        return RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_dt(xa)} and "
                            f"{_dt(wa)}")
    rows = xa.size // xa.shape[-1] if xa.ndim and xa.shape[-1] else (
        xa.shape[0] if xa.ndim > 1 else 1)
    cols = xa.shape[-1] if xa.ndim else 1
    return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and "
                        f"{wa.shape[1] if wa.ndim > 1 else wa.shape[0]}x{wa.shape[0]})")


def linear(input, weight, bias=None):
    """y = input @ weight.T + bias (PyTorch's F.linear), fused into one graph node."""
    if _AC[0] is not None:
        input, weight, bias = _ac_lower(input, weight, bias)
    try:
        xa = input._data
        wa = weight._data
    except AttributeError:
        bad, name = (input, "input") if not isinstance(input, Tensor) else (weight, "weight")
        raise TypeError(f"linear(): argument '{name}' (position {1 if name == 'input' else 2}) "
                        f"must be Tensor, not {_typename(bad)}") from None
    if xa.dtype != wa.dtype or xa.ndim == 0 or wa.ndim != 2 or xa.shape[-1] != wa.shape[1]:
        if wa.ndim == 1 and xa.ndim and xa.shape[-1] == wa.shape[0] and xa.dtype == wa.dtype:
            from ember._ops.linalg import matmul

            out = matmul(input, weight)
            return out if bias is None else out + bias
        raise _linear_error(input, weight)
    if bias is not None and bias._data.dtype != xa.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_dt(xa)} != {_dt(bias._data)}")
    if xa.ndim == 2:
        return (Linear if bias is not None else _LinearMm).apply(input, weight, bias)
    if bias is None:
        return (_LinearSqueeze if xa.ndim == 1 else _LinearUnsafeView).apply(input, weight, bias)
    return _LinearView.apply(input, weight, bias)


class Bilinear(Op):
    """y[n, o] = x1[n, i] W[o, i, j] x2[n, j] + b[o]."""

    def forward(ctx, x1, x2, w, b):
        t = xp.matmul(x1[:, None, None, :], w[None]).squeeze(-2)  # (N, O, J)
        y = xp.einsum("noj,nj->no", t, x2, optimize=True)
        if b is not None:
            y = y + b
        ctx.save_for_backward(x1, x2, w, t)
        return y

    def backward(ctx, g):
        x1, x2, w, t = ctx.saved
        needs = ctx.needs_input_grad
        g1 = g2 = gw = gb = None
        if needs[0]:
            g1 = xp.einsum("no,oij,nj->ni", g, w, x2, optimize=True)
        if needs[1]:
            g2 = xp.einsum("no,noj->nj", g, t, optimize=True)
        if needs[2]:
            gw = xp.einsum("no,ni,nj->oij", g, x1, x2, optimize=True)
        if needs[3]:
            gb = g.sum(0)
        return g1, g2, gw, gb

    def tbackward(ctx, g):
        from ember._ops.contractions import einsum

        x1, x2, w, b = ctx.inputs
        needs = ctx.needs_input_grad
        g1 = einsum("no,oij,nj->ni", g, w, x2) if needs[0] else None
        g2 = einsum("no,oij,ni->nj", g, w, x1) if needs[1] else None
        gw = einsum("no,ni,nj->oij", g, x1, x2) if needs[2] else None
        gb = g.sum(0) if needs[3] else None
        return g1, g2, gw, gb


def bilinear(input1, input2, weight, bias=None):
    """y = x1^T W x2 + b over the last dims (PyTorch's F.bilinear)."""
    lead = input1.shape[:-1]
    x1 = input1.reshape(-1, input1.shape[-1]) if input1.ndim != 2 else input1
    x2 = input2.reshape(-1, input2.shape[-1]) if input2.ndim != 2 else input2
    if weight.ndim != 3 or x1.shape[-1] != weight.shape[1] or x2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input sizes {list(input1.shape)} and "
                           f"{list(input2.shape)} do not match weight of shape "
                           f"{list(weight.shape)}")
    y = Bilinear.apply(x1, x2, weight, bias)
    return y.reshape(*lead, weight.shape[0]) if input1.ndim != 2 else y




# -- softmax family ---------------------------------------------------------------------------
class Softmax(Op):
    def forward(ctx, x, dim):
        # NOTE: subtract the max so exp never overflows
        e = x - x.max(axis=dim, keepdims=True)
        xp.exp(e, out=e)
        e /= e.sum(axis=dim, keepdims=True)
        ctx.dim = dim
        ctx.save_for_backward(e)
        return e

    def backward(ctx, g):
        (y,) = ctx.saved
        gy = g * y
        gy -= y * gy.sum(axis=ctx.dim, keepdims=True)
        return gy

    def tbackward(ctx, g):
        y = softmax(ctx.inputs[0], ctx.dim)
        gy = g * y
        return gy - y * gy.sum(ctx.dim, keepdim=True)


class LogSoftmax(Op):
    def forward(ctx, x, dim):
        s = x - x.max(axis=dim, keepdims=True)
        s -= xp.log(xp.exp(s).sum(axis=dim, keepdims=True))
        ctx.dim = dim
        ctx.save_for_backward(s)
        return s

    def backward(ctx, g):
        (y,) = ctx.saved
        return g - xp.exp(y) * g.sum(axis=ctx.dim, keepdims=True)

    def tbackward(ctx, g):
        p = softmax(ctx.inputs[0], ctx.dim)
        return g - p * g.sum(ctx.dim, keepdim=True)


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_prep(input, dim, dtype, name):
    if dim is None:
        dim = _softmax_dim(name, input._data.ndim, 4)
    if dtype is not None:
        from ember._ops.conversion import to_dtype

        input = to_dtype(input, dtype)
    elif input._data.dtype.kind not in "fc" and not input.dtype.is_floating_point:  # bfloat16
        raise RuntimeError(f'"{name}_lastdim_kernel_impl" not implemented for '
                           f"'{_dt(input._data)}'")
    nd = input._data.ndim
    n = nd if nd else 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return input, (dim + n if dim < 0 else dim) if nd else None


def softmax(input, dim=None, dtype=None, *, axis=None):
    """exp(x) / sum(exp(x)) along `dim` (torch.softmax: `dim` is required, also as NumPy's
    `axis`; F.softmax also takes the legacy implicit dim)."""
    dim = required_dim("softmax", dim, axis)
    input, dim = _softmax_prep(input, dim, dtype, "softmax")
    if input._data.size == 0:
        return _wrap(input._data.copy())
    return Softmax.apply(input, dim=dim)


def log_softmax(input, dim=None, dtype=None, *, axis=None):
    """log(softmax(x)) along `dim`, computed stably as x - max - log(sum(exp(x - max)))
    (`dim` required, as in torch.log_softmax)."""
    dim = required_dim("log_softmax", dim, axis)
    input, dim = _softmax_prep(input, dim, dtype, "log_softmax")
    if input._data.size == 0:
        return _wrap(input._data.copy())
    return LogSoftmax.apply(input, dim=dim)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along `dim`."""
    if dim is None:
        dim = _softmax_dim("softmin", input._data.ndim, 3)
    return softmax(-input, dim, dtype=dtype)


# -- dropout ----------------------------------------------------------------------------------
class Dropout(Op):
    """y = x * mask / (1 - p): the mask is kept (as bool) for backward."""

    _bw_name = "MulBackward0"

    def forward(ctx, x, p, mask_shape):
        keep = _keep_mask(mask_shape, p)
        kind = x.dtype.type
        scale = kind(1) / kind(1.0 - p)  # PyTorch: noise.div_(1 - p) in the input's dtype
        y = xp.multiply(x, keep)
        y *= scale
        ctx.keep, ctx.scale = keep, scale
        return y

    def backward(ctx, g):
        gx = xp.multiply(g, ctx.keep)
        gx *= ctx.scale
        return gx

    def tbackward(ctx, g):
        # the mask is a constant of the graph
        return g * _wrap(xp.multiply(ctx.keep, ctx.scale, dtype=g._data.dtype))


def _keep_mask(shape, p):
    """PyTorch's dropout noise: `empty(shape).bernoulli_(1 - p)`, as booleans."""
    return _draws.bernoulli_scalar(_random.get(None), shape, 1.0 - p)


def _scaled_keep(shape, p, dtype):
    """The noise a dropout multiplies by, in `dtype`: kept entries 1 / (1 - p) (divided in
    that dtype, as PyTorch's `noise.div_(1 - p)`), dropped ones 0."""
    kind = xp.dtype(dtype).type
    return _keep_mask(shape, p).astype(kind) * (kind(1) / kind(1.0 - p))


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p) (training only)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        out = input * 0.0
    else:
        out = Dropout.apply(input, p=p, mask_shape=input._data.shape)
    return _maybe_inplace(input, out, inplace, "dropout")


def _maybe_inplace(input, out, inplace, name):
    if not inplace:
        return out
    from ember._ops.inplace import _inplace_from

    return _inplace_from(input, out, name)


def feature_dropout(input, p=0.5, training=True, inplace=False, batched_ndim=2):
    """Dropout of whole channels (dim 1 of a batched input, dim 0 of an unbatched one)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return _maybe_inplace(input, input * 0.0, inplace, "dropout")
    x = input._data
    lead = 2 if x.ndim > batched_ndim else 1
    shape = x.shape[:lead] + (1,) * (x.ndim - lead)
    return _maybe_inplace(input, Dropout.apply(input, p=p, mask_shape=shape), inplace, "dropout")


class AlphaDropout(Op):
    """SELU-preserving dropout: dropped units take the negative saturation value."""

    _bw_name = "AddBackward0"

    def forward(ctx, x, p, mask_shape):
        alpha = 1.7580993408473766
        a = 1.0 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
        keep = _keep_mask(mask_shape, p).astype(x.dtype)
        b = (keep - 1) * (alpha * a) + alpha * a * p
        ka = keep * a
        ctx.ka = ka
        return x * ka + b

    def backward(ctx, g):
        return g * ctx.ka

    def tbackward(ctx, g):
        return g * _wrap(ctx.ka)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return _maybe_inplace(input, input * 0.0, inplace, "alpha_dropout")
    out = AlphaDropout.apply(input, p=p, mask_shape=input._data.shape)
    return _maybe_inplace(input, out, inplace, "alpha_dropout")


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    if not training or p == 0.0:
        return input
    x = input._data
    shape = x.shape[:2] + (1,) * (x.ndim - 2)
    out = AlphaDropout.apply(input, p=p, mask_shape=shape)
    return _maybe_inplace(input, out, inplace, "feature_alpha_dropout")


# -- embedding (in embedding_ops.py, re-exported here) -----------------------------------------
from ember._ops.embedding_ops import (  # noqa: E402, F401
    Embedding,
    EmbeddingBag,
    embedding,
    embedding_bag,
    one_hot,
)


# -- norms and distances ----------------------------------------------------------------------
class VectorNorm(Op):
    """p-norm along axes; the gradient at a zero vector is 0 (as PyTorch's)."""

    _bw_name = "LinalgVectorNormBackward0"

    def forward(ctx, x, p=2.0, axis=-1, keepdim=False):
        ax = xp.abs(x)
        if p == 2:
            n = xp.sqrt((x * x).sum(axis=axis, keepdims=True))
        elif p == 1:
            n = ax.sum(axis=axis, keepdims=True)
        elif p == math.inf:
            n = ax.max(axis=axis, keepdims=True)
        else:
            n = (ax ** p).sum(axis=axis, keepdims=True) ** (1.0 / p)
        ctx.p, ctx.axis, ctx.keepdim = p, axis, keepdim
        ctx.save_for_backward(x, n)
        return n if keepdim else n.squeeze(axis)

    def backward(ctx, g):
        x, n = ctx.saved
        p = ctx.p
        if not ctx.keepdim:
            g = xp.expand_dims(g, ctx.axis)
        safe = xp.where(n == 0, 1, n)
        if p == 2:
            gx = x * (g / safe)
        elif p == 1:
            gx = xp.sign(x) * g
        elif p == math.inf:
            hit = xp.abs(x) == n
            gx = xp.sign(x) * hit * g / hit.sum(axis=ctx.axis, keepdims=True)
        else:
            gx = xp.sign(x) * xp.abs(x) ** (p - 1) * g / safe ** (p - 1)
        return xp.where(n == 0, 0, gx).astype(x.dtype)

    def tbackward(ctx, g):
        x = ctx.inputs[0]
        p, axis = ctx.p, ctx.axis
        if not ctx.keepdim:
            g = g.unsqueeze(axis)
        n = ctx.saved[1]
        nz = _const(n != 0, x)  # the gradient at a zero vector is 0, a constant
        if p == 1:
            return g * _const(xp.sign(x._data), x)
        if p == math.inf:
            hit = xp.abs(x._data) == n
            return g * _const(xp.sign(x._data) * hit / hit.sum(axis=axis, keepdims=True), x)
        safe = VectorNorm.apply(x, p=p, axis=axis, keepdim=True) + _const(n == 0, x)
        if p == 2:
            return x * (g / safe) * nz
        return _const(xp.sign(x._data), x) * x.abs() ** (p - 1) * g / safe ** (p - 1) * nz


def _norm(x, p, dim, keepdim=False):
    nd = x._data.ndim
    return VectorNorm.apply(x, p=float(p), axis=dim + nd if dim < 0 else dim, keepdim=keepdim)


class ClampMin(Op):
    _bw_name = "ClampMinBackward0"

    def forward(ctx, x, lo):
        ctx.save_for_backward(x)
        ctx.lo = lo
        return xp.maximum(x, lo).astype(x.dtype, copy=False)

    def backward(ctx, g):
        return g * (ctx.saved[0] >= ctx.lo)

    def tbackward(ctx, g):
        x = ctx.inputs[0]
        return g * _const(x._data >= ctx.lo, x)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p along dim, eps)."""
    denom = ClampMin.apply(_norm(input, p, dim, keepdim=True), lo=eps)
    return input / denom


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dim."""
    d = x1 - x2 + eps
    return _norm(d, p, -1, keepdim=keepdim) if d.ndim else _norm(d.reshape(1), p, -1)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2) / max(||x1|| * ||x2||, eps) along `dim`."""
    w12 = (x1 * x2).sum(dim)
    n1 = ((x1 * x1).sum(dim))
    n2 = ((x2 * x2).sum(dim))
    denom = ClampMin.apply(n1 * n2, lo=eps * eps) ** 0.5
    return w12 / denom


def _t_softmax(self, dim=None, dtype=None, *, axis=None):
    return softmax(self, dim, dtype=dtype, axis=axis)


def _t_log_softmax(self, dim=None, dtype=None, *, axis=None):
    return log_softmax(self, dim, dtype=dtype, axis=axis)


def _t_hardshrink(self, lambd=0.5):
    return activation("hardshrink", self, False, lambd=lambd)


bind({"softmax": _t_softmax, "log_softmax": _t_log_softmax, "hardshrink": _t_hardshrink,
      "prelu": prelu})

__all__ = ["softmax", "log_softmax", "dropout", "alpha_dropout", "feature_alpha_dropout",
           "feature_dropout", "prelu", "embedding", "embedding_bag", "pairwise_distance",
           "cosine_similarity", "bilinear"]
