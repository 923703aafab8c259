"""More of torch.linalg and its legacy torch.* spellings: solve_triangular (and
triangular_solve, cholesky_solve, cholesky_inverse), the pivoted LU family (lu_factor, lu,
lu_solve, lu_unpack), the `_ex` variants, lstsq, vander, tensorinv/tensorsolve, cond and
matrix_exp.

Everything differentiable is composed from ember's differentiable ops (solve, tril/triu,
matmul), so the gradients come from theirs; the LU factorisation itself is forward only.
"""
from ember import _dtype
from ember._ops._helpers import _wrap, bind, xp
from ember._ops.extra_math import matrix_exp  # noqa: F401 - linalg.matrix_exp
from ember._ops.reduction import _return_type


def _linalg():
    import ember

    return ember.linalg, ember


_solve_ex_result = _return_type("linalg_solve_ex", ["result", "info"])
_inv_ex_result = _return_type("linalg_inv_ex", ["inverse", "info"])
_cholesky_ex_result = _return_type("linalg_cholesky_ex", ["L", "info"])
_lu_factor_result = _return_type("linalg_lu_factor", ["LU", "pivots"])
_lu_factor_ex_result = _return_type("linalg_lu_factor_ex", ["LU", "pivots", "info"])
_lu_result = _return_type("linalg_lu", ["P", "L", "U"])
_lu_unpack_result = _return_type("lu_unpack", ["P", "L", "U"])
_lu_info_result = _return_type("_lu_with_info", ["LU", "pivots", "info"])
_lstsq_result = _return_type("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
_tri_result = _return_type("triangular_solve", ["solution", "cloned_coefficient"])


def _info(A):
    return _wrap(xp.zeros(A._data.shape[:-2], xp.int32))


# -- triangular systems -------------------------------------------------------------------------
def _triangle(A, upper, unitriangular):
    T = A.triu() if upper else A.tril()
    if unitriangular:
        _, ember = _linalg()
        n = A.shape[-1]
        T = (T.triu(1) if upper else T.tril(-1)) + ember.eye(n, dtype=A.dtype)
    return T


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """X with A X = B (or X A = B when left=False) for triangular A (only its `upper` or
    lower triangle is read; the diagonal is taken as ones when unitriangular)."""
    linalg, _ = _linalg()
    T = _triangle(A, upper, unitriangular)
    if left:
        X = linalg.solve(T, B)
    else:
        X = linalg.solve(T.mT, B.mT).mT
    return X if out is None else out.copy_(X)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """Deprecated torch.triangular_solve: (solution of A X = b, a copy of A)."""
    import warnings

    warnings.warn("torch.triangular_solve is deprecated in favor of "
                  "torch.linalg.solve_triangularand will be removed in a future PyTorch "
                  "release.", UserWarning, stacklevel=2)
    T = _triangle(A, upper, unitriangular)
    linalg, _ = _linalg()
    X = linalg.solve(T.mT if transpose else T, b)
    return _tri_result(X, A.clone())


def cholesky_solve(B, L, upper=False, *, out=None):
    """X with A X = B where A = L L^T (or U^T U with upper=True)."""
    Lo = L.mT if upper else L
    Y = solve_triangular(Lo, B, upper=False)
    X = solve_triangular(Lo.mT, Y, upper=True)
    return X if out is None else out.copy_(X)


def cholesky_inverse(L, upper=False, *, out=None):
    """The inverse of A = L L^T (or U^T U) from its Cholesky factor."""
    _, ember = _linalg()
    eye = ember.eye(L.shape[-1], dtype=L.dtype).expand(L.shape)
    X = cholesky_solve(eye, L, upper)
    return X if out is None else out.copy_(X)


# -- LU with partial pivoting -------------------------------------------------------------------
def _lu_arrays(a):
    """(LU, 1-based int32 pivots) of a batch of matrices by row-pivoted elimination."""
    a = a.astype(a.dtype, copy=True)
    *batch, m, n = a.shape
    k = min(m, n)
    lu = a.reshape(-1, m, n)
    piv = xp.zeros((lu.shape[0], k), xp.int32)
    rows = xp.arange(lu.shape[0])
    for j in range(k):
        p = j + xp.argmax(xp.abs(lu[:, j:, j]), axis=1)
        piv[:, j] = p + 1
        top, bottom = lu[rows, j].copy(), lu[rows, p].copy()
        lu[rows, j], lu[rows, p] = bottom, top
        pivot = lu[:, j, j]
        safe = xp.where(pivot == 0, 1, pivot)
        lu[:, j + 1:, j] /= safe[:, None]
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j:j + 1] * lu[:, j:j + 1, j + 1:]
    return lu.reshape(*batch, m, n), piv.reshape(*batch, k)


def _check_lu_input(A, name):
    if A.ndim < 2:
        raise RuntimeError(f"torch.linalg.{name}: Expected tensor with 2 or more dimensions. "
                           f"Got size: {list(A.shape)} instead")
    if A.dtype.category != _dtype.FLOAT:
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as "
                           f"input. Got {A.dtype.name.capitalize()}")


def lu_factor(A, *, pivot=True, out=None):
    """(LU, pivots): L (unit diagonal, below) and U packed in one matrix, and LAPACK's
    1-based int32 row swaps. Forward only in ember."""
    _check_lu_input(A, "lu_factor")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    lu, piv = _lu_arrays(A._data)
    return _lu_factor_result(_wrap(lu), _wrap(piv))


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    LU, piv = lu_factor(A, pivot=pivot)
    return _lu_factor_ex_result(LU, piv, _info(A))


def _perm_matrix(piv, m, dtype):
    """P with A = P L U from 1-based pivots (the swaps applied to the identity's rows)."""
    batch = piv.shape[:-1]
    perm = xp.broadcast_to(xp.arange(m), batch + (m,)).copy().reshape(-1, m)
    flat = piv.reshape(-1, piv.shape[-1]) - 1
    rows = xp.arange(perm.shape[0])
    for j in range(flat.shape[1]):
        p = flat[:, j]
        a, b = perm[rows, j].copy(), perm[rows, p].copy()
        perm[rows, j], perm[rows, p] = b, a
    eye = xp.eye(m, dtype=dtype)
    # row i of P^T A is row perm[i] of A, so P = eye[perm].T
    return xp.swapaxes(eye[perm], -1, -2).reshape(batch + (m, m))


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    """(P, L, U) from lu_factor's packed result; L and U keep LU's gradient."""
    _, ember = _linalg()
    m, n = LU_data.shape[-2], LU_data.shape[-1]
    k = min(m, n)
    P = _wrap(_perm_matrix(LU_pivots._data, m, LU_data._data.dtype)) if unpack_pivots else \
        ember.empty(0, dtype=LU_data.dtype)
    if unpack_data:
        L = LU_data[..., :, :k].tril(-1) + ember.eye(m, k, dtype=LU_data.dtype)
        U = LU_data[..., :k, :].triu()
    else:
        L = U = ember.empty(0, dtype=LU_data.dtype)
    return _lu_unpack_result(P, L, U)


def lu(A, *, pivot=True, out=None):
    """linalg.lu: (P, L, U) with A = P L U. Forward only in ember."""
    LU, piv = lu_factor(A, pivot=pivot)
    return _lu_result(*lu_unpack(LU, piv))


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """X with A X = B from A's lu_factor (A^H X = B with adjoint, X A = B with left=False)."""
    P, L, U = lu_unpack(LU, pivots)
    if left and not adjoint:  # A = P L U: X = U^-1 L^-1 P^T B
        X = solve_triangular(U, solve_triangular(L, P.mT @ B, upper=False, unitriangular=True),
                             upper=True)
    elif left:  # A^T = U^T L^T P^T: X = P L^-T U^-T B
        Y = solve_triangular(U.mT, B, upper=False)
        X = P @ solve_triangular(L.mT, Y, upper=True, unitriangular=True)
    else:  # X A = B  <=>  A^T X^T = B^T
        X = lu_solve(LU, pivots, B.mT, adjoint=not adjoint).mT
    return X if out is None else out.copy_(X)


def torch_lu(A, pivot=True, get_infos=False, out=None):
    """Deprecated torch.lu: (LU, pivots[, infos])."""
    import warnings

    warnings.warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / "
                  "torch.linalg.lu_factor_ex and will be removed in a future PyTorch release.",
                  UserWarning, stacklevel=2)
    LU, piv = lu_factor(A, pivot=pivot)
    return _lu_info_result(LU, piv, _info(A)) if get_infos else (LU, piv)


def torch_lu_solve(b, LU_data, LU_pivots, *, out=None):
    """Deprecated torch.lu_solve(b, LU_data, LU_pivots)."""
    return lu_solve(LU_data, LU_pivots, b, out=out)


# -- _ex variants -------------------------------------------------------------------------------
def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    linalg, _ = _linalg()
    X = linalg.solve(A, B) if left else linalg.solve(A.mT, B.mT).mT
    return _solve_ex_result(X, _info(A))


def inv_ex(A, *, check_errors=False, out=None):
    linalg, _ = _linalg()
    return _inv_ex_result(linalg.inv(A), _info(A))


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    linalg, _ = _linalg()
    return _cholesky_ex_result(linalg.cholesky(A, upper=upper), _info(A))


# -- least squares, vander, tensor inverse/solve, cond ------------------------------------------
def lstsq(A, B, rcond=None, *, driver=None):
    """Least-squares solution of A X = B (the minimum-norm one for a wide A), like PyTorch's
    default CPU driver ('gelsy') with empty residuals and singular values. Solved through the
    normal equations, so differentiable; assumes A has full rank."""
    linalg, ember = _linalg()
    vector = B.ndim == A.ndim - 1
    Bm = B.unsqueeze(-1) if vector else B
    At = A.mT
    if A.shape[-2] >= A.shape[-1]:
        X = linalg.solve(At @ A, At @ Bm)
    else:
        X = At @ linalg.solve(A @ At, Bm)
    if vector:
        X = X.squeeze(-1)
    rank = _wrap(xp.asarray(xp.linalg.matrix_rank(A._data), dtype=xp.int64))
    empty = ember.empty(0, dtype=A.dtype)
    return _lstsq_result(X, empty, rank, empty.clone())


def vander(x, *, N=None):
    """Columns x^0, x^1, ..., x^(N-1) (increasing powers; N defaults to len(x))."""
    _, ember = _linalg()
    n = x.shape[-1] if N is None else N
    if n <= 1 and N is not None and N < 1:
        raise RuntimeError("N must be greater than 1.")
    if n == 0:
        return ember.empty(*x.shape, 0, dtype=x.dtype)
    cols = [ember.ones_like(x)]
    for _ in range(n - 1):
        cols.append(cols[-1] * x)
    return ember.stack(cols, -1)


def tensorinv(A, ind=2, *, out=None):
    """The inverse with respect to tensordot over the first `ind` dims."""
    linalg, _ = _linalg()
    front, back = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    n = 1
    for s in front:
        n *= s
    m = 1
    for s in back:
        m *= s
    if n != m:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {m} != {n}")
    r = linalg.inv(A.reshape(n, m)).reshape(back + front)
    return r if out is None else out.copy_(r)


def tensorsolve(A, B, dims=None, *, out=None):
    """X with tensordot(A, X, X.ndim) = B."""
    linalg, _ = _linalg()
    if dims is not None:
        nd = A.ndim
        order = [d % nd for d in dims]
        A = A.permute(*([d for d in range(nd) if d not in order] + order))
    xshape = tuple(A.shape[B.ndim:])
    n = B.numel()
    r = linalg.solve(A.reshape(n, -1), B.reshape(n)).reshape(xshape)
    return r if out is None else out.copy_(r)


def cond(A, p=None, *, out=None):
    """Condition number: ||A||_p ||A^-1||_p (the singular value ratio for p None, 2, -2)."""
    linalg, _ = _linalg()
    if p is None or p in (2, -2):
        s = linalg.svdvals(A)
        r = s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
    else:
        r = linalg.matrix_norm(A, p) * linalg.matrix_norm(linalg.inv(A), p)
    return r if out is None else out.copy_(r)


# linalg.matrix_exp is extra_math's matrix_exp
LINALG_NAMES = ["solve_triangular", "lu_factor", "lu_factor_ex", "lu", "lu_solve", "solve_ex",
                "inv_ex", "cholesky_ex", "lstsq", "vander", "tensorinv",
                "tensorsolve", "cond", "matrix_exp"]

bind({
    "triangular_solve": lambda self, A, upper=True, transpose=False, unitriangular=False:
    triangular_solve(self, A, upper, transpose, unitriangular),
    "cholesky_solve": cholesky_solve, "cholesky_inverse": cholesky_inverse,
    "lu": lambda self, pivot=True, get_infos=False: torch_lu(self, pivot, get_infos),
    "lu_solve": lambda self, LU_data, LU_pivots: torch_lu_solve(self, LU_data, LU_pivots),
})

# the torch.* spellings (exported through functional_forms)
TORCH_NAMES = {"triangular_solve": triangular_solve, "cholesky_solve": cholesky_solve,
               "cholesky_inverse": cholesky_inverse, "lu": torch_lu, "lu_solve": torch_lu_solve,
               "lu_unpack": lu_unpack}
__all__ = []
