"""ember._inductor.config (torch._inductor.config): PyTorch's defaults, recorded settings."""
import pytest

from ember._inductor import config
from tests.helpers import requires_torch

NAMES = ["coordinate_descent_tuning", "max_autotune", "epilogue_fusion", "freezing",
         "fx_graph_cache", "cpp_wrapper", "shape_padding", "fallback_random", "debug",
         "max_fusion_size", "fx_graph_remote_cache"]


@requires_torch
@pytest.mark.parametrize("name", NAMES)
def test_defaults_match_torch(name):
    import torch._inductor.config as tc

    assert getattr(config, name) == getattr(tc, name)


@requires_torch
def test_sections_match_torch_and_refuse_unknown_names():
    import torch._inductor.config as tc

    for sec, names in [("triton", ["cudagraphs", "cudagraph_trees"]),
                       ("cpp", ["threads", "simdlen"])]:
        for n in names:
            assert getattr(getattr(config, sec), n) == getattr(getattr(tc, sec), n)
    config.triton.cudagraphs = True
    try:
        assert config.triton.cudagraphs is True
    finally:
        config.triton.cudagraphs = False
    with pytest.raises(AttributeError, match="torch._inductor.config.triton.bogus does not"):
        config.triton.bogus = 1
    with pytest.raises(AttributeError, match="torch._inductor.config.bogus does not exist"):
        config.bogus = 1


def test_set_and_patch():
    config.coordinate_descent_tuning = True
    try:
        with config.patch(max_autotune=True, coordinate_descent_tuning=False):
            assert config.max_autotune and not config.coordinate_descent_tuning
        assert not config.max_autotune and config.coordinate_descent_tuning
    finally:
        config.coordinate_descent_tuning = False
    assert config.get_config_copy()["fx_graph_cache"] is True
