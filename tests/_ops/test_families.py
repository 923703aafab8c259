"""The op families split across modules still export and bind everything they define."""
import importlib

import numpy as np
import pytest

import ember

FAMILIES = ["elementwise", "power", "unary", "comparison", "reduction", "statistics", "creation",
            "ranges", "sampling", "selection", "extrema"]


@pytest.mark.parametrize("family", FAMILIES)
def test_family_exports_reach_ember(family):
    mod = importlib.import_module("ember._ops." + family)
    assert mod.__all__, family
    for name in mod.__all__:
        if hasattr(ember, name):
            assert getattr(ember, name) is getattr(mod, name), name
        else:  # Tensor-method-only names (sum_to_size, view, ...) ember drops from its namespace
            assert hasattr(ember.Tensor, name), name


def test_every_unary_rule_has_method_and_inplace_variant():
    from ember._ops.unary import _UNARY

    x = np.array([0.25, 0.5, 0.75], dtype=np.float32)
    for name in _UNARY:
        out = getattr(ember.tensor(x), name)()
        t = ember.tensor(x)
        assert getattr(t, name + "_")() is t, name
        np.testing.assert_array_equal(t.numpy(), out.numpy(), err_msg=name)


@pytest.mark.parametrize("name", ["clamp_", "lerp_", "bitwise_and_", "atan2_", "logit_",
                                  "cumsum_", "uniform_", "normal_", "fill_", "copy_", "add_"])
def test_inplace_methods_bound(name):
    assert callable(getattr(ember.Tensor, name))
