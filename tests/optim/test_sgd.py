import numpy as np
import pytest

import ember
from tests.optim._trajectory import (
    assert_params_close,
    check_synthetic,
    run_mlp,
    run_quadratic,
)

CASES = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.1, momentum=0.9, dampening=0.5),
    dict(lr=0.1, momentum=0.9, nesterov=True),
    dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1),
    dict(lr=0.1, weight_decay=0.1),
    dict(lr=0.1, momentum=0.5, weight_decay=0.01, maximize=True),
    dict(lr=0.1, maximize=True),
]


@pytest.mark.parametrize("kwargs", CASES)
def test_sgd_trajectory_matches_torch(kwargs):
    check_synthetic("SGD", kwargs)


@pytest.mark.parametrize("kwargs", [dict(lr=0.01, momentum=0.9), dict(lr=0.01, nesterov=True,
                                                                          momentum=0.8)])
def test_sgd_quadratic_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    pe, le = run_quadratic(ember, "SGD", kwargs)
    pt, lt = run_quadratic(torch, "SGD", kwargs)
    assert_params_close(pe, pt)
    np.testing.assert_allclose(le, lt, rtol=1e-5)
    assert le[-1] < le[0]


def test_sgd_update_is_in_place_and_keeps_dtype():
    p = ember.ones(3, requires_grad=True)
    arr = p._data
    opt = ember.optim.SGD([p], lr=0.5, momentum=0.9)
    p.grad = ember.ones(3)
    opt.step()
    assert p._data is arr and p.dtype == ember.float32
    np.testing.assert_allclose(p.detach().numpy(), np.full(3, 0.5))
    buf = opt.state[p]["momentum_buffer"]
    np.testing.assert_allclose(buf.numpy(), np.ones(3))
    p64 = ember.ones(2, dtype=ember.float64, requires_grad=True)
    opt = ember.optim.SGD([p64], lr=np.float64(0.1))
    p64.grad = ember.ones(2, dtype=ember.float64)
    opt.step()
    assert p64.dtype == ember.float64


@pytest.mark.parametrize("kwargs,msg", [
    (dict(lr=-1), "Invalid learning rate: -1"),
    (dict(lr=0.1, momentum=-0.1), "Invalid momentum value: -0.1"),
    (dict(lr=0.1, weight_decay=-1), "Invalid weight_decay value: -1"),
    (dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
     "Nesterov momentum requires a momentum and zero dampening"),
])
def test_sgd_bad_arguments(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        ember.optim.SGD([ember.zeros(2, requires_grad=True)], **kwargs)


def test_sgd_mlp_matches_torch():
    torch = pytest.importorskip("torch")
    kw = dict(lr=1e-3, momentum=0.9, weight_decay=1e-3)
    pe, le = run_mlp(ember, "SGD", kw)
    pt, lt = run_mlp(torch, "SGD", kw)
    assert_params_close(pe, pt, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(le, lt, rtol=1e-4)
    assert le[-1] < le[0] / 2
