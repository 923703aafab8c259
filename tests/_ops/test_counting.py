"""bincount and histc (no gradient, as in PyTorch): values, dtypes and errors."""
import numpy as np
import pytest
from helpers import check_parity

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
])
def test_counting_errors_match_pytorch(fn):
    torch = pytest.importorskip("torch")
    import ember

    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value), match=str(theirs.value).split("\n")[0][:40]
                       .replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        fn(ember)
