"""Norms and decompositions: the ops behind ember.linalg (vector/matrix norms, inv, det,
solve, svdvals, eigvalsh, cholesky, slogdet), each one graph node with its backward."""
from ember._ops._helpers import unbroadcast, xp
from ember._tensor import _wrap
from ember.autograd.function import Op


def _keep(a, axes, keepdim):
    """Re-insert reduced axes so a reduced array broadcasts against its input."""
    if keepdim or axes is None:
        return a
    return xp.expand_dims(a, axes)


class VectorNorm(Op):
    _bw_name = "LinalgVectorNormBackward0"

    def forward(ctx, x, ord=2, axes=None, keepdim=False):
        ctx.ord, ctx.axes, ctx.keepdim = ord, axes, keepdim
        a = xp.abs(x)
        if ord == 2:
            r = xp.sqrt(xp.sum(a * a, axis=axes, keepdims=keepdim))
        elif ord == 1:
            r = xp.sum(a, axis=axes, keepdims=keepdim)
        elif ord == float("inf"):
            r = xp.max(a, axis=axes, keepdims=keepdim)
        elif ord == float("-inf"):
            r = xp.min(a, axis=axes, keepdims=keepdim)
        elif ord == 0:
            r = xp.sum(a != 0, axis=axes, keepdims=keepdim).astype(a.dtype)
        else:
            r = xp.sum(a ** ord, axis=axes, keepdims=keepdim) ** (1.0 / ord)
        r = xp.asarray(r, dtype=a.dtype)
        ctx.save_for_backward(x, r)
        return r

    def backward(ctx, g):
        x, r = ctx.saved
        p = ctx.ord
        rk, gk = _keep(r, ctx.axes, ctx.keepdim), _keep(g, ctx.axes, ctx.keepdim)
        if p == 0:
            return xp.zeros_like(x)
        if p == 1:
            return gk * xp.sign(x)
        if p in (float("inf"), float("-inf")):
            # NOTE: ties share the gradient equally, as in PyTorch
            mask = (xp.abs(x) == rk).astype(x.dtype)
            return gk * xp.sign(x) * mask / xp.sum(mask, axis=ctx.axes, keepdims=True)
        safe = xp.where(rk == 0, 1, rk)
        if p == 2:
            return xp.where(rk == 0, 0, gk * x / safe)
        return xp.where(rk == 0, 0, gk * xp.sign(x) * (xp.abs(x) / safe) ** (p - 1))

    def tbackward(ctx, g):
        from ember._ops.selection import where
        from ember._ops.shape import unsqueeze_dims

        if ctx.ord != 2:
            raise RuntimeError("ember implements create_graph through linalg.vector_norm for "
                               "ord=2 only")
        x = ctx.inputs[0]
        r = VectorNorm.apply(x, ord=2, axes=ctx.axes, keepdim=True)
        if ctx.axes is not None and not ctx.keepdim:
            g = unsqueeze_dims(g, ctx.axes)
        zero = r == 0
        return where(zero, 0.0, g * x / where(zero, 1.0, r))


class MatrixNormInf(Op):
    """ord in (1, -1, inf, -inf): max/min over one axis of absolute sums over the other."""

    _bw_name = "LinalgMatrixNormBackward0"

    def forward(ctx, x, sum_axis=-2, red_axis=-1, largest=True, keepdim=False):
        s = xp.sum(xp.abs(x), axis=sum_axis, keepdims=True)
        r = (xp.max if largest else xp.min)(s, axis=red_axis, keepdims=True)
        ctx.save_for_backward(x, s, r)
        ctx.axes = (sum_axis, red_axis)
        out = r if keepdim else xp.squeeze(r, axis=ctx.axes)
        ctx.keepdim = keepdim
        return out

    def backward(ctx, g):
        x, s, r = ctx.saved
        gk = g if ctx.keepdim else xp.expand_dims(g, ctx.axes)
        mask = (s == r).astype(x.dtype)
        mask = mask / xp.sum(mask, axis=ctx.axes[1], keepdims=True)
        return gk * mask * xp.sign(x)

    def tbackward(ctx, g):
        # the routing (which row/column attains the extreme, the signs) is a constant
        x, s, r = ctx.saved
        mask = (s == r).astype(x.dtype)
        coef = mask / xp.sum(mask, axis=ctx.axes[1], keepdims=True) * xp.sign(x)
        return g.reshape(r.shape) * _wrap(coef.astype(x.dtype, copy=False))


class SvdNorm(Op):
    """ord in ('nuc', 2, -2): nuclear norm, largest or smallest singular value."""

    _bw_name = "LinalgMatrixNormBackward0"

    def forward(ctx, x, ord="nuc", keepdim=False):
        u, sv, vh = xp.linalg.svd(x, full_matrices=False)
        ctx.save_for_backward(u, vh)
        ctx.ord, ctx.keepdim = ord, keepdim
        if ord == "nuc":
            r = sv.sum(-1)
        else:
            ctx.k = 0 if ord == 2 else -1
            r = sv[..., ctx.k]
        r = r.astype(x.dtype)
        return r[..., None, None] if keepdim else r

    def backward(ctx, g):
        u, vh = ctx.saved
        gk = g if ctx.keepdim else g[..., None, None]
        if ctx.ord == "nuc":
            return gk * (u @ vh)
        k = ctx.k
        return gk * (u[..., :, k:k + 1 if k != -1 else None] @ vh[..., k:k + 1 if k != -1
                                                                    else None, :])


class LinAlgError(RuntimeError):
    """PyTorch's torch.linalg.LinAlgError (a RuntimeError)."""


class Inv(Op):
    _bw_name = "LinalgInvExBackward0"

    def forward(ctx, a):
        try:
            r = xp.linalg.inv(a)
        except xp.linalg.LinAlgError:
            raise LinAlgError("linalg.inv: The diagonal element 1 is zero, the inversion could "
                              "not be completed because the input matrix is singular.") from None
        ctx.save_for_backward(r)
        return r

    def backward(ctx, g):
        (r,) = ctx.saved
        rt = xp.swapaxes(r, -1, -2)
        return -(rt @ g @ rt)

    def tbackward(ctx, g):
        rt = Inv.apply(ctx.inputs[0]).mT
        return -(rt @ g @ rt)


class Det(Op):
    _bw_name = "LinalgDetBackward0"

    def forward(ctx, a):
        d = xp.linalg.det(a).astype(a.dtype)
        ctx.save_for_backward(a, d)
        return d

    def backward(ctx, g):
        a, d = ctx.saved
        # NOTE: d(det A) = det(A) * inv(A)^T; fine for invertible A
        return (g * d)[..., None, None] * xp.swapaxes(xp.linalg.inv(a), -1, -2)

    def tbackward(ctx, g):
        a = ctx.inputs[0]
        return (g * Det.apply(a))[..., None, None] * Inv.apply(a).mT


class Solve(Op):
    _bw_name = "LinalgSolveExBackward0"

    def forward(ctx, a, b, vector=False):
        ctx.vector = vector
        try:
            x = xp.linalg.solve(a, b[..., None] if vector else b)
        except xp.linalg.LinAlgError:
            raise LinAlgError("linalg.solve: The solver failed because the input matrix is "
                              "singular.") from None
        x = x[..., 0] if vector else x
        ctx.save_for_backward(a, x)
        ctx.shapes = (a.shape, b.shape)
        return x

    def backward(ctx, g):
        a, x = ctx.saved
        at = xp.swapaxes(a, -1, -2)
        g2 = g[..., None] if ctx.vector else g
        x2 = x[..., None] if ctx.vector else x
        gb = xp.linalg.solve(at, g2)
        ga = -gb @ xp.swapaxes(x2, -1, -2)
        gb = gb[..., 0] if ctx.vector else gb
        return unbroadcast(ga, ctx.shapes[0]), unbroadcast(gb, ctx.shapes[1])

    def tbackward(ctx, g):
        a, b = ctx.inputs
        vec = ctx.vector
        x = Solve.apply(a, b, vector=vec)
        gb = Solve.apply(a.mT, g, vector=vec)
        ga = -((gb.unsqueeze(-1) if vec else gb) @ (x.unsqueeze(-1) if vec else x).mT)
        if tuple(ga.shape) != tuple(ctx.shapes[0]):
            ga = ga.sum_to_size(*ctx.shapes[0])
        if tuple(gb.shape) != tuple(ctx.shapes[1]):
            gb = gb.sum_to_size(*ctx.shapes[1])
        return ga, gb


class Svdvals(Op):
    _bw_name = "LinalgSvdBackward0"

    def forward(ctx, a):
        u, sv, vh = xp.linalg.svd(a, full_matrices=False)
        ctx.save_for_backward(u, vh)
        return sv.astype(a.dtype, copy=False)

    def backward(ctx, g):
        u, vh = ctx.saved
        return (u * g[..., None, :]) @ vh


class Eigvalsh(Op):
    _bw_name = "LinalgEighBackward0"

    def forward(ctx, a, uplo="L"):
        w, v = xp.linalg.eigh(a, UPLO=uplo)
        ctx.save_for_backward(v)
        return w.astype(a.dtype, copy=False)

    def backward(ctx, g):
        (v,) = ctx.saved
        return (v * g[..., None, :]) @ xp.swapaxes(v, -1, -2)


class Cholesky(Op):
    _bw_name = "LinalgCholeskyExBackward0"

    def forward(ctx, a, upper=False):
        try:
            low = xp.linalg.cholesky(a)
        except xp.linalg.LinAlgError:
            raise LinAlgError("linalg.cholesky: The factorization could not be completed "
                              "because the input is not positive-definite.") from None
        ctx.save_for_backward(low)
        ctx.upper = upper
        return xp.swapaxes(low, -1, -2).copy() if upper else low

    def backward(ctx, g):
        (low,) = ctx.saved
        if ctx.upper:
            g = xp.swapaxes(g, -1, -2)
        # NOTE: gA = L^-T Phi(L^T gL) L^-1, Phi = lower triangle with the diagonal halved
        phi = xp.tril(xp.swapaxes(low, -1, -2) @ g)
        phi = phi - 0.5 * xp.tril(xp.triu(phi))
        linv = xp.linalg.inv(low)
        ga = xp.swapaxes(linv, -1, -2) @ phi @ linv
        return 0.5 * (ga + xp.swapaxes(ga, -1, -2))

    def tbackward(ctx, g):
        # the same formula on Tensors, with L recomputed (and inverted) by ember ops
        low = Cholesky.apply(ctx.inputs[0])
        if ctx.upper:
            g = g.mT
        phi = (low.mT @ g).tril()
        phi = phi - 0.5 * phi.triu().tril()
        linv = Inv.apply(low)
        ga = linv.mT @ phi @ linv
        return 0.5 * (ga + ga.mT)


class Slogdet(Op):
    _bw_name = "LinalgSlogdetBackward0"

    def forward(ctx, a):
        _, logabs = xp.linalg.slogdet(a)
        ctx.save_for_backward(a)
        return logabs.astype(a.dtype, copy=False)

    def backward(ctx, g):
        (a,) = ctx.saved
        return g[..., None, None] * xp.swapaxes(xp.linalg.inv(a), -1, -2)

    def tbackward(ctx, g):
        return g[..., None, None] * Inv.apply(ctx.inputs[0]).mT


class NoGradOutput(Op):
    """An output whose gradient ember does not implement: backward says so, by name."""

    def forward(ctx, a, value=None, name=""):
        ctx.op = name
        return value

    def backward(ctx, g):
        raise RuntimeError(f"ember does not implement the gradient of {ctx.op} through this "
                           "output")
