"""autograd.functional: jacobian, hessian, vjp, jvp, hvp, vhp against PyTorch's."""
import numpy as np

import ember
from tests.helpers import assert_same, requires_torch

RNG = np.random.default_rng(0)
X, Y = RNG.standard_normal(3), RNG.standard_normal(3)


def _both(fn):
    import torch

    return [fn(lib, lib.tensor(X), lib.tensor(Y)) for lib in (ember, torch)]


def _same(pair):
    mine, theirs = pair
    if isinstance(theirs, tuple):
        assert isinstance(mine, tuple) and len(mine) == len(theirs)
        for a, b in zip(mine, theirs):
            _same((a, b))
    else:
        assert_same(mine, theirs, rtol=1e-6, atol=1e-8)


@requires_torch
def test_jacobian_single_and_tuple_forms():
    _same(_both(lambda m, x, y: m.autograd.functional.jacobian(lambda a: a.sin() * a, x)))
    _same(_both(lambda m, x, y: m.autograd.functional.jacobian(
        lambda a, b: a ** 2 * b.sum(), (x, y))))
    _same(_both(lambda m, x, y: m.autograd.functional.jacobian(
        lambda a, b: (a * b, (a @ b).exp()), (x, y))))


@requires_torch
def test_hessian_vjp_jvp_hvp_vhp():
    f = lambda a: (a ** 3).sum() + (a[0] * a[1]).sin()  # noqa: E731
    _same(_both(lambda m, x, y: m.autograd.functional.hessian(f, x)))
    _same(_both(lambda m, x, y: m.autograd.functional.vjp(lambda a: a.tanh(), x, y)))
    _same(_both(lambda m, x, y: m.autograd.functional.jvp(lambda a: a.tanh() * 2, x, y)))
    _same(_both(lambda m, x, y: m.autograd.functional.hvp(f, x, y)))
    _same(_both(lambda m, x, y: m.autograd.functional.vhp(f, x, y)))


def test_create_graph_keeps_the_result_differentiable():
    x = ember.tensor(X, requires_grad=True)
    j = ember.autograd.functional.jacobian(lambda a: a ** 3, x, create_graph=True)
    j.sum().backward()  # d/dx sum(diag(3 x^2)) = 6 x
    np.testing.assert_allclose(x.grad.numpy(), 6 * X, rtol=1e-6)
    plain = ember.autograd.functional.jacobian(lambda a: a ** 3, ember.tensor(X))
    assert not plain.requires_grad
