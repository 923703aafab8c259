"""autocast: disabled regions behave as PyTorch's; an enabled CPU region says it can't."""
import warnings

import pytest

import ember


def test_cuda_region_without_gpu_warns_and_does_nothing():
    x = ember.ones(2, 2)
    with pytest.warns(UserWarning, match="Disabling autocast"):
        with ember.autocast(device_type="cuda", dtype=ember.float16):
            y = x @ x
    assert y.dtype == ember.float32 and not ember.is_autocast_enabled()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ember.cuda.amp.autocast():
            assert (x + x).dtype == ember.float32


def test_disabled_region_and_decorator():
    @ember.amp.autocast("cpu", enabled=False)
    def double(t):
        return t * 2

    with ember.autocast("cpu", enabled=False):
        assert double(ember.ones(1)).item() == 2.0


def test_enabled_cpu_region_raises_instead_of_computing_in_float32():
    with pytest.raises(NotImplementedError, match="enabled=False"):
        with ember.autocast("cpu", dtype=ember.bfloat16):
            pass


def test_custom_fwd_bwd_decorators_leave_functions_alone():
    def f(ctx, x):
        return x

    assert ember.amp.custom_fwd(f) is f
    assert ember.amp.custom_fwd(device_type="cpu")(f) is f
    assert ember.amp.custom_bwd(f) is f
