"""ember._dynamo: torch.compile's front end without a compiler. Results equal eager ones;
modules come back as PyTorch's OptimizedModule (state_dict under `_orig_mod.`); arguments are
refused with PyTorch's errors (messages as PyTorch 2.x prints them)."""
import numpy as np
import pytest

import ember
import ember._dynamo as dynamo


def test_compiled_function_and_decorators_compute_the_eager_result():
    def f(x, y=1.0):
        """doc"""
        return x.sin() * y

    x = ember.randn(4)
    for g in (dynamo.compile(f), dynamo.compile(mode="reduce-overhead")(f),
              dynamo.compile(backend="eager", fullgraph=True, dynamic=True)(f)):
        assert g(x, y=2.0).equal(f(x, y=2.0))
        assert g.__name__ == "f" and g.__doc__ == "doc" and g.__wrapped__ is f
    assert dynamo.compile(f, disable=True) is f
    assert dynamo.compile(f, backend=lambda gm, inputs: gm.forward)(x).equal(f(x))


def test_optimized_module_wraps_and_shares_the_module():
    torch = pytest.importorskip("torch")
    m = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.ReLU())
    om = dynamo.compile(m)
    assert isinstance(om, dynamo.OptimizedModule) and isinstance(om, ember.nn.Module)
    assert om._orig_mod is m and om.training
    assert dynamo.compile(m[0]).weight is m[0].weight  # attribute reads reach the module
    assert list(om.state_dict()) == ["_orig_mod.0.weight", "_orig_mod.0.bias"]
    assert [n for n, _ in om.named_parameters()] == ["_orig_mod.0.weight", "_orig_mod.0.bias"]
    assert repr(om) == "OptimizedModule(\n  (_orig_mod): " + repr(m).replace("\n", "\n  ") + "\n)"
    om.eval()
    assert not m.training
    x = ember.randn(5, 3)
    om(x).sum().backward()
    assert m[0].weight.grad is not None
    # a compiled model's checkpoint loads into a compiled PyTorch model
    tm = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU())
    tom = torch.nn.Module()
    tom._orig_mod = tm
    tom.load_state_dict({k: torch.tensor(v.numpy()) for k, v in om.state_dict().items()})
    np.testing.assert_allclose(tm(torch.tensor(x.numpy())).detach().numpy(),
                               om(x).detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"mode": "bogus"}, RuntimeError, "Unrecognized mode=bogus, should be one of: default, "
                                      "lite, reduce-overhead, max-autotune-no-cudagraphs, "
                                      "max-autotune"),
    ({"mode": "default", "options": {}}, RuntimeError, "Either mode or options can be "
                                                       "specified, but both can't be specified "
                                                       "at the same time."),
    ({"backend": "nope"}, dynamo.InvalidBackend, "Invalid backend: 'nope', see "
                                                 "`torch._dynamo.list_backends()` for available "
                                                 "backends."),
])
def test_argument_errors_as_pytorch(kwargs, error, message):
    with pytest.raises(error) as info:
        dynamo.compile(lambda x: x, **kwargs)
    assert str(info.value) == message


def test_dynamo_helpers():
    import ember._dynamo  # the tutorial's `import torch._dynamo`

    assert ember._dynamo.reset() is None and not dynamo.is_compiling()
    assert dynamo.disable(len) is len and dynamo.disable()(len) is len
    assert "inductor" in dynamo.list_backends() and "eager" not in dynamo.list_backends()
    assert "eager" in dynamo.list_backends(exclude_tags=())
    assert dynamo.mark_dynamic(ember.ones(2), 0) is None and dynamo.config.cache_size_limit == 8
