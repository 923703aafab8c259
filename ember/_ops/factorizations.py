"""Least squares, triangular solves, the matrix exponential and LU: the ops behind
ember.linalg.lstsq / solve_triangular / matrix_exp / lu_factor / lu_solve / lu, each one graph
node with its backward (the public wrappers are in ember/_linalg_ext.py)."""
from ember._ops._helpers import unbroadcast, xp
from ember.autograd.function import Op


def _mT(a):
    return xp.swapaxes(a, -1, -2)


def pinv_rank(a, rcond):
    """Pseudo-inverse through the SVD, singular values below rcond * s_max dropped; also the
    rank and the singular values (what LAPACK's gelsd reports)."""
    u, s, vh = xp.linalg.svd(a, full_matrices=False)
    smax = s[..., :1] if s.shape[-1] else s
    keep = s > rcond * smax
    inv_s = xp.where(keep, 1.0 / xp.where(keep, s, 1), 0).astype(a.dtype, copy=False)
    p = _mT(vh) @ (inv_s[..., :, None] * _mT(u))
    return p, keep.sum(-1).astype(xp.int64), s.astype(a.dtype, copy=False)


class Lstsq(Op):
    """X = pinv(A) B (the minimum-norm least-squares solution, as gelsy/gelsd give).

    NOTE: backward differentiates the pseudo-inverse at constant rank:
    dA+ = -A+ dA A+ + A+ A+^T dA^T (I - A A+) + (I - A+ A) dA^T A+^T A+.
    """

    _bw_name = "LinalgLstsqBackward0"

    def forward(ctx, a, b, rcond=None, vector=False):
        p = pinv_rank(a, rcond)[0]
        x = p @ (b[..., None] if vector else b)
        ctx.save_for_backward(a, b, p, x)
        ctx.vector = vector
        return x[..., 0] if vector else x

    def backward(ctx, g):
        a, b, p, x = ctx.saved
        if ctx.vector:
            g, b = g[..., None], b[..., None]
        pt = _mT(p)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            pg = pt @ g                                   # A+^T G
            res = b - a @ x                               # (I - A A+) B
            proj = g - p @ (a @ g)                        # (I - A+ A) G
            ga = -pg @ _mT(x) + res @ (_mT(g) @ p @ pt) + pt @ x @ _mT(proj)
            ga = unbroadcast(ga, a.shape)
        if ctx.needs_input_grad[1]:
            gb = pt @ g
            gb = unbroadcast(gb[..., 0] if ctx.vector else gb, ctx.inputs[1].shape)
        return ga, gb


def _tri(a, upper, unit):
    t = xp.triu(a) if upper else xp.tril(a)
    if unit:
        t = t.copy() if t is a else t
        i = xp.arange(a.shape[-1])
        t[..., i, i] = 1
    return t


def tri_solve(t, b, left):
    """Solve with an already-masked triangular t (singular t gives inf/nan like LAPACK)."""
    with xp.errstate(all="ignore"):
        try:
            if left:
                return xp.linalg.solve(t, b)
            return _mT(xp.linalg.solve(_mT(t), _mT(b)))
        except xp.linalg.LinAlgError:
            # NOTE: an exactly singular triangle: LAPACK's trtrs divides by the zero pivot
            inv = xp.linalg.pinv(t) * xp.inf
            return inv @ b if left else b @ inv


class SolveTriangular(Op):
    _bw_name = "LinalgSolveTriangularBackward0"

    def forward(ctx, a, b, upper=False, left=True, unitriangular=False):
        t = _tri(a, upper, unitriangular)
        x = tri_solve(t, b, left)
        ctx.args = (upper, left, unitriangular)
        ctx.save_for_backward(t, x)
        return x

    def backward(ctx, g):
        t, x = ctx.saved
        upper, left, unit = ctx.args
        # the transposed triangle solves the adjoint system
        gb = tri_solve(_mT(t), g, left)
        ga = None
        if ctx.needs_input_grad[0]:
            ga = -(gb @ _mT(x)) if left else -(_mT(x) @ gb)
            ga = xp.triu(ga, 1 if unit else 0) if upper else xp.tril(ga, -1 if unit else 0)
            ga = unbroadcast(ga, ctx.inputs[0].shape)
        if ctx.needs_input_grad[1]:
            gb = unbroadcast(gb, ctx.inputs[1].shape)
        else:
            gb = None
        return ga, gb

    def tbackward(ctx, g):
        a, b = ctx.inputs
        upper, left, unit = ctx.args
        x = SolveTriangular.apply(a, b, upper=upper, left=left, unitriangular=unit)
        # the transpose of an upper triangle is a lower one
        gb = SolveTriangular.apply(a.mT, g, upper=not upper, left=left, unitriangular=unit)
        ga = -(gb @ x.mT) if left else -(x.mT @ gb)
        ga = ga.triu(1 if unit else 0) if upper else ga.tril(-1 if unit else 0)
        if tuple(ga.shape) != tuple(a.shape):
            ga = ga.sum_to_size(*a.shape)
        if tuple(gb.shape) != tuple(b.shape):
            gb = gb.sum_to_size(*b.shape)
        return ga, gb


class CholeskySolve(Op):
    """X = A^-1 B with A = L L^T (or U^T U), only L's triangle read; backward as PyTorch's,
    which differentiates A = L L^T in every entry of L: gL = -(C + C^T) L, C = gB X^T."""

    _bw_name = "CholeskySolveBackward0"

    def forward(ctx, b, c, upper=False):
        t = xp.triu(c) if upper else xp.tril(c)
        low = _mT(t) if upper else t
        x = tri_solve(_mT(low), tri_solve(low, b, True), True)
        ctx.upper = upper
        ctx.save_for_backward(low, c, x)
        return x

    def backward(ctx, g):
        low, c, x = ctx.saved
        gb = tri_solve(_mT(low), tri_solve(low, g, True), True)
        gc = None
        if ctx.needs_input_grad[1]:
            cm = gb @ _mT(x)
            cm = cm + _mT(cm)
            gc = unbroadcast(-(c @ cm) if ctx.upper else -(cm @ c), ctx.inputs[1].shape)
        gb = unbroadcast(gb, ctx.inputs[0].shape) if ctx.needs_input_grad[0] else None
        return gb, gc


def expm(a):
    """exp(A) by scaling and squaring with a degree-18 Taylor polynomial, in float64."""
    dt = a.dtype
    w = a.astype(xp.complex128 if dt.kind == "c" else xp.float64)
    n = a.shape[-1]
    if w.size == 0:
        return w.astype(dt)
    norm = xp.abs(w).sum(-2).max(-1)                       # 1-norm per matrix
    s = xp.maximum(0, xp.ceil(xp.log2(xp.maximum(norm, 1e-300))) + 1).astype(xp.int64)
    w = w / (2.0 ** s)[..., None, None]
    eye = xp.eye(n, dtype=w.dtype)
    # Horner: I + W(I + W/2(I + W/3(...)))
    r = eye + w / 18
    for k in range(17, 0, -1):
        r = eye + (w @ r) / k
    smax = int(s.max()) if s.size else 0
    for i in range(smax):
        sq = r @ r
        r = xp.where((s > i)[..., None, None], sq, r)
    return r.astype(dt)


class MatrixExp(Op):
    """exp(A); backward: the upper-right block of exp([[A^T, G], [0, A^T]]) is the adjoint of
    the Frechet derivative applied to G."""

    _bw_name = "LinalgMatrixExpBackward0"

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return expm(a)

    def backward(ctx, g):
        (a,) = ctx.saved
        n = a.shape[-1]
        blk = xp.zeros(a.shape[:-2] + (2 * n, 2 * n), dtype=a.dtype)
        at = _mT(a)
        blk[..., :n, :n] = at
        blk[..., n:, n:] = at
        blk[..., :n, n:] = g
        return expm(blk)[..., :n, n:]

    def tbackward(ctx, g):
        from ember._ops.creation import zeros_like
        from ember._ops.joining import cat

        at = ctx.inputs[0].mT
        z = zeros_like(at)
        blk = cat([cat([at, g], -1), cat([z, at], -1)], -2)
        n = at.shape[-1]
        return MatrixExp.apply(blk)[..., :n, n:]


# -- LU ----------------------------------------------------------------------------------------
def lu_packed(a):
    """LU with partial pivoting, batched (LAPACK getrf): the packed LU (unit L below the
    diagonal, U on and above), 1-based int32 pivots and info (1-based index of the first
    zero pivot, 0 if none)."""
    shape = a.shape
    m, n = shape[-2:]
    k = min(m, n)
    lu = a.reshape((-1, m, n)).copy()
    nb = lu.shape[0]
    rows = xp.arange(nb)
    piv = xp.zeros((nb, k), dtype=xp.int32)
    info = xp.zeros(nb, dtype=xp.int32)
    with xp.errstate(all="ignore"):
        for j in range(k):
            p = xp.argmax(xp.abs(lu[:, j:, j]), axis=1) + j
            piv[:, j] = p + 1
            swap = p != j
            if swap.any():
                r, pr = rows[swap], p[swap]
                tmp = lu[r, j].copy()
                lu[r, j] = lu[r, pr]
                lu[r, pr] = tmp
            d = lu[:, j, j]
            zero = d == 0
            info[zero & (info == 0)] = j + 1
            # NOTE: LAPACK scales by the reciprocal of the pivot (same rounding as getf2)
            col = lu[:, j + 1:, j] * (1 / xp.where(zero, 1, d))[:, None]
            lu[:, j + 1:, j] = col
            lu[:, j + 1:, j + 1:] -= col[:, :, None] * lu[:, j, None, j + 1:]
    bshape = shape[:-2]
    return lu.reshape(shape), piv.reshape(bshape + (k,)), info.reshape(bshape)


def perm_from_pivots(piv, m):
    """Row permutation `perm` with A[perm] = L U, from LAPACK's sequential swaps."""
    bshape = piv.shape[:-1]
    p = piv.reshape(-1, piv.shape[-1]).astype(xp.int64) - 1
    nb = p.shape[0]
    perm = xp.broadcast_to(xp.arange(m), (nb, m)).copy()
    rows = xp.arange(nb)
    for j in range(p.shape[1]):
        t = perm[rows, j].copy()
        perm[rows, j] = perm[rows, p[:, j]]
        perm[rows, p[:, j]] = t
    return perm.reshape(bshape + (m,))


def perm_matrix(perm, dtype):
    """P with A = P L U (P[perm[i], i] = 1)."""
    m = perm.shape[-1]
    p = xp.zeros(perm.shape + (m,), dtype=dtype)
    xp.put_along_axis(p, perm[..., :, None], 1, axis=-1)
    return _mT(p)


def split_lu(lu):
    m, n = lu.shape[-2:]
    k = min(m, n)
    low = xp.tril(lu[..., :, :k], -1)
    i = xp.arange(k)
    low[..., i, i] = 1
    return low, xp.triu(lu[..., :k, :])


def _lu_grad(lu, perm, g):
    """Gradient of A from the gradient g of its packed LU (A = P L U), gL/gU its two parts.

    Square: gA = P L^-T (tril_-1(L^T gL) + triu(gU U^T)) U^-T. Wide (U = [U1 U2]): the
    U2 part adds -gU2 U2^T inside tril_-1 and gives P L^-T gU2 for A2. Tall (L = [L1; L2]):
    the L2 part adds -L2^T gL2 inside triu and gives gL2 U^-T for the bottom rows.
    """
    m, n = lu.shape[-2:]
    k = min(m, n)
    low, up = split_lu(lu)
    gl, gu = xp.tril(g[..., :, :k], -1), xp.triu(g[..., :k, :])
    l1, u1 = low[..., :k, :], up[..., :, :k]
    ltgl = _mT(l1) @ gl[..., :k, :]
    ugu = gu[..., :, :k] @ _mT(u1)
    if m < n:
        ltgl = ltgl - gu[..., :, k:] @ _mT(up[..., :, k:])
    elif m > n:
        ugu = ugu - _mT(low[..., k:, :]) @ gl[..., k:, :]
    phi = xp.tril(ltgl, -1) + xp.triu(ugu)
    ga = tri_solve(_mT(u1), tri_solve(_mT(l1), phi, True), False)
    if m < n:
        ga = xp.concatenate([ga, tri_solve(_mT(l1), gu[..., :, k:], True)], axis=-1)
    elif m > n:
        ga = xp.concatenate([ga, tri_solve(_mT(u1), gl[..., k:, :], False)], axis=-2)
    return perm_matrix(perm, ga.dtype) @ ga


class LuFactor(Op):
    _bw_name = "LinalgLuFactorExBackward0"

    def forward(ctx, a, box=None):
        lu, piv, info = lu_packed(a)
        ctx.piv = piv
        ctx.save_for_backward(lu)
        if box is not None:  # the pivots and info, which carry no gradient
            box.append((piv, info))
        return lu

    def backward(ctx, g):
        (lu,) = ctx.saved
        return _lu_grad(lu, perm_from_pivots(ctx.piv, lu.shape[-2]), g)


class LuSolve(Op):
    """X = A^-1 B (or A^-T B, B A^-1, B A^-T) with A = P L U given packed."""

    _bw_name = "LinalgLuSolveBackward0"

    def forward(ctx, lu, b, piv=None, left=True, adjoint=False):
        m = lu.shape[-1]
        low, up = split_lu(lu)
        perm = perm_from_pivots(piv, m)
        pm = perm_matrix(perm, lu.dtype)
        x = lu_apply(pm, low, up, b, left, adjoint)
        ctx.args = (left, adjoint)
        ctx.save_for_backward(pm, low, up, x)
        ctx.perm = perm
        return x

    def backward(ctx, g):
        pm, low, up, x = ctx.saved
        left, adjoint = ctx.args
        # the adjoint system shares the factorisation
        gb = lu_apply(pm, low, up, g, left, not adjoint)
        glu = None
        if ctx.needs_input_grad[0]:
            if left:
                ga = -(x @ _mT(gb)) if adjoint else -(gb @ _mT(x))
            else:
                ga = -(_mT(gb) @ x) if adjoint else -(_mT(x) @ gb)
            # A = P L U: gL = tril_-1(P^T gA U^T), gU = triu(L^T P^T gA)
            pga = _mT(pm) @ ga
            glu = xp.tril(pga @ _mT(up), -1) + xp.triu(_mT(low) @ pga)
            glu = unbroadcast(glu, ctx.inputs[0].shape)
        if ctx.needs_input_grad[1]:
            gb = unbroadcast(gb, ctx.inputs[1].shape)
        else:
            gb = None
        return glu, gb


def lu_apply(pm, low, up, b, left, adjoint):
    if left and not adjoint:      # P L U X = B
        return tri_solve(up, tri_solve(low, _mT(pm) @ b, True), True)
    if left:                      # U^T L^T P^T X = B
        return pm @ tri_solve(_mT(low), tri_solve(_mT(up), b, True), True)
    if not adjoint:               # X P L U = B
        return tri_solve(low, tri_solve(up, b, False), False) @ _mT(pm)
    # X U^T L^T P^T = B
    return tri_solve(_mT(up), tri_solve(_mT(low), b @ pm, False), False)


# -- LDL^T (Bunch-Kaufman, LAPACK's sytf2/sytrs with the lower triangle) ---------------------
_BK_ALPHA = (1 + 17 ** 0.5) / 8


def _sytf2_lower(a):
    """One symmetric matrix: the packed L D L^T factor, 1-based pivots (negative for 2x2
    blocks) and info, step for step as LAPACK's dsytf2 (so the pivots match)."""
    a = a.copy()
    n = a.shape[0]
    piv = xp.zeros(n, dtype=xp.int32)
    info = 0
    k = 0
    while k < n:
        kstep = 1
        absakk = abs(a[k, k])
        if k < n - 1:
            imax = k + 1 + int(xp.argmax(xp.abs(a[k + 1:, k])))
            colmax = abs(a[imax, k])
        else:
            imax, colmax = k, 0.0
        if max(absakk, colmax) == 0:
            info = info or k + 1
            kp = k
        else:
            if absakk >= _BK_ALPHA * colmax:
                kp = k
            else:
                rowmax = float(xp.abs(a[imax, k:imax]).max())
                if imax < n - 1:
                    rowmax = max(rowmax, float(xp.abs(a[imax + 1:, imax]).max()))
                if absakk >= _BK_ALPHA * colmax * (colmax / rowmax):
                    kp = k
                elif abs(a[imax, imax]) >= _BK_ALPHA * rowmax:
                    kp = imax
                else:
                    kp, kstep = imax, 2
            kk = k + kstep - 1
            if kp != kk:  # interchange rows and columns kk and kp of the trailing matrix
                if kp < n - 1:
                    a[kp + 1:, [kk, kp]] = a[kp + 1:, [kp, kk]]
                seg = a[kk + 1:kp, kk].copy()
                a[kk + 1:kp, kk] = a[kp, kk + 1:kp]
                a[kp, kk + 1:kp] = seg
                a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]
                if kstep == 2:
                    a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]
            if kstep == 1 and k < n - 1:
                d11 = 1.0 / a[k, k]
                x = a[k + 1:, k].copy()
                a[k + 1:, k + 1:] += xp.tril(x[:, None] * (-d11 * x)[None, :])
                a[k + 1:, k] = x * d11
            elif kstep == 2 and k < n - 2:
                d21 = a[k + 1, k]
                d11 = a[k + 1, k + 1] / d21
                d22 = a[k, k] / d21
                t = 1.0 / (d11 * d22 - 1.0)
                d21 = t / d21
                c0, c1 = a[k + 2:, k].copy(), a[k + 2:, k + 1].copy()
                wk = d21 * (d11 * c0 - c1)
                wkp1 = d21 * (d22 * c1 - c0)
                a[k + 2:, k + 2:] -= xp.tril(c0[:, None] * wk[None, :]
                                             + c1[:, None] * wkp1[None, :])
                a[k + 2:, k] = wk
                a[k + 2:, k + 1] = wkp1
        if kstep == 1:
            piv[k] = kp + 1
        else:
            piv[k] = piv[k + 1] = -(kp + 1)
        k += kstep
    return xp.tril(a), piv, info


def ldl_packed(a):
    """Batched _sytf2_lower: (LD, pivots, info)."""
    shape = a.shape
    n = shape[-1]
    flat = a.reshape((-1, n, n))
    ld = xp.empty_like(flat)
    piv = xp.empty((flat.shape[0], n), dtype=xp.int32)
    info = xp.empty(flat.shape[0], dtype=xp.int32)
    with xp.errstate(all="ignore"):
        for b in range(flat.shape[0]):
            ld[b], piv[b], info[b] = _sytf2_lower(flat[b])
    return ld.reshape(shape), piv.reshape(shape[:-1]), info.reshape(shape[:-2])


def _sytrs_lower(ld, piv, b):
    """Solve A X = B for one matrix from its packed L D L^T (LAPACK's dsytrs, lower)."""
    b = b.copy()
    n = ld.shape[0]
    k = 0
    while k < n:  # L D Y = B
        if piv[k] > 0:
            kp = piv[k] - 1
            if kp != k:
                b[[k, kp]] = b[[kp, k]]
            b[k + 1:] -= ld[k + 1:, k, None] * b[k]
            b[k] = b[k] / ld[k, k]
            k += 1
        else:
            kp = -piv[k] - 1
            if kp != k + 1:
                b[[k + 1, kp]] = b[[kp, k + 1]]
            if k < n - 2:
                b[k + 2:] -= ld[k + 2:, k, None] * b[k]
                b[k + 2:] -= ld[k + 2:, k + 1, None] * b[k + 1]
            akm1k = ld[k + 1, k]
            akm1, ak = ld[k, k] / akm1k, ld[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1.0
            bkm1, bk = b[k] / akm1k, b[k + 1] / akm1k
            b[k], b[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:  # L^T X = Y
        if piv[k] > 0:
            if k < n - 1:
                b[k] -= ld[k + 1:, k] @ b[k + 1:]
            kp = piv[k] - 1
            if kp != k:
                b[[k, kp]] = b[[kp, k]]
            k -= 1
        else:
            if k < n - 1:
                b[k] -= ld[k + 1:, k] @ b[k + 1:]
                b[k - 1] -= ld[k + 1:, k - 1] @ b[k + 1:]
            kp = -piv[k] - 1
            if kp != k:
                b[[k, kp]] = b[[kp, k]]
            k -= 2
    return b


def ldl_solve_arrays(ld, piv, b):
    batch = xp.broadcast_shapes(ld.shape[:-2], piv.shape[:-1], b.shape[:-2])
    n = ld.shape[-1]
    ldb = xp.broadcast_to(ld, batch + ld.shape[-2:]).reshape((-1, n, n))
    pb = xp.broadcast_to(piv, batch + (n,)).reshape((-1, n))
    bb = xp.broadcast_to(b, batch + b.shape[-2:]).reshape((-1,) + b.shape[-2:])
    out = xp.empty(bb.shape, dtype=xp.result_type(ld.dtype, b.dtype))
    with xp.errstate(all="ignore"):
        for i in range(out.shape[0]):
            out[i] = _sytrs_lower(ldb[i], pb[i], bb[i])
    return out.reshape(batch + b.shape[-2:])
