"""Linear algebra: matmul in every rank combination, mm/bmm/mv/dot/outer, the fused
multiply-adds, einsum/tensordot, diagonals/triangles and ember.linalg, against PyTorch."""
import numpy as np
import pytest

import ember
from tests.helpers import check_grad, check_parity, requires_torch

_rng = np.random.default_rng(0)


def R(*shape):
    return _rng.standard_normal(shape).astype(np.float32)


EYE3 = 3 * np.eye(3, dtype=np.float32)

BINARY = [
    ("matmul_1d_1d", lambda m, a, b: m.matmul(a, b), R(3), R(3)),
    ("matmul_1d_2d", lambda m, a, b: a @ b, R(3), R(3, 4)),
    ("matmul_2d_1d", lambda m, a, b: a @ b, R(2, 3), R(3)),
    ("matmul_2d_2d", lambda m, a, b: a @ b, R(2, 3), R(3, 4)),
    ("matmul_3d_1d", lambda m, a, b: a @ b, R(5, 2, 3), R(3)),
    ("matmul_1d_3d", lambda m, a, b: a @ b, R(3), R(5, 3, 2)),
    ("matmul_3d_2d", lambda m, a, b: a @ b, R(5, 2, 3), R(3, 4)),
    ("matmul_2d_3d", lambda m, a, b: a @ b, R(2, 3), R(5, 3, 4)),
    ("matmul_bcast", lambda m, a, b: a.matmul(b), R(5, 1, 2, 3), R(4, 3, 2)),
    ("matmul_4d_2d", lambda m, a, b: a @ b, R(2, 5, 2, 3), R(3, 4)),
    ("matmul_3d_2d_noncontig", lambda m, a, b: a.transpose(0, 1) @ b.t(), R(2, 5, 3), R(4, 3)),
    ("matmul_3d_2d_empty", lambda m, a, b: a @ b, R(0, 2, 3), R(3, 4)),
    ("matmul_empty", lambda m, a, b: a @ b, R(0, 3), R(3, 2)),
    ("matmul_empty_inner", lambda m, a, b: a @ b, R(2, 0), R(0, 3)),
    ("matmul_noncontig", lambda m, a, b: a.t() @ b[:, ::2], R(3, 2), R(3, 4)),
    ("mm", lambda m, a, b: m.mm(a, b), R(2, 3), R(3, 4)),
    ("mm_noncontig", lambda m, a, b: a.t().mm(b.t()), R(3, 2), R(4, 3)),
    ("bmm", lambda m, a, b: m.bmm(a, b), R(2, 2, 3), R(2, 3, 4)),
    ("mv", lambda m, a, b: m.mv(a, b), R(2, 3), R(3)),
    ("dot", lambda m, a, b: m.dot(a, b), R(3), R(3)),
    ("vdot", lambda m, a, b: m.vdot(a, b), R(3), R(3)),
    ("inner", lambda m, a, b: m.inner(a, b), R(2, 3), R(4, 3)),
    ("outer", lambda m, a, b: m.outer(a, b), R(3), R(4)),
    ("ger", lambda m, a, b: a.ger(b), R(3), R(2)),
    ("addmm", lambda m, a, b: m.addmm(a[0], b, b.t()), R(3, 3), R(3, 4)),
    ("addmm_scaled", lambda m, a, b: m.addmm(a[:, :1], a, b, beta=0.5, alpha=2), R(2, 3),
     R(3, 4)),
    ("addmv", lambda m, a, b: m.addmv(a[0], a, b[:, 0], beta=2), R(3, 3), R(3, 2)),
    ("baddbmm", lambda m, a, b: m.baddbmm(b[0, 0], a, b, alpha=-1), R(2, 2, 3), R(2, 3, 4)),
    ("baddbmm_beta0", lambda m, a, b: a.baddbmm(a, b[:, :, :3], beta=0), R(2, 3, 3),
     R(2, 3, 4)),
    ("addbmm", lambda m, a, b: m.addbmm(a[0, 0, 0], a, b), R(2, 2, 3), R(2, 3, 4)),
    ("einsum_mm", lambda m, a, b: m.einsum("ij,jk->ik", a, b), R(2, 3), R(3, 4)),
    ("einsum_implicit", lambda m, a, b: m.einsum("bij,bjk", a, b), R(2, 2, 3), R(2, 3, 4)),
    ("einsum_list", lambda m, a, b: m.einsum("ij,kj->ik", [a, b]), R(2, 3), R(4, 3)),
    ("einsum_diag", lambda m, a, b: m.einsum("ii,j->ij", a, b), R(3, 3), R(4)),
    ("einsum_ellipsis", lambda m, a, b: m.einsum("...ij,...jk->...ik", a, b), R(5, 2, 3),
     R(3, 4)),
    ("einsum_dot", lambda m, a, b: m.einsum("i,i", a, b), R(3), R(3)),
    ("einsum_full", lambda m, a, b: m.einsum("ij,kl->", a, b), R(2, 3), R(3, 4)),
    ("einsum_bcast1", lambda m, a, b: m.einsum("bi,bi->b", a, b), R(1, 3), R(4, 3)),
    ("einsum_spaces", lambda m, a, b: m.einsum("i j , j -> i", a, b), R(2, 3), R(3)),
    ("einsum_trace_out", lambda m, a, b: m.einsum("ii", a) * b, R(3, 3), R(2)),
    ("einsum_sublist", lambda m, a, b: m.einsum(a, [0, 1], b, [1, 2], [0, 2]), R(2, 3),
     R(3, 4)),
    ("einsum_sublist_implicit", lambda m, a, b: m.einsum(a, [Ellipsis, 1], b, [1, 2]),
     R(2, 3), R(3, 4)),
    ("einsum_3ops", lambda m, a, b: m.einsum("ij,jk,k->i", a, b, b[0]), R(2, 4), R(4, 4)),
    ("tensordot_int", lambda m, a, b: m.tensordot(a, b, 1), R(2, 3), R(3, 4)),
    ("tensordot_lists", lambda m, a, b: m.tensordot(a, b, ([0, 1], [1, 0])), R(2, 3),
     R(3, 2)),
    ("tensordot_0", lambda m, a, b: m.tensordot(a, b, dims=0), R(2), R(3)),
    ("tensordot_2", lambda m, a, b: m.tensordot(a, b), R(4, 2, 3), R(2, 3, 5)),
    ("cross", lambda m, a, b: m.cross(a, b, dim=1), R(2, 3), R(2, 3)),
    ("linalg_cross_bcast", lambda m, a, b: m.linalg.cross(a, b), R(2, 3), R(1, 3)),
    ("solve", lambda m, a, b: m.linalg.solve(a, b), R(3, 3) + EYE3, R(3, 2)),
    ("solve_vec_batch", lambda m, a, b: m.linalg.solve(a, b), R(2, 3, 3) + EYE3, R(2, 3)),
    ("solve_vec", lambda m, a, b: m.linalg.solve(a, b), R(3, 3) + EYE3, R(3)),
    ("multi_dot", lambda m, a, b: m.linalg.multi_dot([a, b, b.t()]), R(2, 3), R(3, 4)),
    ("vecdot", lambda m, a, b: m.linalg.vecdot(a, b), R(2, 3), R(3)),
    ("kron", lambda m, a, b: m.kron(a, b), R(2, 3), R(3, 2)),
    ("kron_mixed_rank", lambda m, a, b: a[0].kron(b), R(2, 3), R(3, 2)),
    ("block_diag", lambda m, a, b: m.block_diag(a, b, a[0, 0]), R(2, 3), R(3, 2)),
    ("cartesian_prod", lambda m, a, b: m.cartesian_prod(a, b), R(2), R(3)),
    ("cdist", lambda m, a, b: m.cdist(a, b), R(2, 3), R(4, 3)),
    ("cdist_p1", lambda m, a, b: m.cdist(a, b, p=1), R(2, 3), R(4, 3)),
    ("cdist_p3", lambda m, a, b: m.cdist(a, b, p=3.0), R(2, 3), R(4, 3)),
    ("cdist_inf", lambda m, a, b: m.cdist(a, b, p=float("inf")), R(2, 3), R(4, 3)),
    ("cdist_batch", lambda m, a, b: m.cdist(a, b), R(2, 2, 3), R(1, 4, 3)),
    ("addr", lambda m, a, b: m.addr(a[:, :2] * 1, a[0], b[0, :2]), R(3, 3), R(3, 4)),
    ("addr_scaled", lambda m, a, b: a[:, :2].addr(a[0], b[0, :2], beta=0.5, alpha=2), R(3, 3),
     R(3, 4)),
    ("addmm_", lambda m, a, b: (a[:2] * 1).addmm_(a[:2], b[:, :3], beta=0.5), R(3, 3), R(3, 4)),
    ("addmv_", lambda m, a, b: (a[0] * 1).addmv_(a, b[:, 0]), R(3, 3), R(3, 4)),
    ("baddbmm_", lambda m, a, b: (a[None] * 1).baddbmm_(a[None], b[None, :, :3]), R(3, 3),
     R(3, 4)),
    ("chain_matmul", lambda m, a, b: m.chain_matmul(a, b, b.t()), R(2, 3), R(3, 4)),
]


@requires_torch
@pytest.mark.filterwarnings("ignore:torch.chain_matmul is deprecated")
@pytest.mark.parametrize("fn,a,b", [r[1:] for r in BINARY], ids=[r[0] for r in BINARY])
def test_binary_parity(fn, a, b):
    check_parity(fn, a, b, grad=True, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fn,a,b", [r[1:] for r in BINARY], ids=[r[0] for r in BINARY])
def test_binary_gradcheck(fn, a, b):
    if a.size == 0 or b.size == 0:
        pytest.skip("no elements to perturb")
    check_grad(lambda x, y: fn(ember, x, y), a, b)


A = R(3, 3) + 2 * np.eye(3, dtype=np.float32)
INF = float("inf")
UNARY = [
    ("norm", lambda m, a: m.linalg.norm(a)),
    ("norm_dim", lambda m, a: m.linalg.norm(a, dim=1)),
    ("norm_fro", lambda m, a: m.linalg.norm(a, "fro")),
    ("norm_ord_vec", lambda m, a: m.linalg.norm(a[0], 3)),
    ("norm_dims2", lambda m, a: m.linalg.norm(a.unsqueeze(0), dim=(1, 2), keepdim=True)),
    ("vector_norm_1", lambda m, a: m.linalg.vector_norm(a, 1, (0, 1), True)),
    ("vector_norm_inf", lambda m, a: m.linalg.vector_norm(a, INF)),
    ("vector_norm_ninf", lambda m, a: m.linalg.vector_norm(a, -INF, 1)),
    ("vector_norm_p", lambda m, a: m.linalg.vector_norm(a, 3.5, 0)),
    ("vector_norm_neg_p", lambda m, a: m.linalg.vector_norm(a, -1.5, 0)),
    ("vector_norm_0d", lambda m, a: m.linalg.vector_norm(a[0, 0])),
    ("vector_norm_noncontig", lambda m, a: m.linalg.vector_norm(a.t()[:, ::2], dim=-1)),
    ("matrix_norm_fro", lambda m, a: m.linalg.matrix_norm(a)),
    ("matrix_norm_nuc", lambda m, a: m.linalg.matrix_norm(a, "nuc")),
    ("matrix_norm_2", lambda m, a: m.linalg.matrix_norm(a, 2)),
    ("matrix_norm_m2", lambda m, a: m.linalg.matrix_norm(a, -2, keepdim=True)),
    ("matrix_norm_1", lambda m, a: m.linalg.matrix_norm(a, 1)),
    ("matrix_norm_m1", lambda m, a: m.linalg.matrix_norm(a, -1)),
    ("matrix_norm_inf", lambda m, a: m.linalg.matrix_norm(a, INF, keepdim=True)),
    ("matrix_norm_batch", lambda m, a: m.linalg.matrix_norm(m.stack([a, a * 2]), "nuc")),
    ("inv", lambda m, a: m.linalg.inv(a)),
    ("inv_batch", lambda m, a: m.linalg.inv(m.stack([a, a.t()]))),
    ("det", lambda m, a: m.linalg.det(a)),
    ("trace", lambda m, a: m.trace(a)),
    ("trace_rect", lambda m, a: a[:2].trace()),
    ("diag_2d", lambda m, a: m.diag(a)),
    ("diag_2d_offset", lambda m, a: m.diag(a, 1)),
    ("diag_1d", lambda m, a: m.diag(a[0], -1)),
    ("diagonal", lambda m, a: m.diagonal(a, 1)),
    ("diagonal_dims", lambda m, a: a.unsqueeze(0).diagonal(0, 2, 1)),
    ("linalg_diagonal", lambda m, a: m.linalg.diagonal(a.unsqueeze(0))),
    ("diag_embed", lambda m, a: m.diag_embed(a)),
    ("diag_embed_offset", lambda m, a: m.diag_embed(a, 1)),
    ("diag_embed_dims", lambda m, a: m.diag_embed(a, -2, 0, 2)),
    ("tril", lambda m, a: m.tril(a)),
    ("triu", lambda m, a: m.triu(a, 1)),
    ("tril_neg", lambda m, a: a.tril(-1)),
    ("triu_batch", lambda m, a: m.stack([a, a]).triu(-1)),
    ("diagflat", lambda m, a: m.diagflat(a[:2], 1)),
    ("adjoint", lambda m, a: a.adjoint()),
    ("mH", lambda m, a: a.mH),
    ("svdvals", lambda m, a: m.linalg.svdvals(a)),
    ("svd_S", lambda m, a: m.linalg.svd(a).S),
    ("slogdet", lambda m, a: m.linalg.slogdet(a).logabsdet),
    ("torch_slogdet", lambda m, a: m.slogdet(a)[1]),
    ("det_method", lambda m, a: a.det()),
    ("inverse", lambda m, a: m.inverse(a)),
    ("matrix_power", lambda m, a: m.linalg.matrix_power(a, 3)),
    ("matrix_power_neg", lambda m, a: a.matrix_power(-2)),
    ("legacy_svd_S", lambda m, a: m.svd(a)[1]),
]

SYM = (A @ A.T + 3 * np.eye(3)).astype(np.float32)
SYMMETRIC = [
    ("eigvalsh", lambda m, a: m.linalg.eigvalsh(a)),
    ("eigh_values", lambda m, a: m.linalg.eigh(a).eigenvalues),
    ("eigvalsh_upper", lambda m, a: m.linalg.eigvalsh(a, UPLO="U")),
    ("cholesky", lambda m, a: m.linalg.cholesky(a)),
    ("cholesky_upper", lambda m, a: m.linalg.cholesky(a, upper=True)),
    ("logdet", lambda m, a: m.logdet(a)),
]


@requires_torch
@pytest.mark.parametrize("fn", [r[1] for r in SYMMETRIC], ids=[r[0] for r in SYMMETRIC])
def test_symmetric_parity(fn):
    check_parity(fn, SYM, grad=True, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("fn", [r[1] for r in SYMMETRIC], ids=[r[0] for r in SYMMETRIC])
def test_symmetric_gradcheck(fn):
    # perturb symmetrically: these read one triangle of their input
    check_grad(lambda x: fn(ember, (x + x.mT) * 0.5), SYM)


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda m, a: m.linalg.slogdet(a).sign, lambda m, a: m.linalg.matrix_rank(a),
    lambda m, a: m.linalg.pinv(a), lambda m, a: m.linalg.qr(a).R.abs(),
    lambda m, a: m.linalg.svd(a, full_matrices=False).U.abs(),
    lambda m, a: m.linalg.eigh(a @ a.mT).eigenvectors.abs(),
    lambda m, a: m.triu_indices(3, 4, 1), lambda m, a: m.tril_indices(4, 3, -1),
    lambda m, a: m.linalg.matrix_power(a, 0)])
def test_forward_only_parity(fn):
    check_parity(fn, A, rtol=1e-4, atol=1e-4)


def test_gradient_through_unsupported_output_is_a_clear_error():
    x = ember.tensor(A, requires_grad=True)
    u, s, vh = ember.linalg.svd(x)
    s.sum().backward()  # singular values are differentiable
    assert x.grad is not None
    with pytest.raises(RuntimeError, match="linalg.svd"):
        u.sum().backward()


@requires_torch
@pytest.mark.parametrize("fn", [r[1] for r in UNARY], ids=[r[0] for r in UNARY])
def test_unary_parity(fn):
    check_parity(fn, A, grad=True, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fn", [r[1] for r in UNARY], ids=[r[0] for r in UNARY])
def test_unary_gradcheck(fn):
    check_grad(lambda x: fn(ember, x), A)


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda m, a: m.linalg.vector_norm(a, 0, 0), lambda m, a: m.trace(a.long()),
    lambda m, a: m.tril(a.long(), 1), lambda m, a: a.long() @ a.long(),
    lambda m, a: m.linalg.norm(m.zeros(0, 3), dim=1),
    lambda m, a: m.einsum("ij->ji", a.double()), lambda m, a: m.outer(a[0], a[1].double())])
def test_nograd_parity(fn):
    check_parity(fn, A)


def test_norm_of_zero_has_zero_gradient():
    x = ember.zeros(3, requires_grad=True)
    ember.linalg.vector_norm(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3))


def test_inplace_tril_triu():
    x = ember.ones(3, 3)
    assert x.tril_() is x and x.numpy().sum() == 6
    x = ember.ones(3, 3)
    x.triu_(1)
    assert x.numpy().sum() == 3


def test_diagonal_is_writable_view():
    x = ember.zeros(3, 3)
    d = x.diagonal()
    d.add_(1.0)
    np.testing.assert_array_equal(x.numpy(), np.eye(3))
    assert x._version == d._version == 1


def test_second_derivative_through_matmul_and_addmm():
    w = ember.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=ember.float64, requires_grad=True)
    x = ember.tensor([[0.5, -1.0]], dtype=ember.float64)
    y = ember.addmm(ember.zeros(2, dtype=ember.float64), x, w)
    (g,) = ember.autograd.grad((y * y).sum(), w, create_graph=True)
    (h,) = ember.autograd.grad(g.sum(), w)
    # d/dw sum(2 * x^T (x w)) = 2 x^T x 1
    np.testing.assert_allclose(h.numpy(), 2 * x.numpy().T @ x.numpy() @ np.ones((2, 2)))


def test_grad_fn_names():
    a = ember.ones(2, 2, requires_grad=True)
    assert ember.mm(a, a).grad_fn.name() == "MmBackward0"
    assert ember.addmm(a, a, a).grad_fn.name() == "AddmmBackward0"
    assert ember.einsum("ij->", a).grad_fn.name() == "EinsumBackward0"
    assert ember.linalg.vector_norm(a).grad_fn.name() == "LinalgVectorNormBackward0"


MATMUL_RANKS = [((2, 3), (3, 4)), ((2, 3), (3,)), ((3,), (3, 4)), ((3,), (3,)),
                ((2, 5, 3), (3, 4)), ((2, 5, 3), (2, 3, 4)), ((2, 5, 3), (3,)),
                ((3,), (2, 3, 4)), ((2, 1, 5, 3), (4, 3, 2)), ((5, 3), (2, 3, 4))]


@requires_torch
@pytest.mark.parametrize("sa,sb", MATMUL_RANKS)
def test_matmul_grad_fn_name_follows_the_ranks_as_pytorch(sa, sb):
    """`a @ b`'s node is named after the kernel PyTorch lowers it to (printed in
    `grad_fn=<...>`): MmBackward0, MvBackward0, SqueezeBackward4, DotBackward0,
    UnsafeViewBackward0 for batched products; the gradients stay those of matmul."""
    import torch

    a, b = R(*sa), R(*sb)
    ours = ember.tensor(a, requires_grad=True) @ ember.tensor(b, requires_grad=True)
    theirs = torch.tensor(a, requires_grad=True) @ torch.tensor(b, requires_grad=True)
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    assert repr(ours.grad_fn).split(" object")[0] == repr(theirs.grad_fn).split(" object")[0]
    check_parity(lambda m, x, y: m.matmul(x, y), a, b, grad=True)
    assert ember.mm(ember.ones(2, 2, requires_grad=True), ember.ones(2, 2)).grad_fn.name() \
        == "MmBackward0"


def test_matmul_batched_gradient_check():
    check_grad(lambda x, y: ember.matmul(x, y), R(2, 5, 3).astype(np.float64),
               R(3, 4).astype(np.float64))


# -- errors --------------------------------------------------------------------------------
ERRORS = [
    (lambda m: m.mm(m.ones(2, 3), m.ones(4, 5)), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    (lambda m: m.matmul(m.ones(2, 3), m.ones(4, 5)), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    (lambda m: m.matmul(m.ones(2, 2, 3), m.ones(4, 5)), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(4x3 and 4x5\)"),
    (lambda m: m.ones(2, 2, 3, requires_grad=True) @ m.ones(4, 5), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(4x3 and 4x5\)"),
    (lambda m: m.matmul(m.ones(3), m.ones(4)), RuntimeError, "inconsistent tensor size"),
    (lambda m: m.matmul(m.ones(2, 3, dtype=m.long), m.ones(3, 2)), RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: long int != float"),
    (lambda m: m.matmul(m.tensor(1.0), m.ones(2)), RuntimeError,
     "both arguments to matmul need to be at least 1D"),
    (lambda m: m.mm(m.ones(2, 3), m.ones(3)), RuntimeError, "mat2 must be a matrix"),
    (lambda m: m.mm(m.ones(2, 3, dtype=m.long), m.ones(3, 2)), RuntimeError,
     "long int != float"),
    (lambda m: m.bmm(m.ones(2, 3), m.ones(2, 3, 4)), RuntimeError,
     "batch1 must be a 3D tensor"),
    (lambda m: m.bmm(m.ones(2, 2, 3), m.ones(2, 4, 5)), RuntimeError,
     r"Expected size for first two dimensions of batch2 tensor to be: \[2, 3\] but got: "
     r"\[2, 4\]."),
    (lambda m: m.mv(m.ones(2, 3), m.ones(4)), RuntimeError, "size mismatch"),
    (lambda m: m.mv(m.ones(2, 3), m.ones(3, 1)), RuntimeError,
     "vector \\+ matrix @ vector expected"),
    (lambda m: m.dot(m.ones(3), m.ones(4)), RuntimeError, "inconsistent tensor size"),
    (lambda m: m.dot(m.ones(2, 2), m.ones(2, 2)), RuntimeError,
     "1D tensors expected, but got 2D and 2D tensors"),
    (lambda m: m.dot(m.ones(3), m.ones(3, dtype=m.float64)), RuntimeError,
     "expected both vectors to have same dtype"),
    (lambda m: m.outer(m.ones(2, 2), m.ones(2)), RuntimeError,
     "outer: Expected 1-D argument self, but got 2-D"),
    (lambda m: m.einsum("ij,jk", m.ones(2, 3), m.ones(4, 5)), RuntimeError,
     "einsum\\(\\): subscript j has size 4 for operand 1"),
    (lambda m: m.tensordot(m.ones(2, 3), m.ones(4, 5), dims=1), RuntimeError,
     "contracted dimensions need to match"),
    (lambda m: m.addmm(m.ones(3), m.ones(2, 3), m.ones(4, 5)), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied"),
    (lambda m: m.diag(m.ones(2, 2, 2)), RuntimeError, "diag\\(\\): Supports 1D or 2D tensors"),
    (lambda m: m.trace(m.ones(2)), RuntimeError, "trace: expected a matrix"),
    (lambda m: m.linalg.vector_norm(m.ones(2, dtype=m.long)), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    (lambda m: m.linalg.norm(m.ones(2, 2, 2), 2), RuntimeError,
     "the input must be 1D or 2D"),
    (lambda m: m.linalg.inv(m.ones(2, 3)), RuntimeError, "must be batches of square matrices"),
    (lambda m: m.linalg.inv(m.ones(2, 2)), RuntimeError, "singular"),
    (lambda m: m.tril(m.ones(3)), RuntimeError, "at least 2 dimensions"),
]


@pytest.mark.parametrize("fn,exc,match", ERRORS)
def test_errors(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn(ember)


@requires_torch
@pytest.mark.parametrize("fn,exc,match", ERRORS)
def test_errors_same_type_as_torch(fn, exc, match):
    import torch

    with pytest.raises(exc):
        fn(torch)


GRADGRAD = [
    ("vector_norm", lambda x, y: ember.linalg.vector_norm(x, dim=1)),
    ("vector_norm_all", lambda x, y: ember.linalg.vector_norm(x)),
    ("einsum", lambda x, y: ember.einsum("ij,jk->ik", x, y) ** 2),
    ("tensordot", lambda x, y: ember.tensordot(x, y, 1) ** 2),
    ("mm", lambda x, y: ember.mm(x, y) ** 2),
    ("matmul_bcast", lambda x, y: (x.unsqueeze(0).expand(2, 2, 3) @ y) ** 2),
    ("addmm", lambda x, y: ember.addmm(y[0], x, y) ** 2),
    ("outer", lambda x, y: ember.outer(x[0], y[0]) ** 2),
    ("dot", lambda x, y: ember.dot(x[0], y[:, 0]) ** 2),
    ("tril", lambda x, y: x.tril() ** 2),
]


@pytest.mark.parametrize("fn", [g[1] for g in GRADGRAD], ids=[g[0] for g in GRADGRAD])
def test_gradgradcheck(fn):
    from ember.autograd.gradcheck import gradgradcheck

    x = ember.tensor(R(2, 3), dtype=ember.float64, requires_grad=True)
    y = ember.tensor(R(3, 4), dtype=ember.float64, requires_grad=True)
    assert gradgradcheck(fn, [x, y])


# -- linalg.eig / eigvals: complex results from real input (LAPACK geev on both sides) ---------
EIG_MATRICES = [
    np.array([[2.0, 1.0], [2.0, 3.0]]),  # d2l's example: eigenvalues 1 and 4
    np.array([[0.0, -1.0], [1.0, 0.0]]),  # a rotation: +-i
    np.array([[1.0, 2.0, 0.0], [-2.0, 1.0, 0.5], [0.3, 0.0, 2.0]]),  # a complex pair
    np.arange(18.0).reshape(2, 3, 3) % 5 - 2,  # a batch
]


@requires_torch
@pytest.mark.parametrize("a", EIG_MATRICES, ids=["real", "rotation", "pair", "batch"])
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_eig_matches_torch(a, dt):
    import torch

    e = ember.linalg.eig(ember.tensor(a, dtype=getattr(ember, dt)))
    t = torch.linalg.eig(torch.tensor(a, dtype=getattr(torch, dt)))
    ctype = {"float32": "complex64", "float64": "complex128"}[dt]
    assert str(e.eigenvalues.dtype) == f"ember.{ctype}" == str(t.eigenvalues.dtype).replace(
        "torch", "ember")
    np.testing.assert_allclose(e.eigenvalues.numpy(), t.eigenvalues.numpy(), rtol=1e-5,
                               atol=1e-6)
    # eigenvectors: unit norm, A v = lambda v; their phase is LAPACK's choice (MKL's float32
    # geev can flip a sign where NumPy's does not), so compare up to it
    v, w = e.eigenvectors.numpy(), e.eigenvalues.numpy()
    np.testing.assert_allclose(a.astype(dt) @ v, v * w[..., None, :], atol=1e-4)
    tv = t.eigenvectors.numpy()
    np.testing.assert_allclose(np.abs((np.conj(v) * tv).sum(-2)), 1, rtol=1e-4)
    np.testing.assert_allclose(ember.linalg.eigvals(ember.tensor(a, dtype=getattr(ember, dt)))
                               .numpy(), w)


def test_eig_prints_like_torch_and_refuses_grad():
    r = ember.linalg.eig(ember.tensor([[2, 1], [2, 3]], dtype=ember.float64))
    assert repr(r).startswith("ember.return_types.linalg_eig(\neigenvalues=tensor([1.+0.j, "
                              "4.+0.j], dtype=ember.complex128),\neigenvectors=tensor([[")
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor"):
        ember.linalg.eig(ember.tensor([[1, 0], [0, 1]]))
    with pytest.raises(RuntimeError, match="must be batches of square matrices"):
        ember.linalg.eigvals(ember.ones(2, 3))
    a = ember.tensor([[2.0, 1.0], [2.0, 3.0]], requires_grad=True)
    w = ember.linalg.eigvals(a)
    assert w.requires_grad
    with pytest.raises(RuntimeError, match="gradient of linalg.eigvals"):
        w.backward(ember.ones(2, dtype=ember.complex64))


def test_torch_constants():
    import math

    assert (ember.pi, ember.e, ember.newaxis) == (math.pi, math.e, None)
    assert ember.inf == math.inf and math.isnan(ember.nan)


@requires_torch
@pytest.mark.parametrize("expr", [
    "m.svd(a)", "m.slogdet(a)", "a.qr()", "a.svd()", "m.linalg.svd(a)", "m.linalg.qr(a)",
    "m.linalg.eigh(a)", "m.linalg.slogdet(a)", "m.max(a, 1)",
])
def test_named_tuple_results_print_like_pytorch(expr):
    import torch

    texts = []
    for m in (ember, torch):
        env = {"m": m, "a": m.tensor([[2., 1.], [1., 3.]])}
        texts.append(repr(eval(expr, env)).replace("ember", "torch"))
    assert texts[0] == texts[1]
    assert texts[0].startswith("torch.return_types.")


@requires_torch
def test_cross_without_dim_warns_like_pytorch():
    import subprocess
    import sys

    with pytest.warns(UserWarning) as rec:
        r = ember.cross(ember.tensor([0., 1., 0.]), ember.tensor([1., 0., 0.]))
    assert r.tolist() == [0., 0., -1.]
    # PyTorch warns once per process (TORCH_WARN_ONCE): ask a fresh one
    code = ("import warnings, torch\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    torch.cross(torch.tensor([0., 1., 0.]), torch.tensor([1., 0., 0.]))\n"
            "print(str(w[0].message).split(' (Triggered')[0], end='')")
    theirs = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert str(rec[0].message) == theirs
