"""The indexing, linalg and shape families split across modules still export and bind
everything they define (importing any one of them alone works too)."""
import importlib
import subprocess
import sys

import pytest

import ember

INTERNAL = {"unsqueeze_dims"}  # public in shape.py for other ops, not in torch
MODULES = ["indexing", "scatter_gather", "sorting", "linalg", "matrix", "shape", "joining", "power",
           "contractions", "fused_products", "masked", "slicing", "selection", "extrema",
           "ranges"]


@pytest.mark.parametrize("family", MODULES)
def test_module_exports_reach_ember(family):
    mod = importlib.import_module("ember._ops." + family)
    assert mod.__all__ or family == "indexing", family
    for name in mod.__all__:
        if hasattr(ember, name):
            assert getattr(ember, name) is getattr(mod, name), name
        elif name not in INTERNAL:  # Tensor-method-only names ember drops from its namespace
            assert hasattr(ember.Tensor, name), name


@pytest.mark.parametrize("family", MODULES)
def test_module_imports_first(family):
    code = f"import ember._ops.{family}, ember; print(ember.Tensor.gather.__module__)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ember._ops.scatter_gather"


@pytest.mark.parametrize("method, module", [
    ("__getitem__", "indexing"), ("__setitem__", "indexing"), ("gather", "scatter_gather"),
    ("index_put", "scatter_gather"), ("masked_fill_", "masked"), ("sort", "sorting"),
    ("bincount", "sorting"), ("addmm", "fused_products"), ("kron", "contractions"),
    ("inner", "contractions"), ("addr_", "indexing"), ("tril", "matrix"), ("det", "matrix"),
    ("view", "shape"), ("unfold", "shape"), ("squeeze_", "shape"), ("narrow", "slicing"),
    ("repeat", "joining"), ("rot90", "joining"), ("repeat_interleave", "joining"),
])
def test_methods_bound_by_their_module(method, module):
    fn = getattr(ember.Tensor, method)
    assert fn.__module__ == "ember._ops." + module, fn.__module__


def test_properties_and_linalg_namespace():
    x = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert ember.equal(x.mT, x.T) and ember.equal(x.mH, x.mT)
    assert abs(float(ember.linalg.det(x)) + 2.0) < 1e-6
    assert ember.cat([x, x]).shape == (4, 2)
    assert ember.sort(x, descending=True).values.tolist() == [[2.0, 1.0], [4.0, 3.0]]
