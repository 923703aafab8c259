"""F.pad (constant/reflect/replicate/circular, any number of dim pairs, negative constant
pads) and the padding layers: parity with torch, gradchecks, repr and errors."""
import numpy as np
import pytest
from helpers import check_grad, check_parity, requires_torch

import ember
import ember.nn as nn
import ember.nn.functional as F

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 5, 6)).astype(np.float32)


@requires_torch
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(1, 2), (1, 2, 2, 1), (0, 3, 1, 0), (1, 1, 2, 2, 1, 0)])
def test_pad_parity(mode, pad):
    x = {2: X[0], 4: X, 6: X[None]}[len(pad)]
    check_parity(lambda m, x: m.nn.functional.pad(x, pad, mode=mode), x, grad=True)


@requires_torch
@pytest.mark.parametrize("pad,value", [((1, -2, 0, 1, 1, 1), 3.0), ((-1, -1), None),
                                       ((2, 2, 2, 2, 1, 1, 1, 1), -1.5)])
def test_constant_pad_negative_and_many_dims(pad, value):
    check_parity(lambda m, x: m.nn.functional.pad(x, pad, value=value), X, grad=True)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_gradcheck(mode):
    check_grad(lambda x: F.pad(x, (2, 1, 1, 2), mode=mode), RNG.standard_normal((1, 2, 3, 4)))


@requires_torch
@pytest.mark.parametrize("cls,args,shape", [
    ("ZeroPad2d", (1,), (2, 3, 4)), ("ZeroPad2d", ((1, 2, 0, 1),), (1, 2, 3, 4)),
    ("ZeroPad1d", (2,), (2, 3, 4)), ("ConstantPad1d", ((1, 2), 3.5), (2, 4)),
    ("ConstantPad2d", (1, -1.0), (1, 2, 3, 3)), ("ConstantPad3d", (1, 0.5), (1, 1, 2, 2, 2)),
    ("ReflectionPad1d", (2,), (1, 2, 4)), ("ReflectionPad2d", ((1, 2, 2, 1),), (1, 2, 4, 4)),
    ("ReplicationPad1d", (3,), (1, 2, 4)), ("ReplicationPad2d", (2,), (1, 2, 3, 3)),
    ("ReplicationPad3d", (1,), (1, 1, 2, 3, 2)), ("CircularPad1d", (1,), (1, 2, 4)),
    ("CircularPad2d", ((1, 0, 2, 1),), (1, 2, 3, 3)), ("ReflectionPad3d", (1,), (1, 1, 3, 3, 3)),
])
def test_padding_modules(cls, args, shape):
    import torch

    e, t = getattr(nn, cls)(*args), getattr(torch.nn, cls)(*args)
    assert repr(e) == repr(t)
    x = RNG.standard_normal(shape).astype(np.float32)
    np.testing.assert_array_equal(e(ember.tensor(x)).numpy(), t(torch.tensor(x)).numpy())


def test_pad_errors():
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F.pad(ember.randn(2, 3), (1, 2, 3))
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding"):
        F.pad(ember.randn(1, 2, 3), (3, 3), mode="reflect")
    with pytest.raises(NotImplementedError):
        F.pad(ember.randn(2, 3), (1, 1), mode="mirror")
    with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 4D"):
        F.pad(ember.randn(1, 2, 3, 3), (1, 1), mode="replicate")
    with pytest.raises(RuntimeError, match="resulted in a negative output size"):
        F.pad(ember.randn(2, 3), (-2, -2))
