import numpy as np
import pytest

import ember
from tests.optim._trajectory import assert_params_close, check_synthetic, run_quadratic

CASES = [
    dict(),
    dict(lr=0.01, betas=(0.8, 0.99)),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, eps=1e-2, maximize=True),
]


@pytest.mark.parametrize("kwargs", CASES)
def test_adamax_trajectory_matches_torch(kwargs):
    check_synthetic("Adamax", kwargs)


def test_adamax_quadratic_matches_torch():
    torch = pytest.importorskip("torch")
    pe, le = run_quadratic(ember, "Adamax", dict(lr=0.05))
    pt, lt = run_quadratic(torch, "Adamax", dict(lr=0.05))
    assert_params_close(pe, pt)
    np.testing.assert_allclose(le, lt, rtol=1e-5, atol=1e-6)
    assert le[-1] < le[0]
