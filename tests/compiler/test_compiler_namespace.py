"""ember.compiler (torch.compiler): the functions run code eagerly, as ember.compile does."""
import numpy as np
import pytest

import ember
import ember.compiler as compiler
from tests.helpers import requires_torch


def f(x):
    return x + 1


@requires_torch
def test_queries_and_backends_match_torch():
    import torch

    for name in ["is_compiling", "is_dynamo_compiling", "is_exporting"]:
        assert getattr(compiler, name)() is getattr(torch.compiler, name)() is False
    assert compiler.list_backends() == torch.compiler.list_backends()
    assert compiler.reset() is None and compiler.cudagraph_mark_step_begin() is None
    assert compiler.save_cache_artifacts() is None


def test_decorators_return_a_working_function():
    x = ember.ones(2)
    for dec in [compiler.disable, compiler.disable(recursive=False), compiler.allow_in_graph,
                compiler.assume_constant_result, compiler.nested_compile_region(),
                compiler.substitute_in_graph(np.sin)]:
        assert ember.equal(dec(f)(x), ember.full((2,), 2.0))
    assert compiler.disable(f) is f and compiler.allow_in_graph([f, f]) == [f, f]
    with pytest.raises(AssertionError, match="allow_in_graph expects a callable"):
        compiler.allow_in_graph(3)
    m = ember.nn.Linear(2, 2)
    om = compiler.compile(m)  # a module comes back wrapped, as torch.compile's does
    assert om._orig_mod is m and type(om).__name__ == "OptimizedModule"
    assert ember.equal(compiler.compile()(f)(x), f(x))


def test_set_stance_as_call_block_and_decorator():
    assert compiler.set_stance._current[0] == "default"
    with compiler.set_stance("force_eager"):
        assert compiler.set_stance._current[0] == "force_eager"
    assert compiler.set_stance._current[0] == "default"
    assert compiler.set_stance("eager_on_recompile")(f)(ember.zeros(1)).item() == 1.0
    compiler.set_stance("default")
    compiler.set_default_backend("eager")
    assert compiler.get_default_backend() == "eager"
    compiler.set_default_backend("inductor")


@requires_torch
def test_wrap_numpy_matches_torch():
    import torch

    def g(x, pair, scale=1.0):
        return {"s": np.sin(x) * scale + pair[0]}, [x.shape, pair[1] * 2]

    a, b = np.linspace(0, 1, 3), np.arange(3.0)
    e = compiler.wrap_numpy(g)(ember.tensor(a), (ember.tensor(b), 4), scale=2.0)
    t = torch.compiler.wrap_numpy(g)(torch.tensor(a), (torch.tensor(b), 4), scale=2.0)
    assert isinstance(e[0]["s"], ember.Tensor) and e[0]["s"].dtype == ember.float64
    np.testing.assert_allclose(e[0]["s"].numpy(), t[0]["s"].numpy())
    assert e[1] == [(3,), 8] == [tuple(t[1][0]), t[1][1]]
    assert compiler.wrap_numpy(g).__name__ == "g"
