import numpy as np
import pytest

import ember
from tests.optim._trajectory import assert_params_close, check_synthetic, run_quadratic

CASES = [
    dict(),
    dict(lr=0.01, momentum_decay=0.01),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
    dict(lr=0.01, maximize=True, betas=(0.8, 0.99)),
]


@pytest.mark.parametrize("kwargs", CASES)
def test_nadam_trajectory_matches_torch(kwargs):
    check_synthetic("NAdam", kwargs)


def test_nadam_quadratic_matches_torch():
    torch = pytest.importorskip("torch")
    pe, le = run_quadratic(ember, "NAdam", dict(lr=0.05))
    pt, lt = run_quadratic(torch, "NAdam", dict(lr=0.05))
    assert_params_close(pe, pt)
    np.testing.assert_allclose(le, lt, rtol=1e-5, atol=1e-6)
    assert le[-1] < le[0]
