"""Lazy modules (LazyModuleMixin, UninitializedParameter/Buffer): reprs, inferred shapes, the
class they become, state_dict before and after, loading a checkpoint into a lazy module, and
the same forward/backward as the eager module from the same weights (parity with PyTorch)."""
import io

import numpy as np
import pytest

import ember
from ember import nn
from ember.nn.parameter import UninitializedBuffer, UninitializedParameter
from tests.helpers import requires_torch, torch

# (constructor source, input shape): each built on ember and torch
LAZY = [
    ("nn.LazyLinear(4)", (2, 6)),
    ("nn.LazyLinear(4, bias=False)", (3, 2, 6)),
    ("nn.LazyConv1d(4, 3, padding=1)", (2, 3, 8)),
    ("nn.LazyConv2d(6, kernel_size=5, padding=2)", (2, 3, 8, 8)),
    ("nn.LazyConv2d(4, kernel_size=(1, 2), bias=False)", (3, 6, 6)),
    ("nn.LazyConv2d(4, 3, groups=2, stride=2)", (1, 4, 7, 7)),
    ("nn.LazyConv3d(2, 2)", (1, 2, 4, 4, 4)),
    ("nn.LazyConvTranspose2d(3, 3, stride=2)", (1, 2, 4, 4)),
    ("nn.LazyConvTranspose1d(3, 2)", (2, 4, 5)),
    ("nn.LazyBatchNorm1d()", (4, 5)),
    ("nn.LazyBatchNorm2d()", (2, 3, 4, 4)),
    ("nn.LazyBatchNorm2d(affine=False, track_running_stats=False)", (2, 3, 4, 4)),
    ("nn.LazyBatchNorm3d(momentum=None)", (2, 3, 2, 2, 2)),
    ("nn.LazyInstanceNorm2d()", (2, 3, 4, 4)),
]


def _build(lib, src):
    return eval(src, {"nn": lib.nn})


@requires_torch
@pytest.mark.parametrize("src, shape", LAZY)
def test_lazy_module_matches_pytorch(src, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    mods = [_build(ember, src), _build(torch, src)]
    # before the first call: same repr, uninitialised parameters print alike
    assert repr(mods[0]) == repr(mods[1])
    assert [(k, repr(v)) for k, v in mods[0].state_dict().items()] == \
           [(k, repr(v)) for k, v in mods[1].state_dict().items()]
    outs = []
    for lib, m in zip((ember, torch), mods):
        m(lib.tensor(x))
        # same weights on both sides, then compare output and gradients
        for k, v in m.named_parameters():
            with lib.no_grad():
                v.copy_(lib.tensor(np.linspace(-1, 1, v.numel(), dtype=np.float32)
                                   .reshape(tuple(v.shape))))
        xt = lib.tensor(x, requires_grad=True)
        y = m(xt)
        y.sum().backward() if y.requires_grad else None
        outs.append((repr(m), type(m).__name__, y.detach().numpy(),
                     None if xt.grad is None else xt.grad.numpy(),
                     {k: tuple(v.shape) for k, v in m.state_dict().items()}))
    e, t = outs
    assert e[0] == t[0] and e[1] == t[1] and e[4] == t[4]
    np.testing.assert_allclose(e[2], t[2], rtol=1e-5, atol=1e-5)
    if t[3] is not None:
        np.testing.assert_allclose(e[3], t[3], rtol=1e-4, atol=1e-5)


def test_uninitialized_parameter_and_buffer():
    p = UninitializedParameter()
    assert repr(p) == "<UninitializedParameter>" and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.dtype == ember.float32
    p.data.normal_(0, 0.01)  # the book's `net.weight.data.normal_` before the first call
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        p.shape
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
        p.detach()
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and p.shape == (2, 3) and p.requires_grad
    b = UninitializedBuffer(dtype=ember.float64)
    assert repr(b) == "<UninitializedBuffer>"
    b.materialize(4)
    assert type(b) is ember.Tensor and b.shape == (4,) and b.dtype == ember.float64


def test_lazy_keeps_parameter_objects_for_optimisers():
    m = nn.LazyConv2d(2, 3)
    w = m.weight
    opt = ember.optim.SGD(m.parameters(), lr=0.1)
    m(ember.randn(1, 3, 5, 5)).sum().backward()
    opt.step()
    assert m.weight is w and type(m) is nn.Conv2d and not m._forward_pre_hooks


def test_load_state_dict_materialises_lazy_module():
    src = nn.Sequential(nn.LazyLinear(5), nn.ReLU(), nn.LazyLinear(2))
    x = ember.randn(3, 4)
    y = src(x)
    buf = io.BytesIO()
    ember.save(src.state_dict(), buf)
    buf.seek(0)
    clone = nn.Sequential(nn.LazyLinear(5), nn.ReLU(), nn.LazyLinear(2))
    assert repr(clone.load_state_dict(ember.load(buf))) == "<All keys matched successfully>"
    # loaded but not yet called: still LazyLinear with in_features=0, as in PyTorch
    assert repr(clone[0]) == "LazyLinear(in_features=0, out_features=5, bias=True)"
    assert clone[0].weight.shape == (5, 4)
    assert (clone(x) == y).all() and type(clone[0]) is nn.Linear and clone[0].in_features == 4


def test_lazy_batchnorm_loads_running_stats():
    bn = nn.BatchNorm2d(3)
    bn(ember.randn(4, 3, 2, 2))
    lazy = nn.LazyBatchNorm2d()
    lazy.load_state_dict(bn.state_dict())
    assert lazy.running_mean.shape == (3,)
    np.testing.assert_array_equal(lazy.running_var.numpy(), bn.running_var.numpy())
    assert int(lazy.num_batches_tracked) == 1


def test_lazy_conv_refuses_wrong_input_rank():
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input "
                                           "to LazyConv2d"):
        nn.LazyConv2d(4, 3)(ember.ones(2, 2))


def test_apply_init_after_dummy_forward():
    """d2l's `apply_init`: a dummy forward, then `net.apply(init)` sees nn.Linear/nn.Conv2d."""
    net = nn.Sequential(nn.LazyConv2d(4, 3), nn.Flatten(), nn.LazyLinear(2))
    net(ember.randn(1, 1, 5, 5))
    seen = []

    def init(m):
        if type(m) in (nn.Linear, nn.Conv2d):
            nn.init.xavier_uniform_(m.weight)
            seen.append(type(m).__name__)

    net.apply(init)
    assert seen == ["Conv2d", "Linear"] and net[2].weight.shape == (2, 36)


@requires_torch
def test_deepcopy_and_dtype_moves_before_the_first_call():
    """copy.deepcopy of a lazy module stays lazy (clones of a layer, as transformer code
    makes them); .double() before the first call gives float64 parameters, as in PyTorch."""
    import copy

    for lib in (ember, torch):
        c = copy.deepcopy(lib.nn.LazyLinear(3))
        assert type(c.weight).__name__ == "UninitializedParameter"
        assert tuple(c(lib.ones(2, 4)).shape) == (2, 3) and type(c).__name__ == "Linear"
        d = lib.nn.LazyLinear(3).double()
        assert str(d(lib.ones(2, 4, dtype=lib.float64)).dtype).endswith("float64")
        assert str(d.weight.dtype).endswith("float64")
    bn = copy.deepcopy(nn.LazyBatchNorm2d())
    assert repr(bn.running_mean) == "<UninitializedBuffer>"
    assert bn(ember.ones(2, 3, 2, 2)).shape == (2, 3, 2, 2) and bn.running_mean.shape == (3,)
