"""torch.linalg's lstsq, solve_triangular, matrix_exp, cond, the LU family, the *_ex variants,
eig/eigvals, vander, tensorinv/tensorsolve and householder_product against PyTorch, with
numerical gradient checks for the differentiable ones."""
import numpy as np
import pytest

import ember
from tests.helpers import check_grad, check_parity, requires_torch

_rng = np.random.default_rng(7)


def R(*shape, dtype=np.float64):
    return _rng.standard_normal(shape).astype(dtype)


def WELL(*shape, dtype=np.float64):
    """Square matrices comfortably away from singular (for LU/inverse gradients)."""
    return (R(*shape) + 3 * np.eye(shape[-1])).astype(dtype)


LA = [
    # lstsq: every driver, over/under-determined, vector right-hand side, batch broadcasting
    ("lstsq", lambda m, a, b: tuple(m.linalg.lstsq(a, b)), R(5, 3), R(5, 2)),
    ("lstsq_f32", lambda m, a, b: tuple(m.linalg.lstsq(a, b)), R(5, 3, dtype=np.float32),
     R(5, 2, dtype=np.float32)),
    ("lstsq_gels", lambda m, a, b: tuple(m.linalg.lstsq(a, b, driver="gels")), R(5, 3),
     R(5, 2)),
    ("lstsq_gelsd", lambda m, a, b: tuple(m.linalg.lstsq(a, b, driver="gelsd")), R(5, 3),
     R(5, 2)),
    ("lstsq_gelss_vec", lambda m, a, b: tuple(m.linalg.lstsq(a, b, driver="gelss")), R(5, 3),
     R(5)),
    ("lstsq_under", lambda m, a, b: tuple(m.linalg.lstsq(a, b, driver="gelsd")), R(3, 5),
     R(3, 2)),
    ("lstsq_batch", lambda m, a, b: tuple(m.linalg.lstsq(a, b)), R(4, 5, 3), R(1, 5, 2)),
    ("lstsq_rankdef", lambda m, a, b: tuple(m.linalg.lstsq(a[:, [0, 1, 1]], b,
                                                           driver="gelsd")), R(5, 3), R(5, 2)),
    # triangular solves
    ("solve_tri_upper", lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True), WELL(4, 4),
     R(4, 3)),
    ("solve_tri_lower_right", lambda m, a, b: m.linalg.solve_triangular(
        a, b, upper=False, left=False), WELL(4, 4), R(2, 4)),
    ("solve_tri_unit", lambda m, a, b: m.linalg.solve_triangular(
        a, b, upper=True, unitriangular=True), R(4, 4), R(4, 3)),
    ("solve_tri_bcast", lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False),
     WELL(2, 3, 3), R(3, 1)),
    ("solve_tri_noncontig", lambda m, a, b: m.linalg.solve_triangular(a.mT, b.mT, upper=True),
     WELL(3, 3), R(2, 3)),
    # matrix exponential
    ("matrix_exp", lambda m, a: m.linalg.matrix_exp(a), R(4, 4)),
    ("matrix_exp_big", lambda m, a: m.linalg.matrix_exp(a * 3), R(2, 3, 3)),
    ("matrix_exp_f32", lambda m, a: m.linalg.matrix_exp(a), R(3, 3, dtype=np.float32)),
    ("matrix_exp_empty", lambda m, a: m.linalg.matrix_exp(a), R(0, 0)),
    ("matrix_exp_1x1", lambda m, a: m.linalg.matrix_exp(a), R(1, 1)),
    # condition numbers
    ("cond", lambda m, a: m.linalg.cond(a), R(3, 3)),
    ("cond_rect", lambda m, a: m.linalg.cond(a), R(2, 4, 3)),
    *[(f"cond_{p}", lambda m, a, p=p: m.linalg.cond(a, p), R(2, 3, 3))
      for p in (2, -2, "fro", "nuc", 1, -1, float("inf"), -float("inf"))],
    # LU
    *[(f"lu_factor_ex_{s}", lambda m, a: tuple(m.linalg.lu_factor_ex(a)), R(*s))
      for s in ((4, 4), (2, 3, 3), (4, 3), (3, 5))],
    *[(f"lu_{s}", lambda m, a: tuple(m.linalg.lu(a)), R(*s)) for s in ((3, 3), (4, 3), (3, 5))],
    ("lu_factor", lambda m, a: tuple(m.linalg.lu_factor(a)), R(2, 4, 4, dtype=np.float32)),
    ("lu_factor_ex_singular", lambda m, a: tuple(m.linalg.lu_factor_ex(a[..., [0, 0, 1]])),
     R(3, 3)),
    ("lu_factor_ex_zero", lambda m, a: tuple(m.linalg.lu_factor_ex(a * 0)), R(2, 3, 3)),
    *[(f"lu_solve_{left}_{adj}",
       lambda m, a, b, left=left, adj=adj: m.linalg.lu_solve(*m.linalg.lu_factor(a), b,
                                                              left=left, adjoint=adj),
       WELL(2, 3, 3), R(3, 3)) for left in (True, False) for adj in (True, False)],
    # the *_ex variants
    ("inv_ex", lambda m, a: tuple(m.linalg.inv_ex(a)), WELL(2, 3, 3)),
    ("cholesky_ex", lambda m, a: tuple(m.linalg.cholesky_ex(a @ a.mT + m.eye(3))), R(2, 3, 3)),
    ("cholesky_ex_upper", lambda m, a: tuple(m.linalg.cholesky_ex(a @ a.mT + m.eye(3),
                                                                  upper=True)), R(3, 3)),
    ("cholesky_ex_info", lambda m, a: m.linalg.cholesky_ex(a @ a.mT - 5 * m.eye(3)).info,
     R(2, 3, 3)),
    ("solve_ex", lambda m, a, b: tuple(m.linalg.solve_ex(a, b)), WELL(2, 3, 3), R(2, 3)),
    ("solve_ex_info", lambda m, a, b: m.linalg.solve_ex(a[..., [0, 0, 1]], b).info, R(3, 3),
     R(3)),
    ("inv_ex_info", lambda m, a: m.linalg.inv_ex(a[..., [0, 0, 1]]).info, R(2, 3, 3)),
    ("solve_left_false", lambda m, a, b: m.linalg.solve(a, b, left=False), WELL(3, 3),
     R(2, 3)),
    # eigenvalues of general matrices (complex), Vandermonde, tensor inverses, Householder
    ("vander", lambda m, x: m.linalg.vander(x), R(4)),
    ("vander_n", lambda m, x: m.linalg.vander(x, N=5), R(2, 3, dtype=np.float32)),
    ("vander_int", lambda m, x: m.linalg.vander(x), np.array([1, 2, 3], dtype=np.int32)),
    ("tensorinv", lambda m, a: m.linalg.tensorinv(a, ind=2), WELL(24, 24).reshape(4, 6, 8, 3)),
    ("tensorinv_ind1", lambda m, a: m.linalg.tensorinv(a, ind=1), WELL(6, 6).reshape(6, 2, 3)),
    ("tensorsolve", lambda m, a, b: m.linalg.tensorsolve(a, b), WELL(6, 6).reshape(2, 3, 6),
     R(2, 3)),
    ("tensorsolve_dims", lambda m, a, b: m.linalg.tensorsolve(a, b, dims=(0,)),
     WELL(6, 6).reshape(6, 2, 3), R(2, 3)),
    ("householder_product", lambda m, a, t: m.linalg.householder_product(a, t), R(2, 5, 3),
     R(2, 2)),
    ("householder_square", lambda m, a, t: m.linalg.householder_product(a, t), R(3, 3), R(3)),
]


@pytest.mark.parametrize("name,fn,arrays", [(r[0], r[1], r[2:]) for r in LA],
                         ids=[r[0] for r in LA])
def test_linalg_ext_parity(name, fn, arrays):
    f32 = any(a.dtype == np.float32 for a in arrays)
    check_parity(fn, *arrays, rtol=1e-4 if f32 else 1e-6, atol=1e-5 if f32 else 1e-8)


GRAD = [
    ("lstsq_over", lambda a, b: ember.linalg.lstsq(a, b).solution, R(5, 3), R(5, 2)),
    ("lstsq_under", lambda a, b: ember.linalg.lstsq(a, b).solution, R(3, 5), R(3, 2)),
    ("lstsq_vec_batch", lambda a, b: ember.linalg.lstsq(a, b).solution, R(2, 4, 3), R(2, 4)),
    ("lstsq_residuals", lambda a, b: ember.linalg.lstsq(a, b, driver="gelsd").residuals,
     R(5, 3), R(5, 2)),
    ("solve_tri", lambda a, b: ember.linalg.solve_triangular(a, b, upper=True), WELL(3, 3),
     R(3, 2)),
    ("solve_tri_right_unit", lambda a, b: ember.linalg.solve_triangular(
        a, b, upper=False, left=False, unitriangular=True), R(3, 3), R(2, 3)),
    ("solve_tri_bcast", lambda a, b: ember.linalg.solve_triangular(a, b, upper=False),
     WELL(2, 3, 3), R(3, 1)),
    ("matrix_exp", lambda a: ember.linalg.matrix_exp(a), R(3, 3)),
    ("matrix_exp_batch", lambda a: ember.linalg.matrix_exp(2 * a), R(2, 2, 2)),
    ("cond", lambda a: ember.linalg.cond(a), R(3, 3)),
    ("cond_fro", lambda a: ember.linalg.cond(a, "fro"), WELL(3, 3)),
    ("lu_factor", lambda a: ember.linalg.lu_factor(a).LU, R(3, 3)),
    ("lu_factor_wide", lambda a: ember.linalg.lu_factor(a).LU, R(3, 5)),
    ("lu_factor_tall", lambda a: ember.linalg.lu_factor(a).LU, R(2, 4, 2)),
    ("lu_rect", lambda a: ember.linalg.lu(a).L.sum(-1, keepdim=True) * ember.linalg.lu(a).U.sum(),
     R(4, 3)),
    ("lu_L_U", lambda a: ember.linalg.lu(a).L * 2 + ember.linalg.lu(a).U, R(2, 3, 3)),
    ("lu_solve", lambda a, b: ember.linalg.lu_solve(*ember.linalg.lu_factor(a), b),
     WELL(3, 3), R(3, 2)),
    ("lu_solve_adj_right", lambda a, b: ember.linalg.lu_solve(
        *ember.linalg.lu_factor(a), b, left=False, adjoint=True), WELL(3, 3), R(2, 3)),
    ("inv_ex", lambda a: ember.linalg.inv_ex(a).inverse, WELL(3, 3)),
    ("solve_ex", lambda a, b: ember.linalg.solve_ex(a, b).result, WELL(3, 3), R(3)),
    ("cholesky_ex", lambda a: ember.linalg.cholesky_ex(a @ a.mT + ember.eye(3)).L, R(3, 3)),
    ("vander", lambda x: ember.linalg.vander(x, N=4), R(3)),
    ("tensorinv", lambda a: ember.linalg.tensorinv(a, ind=1), WELL(4, 4).reshape(4, 2, 2)),
    ("tensorsolve", lambda a, b: ember.linalg.tensorsolve(a, b), WELL(4, 4).reshape(2, 2, 4),
     R(2, 2)),
    ("householder", lambda a, t: ember.linalg.householder_product(a, t), R(4, 3), R(2)),
]


@pytest.mark.parametrize("name,fn,arrays", [(r[0], r[1], r[2:]) for r in GRAD],
                         ids=[r[0] for r in GRAD])
def test_linalg_ext_gradcheck(name, fn, arrays):
    check_grad(fn, *arrays)


GRAD_PARITY = [
    ("lstsq", lambda m, a, b: m.linalg.lstsq(a, b).solution, R(5, 3), R(5, 2)),
    ("solve_tri", lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False, left=False),
     WELL(3, 3), R(2, 3)),
    ("matrix_exp", lambda m, a: m.linalg.matrix_exp(a), R(3, 3)),
    ("lu", lambda m, a: m.linalg.lu_factor(a).LU, R(3, 3)),
    ("lu_wide", lambda m, a: m.linalg.lu_factor(a).LU, R(2, 3, 5)),
    ("lu_tall", lambda m, a: m.linalg.lu(a).L, R(5, 3)),
    ("lu_solve", lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b, adjoint=True),
     WELL(3, 3), R(3, 2)),
]


@requires_torch
@pytest.mark.parametrize("name,fn,arrays", [(r[0], r[1], r[2:]) for r in GRAD_PARITY],
                         ids=[r[0] for r in GRAD_PARITY])
def test_linalg_ext_grad_parity(name, fn, arrays):
    check_parity(fn, *arrays, grad=True, rtol=1e-6, atol=1e-8)


def test_matrix_exp_and_solve_triangular_double_backward():
    a = ember.tensor(R(2, 2), requires_grad=True)
    assert ember.autograd.gradgradcheck(ember.linalg.matrix_exp, [a])
    t = ember.tensor(WELL(2, 3, 3), requires_grad=True)
    for upper, left, unit in ((True, True, False), (False, False, True)):
        bb = ember.tensor(R(3, 2) if left else R(2, 3), requires_grad=True)
        assert ember.autograd.gradgradcheck(
            lambda t, bb, u=upper, lf=left, un=unit: ember.linalg.solve_triangular(
                t, bb, upper=u, left=lf, unitriangular=un), [t, bb])


@requires_torch
def test_eig_vectors_and_grad_refusal():
    import torch

    a = R(4, 4, dtype=np.float32)
    w, v = ember.linalg.eig(ember.tensor(a))
    tw, tv = torch.linalg.eig(torch.tensor(a))
    # LAPACK builds may order the eigenvalues differently: compare them sorted
    assert w.dtype == ember.complex64 and tuple(w.shape) == tuple(tw.shape)
    np.testing.assert_allclose(np.sort_complex(w.numpy()), np.sort_complex(tw.numpy()),
                               rtol=1e-4, atol=1e-5)
    for arr in (R(2, 5, 5), R(3, 3, dtype=np.float32)):
        e, t = ember.linalg.eigvals(ember.tensor(arr)), torch.linalg.eigvals(torch.tensor(arr))
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(np.sort_complex(e.numpy()), np.sort_complex(t.numpy()),
                                   rtol=1e-4, atol=1e-5)
    assert v.dtype == ember.complex64 and tuple(v.shape) == tuple(tv.shape)
    vn = v.numpy()
    # eigenvectors are defined up to a phase: check A v = w v and unit norms instead
    np.testing.assert_allclose(a @ vn, vn * w.numpy()[None, :], atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(vn, axis=0), 1, rtol=1e-5)
    x = ember.tensor(a, requires_grad=True)
    with ember.no_grad():
        assert ember.linalg.eigvals(x).dtype == ember.complex64


@pytest.mark.parametrize("call,exc,msg", [
    (lambda: ember.linalg.lstsq(ember.randn(3, 2), ember.randn(3, 2), driver="foo"),
     RuntimeError, "parameter `driver` should be one of"),
    (lambda: ember.linalg.lstsq(ember.randn(3, 2), ember.randn(4, 2)), RuntimeError,
     r"input.size\(-2\) should match other.size\(-2\)"),
    (lambda: ember.linalg.lstsq(ember.randn(3, 2), ember.randn(3, 2).double()), RuntimeError,
     "Expected input and other to have the same dtype"),
    (lambda: ember.linalg.solve_triangular(ember.randn(3, 3), ember.randn(3), upper=True),
     RuntimeError, "B must have at least 2 dimensions"),
    (lambda: ember.linalg.solve_triangular(ember.randn(3, 3), ember.randn(2, 2), upper=True),
     RuntimeError, r"Incompatible shapes of A and B for the equation AX = B \(3x3 and 2x2\)"),
    (lambda: ember.linalg.matrix_exp(ember.randn(2, 3)), RuntimeError,
     "A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda: ember.linalg.matrix_exp(ember.tensor([[1]])), RuntimeError,
     "Expected a floating point or complex tensor as input. Got Long"),
    (lambda: ember.linalg.lu_factor(ember.tensor([[1.0, 2.0], [2.0, 4.0]])),
     ember.linalg.LinAlgError, r"U\[2,2\] is zero"),
    (lambda: ember.linalg.lu_factor(ember.randn(3, 3), pivot=False), RuntimeError,
     "LU without pivoting is not implemented on the CPU"),
    (lambda: ember.linalg.vander(ember.tensor([1.0]), N=1), RuntimeError,
     "N must be greater than 1."),
    (lambda: ember.linalg.cond(ember.randn(2, 3), "fro"), RuntimeError,
     r"linalg.cond\(ord=fro\): A must be batches of square matrices"),
    (lambda: ember.linalg.tensorinv(ember.randn(2, 3, 2), ind=1), RuntimeError,
     "Expected self to satisfy the requirement"),
])
def test_linalg_ext_errors(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


@requires_torch
def test_lstsq_result_type_and_singular_cond():
    r = ember.linalg.lstsq(ember.randn(4, 2), ember.randn(4, 1))
    assert type(r).__name__ == "linalg_lstsq" and r.solution is r[0]
    assert tuple(r.rank.shape) == () and r.residuals.numel() == 0
    c = ember.linalg.cond(ember.zeros(2, 2), 1)
    assert c.item() == float("inf")


_G = R(3, 3)
SPD = _G @ _G.T + 3 * np.eye(3)
CHOL = np.linalg.cholesky(SPD)
METHODS = [
    ("matrix_exp", lambda m, a: a.matrix_exp(), R(3, 3)),
    ("cholesky_solve", lambda m, b, c: b.cholesky_solve(c), R(3, 2), CHOL),
    ("cholesky_solve_upper", lambda m, b, c: m.cholesky_solve(b, c.mT, True) if m is not ember
     else b.cholesky_solve(c.mT, True), R(3, 2), CHOL),
    ("cholesky_inverse", lambda m, c: c.cholesky_inverse(), CHOL),
    ("triangular_solve", lambda m, b, a: tuple(b.triangular_solve(a)), R(3, 2), WELL(3, 3)),
    ("triangular_solve_t", lambda m, b, a: b.triangular_solve(a, False, True).solution,
     R(2, 3, 2), WELL(3, 3)),
    ("lu_solve_method", lambda m, b, a: b.lu_solve(*m.linalg.lu_factor(a)), R(3, 2),
     WELL(3, 3)),
    ("orgqr", lambda m, a, t: a.orgqr(t), R(4, 3), R(3)),
    ("i0_method", lambda m, x: x.i0(), R(5)),
    ("mvlgamma_method", lambda m, x: x.mvlgamma(3), R(4) ** 2 + 1.5),
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name,fn,arrays", [(r[0], r[1], r[2:]) for r in METHODS],
                         ids=[r[0] for r in METHODS])
def test_linalg_tensor_methods(name, fn, arrays):
    check_parity(fn, *arrays, grad=name not in ("triangular_solve",), rtol=1e-7, atol=1e-9)


def test_inplace_methods():
    x = ember.tensor([1.0, 2.0])
    assert x.i0_() is x
    np.testing.assert_allclose(x.numpy(), [1.2660658777520082, 2.2795853023360673], rtol=1e-6)
    y = ember.tensor([2.5, 3.0], dtype=ember.float64)
    y.mvlgamma_(2)
    np.testing.assert_allclose(y.numpy(), ember.special.multigammaln(
        ember.tensor([2.5, 3.0], dtype=ember.float64), 2).numpy())


def _sym(n, batch=(), zero_row=None):
    a = R(*batch, n, n)
    a = a + np.swapaxes(a, -1, -2)
    if zero_row is not None:
        a[..., zero_row, :] = 0
        a[..., :, zero_row] = 0
    return a


LDL = [
    ("ldl_factor", lambda m, a: tuple(m.linalg.ldl_factor(a)), _sym(5)),
    ("ldl_factor_batch", lambda m, a: tuple(m.linalg.ldl_factor(a)), _sym(4, (3,))),
    ("ldl_factor_f32", lambda m, a: tuple(m.linalg.ldl_factor(a)),
     _sym(6).astype(np.float32)),
    ("ldl_factor_ex_singular", lambda m, a: tuple(m.linalg.ldl_factor_ex(a)),
     _sym(4, zero_row=2)),
    ("ldl_factor_2x2_pivots", lambda m, a: tuple(m.linalg.ldl_factor(a)),
     np.array([[0.0, 1, 2], [1, 0, 3], [2, 3, 0]])),
    ("ldl_solve", lambda m, a, b: m.linalg.ldl_solve(*m.linalg.ldl_factor(a), b), _sym(5),
     R(5, 2)),
    ("ldl_solve_batch", lambda m, a, b: m.linalg.ldl_solve(*m.linalg.ldl_factor(a), b),
     _sym(4, (2,)), R(4, 3)),
]


@pytest.mark.parametrize("name,fn,arrays", [(r[0], r[1], r[2:]) for r in LDL],
                         ids=[r[0] for r in LDL])
def test_ldl_parity(name, fn, arrays):
    check_parity(fn, *arrays, rtol=1e-5, atol=1e-8)


def test_ldl_pivots_match_lapack_on_many_matrices():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    for n in range(1, 8):
        a = rng.standard_normal((20, n, n))
        a = a + np.swapaxes(a, -1, -2)
        e, t = ember.linalg.ldl_factor_ex(ember.tensor(a)), torch.linalg.ldl_factor_ex(
            torch.tensor(a))
        np.testing.assert_array_equal(e.pivots.numpy(), t.pivots.numpy())
        np.testing.assert_allclose(e.LD.numpy(), t.LD.numpy(), rtol=1e-9, atol=1e-12)
    x = ember.tensor(_sym(3), requires_grad=True)
    ld = ember.linalg.ldl_factor(x).LD
    with pytest.raises(RuntimeError, match="does not implement the gradient"):
        ld.sum().backward()
    with pytest.raises(RuntimeError, match="could not be completed"):
        ember.linalg.ldl_factor(ember.zeros(3, 3))
