"""A lower-triangular solve with autograd, for MultivariateNormal and its KL (what PyTorch
calls torch.linalg.solve_triangular(L, B, upper=False))."""
import ember
from ember._backend import xp
from ember._ops._helpers import unbroadcast
from ember.autograd.function import Op


class SolveTriangular(Op):
    """X = L^-1 B for lower-triangular L (..., n, n) and B (..., n, k); batch dims
    broadcast."""

    _bw_name = "LinalgSolveTriangularBackward0"

    def forward(ctx, low, b):
        # NOTE: NumPy has no triangular solver; the LU solve of a triangular matrix is exact
        # enough and broadcasts the batch dims
        x = xp.linalg.solve(low, b)
        ctx.save_for_backward(low, x)
        ctx.shapes = (low.shape, b.shape)
        return x

    def backward(ctx, g):
        low, x = ctx.saved
        gb = xp.linalg.solve(xp.swapaxes(low, -1, -2), g)
        gl = None
        if ctx.needs_input_grad[0]:
            gl = unbroadcast(xp.tril(-gb @ xp.swapaxes(x, -1, -2)), ctx.shapes[0])
        return gl, unbroadcast(gb, ctx.shapes[1])

    def tbackward(ctx, g):
        # the same rule on Tensors (create_graph=True); L^T x = g is solved as a lower
        # system with rows and columns reversed
        from ember._ops.elementwise import _sum_to

        low, b = ctx.inputs
        x = solve_triangular(low, b)
        gb = ember.flip(solve_triangular(ember.flip(low.mT, (-2, -1)), ember.flip(g, (-2,))),
                        (-2,))
        gl = -(gb @ x.mT).tril()
        return _sum_to(gl, low.shape), _sum_to(gb, b.shape)


def solve_triangular(low, b):
    return SolveTriangular.apply(low, b)


def batch_mv(bmat, bvec):
    """Matrix-vector product with broadcast batch dims."""
    return (bmat @ bvec.unsqueeze(-1)).squeeze(-1)


def batch_mahalanobis(low, x):
    """The squared Mahalanobis distance x^T (L L^T)^-1 x = |L^-1 x|^2, batched."""
    n = x.size(-1)
    # NOTE: L^-1 once per matrix (not per sample), then one broadcast product for all samples
    linv = solve_triangular(low, ember.eye(n, dtype=x.dtype))
    return batch_mv(linv, x).pow(2).sum(-1)
