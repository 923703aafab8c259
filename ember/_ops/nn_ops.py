"""Fused neural-network ops: linear, softmax family, losses, dropout, activations.

Each is ONE graph node with a hand-written backward, so a training step builds a short
graph and does few NumPy calls.
"""
from ember import _dtype
from ember._ops._helpers import Tensor, public_functions, xp
from ember.autograd.function import Op

_DT_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
             "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
             "bfloat16": "BFloat16", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _dt(a):
    return _DT_NAMES.get(a.dtype.name, a.dtype.name)


# -- linear -----------------------------------------------------------------------------------
class Linear(Op):
    """y = x @ W.T + b in one node; backward gives grad_x, grad_W, grad_b directly."""

    _bw_name = "AddmmBackward0"

    def forward(ctx, x, w, b):
        y = x @ w.T
        if b is not None:
            y += b
        ctx.save_for_backward(x, w)
        return y

    def backward(ctx, g):
        x, w = ctx.saved
        needs = ctx.needs_input_grad
        gx = gw = gb = None
        if needs[0]:
            gx = g @ w
        if x.ndim > 2:  # fold leading dims into one batch dim
            g = g.reshape(-1, g.shape[-1])
            x = x.reshape(-1, x.shape[-1])
        if needs[1]:
            gw = g.T @ x if x.ndim == 2 else xp.multiply.outer(g, x)
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
    xa = input._data
    wa = weight._data
    if xa.dtype != wa.dtype or xa.ndim == 0 or wa.ndim != 2 or xa.shape[-1] != wa.shape[1]:
        if wa.ndim == 1 and xa.ndim and xa.shape[-1] == wa.shape[0] and xa.dtype == wa.dtype:
            from ember._ops.linalg import matmul

            out = matmul(input, weight)
            return out if bias is None else out + bias
        raise _linear_error(input, weight)
    if bias is not None and bias._data.dtype != xa.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_dt(xa)} != {_dt(bias._data)}")
    return Linear.apply(input, weight, bias)


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


__all__ = public_functions(globals())
__all__ = [n for n in __all__ if n not in ("linear", "bilinear")]
_ = (Tensor, _dtype)
