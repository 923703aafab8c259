"""ember.special additions: i0, i0e, i1, i1e, gammainc(c), multigammaln, sinc, entr, ndtr,
xlog1py, against torch.special."""
import numpy as np
import pytest

import ember
from tests.helpers import check_grad, check_parity, requires_torch

rng = np.random.default_rng(4)
X = np.concatenate([rng.standard_normal(20) * 4, [0.0, 35.0, -40.0, 1e-3]])
P = rng.uniform(0.1, 5.0, 12)

CASES = [
    ("i0", lambda m, a: m.special.i0(a), (X,), True),
    ("i0e", lambda m, a: m.special.i0e(a), (X,), True),
    ("i1", lambda m, a: m.special.i1(a), (X,), True),
    ("i1e", lambda m, a: m.special.i1e(a), (X,), True),
    ("i1e-float32", lambda m, a: m.special.i1e(a.float()), (X,), True),
    ("i1-int", lambda m, a: m.special.i1(a.round().long()), (X,), False),
    ("i0e-huge", lambda m, a: m.special.i0e(a * 100), (X,), True),
    ("gammainc", lambda m, a, x: m.special.gammainc(a, x), (P, P[::-1].copy()), False),
    ("gammaincc", lambda m, a, x: m.special.gammaincc(a.detach(), x), (P, P[::-1].copy()), True),
    ("multigammaln", lambda m, a: m.special.multigammaln(a + 3, 3), (P,), True),
    ("sinc", lambda m, a: m.special.sinc(a), (X,), True),
    ("entr", lambda m, a: m.special.entr(a), (X,), True),
    ("ndtr", lambda m, a: m.special.ndtr(a), (X,), True),
    ("xlog1py", lambda m, a, b: m.special.xlog1py(a, b), (X, P.repeat(2)), True),
    ("xlog1py-zero-x", lambda m, a, b: m.special.xlog1py(a * 0, b), (X, P.repeat(2)), True),
]


@requires_torch
@pytest.mark.parametrize("fn,arrays,grad", [r[1:] for r in CASES], ids=[r[0] for r in CASES])
def test_special_matches_torch(fn, arrays, grad):
    check_parity(fn, *arrays, grad=grad, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("name", ["i1", "i0e", "i1e"])
def test_bessel_numerical_grad(name):
    check_grad(getattr(ember.special, name), np.array([-3.0, -0.4, 0.7, 2.5, 12.0]))


def test_special_names_stay_out_of_top_level():
    assert not hasattr(ember, "i1") and not hasattr(ember, "i0e") and hasattr(ember, "i0")
