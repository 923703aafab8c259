"""More of torch.linalg: lstsq, solve_triangular, matrix_exp, cond, the LU family, the *_ex
variants, LDL, vander, tensorinv/tensorsolve, householder_product. Re-exported by
ember.linalg (which this module extends)."""
from ember import _dtype
from ember._ops._helpers import bind, write_out, xp
from ember._ops.factorizations import (
    Lstsq,
    MatrixExp,
    SolveTriangular,
    lu_apply,
    lu_packed,
    perm_from_pivots,
    perm_matrix,
    pinv_rank,
    split_lu,
)
from ember._ops.inplace import _make_inplace
from ember._tensor import _wrap
from ember.linalg import _float_input, _result, _square, _tname

_lstsq_result = _result("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def _empty(dtype):
    return _wrap(xp.zeros((0,), dtype=dtype))


def lstsq(A, B, rcond=None, *, driver=None):
    """Least-squares solution of A X = B (named tuple solution, residuals, rank,
    singular_values), with PyTorch's CPU driver rules: 'gelsy' by default; rank for
    gelsy/gelsd/gelss, singular values for gelsd/gelss, residuals (squared, per column) for
    the drivers other than gelsy when m > n and every matrix has full rank."""
    A = _float_input(A, "lstsq")
    if driver is None:
        driver = "gelsy"
    if driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of "
                           "(gels, gelsy, gelsd, gelss)")
    if A._data.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same "
                           f"dtype, but got input's dtype {_tname(A)} and other's dtype "
                           f"{_tname(B)}")
    vector = B._data.ndim == A._data.ndim - 1
    if B._data.ndim < A._data.ndim - 1 or B._data.ndim > A._data.ndim:
        raise RuntimeError("torch.linalg.lstsq: input.dim() must be greater or equal to "
                           "other.dim() and (input.dim() - other.dim()) <= 1")
    m, n = A._data.shape[-2:]
    if (B._data.shape[-1] if vector else B._data.shape[-2]) != m:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)"
                           if not vector else "torch.linalg.lstsq: input.size(-2) should "
                           "match other.size(-1)")
    dt = A._data.dtype
    if rcond is None:
        rcond = float(xp.finfo(dt).eps) * max(m, n)
    x = Lstsq.apply(A, B, rcond=rcond, vector=vector)
    _, rank, sv = pinv_rank(A._data, rcond)
    rank_t = _wrap(rank) if driver != "gels" else _empty(xp.int64)
    sv_t = _wrap(sv) if driver in ("gelsd", "gelss") else _empty(dt)
    res = _empty(dt)
    if driver != "gelsy" and m > n and bool((rank == n).all()):
        r = A @ (x.unsqueeze(-1) if vector else x) - (B.unsqueeze(-1) if vector else B)
        res = (r * r).sum(-2)
    return _lstsq_result(x, res, rank_t, sv_t)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """Solve A X = B (left) or X A = B with A triangular (its other triangle ignored)."""
    A = _float_input(A, "solve_triangular")
    if B._data.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 "
                           "dimensions.")
    s = A._data.shape
    if A._data.ndim < 2 or s[-1] != s[-2]:
        raise RuntimeError("linalg.solve_triangular: A must be batches of square matrices, "
                           f"but they are {s[-2]} by {s[-1]} matrices")
    k = B._data.shape[-2] if left else B._data.shape[-1]
    if k != s[-1]:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the "
                           f"equation {eq} ({s[-2]}x{s[-1]} and "
                           f"{B._data.shape[-2]}x{B._data.shape[-1]})")
    if A.dtype != B.dtype:
        dt = _dtype.promote_types(A.dtype, B.dtype)
        A, B = A.to(dt), B.to(dt)
    r = SolveTriangular.apply(A, B, upper=upper, left=left, unitriangular=unitriangular)
    return write_out(r, out)


def matrix_exp(A):
    """The matrix exponential exp(A) = sum A^k / k! (differentiable, twice)."""
    return MatrixExp.apply(_square(A, "matrix_exp"))


def cond(A, p=None, *, out=None):
    """Condition number in the `p` norm: ratio of extreme singular values for p in
    (None, 2, -2), else norm(A, p) * norm(inv(A), p) (square A only)."""
    from ember import linalg as la

    A = _float_input(A, "cond")
    if A._data.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor A must have at least 2 dimensions.")
    if p is None or p in (2, -2):
        s = la.svdvals(A)
        hi, lo = s[..., 0], s[..., -1]
        r = hi / lo if p != -2 else lo / hi
        return write_out(r, out)
    sh = A._data.shape
    if sh[-1] != sh[-2]:
        raise RuntimeError(f"linalg.cond(ord={p}): A must be batches of square matrices, but "
                           f"they are {sh[-2]} by {sh[-1]} matrices")
    info = _inv_info(A._data)
    if info.any():
        # PyTorch: singular matrices have an infinite condition number in these norms
        safe = A._data.copy()
        safe[info != 0] = xp.eye(sh[-1], dtype=safe.dtype)
        r = la.matrix_norm(A, p) * la.matrix_norm(la.inv(_wrap(safe)), p)
        r._data[info != 0] = xp.inf
        return write_out(r, out)
    return write_out(la.matrix_norm(A, p) * la.matrix_norm(la.inv(A), p), out)


def _inv_info(a):
    """LAPACK's info per matrix: 0 for an invertible matrix, else the 1-based index of the
    first zero pivot of its LU factorisation."""
    return lu_packed(a)[2]


_lu_factor_result = _result("linalg_lu_factor", ["LU", "pivots"])
_lu_factor_ex_result = _result("linalg_lu_factor_ex", ["LU", "pivots", "info"])
_lu_result = _result("linalg_lu", ["P", "L", "U"])
_inv_ex_result = _result("linalg_inv_ex", ["inverse", "info"])
_cholesky_ex_result = _result("linalg_cholesky_ex", ["L", "info"])
_solve_ex_result = _result("linalg_solve_ex", ["result", "info"])


def _matrix_input(A, op):
    A = _float_input(A, op)
    if A._data.ndim < 2:
        raise RuntimeError(f"linalg.{op}: The input tensor A must have at least 2 dimensions.")
    return A


def _no_pivot(pivot, op):
    if not pivot:
        raise RuntimeError(f"linalg.{op}: LU without pivoting is not implemented on the CPU")


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """Packed LU factorisation with partial pivoting (LU, 1-based int32 pivots, info)."""
    from ember._ops.factorizations import LuFactor

    A = _matrix_input(A, "lu_factor_ex")
    _no_pivot(pivot, "lu_factor")
    box = []
    lu_ = LuFactor.apply(A, box=box)
    piv, info = box[0]
    if check_errors and info.any():
        _raise_singular("linalg.lu_factor_ex", info)
    return _lu_factor_ex_result(lu_, _wrap(piv), _wrap(info))


def _raise_singular(op, info):
    from ember.linalg import LinAlgError

    bad = xp.flatnonzero(info.reshape(-1))
    i = int(info.reshape(-1)[bad[0]])
    where = f"(Batch element {bad[0]}): " if info.ndim else ""
    raise LinAlgError(f"{op}: {where}U[{i},{i}] is zero and using it on lu_solve would "
                      "result in a division by zero. If you still want to perform the "
                      "factorization, consider calling linalg.lu(A, pivot) or "
                      "linalg.lu_factor_ex(A, pivot)")


def lu_factor(A, *, pivot=True, out=None):
    """(LU, pivots) of A = P L U; raises on a singular matrix as torch.linalg.lu_factor does."""
    A = _matrix_input(A, "lu_factor")
    r = lu_factor_ex(A, pivot=pivot)
    if r.info._data.any():
        _raise_singular("torch.linalg.lu_factor", r.info._data)
    return _lu_factor_result(r.LU, r.pivots)


def lu(A, *, pivot=True, out=None):
    """(P, L, U) with A = P L U, L unit lower trapezoidal and U upper trapezoidal."""
    from ember._ops.creation import eye

    A = _matrix_input(A, "lu")
    _no_pivot(pivot, "lu_factor")
    r = lu_factor_ex(A)
    m, n = A._data.shape[-2:]
    k = min(m, n)
    perm = perm_from_pivots(r.pivots._data, m)
    low = r.LU[..., :, :k].tril(-1) + eye(m, k, dtype=A.dtype)
    up = r.LU[..., :k, :].triu()
    return _lu_result(_wrap(perm_matrix(perm, A._data.dtype)), low, up)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """Solve A X = B (left) or X A = B, with A (or A^H when adjoint) given as lu_factor's
    (LU, pivots)."""
    from ember._ops.factorizations import LuSolve

    LU = _matrix_input(LU, "lu_solve")
    n = LU._data.shape[-1]
    if LU._data.shape[-2] != n:
        raise RuntimeError("linalg.lu_solve: Expected LU to be square")
    if B._data.ndim < 2:
        raise RuntimeError("linalg.lu_solve: Expected B to have at least 2 dimensions")
    if (B._data.shape[-2] if left else B._data.shape[-1]) != n:
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{B._data.shape[-2]}x{B._data.shape[-1]})")
    if LU.dtype != B.dtype:
        raise RuntimeError(f"linalg.lu_solve: Expected LU and B to have the same dtype, but "
                           f"found LU of type {_tname(LU)} and B of type {_tname(B)} instead")
    piv = xp.broadcast_to(pivots._data, LU._data.shape[:-2] + (n,))
    return write_out(LuSolve.apply(LU, B, piv=piv, left=left, adjoint=adjoint), out)


def inv_ex(A, *, check_errors=False, out=None):
    """(inverse, info): info is the 1-based index of the first zero pivot, 0 if invertible."""
    from ember.linalg import LinAlgError, _no_grad_out, inv

    A = _square(A, "inv_ex")
    try:  # NOTE: NumPy's inverse fails exactly when LAPACK's getrf reports info > 0
        return _inv_ex_result(inv(A), _wrap(xp.zeros(A._data.shape[:-2], dtype=xp.int32)))
    except LinAlgError:
        if check_errors:
            raise
    # a singular matrix: substitute through its (singular) LU as LAPACK's getri would
    lu_, piv, info = lu_packed(A._data)
    n = A._data.shape[-1]
    eye = xp.broadcast_to(xp.eye(n, dtype=A._data.dtype), A._data.shape)
    low, up = split_lu(lu_)
    r = lu_apply(perm_matrix(perm_from_pivots(piv, n), A._data.dtype), low, up, eye, True,
                 False)
    return _inv_ex_result(_no_grad_out(A, r, "linalg.inv_ex of a singular matrix"),
                          _wrap(info))


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """(L, info): info is the order of the first leading minor that is not positive-definite,
    0 on success."""
    from ember.linalg import LinAlgError, _no_grad_out, cholesky

    A = _square(A, "cholesky_ex")
    try:
        return _cholesky_ex_result(cholesky(A, upper=upper),
                                   _wrap(xp.zeros(A._data.shape[:-2], dtype=xp.int32)))
    except LinAlgError:
        if check_errors:
            raise
    a = A._data.reshape((-1,) + A._data.shape[-2:])
    n = a.shape[-1]
    info = xp.zeros(a.shape[0], dtype=xp.int32)
    out_l = xp.zeros_like(a)
    for b in range(a.shape[0]):
        for k in range(1, n + 1):   # the largest leading block that factorises
            try:
                out_l[b, :k, :k] = xp.linalg.cholesky(a[b, :k, :k])
            except xp.linalg.LinAlgError:
                info[b] = k
                break
    r = out_l.reshape(A._data.shape)
    if upper:
        r = xp.swapaxes(r, -1, -2).copy()
    return _cholesky_ex_result(_no_grad_out(A, r, "linalg.cholesky_ex of a matrix that is not "
                                            "positive-definite"),
                               _wrap(info.reshape(A._data.shape[:-2])))


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """(result, info) of linalg.solve; info > 0 marks a singular matrix."""
    from ember.linalg import LinAlgError, solve

    A = _square(A, "solve_ex")
    try:
        r = solve(A, B, left=left)
        return _solve_ex_result(r, _wrap(xp.zeros(A._data.shape[:-2], dtype=xp.int32)))
    except LinAlgError:
        if check_errors:
            raise
    inverse, info = inv_ex(A)
    vector = B._data.ndim == 1 or (B._data.ndim == A._data.ndim - 1 and
                                   B._data.shape == A._data.shape[:-1])
    if vector:
        r = (inverse @ B.unsqueeze(-1)).squeeze(-1)
    else:
        r = inverse @ B if left else B @ inverse
    return _solve_ex_result(r, info)


def vander(x, *, N=None):
    """Vandermonde matrix with increasing powers: out[..., i, j] = x[..., i] ** j."""
    from ember._ops.joining import cat
    from ember._ops.statistics import cumprod

    if x._data.ndim < 1:
        raise RuntimeError("linalg.vander: x must have at least one dimension")
    n = x._data.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    if x.dtype == _dtype.bool:
        raise RuntimeError("linalg.vander supports floating point, complex, and integer "
                           "tensors, but got Bool")
    if x.dtype.category == _dtype.INT:
        x = x.to(_dtype.int64)
    ones = x.new_ones(tuple(x.shape) + (1,))
    pw = cumprod(x.unsqueeze(-1).expand(*x.shape, n - 1), -1)
    return cat([ones, pw], -1)


def tensorinv(A, ind=2, *, out=None):
    """The inverse of A seen as a map from its first `ind` dims to the rest."""
    from ember.linalg import inv

    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    s = tuple(A.shape)
    rows, cols = s[:ind], s[ind:]
    pr, pc = _prod(rows), _prod(cols)
    if pr != pc:
        raise RuntimeError(f"Expected self to satisfy the requirement "
                           f"prod(self.shape[ind:]) == prod(self.shape[:ind]), but got {pc} != "
                           f"{pr}")
    return write_out(inv(A.reshape(pr, pc)).reshape(*cols, *rows), out)


def tensorsolve(A, B, dims=None, *, out=None):
    """X with tensordot(A, X, X.ndim) == B; `dims` moves those dims of A to the end first."""
    from ember._ops.shape import movedim
    from ember.linalg import solve

    if dims is not None:
        nd = A.ndim
        src = [d % nd for d in dims]
        A = movedim(A, src, list(range(nd - len(src), nd)))
    bs = tuple(B.shape)
    rest = tuple(A.shape)[len(bs):]
    pb, pr = _prod(bs), _prod(rest)
    if pb != pr:
        raise RuntimeError(f"Expected self to satisfy the requirement "
                           f"prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), "
                           f"but got {pr} != {pb}")
    return write_out(solve(A.reshape(pb, pr), B.reshape(pb)).reshape(*rest), out)


def householder_product(A, tau, *, out=None):
    """The first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^H with v_i stored below
    the diagonal of A (the Q of a geqrf QR factorisation). Differentiable through ember ops."""
    from ember._ops.creation import eye

    A = _matrix_input(A, "householder_product")
    m, n = A._data.shape[-2:]
    k = tau._data.shape[-1]
    if m < n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-2] must be greater "
                           "than or equal to input.shape[-1]")
    if k > n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-1] must be greater "
                           "than or equal to tau.shape[-1]")
    mask = xp.tril(xp.ones((m, n), dtype=A._data.dtype), -1)
    unit = xp.eye(m, n, dtype=A._data.dtype)
    vs = A * _wrap(mask) + _wrap(unit)                 # columns are the reflectors
    q = eye(m, dtype=A.dtype).expand(*A.shape[:-2], m, m)
    for i in range(k):
        v = vs[..., :, i:i + 1]
        q = q - (q @ v) * tau[..., i:i + 1].unsqueeze(-1) @ v.mT
    return write_out(q[..., :, :n], out)


_ldl_result = _result("linalg_ldl_factor", ["LD", "pivots"])
_ldl_ex_result = _result("linalg_ldl_factor_ex", ["LD", "pivots", "info"])


def ldl_factor_ex(A, *, hermitian=False, check_errors=False, out=None):
    """(LD, pivots, info): the Bunch-Kaufman L D L^T factorisation of a symmetric matrix (its
    lower triangle), packed and pivoted as LAPACK's sytrf. Not differentiable (as PyTorch)."""
    from ember._ops.factorizations import ldl_packed
    from ember.linalg import _no_grad_out

    A = _float_input(A, "ldl_factor_ex")
    s = A._data.shape
    if A._data.ndim < 2 or s[-1] != s[-2]:
        raise RuntimeError("torch.linalg.ldl_factor_ex: A must be batches of square matrices, "
                           f"but they are {s[-2]} by {s[-1]} matrices")
    ld, piv, info = ldl_packed(A._data)
    if check_errors and info.any():
        raise RuntimeError(f"torch.linalg.ldl_factor_ex: the factorization could not be "
                           f"completed: D[{int(info.max())},{int(info.max())}] is zero")
    return _ldl_ex_result(_no_grad_out(A, ld, "linalg.ldl_factor"), _wrap(piv), _wrap(info))


def ldl_factor(A, *, hermitian=False, out=None):
    """(LD, pivots) of linalg.ldl_factor_ex; an exactly singular D is an error."""
    r = ldl_factor_ex(A, hermitian=hermitian)
    if r.info._data.any():
        i = int(r.info._data.max())
        raise RuntimeError(f"torch.linalg.ldl_factor: the factorization could not be completed:"
                           f" D[{i},{i}] is zero")
    return _ldl_result(r.LD, r.pivots)


def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):
    """Solve A X = B from ldl_factor's (LD, pivots)."""
    from ember._ops.factorizations import ldl_solve_arrays
    from ember.linalg import _no_grad_out

    if B._data.ndim < 2:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got "
                         "-2)")
    if B._data.shape[-2] != LD._data.shape[-1]:
        raise RuntimeError(f"torch.linalg.ldl_solve: Incompatible shapes of A and B for the "
                           f"equation AX = B ({LD._data.shape[-2]}x{LD._data.shape[-1]} and "
                           f"{B._data.shape[-2]}x{B._data.shape[-1]})")
    r = ldl_solve_arrays(LD._data, pivots._data, B._data)
    src = B if B.requires_grad else LD
    return write_out(_no_grad_out(src, r.astype(src._data.dtype, copy=False),
                                  "linalg.ldl_solve"), out)


# -- the older torch.* spellings, bound as Tensor methods --------------------------------------
_triangular_solve_result = _result("triangular_solve", ["solution", "cloned_coefficient"])


def cholesky_solve(B, L, upper=False, *, out=None):
    """X with A X = B, given the Cholesky factor L of A (A = L L^T, or U^T U when upper)."""
    from ember._ops.factorizations import CholeskySolve

    if L.dtype != B.dtype:
        raise RuntimeError(f"cholesky_solve: Expected b and A to have the same dtype, but found "
                           f"b of type {_tname(B)} and A of type {_tname(L)} instead.")
    return write_out(CholeskySolve.apply(B, L, upper=upper), out)


def cholesky_inverse(L, upper=False, *, out=None):
    """inv(A) from the Cholesky factor of A."""
    from ember._ops.creation import eye

    n = L.shape[-1]
    return write_out(cholesky_solve(eye(n, dtype=L.dtype).expand(*L.shape), L, upper), out)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """(solution, cloned_coefficient) of A X = b (A^T X = b when transpose); the deprecated
    form of linalg.solve_triangular."""
    a = A.mT if transpose else A
    x = solve_triangular(a, b, upper=upper != transpose, unitriangular=unitriangular)
    return _triangular_solve_result(x, A.clone())


def _t_lu_solve(self, LU_data, LU_pivots):
    return lu_solve(LU_data, LU_pivots, self)


def _t_i0(self):
    from ember._ops.special_math import i0

    return i0(self)


def _t_mvlgamma(self, p):
    from ember._ops.special_math import multigammaln

    return multigammaln(self, p)


bind({"matrix_exp": matrix_exp, "cholesky_solve": cholesky_solve,
      "cholesky_inverse": cholesky_inverse, "triangular_solve": triangular_solve,
      "lu_solve": _t_lu_solve, "orgqr": householder_product, "i0": _t_i0,
      "i0_": _make_inplace("i0", _t_i0), "mvlgamma": _t_mvlgamma,
      "mvlgamma_": _make_inplace("mvlgamma", _t_mvlgamma)})


def _prod(shape):
    p = 1
    for s in shape:
        p *= s
    return p


__all__ = ["lstsq", "solve_triangular", "matrix_exp", "cond", "lu_factor", "lu_factor_ex",
           "lu", "lu_solve", "inv_ex", "cholesky_ex", "solve_ex", "vander",
           "tensorinv", "tensorsolve", "householder_product", "ldl_factor", "ldl_factor_ex",
           "ldl_solve"]
