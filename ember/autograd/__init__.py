"""ember.autograd: the engine, user-defined Functions, grad modes and gradcheck."""
from ember.autograd.anomaly_mode import detect_anomaly, set_detect_anomaly
from ember.autograd.engine import backward, grad
from ember.autograd.function import Function
from ember.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from ember.autograd.gradcheck import gradcheck, gradgradcheck
from ember.autograd.variable import Variable

__all__ = ["backward", "grad", "detect_anomaly", "set_detect_anomaly", "Function", "Variable",
           "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "gradcheck", "gradgradcheck"]


def __getattr__(name):
    if name in ("functional", "profiler", "profile", "forward_ad", "graph"):
        import importlib

        return importlib.import_module("ember.autograd." + name)
    raise AttributeError(f"module 'ember.autograd' has no attribute '{name}'")
