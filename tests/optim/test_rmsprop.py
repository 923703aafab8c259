import numpy as np
import pytest

import ember
from tests.optim._trajectory import assert_params_close, check_synthetic, run_quadratic

CASES = [
    dict(),
    dict(lr=0.001, alpha=0.9),
    dict(lr=0.001, centered=True),
    dict(lr=0.001, momentum=0.9),
    dict(lr=0.001, momentum=0.9, centered=True, weight_decay=0.1),
    dict(lr=0.001, weight_decay=0.1, maximize=True),
    dict(lr=0.001, eps=1e-2, alpha=0.5),
]


@pytest.mark.parametrize("kwargs", CASES)
def test_rmsprop_trajectory_matches_torch(kwargs):
    check_synthetic("RMSprop", kwargs)


def test_rmsprop_quadratic_matches_torch():
    torch = pytest.importorskip("torch")
    pe, le = run_quadratic(ember, "RMSprop", dict(lr=0.01))
    pt, lt = run_quadratic(torch, "RMSprop", dict(lr=0.01))
    assert_params_close(pe, pt)
    np.testing.assert_allclose(le, lt, rtol=1e-5, atol=1e-6)
    assert le[-1] < le[0]
