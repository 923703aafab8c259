"""Forward-mode AD (ember.autograd.forward_ad): tangents against PyTorch's forward AD and
finite differences, dual-tensor bookkeeping, printing and errors."""
import numpy as np
import pytest

import ember
import ember.autograd.forward_ad as fwAD
from ember.autograd.function import Op
from tests.helpers import assert_same, requires_torch, torch

RNG = np.random.default_rng(0)


def _arr(*shape, positive=False):
    a = RNG.standard_normal(shape)
    return (np.abs(a) + 0.5 if positive else a).astype(np.float32)


def _jvp(m, fn, primals, tangents):
    """(output, tangent) of fn at primals along tangents, with library m's forward AD."""
    fw = m.autograd.forward_ad
    with fw.dual_level():
        duals = [fw.make_dual(m.tensor(p), m.tensor(t)) if t is not None else m.tensor(p)
                 for p, t in zip(primals, tangents)]
        out = fn(m, *duals)
        primal, tangent = fw.unpack_dual(out)
        return primal.detach(), tangent


# (name, fn(m, *tensors), input arrays; every float input gets a tangent)
CASES = [
    ("add", lambda m, a, b: a + b, [_arr(3, 4), _arr(4)]),
    ("mul_scalar", lambda m, a: 3 * a - 1, [_arr(5)]),
    ("div", lambda m, a, b: a / b, [_arr(3, 4), _arr(3, 4, positive=True)]),
    ("pow", lambda m, a: a.abs() ** 2.5, [_arr(6)]),
    ("exp_log", lambda m, a: m.log(a) + m.exp(a), [_arr(2, 3, positive=True)]),
    ("trig", lambda m, a: m.sin(a) * m.cos(a) + m.tanh(a), [_arr(7)]),
    ("sigmoid_relu", lambda m, a: m.sigmoid(a) + m.relu(a), [_arr(4, 4)]),
    ("sqrt_rsqrt", lambda m, a: m.sqrt(a) - m.rsqrt(a), [_arr(5, positive=True)]),
    ("clamp_where", lambda m, a, b: m.where(a > 0, a.clamp(max=0.5), b), [_arr(6), _arr(6)]),
    ("matmul", lambda m, a, b: a @ b, [_arr(3, 4), _arr(4, 2)]),
    ("bmm", lambda m, a, b: m.bmm(a, b), [_arr(2, 3, 4), _arr(2, 4, 5)]),
    ("sum_mean", lambda m, a: a.sum(0) + a.mean(1).sum(), [_arr(3, 4)]),
    ("max_dim", lambda m, a: a.max(dim=1).values, [_arr(3, 5)]),
    ("var_norm", lambda m, a: a.var(0) + a.norm(), [_arr(4, 3)]),
    ("cumsum_prod", lambda m, a: a.cumsum(0) * a.prod(), [_arr(4)]),
    ("logsumexp", lambda m, a: m.logsumexp(a, dim=-1), [_arr(3, 4)]),
    ("softmax", lambda m, a: m.softmax(a, -1) + m.log_softmax(a, 0), [_arr(3, 4)]),
    ("shape_ops", lambda m, a: a.reshape(4, 3).t().flip(0)[1:, ::2].unsqueeze(0),
     [_arr(3, 4)]),
    ("cat_stack", lambda m, a, b: m.cat([a, m.stack([b, b]).sum(0)], 0), [_arr(2, 3),
                                                                         _arr(2, 3)]),
    ("index_gather", lambda m, a: a[[0, 2]].gather(1, m.tensor([[1], [0]])), [_arr(3, 4)]),
    ("expand_permute", lambda m, a: a.expand(2, 3, 4).permute(2, 0, 1).contiguous(),
     [_arr(3, 4)]),
    ("linear", lambda m, x, w, b: m.nn.functional.linear(x, w, b),
     [_arr(5, 3), _arr(4, 3), _arr(4)]),
    ("conv2d", lambda m, x, w: m.nn.functional.conv2d(x, w, padding=1),
     [_arr(1, 2, 5, 5), _arr(3, 2, 3, 3)]),
    ("max_pool", lambda m, x: m.nn.functional.max_pool2d(x, 2), [_arr(1, 2, 4, 4)]),
    ("layer_norm", lambda m, x, w: m.nn.functional.layer_norm(x, (4,), w), [_arr(3, 4),
                                                                            _arr(4)]),
    ("cross_entropy", lambda m, x: m.nn.functional.cross_entropy(x, m.tensor([1, 0, 3])),
     [_arr(3, 4)]),
    ("mse", lambda m, a, b: m.nn.functional.mse_loss(a, b), [_arr(3, 4), _arr(3, 4)]),
    ("gelu_silu", lambda m, a: m.nn.functional.gelu(a) * m.nn.functional.silu(a), [_arr(6)]),
    ("embedding", lambda m, w: m.nn.functional.embedding(m.tensor([[0, 2], [1, 1]]), w),
     [_arr(3, 4)]),
]


@requires_torch
@pytest.mark.parametrize("name,fn,arrays", CASES, ids=[c[0] for c in CASES])
def test_tangent_matches_pytorch(name, fn, arrays):
    tangents = [_arr(*a.shape) for a in arrays]
    e_out, e_tan = _jvp(ember, fn, arrays, tangents)
    t_out, t_tan = _jvp(torch, fn, arrays, tangents)
    assert_same(e_out, t_out, rtol=1e-4, atol=1e-5)
    assert_same(e_tan, t_tan, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fn", [
    lambda x: (x.sin() * x).sum(1),
    lambda x: ember.nn.functional.softmax(x @ x.t(), -1),
    lambda x: ember.nn.functional.avg_pool2d(x.reshape(1, 1, 4, 3), 2, ceil_mode=True),
])
def test_tangent_matches_finite_differences(fn):
    x = ember.tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x,), check_forward_ad=True, check_backward_ad=False)


def test_dual_bookkeeping_and_level_exit():
    p, t = ember.randn(3), ember.randn(3)
    apply_before = Op.__dict__["apply"]
    with fwAD.dual_level():
        d = fwAD.make_dual(p, t)
        assert fwAD.unpack_dual(d).tangent is t  # stored as given, like PyTorch
        assert fwAD.unpack_dual(fwAD.make_dual(p, t.reshape(3, 1).t().reshape(3))).tangent \
            is not t
        assert not d.requires_grad and d.is_leaf and d.grad_fn is None
        out = d * 2
        assert not out.requires_grad and out.grad_fn is None
        assert np.shares_memory(d.numpy(), p.numpy())
        primal, tangent = fwAD.unpack_dual(out)
        assert type(primal) is ember.Tensor and fwAD.unpack_dual(primal).tangent is None
        assert ember.equal(tangent, 2 * t)
        assert fwAD.unpack_dual(p) == (p, None)
        assert fwAD.unpack_dual(d.argmax()).tangent is None
        assert fwAD.unpack_dual(d > 0).tangent is None
    assert Op.__dict__["apply"] is apply_before
    assert fwAD.unpack_dual(out).tangent is None
    assert type(out) is ember.Tensor and not out.requires_grad
    assert "tangent" not in repr(out)


def test_level_closes_when_the_body_raises():
    apply_before = Op.__dict__["apply"]
    with pytest.raises(ZeroDivisionError):
        with fwAD.dual_level():
            fwAD.make_dual(ember.ones(2), ember.ones(2))
            1 / 0
    assert Op.__dict__["apply"] is apply_before
    with fwAD.dual_level():  # a new level opens fine
        pass


def test_primal_requiring_grad_keeps_backward():
    p = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(p, ember.ones(3))
        assert d.requires_grad and d.grad_fn is not None
        out = (d * d).sum()
        assert ember.equal(fwAD.unpack_dual(out).tangent, ember.tensor(12.0))
        out.backward()
    assert ember.equal(p.grad, 2 * p.detach())


def test_no_grad_still_propagates_tangents():
    with fwAD.dual_level():
        d = fwAD.make_dual(ember.tensor([1.0, 2.0]), ember.tensor([1.0, -1.0]))
        with ember.no_grad():
            out = d * 3
        assert ember.equal(fwAD.unpack_dual(out).tangent, ember.tensor([3.0, -3.0]))


def test_inplace_updates_the_tangent_in_place():
    x, t = ember.tensor([1.0, -2.0, 3.0]), ember.tensor([1.0, 1.0, 2.0])
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        d.mul_(2).add_(1)
        assert ember.equal(x, ember.tensor([3.0, -3.0, 7.0]))  # shares the primal's memory
        assert ember.equal(t, ember.tensor([2.0, 2.0, 4.0]))  # PyTorch updates it in place
        d[1] = 0.0
        assert ember.equal(fwAD.unpack_dual(d).tangent, ember.tensor([2.0, 0.0, 4.0]))
        plain = ember.zeros(3)
        plain.add_(d)  # a plain tensor becomes dual
        assert ember.equal(fwAD.unpack_dual(plain).tangent, ember.tensor([2.0, 0.0, 4.0]))


@requires_torch
def test_repr_matches_pytorch():
    p = np.array([-0.6283, -0.2468, 0.0333], np.float32)
    t = np.array([-0.3595, 0.6130, 1.5445], np.float32)

    def reprs(m):
        fw = m.autograd.forward_ad
        with fw.dual_level():
            d = fw.make_dual(m.tensor(p), m.tensor(t))
            d2 = fw.make_dual(m.tensor(p, requires_grad=True), m.tensor(t))
            return [repr(d), repr(d * 2), repr((d2 * d2).sum()), repr(fw.unpack_dual(d))]

    assert [r.replace("ember", "torch") for r in reprs(ember)] == reprs(torch)


def test_module_parameters_as_duals():
    model = ember.nn.Linear(3, 2)
    x = ember.randn(4, 3)
    params = dict(model.named_parameters())
    tangents = {k: ember.rand_like(v) for k, v in params.items()}
    with fwAD.dual_level():
        for name, p in params.items():
            delattr(model, name)
            setattr(model, name, fwAD.make_dual(p, tangents[name]))
        jvp = fwAD.unpack_dual(model(x)).tangent
    expected = x @ tangents["weight"].t() + tangents["bias"]
    assert ember.allclose(jvp, expected, atol=1e-6)
    model2 = ember.nn.Linear(3, 2)
    with fwAD.dual_level():
        duals = {k: fwAD.make_dual(p, tangents[k]) for k, p in params.items()}
        jvp2 = fwAD.unpack_dual(ember.func.functional_call(model2, duals, (x,))).tangent
    assert ember.allclose(jvp, jvp2)


class _Exp(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        result = x.exp()
        ctx.result = result
        return result

    @staticmethod
    def backward(ctx, g):
        return g * ctx.result

    @staticmethod
    def jvp(ctx, g):
        return g * ctx.result


class _BadJvp(_Exp):
    @staticmethod
    def jvp(ctx, g):
        return g


class _NoJvp(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


def test_custom_function_jvp_and_gradcheck():
    x = ember.tensor(RNG.standard_normal((3, 3)), requires_grad=True)
    t = ember.tensor(RNG.standard_normal((3, 3)))
    with fwAD.dual_level():
        out = _Exp.apply(fwAD.make_dual(x, t))
        assert ember.allclose(fwAD.unpack_dual(out).tangent, t * x.detach().exp())
        with pytest.raises(NotImplementedError, match="implement the jvp function"):
            _NoJvp.apply(fwAD.make_dual(x, t))
    assert ember.autograd.gradcheck(_Exp.apply, (x,), check_forward_ad=True)
    with pytest.raises(RuntimeError, match="forward mode mismatch"):
        ember.autograd.gradcheck(_BadJvp.apply, (x,), check_forward_ad=True,
                                 check_backward_ad=False)


def test_errors():
    with pytest.raises(RuntimeError, match="no level exists"):
        fwAD.make_dual(ember.ones(2), ember.ones(2))
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match="Nested forward mode AD"):
            fwAD.enter_dual_level()
        with pytest.raises(RuntimeError, match=r"size \[3\] while the given forward gradient "
                                               r"is of size \[2\]"):
            fwAD.make_dual(ember.ones(3), ember.ones(2))
        with pytest.raises(ValueError, match="Expected primal to be floating point"):
            fwAD.make_dual(ember.arange(3), ember.ones(3))
