"""bincount, histc and histogram (no gradient, as in PyTorch): values, dtypes and errors."""
import re

import numpy as np
import pytest
from helpers import check_parity

import ember

I = np.array([0, 1, 1, 3, 7, 1])
F = np.array([1.0, 2.0, 1.0, 5.0, -0.5, 3.0, 2.9999], dtype=np.float32)


@pytest.mark.parametrize("fn, args", [
    (lambda m, x: m.bincount(x), (I,)),
    (lambda m, x: x.bincount(minlength=10), (I,)),
    (lambda m, x: m.bincount(x[:0]), (I,)),
    (lambda m, x, w: m.bincount(x, weights=w), (I, np.linspace(0, 1, 6, dtype=np.float32))),
    (lambda m, x, w: m.bincount(x, w), (I, np.linspace(0, 1, 6))),
    (lambda m, x, w: m.bincount(x, weights=w), (I, np.arange(6))),
    (lambda m, x: m.bincount(x.to(m.uint8)), (I,)),
    (lambda m, x: m.histc(x, bins=4, min=0, max=3), (F,)),
    (lambda m, x: m.histc(x, bins=5), (F,)),
    (lambda m, x: x.histc(bins=7, min=-1, max=6), (F.astype(np.float64),)),
    (lambda m, x: m.histc(x[:2] * 0 + 2, bins=3), (F,)),
    (lambda m, x: m.histc(x.reshape(1, 7), bins=2), (F,)),
    (lambda m, x: m.histc(x[:0], bins=3), (F,)),
    (lambda m, x: m.histogram(x), (F,)),
    (lambda m, x: m.histogram(x, 4), (F,)),
    (lambda m, x: m.histogram(x, bins=3, range=(0.0, 4.0), density=True), (F,)),
    (lambda m, x: x.histogram(5, weight=x.abs()), (F,)),
    (lambda m, x: m.histogram(x, bins=m.tensor([-1.0, 1.5, 2.0, 3.0])), (F,)),
    (lambda m, x: m.histogram(x, bins=m.tensor([-1.0, 1.5, 3.0], dtype=m.float64),
                              density=True), (F.astype(np.float64),)),
    (lambda m, x: m.histogram(x.reshape(1, 7), bins=6), (F.astype(np.float64),)),
    (lambda m, x: m.histogram(x[:3] * 0 + 1, bins=4), (F,)),
    (lambda m, x: m.histogram(x[:0], bins=2), (F,)),
    (lambda m, x: m.histogram(x, 100, density=True),
     (np.random.default_rng(0).standard_normal(500).astype(np.float32),)),
])
def test_counting_parity(fn, args):
    check_parity(fn, *args)


@pytest.mark.parametrize("fn", [
    lambda m: m.bincount(m.tensor([-1])),
    lambda m: m.bincount(m.tensor([[1]])),
    lambda m: m.bincount(m.tensor([1.0])),
    lambda m: m.bincount(m.tensor([True])),
    lambda m: m.histc(m.tensor([1, 2])),
    lambda m: m.histc(m.tensor([1.0]), bins=2, min=3, max=1),
    lambda m: m.histogram(m.tensor([1, 2])),
    lambda m: m.histogram(m.tensor([1.0, 2.0]), 2, range=(3.0, 1.0)),
    lambda m: m.histogram(m.tensor([1.0, float("inf")]), 2),
    lambda m: m.histogram(m.tensor([1.0]), bins=m.tensor([0.0, 1.0], dtype=m.float64)),
    lambda m: m.histogram(m.tensor([1.0]), bins=0),
    lambda m: m.histogram(m.tensor([1.0, 2.0]), 2, weight=m.tensor([1.0])),
])
def test_counting_errors_match_pytorch(fn):
    torch = pytest.importorskip("torch")

    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value), match=re.escape(str(theirs.value).split("\n")[0])):
        fn(ember)


def test_histogram_named_tuple_and_detach():
    t = ember.randn(50, requires_grad=True)
    hy, hx = ember.histogram(t, density=True)
    r = t.histogram(10)
    assert type(r).__name__ == "histogram" and r.hist.shape == (10,) and r.bin_edges.shape == (11,)
    assert abs(float((hy * (hx[1:] - hx[:-1])).sum()) - 1.0) < 1e-5
    assert hy.detach().shape == (100,)
