"""PyTorch's top-level autocast state functions (in ember.amp.autocast_mode until ember's
__init__ exposes them): get/set dtype and enabled, the deprecated cpu/gpu spellings."""
import warnings

import pytest

import ember
from ember.amp import autocast_mode as am
from tests.helpers import requires_torch


def _both(torch):
    return [(ember, am), (torch, torch)]


@requires_torch
def test_state_queries_match_torch_in_and_out_of_regions():
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        results = []
        for lib, ns in _both(torch):
            r = [ns.is_autocast_enabled(), ns.is_autocast_enabled("cpu"),
                 str(ns.get_autocast_dtype("cpu")), str(ns.get_autocast_dtype("cuda")),
                 str(ns.get_autocast_cpu_dtype()), str(ns.get_autocast_gpu_dtype()),
                 ns.is_autocast_cpu_enabled(), ns.is_autocast_cache_enabled()]
            with lib.autocast("cpu"):
                r += [ns.is_autocast_enabled(), ns.is_autocast_enabled("cpu"),
                      ns.is_autocast_cpu_enabled(), str(ns.get_autocast_dtype("cpu"))]
            with lib.autocast("cpu", dtype=lib.float16):
                r += [str(ns.get_autocast_dtype("cpu"))]
            ns.set_autocast_dtype("cpu", lib.float16)
            try:
                with lib.autocast("cpu"):
                    r += [str(ns.get_autocast_dtype("cpu")),
                          str((lib.ones(2, 2) @ lib.ones(2, 2)).dtype)]
            finally:
                ns.set_autocast_dtype("cpu", lib.bfloat16)
            results.append([v.replace("torch.", "").replace("ember.", "")
                            if isinstance(v, str) else v for v in r])
    assert results[0] == results[1]


@requires_torch
def test_set_enabled_deprecations_and_errors_match_torch():
    import torch

    for lib, ns in _both(torch):
        ns.set_autocast_enabled("cpu", True)
        try:
            assert ns.is_autocast_enabled("cpu")
            assert (lib.ones(2, 2) @ lib.ones(2, 2)).dtype == lib.bfloat16
        finally:
            ns.set_autocast_enabled("cpu", False)
        assert (lib.ones(2, 2) @ lib.ones(2, 2)).dtype == lib.float32
        with pytest.warns(DeprecationWarning, match="is_autocast_cpu_enabled\\(\\) is deprecated"):
            ns.is_autocast_cpu_enabled()
        with pytest.warns(DeprecationWarning, match="set_autocast_cpu_dtype\\(dtype\\) is "):
            ns.set_autocast_cpu_dtype(lib.bfloat16)
        with pytest.raises(RuntimeError, match="Expected one of cpu, cuda, .* device string: "
                                               "bogus"):
            ns.get_autocast_dtype("bogus")
        ns.set_autocast_cache_enabled(False)
        assert not ns.is_autocast_cache_enabled()
        ns.set_autocast_cache_enabled(True)
        assert ns.clear_autocast_cache() is None
