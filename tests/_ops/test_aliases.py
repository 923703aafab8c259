"""NumPy's argument names (`axis`, `keepdims`) accepted wherever PyTorch's parser takes them."""
import numpy as np
import pytest

import ember
from tests.helpers import check_parity

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4) % 7 - 3

# (call with NumPy names, grad?) -- each row runs on ember and torch and must agree
CALLS = [
    (lambda m, x: x.sum(axis=1), True),
    (lambda m, x: x.sum(axis=[0, 1]), True),
    (lambda m, x: x.sum(1, keepdims=True), True),
    (lambda m, x: m.sum(x, axis=2, keepdims=True), True),
    (lambda m, x: x.mean(axis=0), True),
    (lambda m, x: x.prod(axis=2, keepdims=True), True),
    (lambda m, x: x.max(axis=1)[0], True),
    (lambda m, x: x.min(axis=1, keepdims=True)[1], False),
    (lambda m, x: x.amax(axis=(0, 2)), True),
    (lambda m, x: x.argmax(axis=1), False),
    (lambda m, x: m.argmin(x, axis=-1, keepdims=True), False),
    (lambda m, x: x.std(axis=1), True),
    (lambda m, x: x.var(axis=1, keepdims=True), True),
    (lambda m, x: m.var_mean(x, axis=0)[1], True),
    (lambda m, x: x.logsumexp(axis=2), True),
    (lambda m, x: x.cumsum(axis=0), True),
    (lambda m, x: m.cumprod(x, axis=1), True),
    (lambda m, x: x.cummax(axis=2)[0], True),
    (lambda m, x: x.logcumsumexp(axis=1), True),
    (lambda m, x: x.softmax(axis=1), True),
    (lambda m, x: m.log_softmax(x, axis=-1), True),
    (lambda m, x: (x > 0).all(axis=1), False),
    (lambda m, x: m.any(x > 0, axis=2, keepdims=True), False),
    (lambda m, x: x.count_nonzero(axis=0), False),
    (lambda m, x: x.nansum(axis=1), True),
    (lambda m, x: x.median(axis=1)[0], True),
    (lambda m, x: x.sort(axis=1)[0], True),
    (lambda m, x: x.argsort(axis=0), False),
    (lambda m, x: x.topk(2, axis=1)[0], True),
    (lambda m, x: x.unsqueeze(axis=1), True),
    (lambda m, x: x[:, :1].squeeze(axis=1), True),
    (lambda m, x: m.stack(x.unbind(axis=2), 0), True),
    (lambda m, x: m.diff(x, axis=1), True),
]


@pytest.mark.parametrize("i", range(len(CALLS)))
def test_numpy_names_match_pytorch(i):
    fn, grad = CALLS[i]
    check_parity(fn, X, grad=grad)


@pytest.mark.parametrize("call, message", [
    (lambda x: x.sum(1, axis=1), "sum() got an unexpected keyword argument 'axis'"),
    (lambda x: x.sum(1, keepdim=True, keepdims=True),
     "sum() got an unexpected keyword argument 'keepdims'"),
    (lambda x: x.cumsum(), 'cumsum() missing 1 required positional arguments: "dim"'),
    (lambda x: x.unsqueeze(), 'unsqueeze() missing 1 required positional arguments: "dim"'),
])
def test_dim_given_twice_or_missing_is_a_type_error(call, message):
    with pytest.raises(TypeError) as e:
        call(ember.ones(2, 3))
    assert str(e.value) == message
