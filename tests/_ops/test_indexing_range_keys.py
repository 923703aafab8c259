"""range objects as index keys (x[range(n), target] in "What is torch.nn really?")."""
import numpy as np
import pytest
from helpers import check_parity

X = np.arange(12.0).reshape(3, 4)


@pytest.mark.parametrize("key", [
    lambda m: (range(3), m.tensor([0, 1, 2])),
    lambda m: range(2),
    lambda m: (slice(None), range(1, 3)),
    lambda m: range(0),
    lambda m: (range(3), [3, 2, 1]),
])
def test_range_key_getitem_and_grad(key):
    check_parity(lambda m, x: x[key(m)], X, grad=True)


def test_range_key_setitem():
    check_parity(_set, X)


def _set(m, x):
    y = x.clone()
    y[range(2), 0] = -1.0
    return y
