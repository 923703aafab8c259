"""The legacy torch.* spellings of torch.linalg's factorisations: triangular_solve,
cholesky_solve, cholesky_inverse, lu (deprecated), lu_solve (deprecated argument order) and
lu_unpack. The factorisations themselves (and their gradients) are ember/_linalg_ext.py's;
these adapt PyTorch's older signatures and results to them.
"""
from ember._ops._helpers import _wrap, bind, xp
from ember._ops.reduction import _return_type

_lu_unpack_result = _return_type("lu_unpack", ["P", "L", "U"])
_lu_info_result = _return_type("_lu_with_info", ["LU", "pivots", "info"])


def _ext():
    # NOTE: imported when called: ember._linalg_ext imports ember.linalg, which the op
    # families (loaded while ember itself is imported) must not need yet
    from ember import _linalg_ext

    return _linalg_ext


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """Deprecated torch.triangular_solve: (solution, cloned_coefficient)."""
    import warnings

    warnings.warn("torch.triangular_solve is deprecated in favor of "
                  "torch.linalg.solve_triangularand will be removed in a future PyTorch "
                  "release.", UserWarning, stacklevel=2)  # (PyTorch's words, typo included)
    return _ext().triangular_solve(b, A, upper, transpose, unitriangular)


def cholesky_solve(B, L, upper=False, *, out=None):
    """X with A X = B, A given by its Cholesky factor L."""
    return _ext().cholesky_solve(B, L, upper, out=out)


def cholesky_inverse(L, upper=False, *, out=None):
    """A^-1 from A's Cholesky factor L."""
    return _ext().cholesky_inverse(L, upper, out=out)


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
    import ember

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


def torch_lu(A, pivot=True, get_infos=False, out=None):
    """Deprecated torch.lu: (LU, pivots[, infos])."""
    import warnings

    warnings.warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / "
                  "torch.linalg.lu_factor_ex and will be removed in a future PyTorch release.",
                  UserWarning, stacklevel=2)
    LU, piv, info = _ext().lu_factor_ex(A, pivot=pivot)
    return _lu_info_result(LU, piv, info) if get_infos else (LU, piv)


def torch_lu_solve(b, LU_data, LU_pivots, *, out=None):
    """Deprecated torch.lu_solve(b, LU_data, LU_pivots)."""
    return _ext().lu_solve(LU_data, LU_pivots, b, out=out)


bind({"lu": lambda self, pivot=True, get_infos=False: torch_lu(self, pivot, get_infos)})

# the torch.* spellings (exported through functional_forms)
TORCH_NAMES = {"triangular_solve": triangular_solve, "cholesky_solve": cholesky_solve,
               "cholesky_inverse": cholesky_inverse, "lu": torch_lu, "lu_solve": torch_lu_solve,
               "lu_unpack": lu_unpack}
__all__ = []
