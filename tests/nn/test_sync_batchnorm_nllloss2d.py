"""nn.SyncBatchNorm (single-process batch norm + convert_sync_batchnorm) and nn.NLLLoss2d."""
import numpy as np
import pytest

import ember
from tests.helpers import check_grad, check_parity, requires_torch

rng = np.random.default_rng(0)
X3 = rng.standard_normal((4, 3, 5))
X4 = rng.standard_normal((2, 3, 4, 4))


@requires_torch
@pytest.mark.parametrize("x", [X3[:, :, 0], X3, X4, X4[..., None]], ids=["2d", "3d", "4d", "5d"])
@pytest.mark.parametrize("train", [True, False])
def test_sync_batchnorm_matches_torch(x, train):
    def fn(m, t):
        m.manual_seed(0)
        bn = m.nn.SyncBatchNorm(3, momentum=0.3).double()
        bn.train(train)
        out = bn(t)
        return m.cat([out.flatten(), bn.running_mean, bn.running_var])

    check_parity(fn, x, grad=True, rtol=1e-10, atol=1e-12)


def test_sync_batchnorm_gradient_and_errors():
    bn = ember.nn.SyncBatchNorm(3).double()
    check_grad(lambda t: bn(t), X3[:2])
    with pytest.raises(ValueError, match="expected at least 2D input \\(got 1D input\\)"):
        bn(ember.ones(3))


@requires_torch
def test_convert_sync_batchnorm_matches_torch():
    import torch

    reprs, states = [], []
    for m in (ember, torch):
        nn = m.nn
        net = nn.Sequential(nn.Conv2d(1, 3, 1), nn.BatchNorm2d(3),
                            nn.Sequential(nn.BatchNorm1d(3, affine=False),
                                          nn.BatchNorm3d(3, bias=False)))
        net[1].running_mean.fill_(2.0)
        weight = net[1].weight
        net[2].eval()
        out = nn.SyncBatchNorm.convert_sync_batchnorm(net)
        assert out is net and out[1].weight is weight
        assert type(out[2][0]).__name__ == "SyncBatchNorm" and not out[2][0].training
        reprs.append(repr(out))
        states.append(sorted(out.state_dict()))
        single = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm2d(3))
        assert type(single).__name__ == "SyncBatchNorm" and single.training
        assert nn.SyncBatchNorm.convert_sync_batchnorm(nn.ReLU()).__class__ is nn.ReLU
        assert net[1].running_mean.tolist() == [2.0] * 3
    assert reprs[0] == reprs[1] and states[0] == states[1]


@requires_torch
def test_nllloss2d_is_nllloss():
    logp = np.log(rng.dirichlet(np.ones(3), size=(2, 4, 4))).transpose(0, 3, 1, 2).copy()
    target = rng.integers(0, 3, (2, 4, 4))
    with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
        for kw in [{}, {"reduction": "sum"}, {"ignore_index": 1}]:
            check_parity(lambda m, p, t: m.nn.NLLLoss2d(**kw)(p, t), logp, target, grad=True,
                         rtol=1e-10, atol=1e-12)
        assert isinstance(ember.nn.NLLLoss2d(), ember.nn.NLLLoss)
        assert repr(ember.nn.NLLLoss2d()) == "NLLLoss2d()"


# -- CrossMapLRN2d (kept here with the other legacy-compatibility layers) -------------------------
@requires_torch
@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 9])
@pytest.mark.parametrize("channels", [1, 3, 7])
def test_cross_map_lrn2d_matches_torch(size, channels):
    # forward only: PyTorch's legacy backward is not its forward's gradient (it keeps the
    # symmetric window, and fails for size 1); ember's is, as check_grad below shows
    x = rng.standard_normal((2, channels, 3, 3))
    check_parity(lambda m, t: m.nn.CrossMapLRN2d(size, alpha=0.1, beta=0.75, k=1.5)(t), x,
                 rtol=1e-10, atol=1e-12)
    check_grad(lambda t: ember.nn.CrossMapLRN2d(size, alpha=0.1, beta=0.75, k=1.5)(t), x[:1])


@requires_torch
def test_cross_map_lrn2d_gradient_repr_and_errors():
    import torch

    check_grad(lambda t: ember.nn.CrossMapLRN2d(3, alpha=0.5)(t), X4[:1])
    assert repr(ember.nn.CrossMapLRN2d(3)) == repr(torch.nn.CrossMapLRN2d(3))
    with pytest.raises(ValueError, match="Expected input to be 4D, got 3D instead"):
        ember.nn.CrossMapLRN2d(3)(ember.ones(2, 3, 4))
