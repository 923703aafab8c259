import numpy as np
import pytest

import ember
from tests.optim._trajectory import assert_params_close, check_synthetic, run_quadratic

CASES = [
    dict(),
    dict(lr=0.5, rho=0.5),
    dict(lr=1.0, weight_decay=0.1),
    dict(lr=1.0, eps=1e-4, maximize=True),
]


@pytest.mark.parametrize("kwargs", CASES)
def test_adadelta_trajectory_matches_torch(kwargs):
    check_synthetic("Adadelta", kwargs)


def test_adadelta_quadratic_matches_torch():
    torch = pytest.importorskip("torch")
    pe, le = run_quadratic(ember, "Adadelta", dict(lr=1.0))
    pt, lt = run_quadratic(torch, "Adadelta", dict(lr=1.0))
    assert_params_close(pe, pt)
    np.testing.assert_allclose(le, lt, rtol=1e-5, atol=1e-6)
    assert le[-1] < le[0]
