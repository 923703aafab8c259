"""Tensor.xpu/ipu/mtia (devices ember lacks, PyTorch CPU's errors) and Tensor.module_load."""
import numpy as np
import pytest

import ember
from tests.helpers import requires_torch


@requires_torch
@pytest.mark.parametrize("name", ["xpu", "ipu", "mtia"])
def test_missing_devices_raise_like_torch(name):
    import torch

    with pytest.raises(Exception) as te:
        getattr(torch.ones(2), name)()
    with pytest.raises(te.type) as ee:
        getattr(ember.ones(2), name)()
    assert str(te.value).startswith(str(ee.value))


@requires_torch
@pytest.mark.parametrize("assign", [False, True])
def test_module_load_matches_torch(assign):
    import torch

    outs = []
    for m in (ember, torch):
        dest, src = m.zeros(3), m.tensor(np.arange(3.0), requires_grad=True)
        r = m.Tensor.module_load(dest, src, assign=assign)
        outs.append((r.tolist(), r.requires_grad, dest.tolist(), r.data_ptr() == src.data_ptr()))
    assert outs[0] == outs[1]
    lin = ember.nn.Linear(2, 2)
    sd = {k: v * 0 + 1 for k, v in lin.state_dict().items()}
    lin.load_state_dict(sd)
    assert lin.weight.tolist() == [[1.0, 1.0]] * 2
