"""nn.DataParallel / nn.parallel on the CPU: the wrapped module runs as is (PyTorch without
GPUs does the same), state_dict keys carry the ``module.`` prefix."""
import numpy as np
import pytest

import ember
from ember import nn


def test_data_parallel_forward_and_state_dict_prefix():
    inner = nn.Linear(3, 2)
    model = nn.DataParallel(inner)
    x = ember.randn(4, 3)
    np.testing.assert_array_equal(model(x).detach().numpy(), inner(x).detach().numpy())
    assert list(model.state_dict()) == ["module.weight", "module.bias"]
    assert model.module is inner and isinstance(model, nn.Module)
    import ember.nn.parallel as par

    assert par.DataParallel is nn.DataParallel
    np.testing.assert_array_equal(par.data_parallel(inner, x).detach().numpy(),
                                  inner(x).detach().numpy())


def test_data_parallel_matches_pytorch_repr_and_keys():
    torch = pytest.importorskip("torch")
    ours = nn.DataParallel(nn.Linear(3, 2))
    theirs = torch.nn.DataParallel(torch.nn.Linear(3, 2))
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
