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
    dict(),
    dict(lr=0.01, betas=(0.8, 0.99)),
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True),
    dict(lr=0.01, maximize=True),
    dict(lr=0.01, eps=1e-3),
    dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
    dict(lr=0.01, betas=(0.3, 0.5)),
]


@pytest.mark.parametrize("kwargs", CASES)
def test_adam_trajectory_matches_torch(kwargs):
    check_synthetic("Adam", kwargs)


def test_adam_quadratic_matches_torch():
    torch = pytest.importorskip("torch")
    pe, le = run_quadratic(ember, "Adam", dict(lr=0.05))
    pt, lt = run_quadratic(torch, "Adam", dict(lr=0.05))
    assert_params_close(pe, pt)
    np.testing.assert_allclose(le, lt, rtol=1e-5, atol=1e-6)
    assert le[-1] < le[0]


@pytest.mark.parametrize("kwargs", [dict(lr=1e-3), dict(lr=1e-3, amsgrad=True,
                                                        weight_decay=1e-2)])
def test_adam_mlp_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    pe, le = run_mlp(ember, "Adam", kwargs)
    pt, lt = run_mlp(torch, "Adam", kwargs)
    assert_params_close(pe, pt, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(le, lt, rtol=1e-4)
    assert le[-1] < le[0] / 2


def test_seed004_nn_training_loop_matches_torch():
    # seed 004's loop (Sequential MLP, MSE sum, Adam) with the same initial weights
    torch = pytest.importorskip("torch")
    # NOTE: fixed initial weights: from about 1 start in 60 (torch seed 3) the two libraries'
    # float32 rounding drifts past rtol 1e-4 within the 100 steps
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 100)).astype(np.float32)
    y = rng.standard_normal((16, 5)).astype(np.float32)
    tm = torch.nn.Sequential(torch.nn.Linear(100, 20), torch.nn.ReLU(), torch.nn.Linear(20, 5))
    em = ember.nn.Sequential(ember.nn.Linear(100, 20), ember.nn.ReLU(), ember.nn.Linear(20, 5))
    for pe, pt in zip(em.parameters(), tm.parameters()):
        pe.data = ember.tensor(pt.detach().numpy().copy())
    results = []
    for lib, model in ((ember, em), (torch, tm)):
        loss_fn = lib.nn.MSELoss(reduction="sum")
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
        xt, yt = lib.tensor(x), lib.tensor(y)
        losses = []
        for _ in range(100):
            loss = loss_fn(model(xt), yt)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        results.append(([p.detach().numpy() for p in model.parameters()], losses))
    (pe, le), (pt, lt) = results
    assert_params_close(pe, pt, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(le, lt, rtol=1e-4)
    assert le[-1] < le[0] / 2
