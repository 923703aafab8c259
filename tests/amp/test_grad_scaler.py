"""GradScaler: the same scale/skip/grow trajectory as PyTorch's GradScaler('cpu')."""
import warnings

import numpy as np
import pytest

import ember
from tests.helpers import requires_torch


def _run(lib, grads_per_step, **kw):
    """Drive a scaler through steps whose raw gradients are given; return what it did."""
    w = lib.nn.Parameter(lib.tensor([1.0, -2.0]))
    opt = lib.optim.SGD([w], lr=0.1)
    scaler = lib.amp.GradScaler("cpu", **kw)
    seen = []
    for g in grads_per_step:
        opt.zero_grad()
        loss = scaler.scale((w * lib.tensor(g)).sum())  # d loss / d w = g * scale
        loss.backward()
        result = scaler.step(opt)
        scaler.update()
        seen.append((scaler.get_scale(), result, w.detach().numpy().copy()))
    return seen, scaler.state_dict()


@requires_torch
def test_trajectory_matches_torch():
    import torch

    steps = [[1.0, 2.0], [np.inf, 1.0], [0.5, 0.5], [np.nan, 0.0], [1.0, 1.0], [2.0, 3.0]]
    kw = {"init_scale": 1024.0, "growth_interval": 2}
    mine, my_state = _run(ember, steps, **kw)
    theirs, their_state = _run(torch, steps, **kw)
    for (s1, r1, w1), (s2, r2, w2) in zip(mine, theirs):
        assert s1 == s2 and r1 == r2
        np.testing.assert_allclose(w1, w2, rtol=1e-6)
    assert my_state == {k: (v.item() if hasattr(v, "item") else v)
                        for k, v in their_state.items()}


def test_scale_nested_outputs_and_unscale_twice_error():
    scaler = ember.amp.GradScaler("cpu", init_scale=8.0)
    a, b = ember.tensor(1.5), ember.tensor(2.0)
    out = scaler.scale([a, (b, a)])
    assert [out[0].item(), out[1][0].item(), out[1][1].item()] == [12.0, 16.0, 12.0]
    w = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.SGD([w], lr=1.0)
    scaler.scale((w * w).sum()).backward()
    scaler.unscale_(opt)
    assert w.grad.tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    scaler.update(new_scale=3.0)
    assert scaler.get_scale() == 3.0


def test_disabled_and_cuda_without_gpu_pass_through():
    loss = ember.tensor(2.0, requires_grad=True)
    off = ember.amp.GradScaler("cpu", enabled=False)
    assert off.scale(loss) is loss and off.state_dict() == {} and off.get_scale() == 1.0
    with pytest.warns(UserWarning, match="CUDA is not available.  Disabling"):
        cuda = ember.amp.GradScaler("cuda")
    assert not cuda.is_enabled()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        legacy = ember.cuda.amp.GradScaler()
    assert not legacy.is_enabled()
    w = ember.nn.Parameter(ember.ones(1))
    opt = ember.optim.SGD([w], lr=0.5)
    legacy.scale((w * 2).sum()).backward()
    legacy.step(opt)  # plain optimizer.step()
    legacy.update()
    assert w.item() == 0.0


def test_state_dict_round_trip_and_empty_source():
    a = ember.amp.GradScaler("cpu", init_scale=4.0, growth_interval=7)
    b = ember.amp.GradScaler("cpu")
    b.load_state_dict(a.state_dict())
    assert b.get_scale() == 4.0 and b.get_growth_interval() == 7
    with pytest.raises(RuntimeError, match="source state dict is empty"):
        b.load_state_dict({})
