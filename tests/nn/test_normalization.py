"""Normalisation: batch/instance/layer/group norm parity with torch (outputs, gradients,
running statistics over several train steps, eval mode), gradchecks, repr and errors."""
import numpy as np
import pytest
from helpers import check_grad, check_parity, requires_torch
from spatial_helpers import copy_weights, module_parity

import ember
import ember.nn as nn
import ember.nn.functional as F

RNG = np.random.default_rng(0)


def _r(*shape):
    return (RNG.standard_normal(shape) * 2 + 0.5).astype(np.float32)


@requires_torch
@pytest.mark.parametrize("cls,args,kw,shape", [
    ("BatchNorm1d", (5,), {}, (8, 5)),
    ("BatchNorm1d", (3,), {"momentum": None}, (4, 3, 6)),
    ("BatchNorm2d", (6,), {}, (4, 6, 5, 5)),
    ("BatchNorm2d", (3,), {"affine": False}, (2, 3, 4, 4)),
    ("BatchNorm2d", (3,), {"track_running_stats": False}, (2, 3, 4, 4)),
    ("BatchNorm2d", (3,), {"bias": False, "momentum": 0.3, "eps": 1e-3}, (2, 3, 4, 4)),
    ("BatchNorm3d", (2,), {}, (2, 2, 3, 3, 3)),
])
def test_batchnorm_train_steps_and_eval(cls, args, kw, shape):
    import torch

    e, t = getattr(nn, cls)(*args, **kw), getattr(torch.nn, cls)(*args, **kw)
    assert repr(e) == repr(t)
    copy_weights(e, t)
    for step in range(3):  # several steps: running statistics must track torch's
        module_parity(e, t, _r(*shape), copy=False)
        for n, b in t.named_buffers():
            np.testing.assert_allclose(dict(e.named_buffers())[n].numpy(), b.numpy(),
                                       rtol=1e-5, atol=1e-6, err_msg=n)
        e.zero_grad()
        t.zero_grad()
    e.eval()
    t.eval()
    module_parity(e, t, _r(*shape), copy=False)


@requires_torch
@pytest.mark.parametrize("cls,args,kw,shape", [
    ("InstanceNorm2d", (3,), {}, (2, 3, 4, 5)),
    ("InstanceNorm2d", (3,), {"affine": True}, (3, 4, 5)),  # unbatched
    ("InstanceNorm1d", (3,), {"affine": True, "track_running_stats": True}, (2, 3, 7)),
    ("LayerNorm", (6,), {}, (4, 6)),
    ("LayerNorm", ((3, 4),), {"eps": 1e-3}, (2, 5, 3, 4)),
    ("LayerNorm", (4,), {"bias": False}, (2, 4)),
    ("LayerNorm", (4,), {"elementwise_affine": False}, (3, 2, 4)),
    ("GroupNorm", (2, 6), {}, (3, 6, 4, 2)),
    ("GroupNorm", (3, 3), {"affine": False}, (2, 3, 5)),
    ("LocalResponseNorm", (3,), {}, (2, 5, 4, 4)),
])
def test_norm_module_parity(cls, args, kw, shape):
    import torch

    e, t = getattr(nn, cls)(*args, **kw), getattr(torch.nn, cls)(*args, **kw)
    assert repr(e) == repr(t)
    for p in t.parameters():  # non-trivial affine parameters
        p.data.normal_()
    module_parity(e, t, _r(*shape))
    if kw.get("track_running_stats"):
        module_parity(e, t, _r(*shape), copy=False)
        e.eval()
        t.eval()
        module_parity(e, t, _r(*shape), copy=False)


@pytest.mark.parametrize("fn,shapes", [
    (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [(4, 3, 2), (3,), (3,)]),
    (lambda x, w, b: F.batch_norm(x, ember.zeros(3, dtype=ember.float64),
                                  ember.ones(3, dtype=ember.float64) * 2, w, b), [(4, 3), (3,),
                                                                                  (3,)]),
    (lambda x, w, b: F.layer_norm(x, (2, 3), w, b), [(2, 2, 3), (2, 3), (2, 3)]),
    (lambda x, w, b: F.group_norm(x, 2, w, b), [(2, 4, 3), (4,), (4,)]),
    (lambda x, w, b: F.instance_norm(x, weight=w, bias=b), [(2, 3, 4), (3,), (3,)]),
    (lambda x, w, b: F.local_response_norm(x * w.sum() + b.sum(), 2), [(2, 3, 4), (1,), (1,)]),
])
def test_norm_gradcheck(fn, shapes):
    check_grad(fn, *[RNG.standard_normal(s) for s in shapes])


@requires_torch
def test_functional_batch_norm_updates_running_stats():
    x = _r(6, 4, 3)
    rm, rv = np.zeros(4, np.float32), np.ones(4, np.float32)

    def run(m, x):
        mean, var = m.tensor(rm.copy()), m.tensor(rv.copy())
        y = m.nn.functional.batch_norm(x, mean, var, training=True, momentum=0.2)
        return y, mean, var

    check_parity(run, x)


def test_batchnorm_counts_batches_and_cumulative_average():
    m = nn.BatchNorm1d(2, momentum=None)
    xs = [ember.randn(5, 2) for _ in range(3)]
    for x in xs:
        m(x)
    assert int(m.num_batches_tracked) == 3
    means = np.mean([x.numpy().mean(0) for x in xs], axis=0)
    np.testing.assert_allclose(m.running_mean.numpy(), means, rtol=1e-5, atol=1e-6)
    assert m.state_dict()["num_batches_tracked"].dtype == ember.int64


def test_norm_errors():
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(ember.randn(1, 3))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3)(ember.randn(3, 4, 4))
    with pytest.raises(RuntimeError, match="Given normalized_shape="):
        nn.LayerNorm(5)(ember.randn(2, 4))
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        F.group_norm(ember.randn(2, 5, 3), 2)
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups"):
        nn.GroupNorm(2, 5)


def test_batchnorm_eval_uses_running_stats_and_parameters():
    m = nn.BatchNorm2d(3)
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in m.named_buffers()] == ["running_mean", "running_var",
                                                 "num_batches_tracked"]
    m.eval()
    x = ember.randn(2, 3, 4, 4)
    np.testing.assert_allclose(m(x).detach().numpy(), x.numpy() / np.sqrt(1 + 1e-5), rtol=1e-6)
    assert int(m.num_batches_tracked) == 0
