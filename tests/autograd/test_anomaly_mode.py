"""Anomaly detection: NaN gradients name the op and output, as PyTorch's do."""
import pytest

import ember
from ember.autograd import engine
from tests.helpers import requires_torch


def _nan_message(lib):
    x = lib.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        ctx = lib.autograd.detect_anomaly()
    with ctx:
        y = (x / x).sum()
        with pytest.raises(RuntimeError) as info:
            y.backward()
    return str(info.value)


@requires_torch
def test_nan_gradient_names_the_function_and_output_like_torch():
    import torch

    mine = _nan_message(ember)
    assert mine == "Function 'DivBackward0' returned nan values in its 1th output."
    assert mine == _nan_message(torch)


def test_inf_is_not_an_anomaly_and_switching_restores_the_engine():
    plain = engine._backward_of
    ember.autograd.set_detect_anomaly(True)
    assert ember.is_anomaly_enabled() and engine._backward_of is not plain
    x = ember.tensor([1.0], requires_grad=True)
    ember.sqrt(x - 1).sum().backward()  # d/dx sqrt at 0 is inf: allowed
    assert x.grad.item() == float("inf")
    ember.autograd.set_detect_anomaly(False)
    assert not ember.is_anomaly_enabled() and engine._backward_of is plain
    with ember.autograd.set_detect_anomaly(True, check_nan=False):
        assert ember.is_anomaly_enabled() and not ember.is_anomaly_check_nan_enabled()
        z = ember.tensor([0.0], requires_grad=True)
        (z / z).sum().backward()  # checking NaN is off
    assert not ember.is_anomaly_enabled() and engine._backward_of is plain


def test_decorator_form():
    with pytest.warns(UserWarning):
        deco = ember.autograd.detect_anomaly()

    @deco
    def step():
        z = ember.tensor([0.0], requires_grad=True)
        (z / z).sum().backward()

    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="DivBackward0"):
        step()
    assert not ember.is_anomaly_enabled()
