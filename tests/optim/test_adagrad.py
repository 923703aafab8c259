import numpy as np
import pytest

import ember
from tests.optim._trajectory import assert_params_close, check_synthetic, run_quadratic

CASES = [
    dict(),
    dict(lr=0.1, lr_decay=0.01),
    dict(lr=0.1, initial_accumulator_value=0.5),
    dict(lr=0.1, weight_decay=0.1, maximize=True),
    dict(lr=0.1, eps=1e-3, lr_decay=0.1, initial_accumulator_value=0.1),
]


@pytest.mark.parametrize("kwargs", CASES)
def test_adagrad_trajectory_matches_torch(kwargs):
    check_synthetic("Adagrad", kwargs)


def test_adagrad_quadratic_matches_torch():
    torch = pytest.importorskip("torch")
    pe, le = run_quadratic(ember, "Adagrad", dict(lr=0.1))
    pt, lt = run_quadratic(torch, "Adagrad", dict(lr=0.1))
    assert_params_close(pe, pt)
    np.testing.assert_allclose(le, lt, rtol=1e-5, atol=1e-6)
    assert le[-1] < le[0]
