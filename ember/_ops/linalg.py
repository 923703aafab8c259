"""Linear algebra: matmul in every rank combination, and the products built on it."""
from ember._ops._helpers import bind, promote, public_functions, unbroadcast, write_out, xp
from ember.autograd.function import Op


class MatMul(Op):
    _bw_name = "MmBackward0"

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    def backward(ctx, g):
        a, b = ctx.saved
        n = ctx.needs_input_grad
        ga = gb = None
        # NOTE: 1-D operands are promoted to matrices for the product, then squeezed back
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        if n[0]:
            ga = g2 @ xp.swapaxes(b2, -1, -2)
            ga = unbroadcast(ga, a2.shape).reshape(a.shape)
        if n[1]:
            gb = xp.swapaxes(a2, -1, -2) @ g2
            gb = unbroadcast(gb, b2.shape).reshape(b.shape)
        return ga, gb

    def tbackward(ctx, g):
        a, b = ctx.inputs
        if a.ndim < 2 or b.ndim < 2:
            raise RuntimeError("create_graph through matmul of 1-D operands is not supported")
        ga = (g @ b.mT).sum_to_size(a.shape)
        gb = (a.mT @ g).sum_to_size(b.shape)
        return ga, gb


def _matmul_error(a, b):
    sa, sb = list(a.shape), list(b.shape)
    if a.ndim == 0 or b.ndim == 0:
        return RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                            f"{a.ndim}D and {b.ndim}D")
    if a.ndim <= 2 and b.ndim <= 2:
        return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                            f"({'x'.join(map(str, sa if a.ndim == 2 else [1] + sa))} and "
                            f"{'x'.join(map(str, sb if b.ndim == 2 else sb + [1]))})")
    return RuntimeError(f"matmul: shapes {sa} and {sb} cannot be multiplied (the last dim of "
                        f"the first must equal the second-to-last dim of the second)")


def matmul(input, other, *, out=None):
    """Matrix product with NumPy/PyTorch broadcasting over batch dims."""
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{input.dtype.name} != {other.dtype.name}")
    if input._data.ndim == 0 or other._data.ndim == 0:
        raise _matmul_error(input, other)
    try:
        r = MatMul.apply(input, other)
    except ValueError:
        raise _matmul_error(input, other) from None
    return write_out(r, out)


def _rmatmul(self, other):
    a, b = promote(other, self)
    return matmul(a, b)


bind({"matmul": matmul, "__matmul__": matmul, "__rmatmul__": _rmatmul})

__all__ = public_functions(globals())
