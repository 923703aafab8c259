"""nn.utils.skip_init: modules built on the meta device, then materialised uninitialised."""
import pytest

import ember
import ember.nn as nn


def test_skip_init_builds_uninitialised_module():
    m = nn.utils.skip_init(nn.Linear, 5, 1)
    assert isinstance(m, nn.Linear)
    assert m.weight.device.type == "cpu" and tuple(m.weight.shape) == (1, 5)
    assert m.weight.requires_grad and isinstance(m.weight, nn.Parameter)
    m2 = nn.utils.skip_init(nn.Conv2d, in_channels=2, out_channels=3, kernel_size=3,
                            device="cpu")
    assert tuple(m2(ember.randn(1, 2, 5, 5)).shape) == (1, 3, 3, 3)
    assert nn.utils.init.skip_init is nn.utils.skip_init


def test_skip_init_errors():
    with pytest.raises(RuntimeError, match="Expected a Module"):
        nn.utils.skip_init(int)

    class NoDevice(nn.Module):
        def __init__(self, n):
            super().__init__()

    with pytest.raises(RuntimeError, match="Module must support a 'device' arg"):
        nn.utils.skip_init(NoDevice, 3)
