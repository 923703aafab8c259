import pytest

import ember


def test_no_grad_decorator_and_nesting():
    x = ember.ones(2, requires_grad=True)

    @ember.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        with ember.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert ember.is_grad_enabled()


def test_set_grad_enabled_function_and_context():
    x = ember.ones(2, requires_grad=True)
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ember.is_grad_enabled()
    ember.set_grad_enabled(False)
    try:
        assert not ember.is_grad_enabled()
    finally:
        ember.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_inference_mode():
    x = ember.ones(2, requires_grad=True)
    with ember.inference_mode():
        assert not (x + 1).requires_grad
    assert (x + 1).requires_grad


def _mode_probe(m):
    """(grad enabled, inference mode enabled) seen through every decorator/context form."""
    seen = []

    def probe():
        seen.append((m.is_grad_enabled(), m.is_inference_mode_enabled()))

    m.no_grad(probe)()  # bare decorators (PyTorch 2 accepts them without parentheses)
    m.inference_mode(probe)()
    with m.no_grad():
        m.enable_grad(probe)()
    m.inference_mode(False)(probe)()
    with m.inference_mode():
        probe()
        with m.no_grad():
            probe()
        with m.inference_mode(False):
            probe()
        with m.enable_grad():
            probe()
    with m.inference_mode(mode=False):
        probe()
    probe()
    return seen


def test_grad_and_inference_mode_forms_match_torch():
    torch = pytest.importorskip("torch")
    assert _mode_probe(ember) == _mode_probe(torch)
    assert ember.no_grad(_mode_probe).__name__ == "_mode_probe"


def test_set_grad_enabled_refuses_non_bool_like_torch():
    with pytest.raises(TypeError, match=r"set_grad_enabled\(\): argument 'enabled' .* not int"):
        ember.set_grad_enabled(1)
    assert ember.is_grad_enabled()
