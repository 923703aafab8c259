"""ember.linalg: PyTorch's torch.linalg namespace (norms, inverse, determinant, solve)."""
from ember import _dtype
from ember._ops._helpers import write_out, xp
from ember._ops.decompositions import (
    Cholesky,
    Det,
    Eigvalsh,
    Inv,
    LinAlgError,
    MatrixNormInf,
    NoGradOutput,
    Slogdet,
    Solve,
    SvdNorm,
    Svdvals,
    VectorNorm,
)
from ember._ops.linalg import matmul
from ember._ops.matrix import (
    cross as _cross,
)
from ember._ops.matrix import (
    diagonal as _diagonal,
)
from ember._tensor import _wrap_dim

_INF = float("inf")
_TORCH_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                "uint8": "Byte", "bool": "Bool", "float16": "Half", "bfloat16": "BFloat16"}


def _tname(t):
    return _TORCH_NAMES.get(t.dtype.name, t.dtype.name.capitalize())


def _float_input(x, op, dtype=None):
    if dtype is not None:
        from ember._ops._helpers import cast

        x = cast(x, _dtype.to_dtype(dtype))
    if x.dtype.category < _dtype.FLOAT:
        raise RuntimeError(f"linalg.{op}: Expected a floating point or complex tensor as input. "
                           f"Got {_tname(x)}")
    return x


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A002
    """The `ord`-norm of `x` as a vector (over `dim`, or over all elements)."""
    x = _float_input(x, "vector_norm", dtype)
    n = x._data.ndim
    if dim is None:
        axes = None
    else:
        ds = (dim,) if isinstance(dim, int) else tuple(dim)
        axes = tuple(sorted(_wrap_dim(d, n) for d in ds)) if n else None
    if ord in (_INF, -_INF) and x._data.size == 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty "
                           "tensor because the operation does not have an identity")
    if axes is None and keepdim and n:
        axes = tuple(range(n))
    r = VectorNorm.apply(x, ord=float(ord) if ord not in (1, 2, 0) else ord, axes=axes,
                         keepdim=keepdim)
    return write_out(r, out)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None,  # noqa: A002
                out=None):
    """Frobenius, nuclear, spectral (2, -2) or induced (1, -1, inf, -inf) matrix norms."""
    A = _float_input(A, "matrix_norm", dtype)
    n = A._data.ndim
    if n < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    d = tuple(_wrap_dim(k, n) for k in dim)
    if len(d) != 2 or d[0] == d[1]:
        raise RuntimeError("linalg.matrix_norm: dims must be different. Got "
                           f"({dim[0]}, {dim[1]})")
    if ord == "fro":
        return write_out(vector_norm(A, 2, d, keepdim), out)
    if ord in ("nuc", 2, -2):
        from ember._ops.shape import movedim

        m = movedim(A, d, (-2, -1))
        r = SvdNorm.apply(m, ord=ord, keepdim=keepdim)
        if keepdim:
            r = movedim(r, (-2, -1), d)
        return write_out(r, out)
    if ord in (1, -1):
        r = MatrixNormInf.apply(A, sum_axis=d[0], red_axis=d[1], largest=ord > 0,
                                keepdim=keepdim)
    elif ord in (_INF, -_INF):
        r = MatrixNormInf.apply(A, sum_axis=d[1], red_axis=d[0], largest=ord > 0,
                                keepdim=keepdim)
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    return write_out(r, out)


def norm(A, ord=None, dim=None, keepdim=False, *, out=None, dtype=None):  # noqa: A002
    """Vector or matrix norm, chosen from `ord` and `dim` as in torch.linalg.norm."""
    if dim is not None and not isinstance(dim, int):
        dim = tuple(dim)
    if ord is None:
        if isinstance(dim, tuple) and len(dim) == 2:
            return matrix_norm(A, "fro", dim, keepdim, dtype=dtype, out=out)
        return vector_norm(A, 2, dim, keepdim, dtype=dtype, out=out)
    if dim is None:
        n = A._data.ndim
        if n == 1:
            if isinstance(ord, str):
                raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord}")
            return vector_norm(A, ord, None, keepdim, dtype=dtype, out=out)
        if n == 2:
            return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                           f"be 1D or 2D. Got {n}D.")
    if isinstance(dim, tuple) and len(dim) == 2:
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype, out=out)
    return vector_norm(A, ord, dim, keepdim, dtype=dtype, out=out)


def _square(A, op):
    A = _float_input(A, op)
    s = A._data.shape
    if A._data.ndim < 2:
        raise RuntimeError(f"linalg.{op}: The input tensor A must have at least 2 dimensions.")
    if s[-1] != s[-2]:
        raise RuntimeError(f"linalg.{op}: A must be batches of square matrices, but they are "
                           f"{s[-2]} by {s[-1]} matrices")
    return A


def inv(A, *, out=None):
    return write_out(Inv.apply(_square(A, "inv")), out)


def det(A, *, out=None):
    return write_out(Det.apply(_square(A, "det")), out)


def solve(A, B, *, left=True, out=None):
    A = _square(A, "solve")
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return write_out(solve(A.mT, B.mT).mT, out)
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {_tname(A)} and B of type {_tname(B)} instead")
    vector = B._data.ndim == 1 or (B._data.ndim == A._data.ndim - 1 and
                                   B._data.shape == A._data.shape[:-1])
    n = A._data.shape[-1]
    if (B._data.shape[-1] if vector else B._data.shape[-2]) != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({A._data.shape[-2]}x{n} and "
                           f"{'x'.join(map(str, B._data.shape))})")
    return write_out(Solve.apply(A, B, vector=vector), out)


def cross(input, other, *, dim=-1, out=None):
    return _cross(input, other, dim, out=out)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return _diagonal(A, offset, dim1, dim2)


def vecdot(x, y, *, dim=-1, out=None):
    from ember._ops.reduction import sum as _sum

    return write_out(_sum(x.conj() * y if x.is_complex() else x * y, dim), out)


def multi_dot(tensors, *, out=None):
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    r = tensors[0]
    for t in tensors[1:]:
        r = matmul(r, t)
    return write_out(r, out)


def _result(name, fields):
    # printed like PyTorch's torch.return_types.<name>(\nfield=...,\n...)
    from ember._ops.reduction import _return_type

    return _return_type(name, fields)


_svd_result = _result("linalg_svd", ["U", "S", "Vh"])
_qr_result = _result("linalg_qr", ["Q", "R"])
_eigh_result = _result("linalg_eigh", ["eigenvalues", "eigenvectors"])
_slogdet_result = _result("linalg_slogdet", ["sign", "logabsdet"])
_eig_result = _result("linalg_eig", ["eigenvalues", "eigenvectors"])
_COMPLEX = {"float32": xp.complex64, "float64": xp.complex128, "complex64": xp.complex64,
            "complex128": xp.complex128}


def _no_grad_out(A, array, name):
    """Wrap an output ember cannot differentiate: fine without grad, clear error with it."""
    return NoGradOutput.apply(A, value=array.astype(A._data.dtype, copy=False), name=name)


def svdvals(A, *, driver=None, out=None):
    A = _float_input(A, "svdvals")
    return write_out(Svdvals.apply(A), out)


def svd(A, full_matrices=True, *, driver=None, out=None):
    """(U, S, Vh); gradients flow through S only."""
    A = _float_input(A, "svd")
    u, _, vh = xp.linalg.svd(A._data, full_matrices=full_matrices)
    return _svd_result(_no_grad_out(A, u, "linalg.svd (U)"), Svdvals.apply(A),
                       _no_grad_out(A, vh, "linalg.svd (Vh)"))


def qr(A, mode="reduced", *, out=None):
    A = _float_input(A, "qr")
    q, r = xp.linalg.qr(A._data, mode="complete" if mode == "complete" else "reduced")
    if mode == "r":
        return _qr_result(_no_grad_out(A, xp.zeros(0), "linalg.qr"), _no_grad_out(A, r, "qr"))
    return _qr_result(_no_grad_out(A, q, "linalg.qr (Q)"), _no_grad_out(A, r, "linalg.qr (R)"))


def eigvalsh(A, UPLO="L", *, out=None):
    return write_out(Eigvalsh.apply(_square(A, "eigvalsh"), uplo=UPLO), out)


def eigh(A, UPLO="L", *, out=None):
    """(eigenvalues, eigenvectors) of a symmetric matrix; gradients flow through the
    eigenvalues only."""
    A = _square(A, "eigh")
    _, v = xp.linalg.eigh(A._data, UPLO=UPLO)
    return _eigh_result(Eigvalsh.apply(A, uplo=UPLO), _no_grad_out(A, v, "linalg.eigh (vectors)"))


def _eig(A, op):
    A = _square(A, op)
    ctype = _COMPLEX.get(A.dtype.name)
    if ctype is None:
        raise RuntimeError(f"linalg.{op}: Expected a floating point or complex tensor as "
                           f"input. Got {_tname(A)}")
    # NOTE: LAPACK's geev (NumPy's and PyTorch's): the same order and unit-norm vectors
    # whose largest component is real; always complex, as in PyTorch
    w, v = xp.linalg.eig(A._data)
    return A, w.astype(ctype, copy=False), v.astype(ctype, copy=False)


def eig(A, *, out=None):
    """(eigenvalues, eigenvectors) of a square matrix, both complex (no gradient in ember).

    Example::

        >>> ember.linalg.eig(ember.tensor([[2., 1.], [2., 3.]])).eigenvalues
        tensor([1.+0.j, 4.+0.j])
    """
    A, w, v = _eig(A, "eig")
    return _eig_result(NoGradOutput.apply(A, value=w, name="linalg.eig (eigenvalues)"),
                       NoGradOutput.apply(A, value=v, name="linalg.eig (eigenvectors)"))


def eigvals(A, *, out=None):
    """The (complex) eigenvalues of a square matrix (no gradient in ember)."""
    A, w, _ = _eig(A, "eigvals")
    return write_out(NoGradOutput.apply(A, value=w, name="linalg.eigvals"), out)


def cholesky(A, *, upper=False, out=None):
    return write_out(Cholesky.apply(_square(A, "cholesky"), upper=upper), out)


def slogdet(A, *, out=None):
    from ember._ops._helpers import _wrap

    A = _square(A, "slogdet")
    sign = xp.linalg.slogdet(A._data)[0].astype(A._data.dtype, copy=False)
    return _slogdet_result(_wrap(sign), Slogdet.apply(A))


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    A = _float_input(A, "pinv")
    return write_out(_no_grad_out(A, xp.linalg.pinv(A._data, hermitian=hermitian), "pinv"), out)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None):
    from ember._ops._helpers import _wrap

    r = xp.linalg.matrix_rank(_float_input(A, "matrix_rank")._data, hermitian=hermitian)
    return write_out(_wrap(xp.asarray(r, dtype=xp.int64)), out)


def matrix_power(A, n, *, out=None):
    """A @ A @ ... (n times); negative n inverts first. Differentiable through matmul."""
    A = _square(A, "matrix_power") if A.dtype.category >= _dtype.FLOAT else A
    if n == 0:
        from ember._ops.creation import eye

        e = eye(A._data.shape[-1], dtype=A.dtype)
        return write_out(e.expand(A._data.shape).clone(), out)
    if n < 0:
        A, n = inv(A), -n
    result, base = None, A
    while n:  # square-and-multiply
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return write_out(result, out)


__all__ = ["norm", "vector_norm", "matrix_norm", "inv", "det", "solve", "cross", "diagonal",
           "vecdot", "multi_dot", "matmul", "LinAlgError", "svd", "svdvals", "qr", "eigh",
           "eigvalsh", "eig", "eigvals", "cholesky", "slogdet", "pinv", "matrix_rank",
           "matrix_power"]


# solve_triangular, the LU and LDL families, _ex variants, lstsq, vander, tensorinv/solve,
# cond, matrix_exp, householder_product (ember/_linalg_ext.py)
from ember import _linalg_ext  # noqa: E402
from ember._linalg_ext import *  # noqa: E402, F403

__all__ += [n for n in _linalg_ext.__all__ if n not in __all__]
