"""ember._dynamo (torch._dynamo): settings recorded like PyTorch's, code run eagerly."""
import pytest

import ember
import ember._dynamo as dynamo
from ember._dynamo import config
from tests.helpers import requires_torch


@requires_torch
@pytest.mark.parametrize("name", ["suppress_errors", "cache_size_limit", "recompile_limit",
                                  "verbose", "capture_scalar_outputs", "optimize_ddp",
                                  "automatic_dynamic_shapes", "accumulated_cache_size_limit",
                                  "specialize_int", "error_on_recompile"])
def test_config_defaults_match_torch(name):
    import torch._dynamo

    assert getattr(config, name) == getattr(torch._dynamo.config, name)


def test_config_set_alias_patch_and_unknown_names():
    config.suppress_errors = True
    config.cache_size_limit = 64  # the older name of recompile_limit
    try:
        assert config.suppress_errors is True and config.recompile_limit == 64
        with config.patch(verbose=True, cache_size_limit=2):
            assert config.verbose is True and config.cache_size_limit == 2
        assert config.verbose is False and config.recompile_limit == 64

        @config.patch("capture_scalar_outputs", True)
        def inside():
            return config.capture_scalar_outputs

        assert inside() is True and config.capture_scalar_outputs is False
        assert config.get_config_copy()["suppress_errors"] is True
    finally:
        config.suppress_errors, config.recompile_limit = False, 8
    with pytest.raises(AttributeError, match="torch._dynamo.config.bogus does not exist"):
        config.bogus = 1
    with pytest.raises(AttributeError, match="does not exist"):
        config.patch(bogus=1)
    with pytest.raises(AttributeError, match="does not exist"):
        config.bogus  # noqa: B018


def test_functions_leave_code_eager():
    def f(x):
        return x * 2

    x = ember.ones(3)
    assert dynamo.optimize("inductor")(f) is f and dynamo.disable(f) is f
    assert dynamo.reset() is None and dynamo.graph_break() is None
    assert dynamo.is_compiling() is False
    for mark in [lambda: dynamo.mark_dynamic(x, 0), lambda: dynamo.maybe_mark_dynamic(x, 0),
                 lambda: dynamo.mark_static(x), lambda: dynamo.mark_static_address(x)]:
        assert mark() is None
    assert ember.equal(ember.compile(f)(x), f(x))
    assert dynamo.is_dynamo_supported() is True
