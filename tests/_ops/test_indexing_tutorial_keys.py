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


# -- a 0-d index on a vector (one-hot target_transform in the Transforms tutorial) ----------
V = np.arange(10.0)


@pytest.mark.parametrize("fn, grad", [
    (lambda m, x: m.zeros(10).scatter_(0, m.tensor(3), value=1), False),
    (lambda m, x: m.zeros(10).scatter_(dim=0, index=m.tensor(7), value=1), False),
    (lambda m, x: x.scatter(0, m.tensor(3), 2.0), True),
    (lambda m, x: x.scatter(0, m.tensor(3), x[5]), True),
    (lambda m, x: x.scatter(0, m.tensor(3), x[5], reduce="add"), False),
    (lambda m, x: x.scatter_add(0, m.tensor(3), x[5]), True),
    (lambda m, x: x.scatter_reduce(0, m.tensor(3), x[5] * 2, "amax"), True),
    (lambda m, x: x.gather(0, m.tensor(4)), True),
    (lambda m, x: x.gather(-1, m.tensor(9)), True),
])
@pytest.mark.filterwarnings("ignore:The reduce argument")
def test_zero_dim_index_on_vector(fn, grad):
    check_parity(fn, V, grad=grad)


def test_zero_dim_index_on_vector_out_of_bounds():
    import ember

    with pytest.raises(RuntimeError, match="index 10 is out of bounds"):
        ember.zeros(10).scatter_(0, ember.tensor(10), value=1)
