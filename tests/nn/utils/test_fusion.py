"""nn.utils.fusion: conv/linear + eval BatchNorm folding, against PyTorch and against running
the two layers one after the other."""
import numpy as np
import pytest
from helpers import requires_torch

import ember
import ember.nn as nn
import ember.nn.utils as U

RNG = np.random.default_rng(2)


def _to_torch(e_mods, t_mods):
    """Copy the ember modules' parameters and buffers into the torch twins."""
    import torch

    with torch.no_grad():
        for e, t in zip(e_mods, t_mods):
            for (_, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
                pt.copy_(torch.tensor(pe.detach().numpy()))
            for (_, be), (_, bt) in zip(e.named_buffers(), t.named_buffers()):
                bt.copy_(torch.tensor(be.numpy()))


def _randomise_bn(bn):
    c = bn.num_features
    bn.running_mean._data[...] = RNG.standard_normal(c)
    bn.running_var._data[...] = np.abs(RNG.standard_normal(c)) + 0.5
    if bn.weight is not None:
        bn.weight._data[...] = RNG.standard_normal(c)
        bn.bias._data[...] = RNG.standard_normal(c)


@requires_torch
@pytest.mark.parametrize("conv,bn,shape,transpose", [
    (("Conv2d", 3, 4, 3), ("BatchNorm2d", 4), (2, 3, 6, 6), False),
    (("Conv1d", 2, 5, 2, {"bias": False}), ("BatchNorm1d", 5), (2, 2, 7), False),
    (("Conv2d", 3, 4, 3), ("BatchNorm2d", 4, {"affine": False}), (1, 3, 5, 5), False),
    (("ConvTranspose2d", 3, 4, 2), ("BatchNorm2d", 4), (1, 3, 4, 4), True),
    (("Conv3d", 2, 3, 2), ("BatchNorm3d", 3), (1, 2, 4, 4, 4), False),
])
def test_fuse_conv_bn_eval_matches_torch_and_unfused(conv, bn, shape, transpose):
    import torch

    def build(lib):
        ckw = conv[-1] if isinstance(conv[-1], dict) else {}
        bkw = bn[-1] if isinstance(bn[-1], dict) else {}
        cargs = [a for a in conv[1:] if not isinstance(a, dict)]
        bargs = [a for a in bn[1:] if not isinstance(a, dict)]
        return (getattr(lib.nn, conv[0])(*cargs, **ckw).eval(),
                getattr(lib.nn, bn[0])(*bargs, **bkw).eval())

    ec, eb = build(ember)
    tc, tb = build(torch)
    _randomise_bn(eb)
    _to_torch((ec, eb), (tc, tb))
    ef = U.fuse_conv_bn_eval(ec, eb, transpose=transpose)
    tf = torch.nn.utils.fuse_conv_bn_eval(tc, tb, transpose=transpose)
    assert type(ef) is type(ec) and ef is not ec
    assert isinstance(ef.weight, nn.Parameter) and ef.weight.requires_grad
    np.testing.assert_allclose(ef.weight.detach().numpy(), tf.weight.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ef.bias.detach().numpy(), tf.bias.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    x = ember.tensor(RNG.standard_normal(shape).astype(np.float32))
    np.testing.assert_allclose(ef(x).detach().numpy(), eb(ec(x)).detach().numpy(), rtol=1e-4,
                               atol=1e-5)


@requires_torch
def test_fuse_linear_bn_eval_matches_torch_and_unfused():
    import torch

    el, eb = nn.Linear(4, 3).eval(), nn.BatchNorm1d(3).eval()
    _randomise_bn(eb)
    tl, tb = torch.nn.Linear(4, 3).eval(), torch.nn.BatchNorm1d(3).eval()
    _to_torch((el, eb), (tl, tb))
    ef, tf = U.fuse_linear_bn_eval(el, eb), torch.nn.utils.fuse_linear_bn_eval(tl, tb)
    np.testing.assert_allclose(ef.weight.detach().numpy(), tf.weight.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ef.bias.detach().numpy(), tf.bias.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    x = ember.randn(5, 4)
    np.testing.assert_allclose(ef(x).detach().numpy(), eb(el(x)).detach().numpy(), rtol=1e-4,
                               atol=1e-5)
    w, b = U.fuse_linear_bn_weights(el.weight, None, eb.running_mean, eb.running_var, 1e-5,
                                    eb.weight, eb.bias)
    assert w.shape == el.weight.shape and b.shape == (3,)


def test_fusion_refuses_training_mode_and_bad_shapes():
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        U.fuse_conv_bn_eval(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2).eval())
    with pytest.raises(AssertionError, match="linear.out_features == bn.num_features"):
        U.fuse_linear_bn_eval(nn.Linear(2, 3).eval(), nn.BatchNorm1d(4).eval())
    assert U.fusion.fuse_conv_bn_weights is U.fuse_conv_bn_weights
