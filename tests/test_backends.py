"""ember.backends is a package: the import forms used in tutorials all work."""
import importlib

import pytest

import ember


@pytest.mark.parametrize("name", ["cudnn", "mps", "cuda"])
def test_backend_submodules_import(name):
    mod = importlib.import_module(f"ember.backends.{name}")
    assert getattr(ember.backends, name) is mod


def test_cudnn_flags_settable_and_unavailable():
    import ember.backends.cudnn as cudnn

    old = cudnn.benchmark
    try:
        cudnn.benchmark = True
        cudnn.deterministic = True
        assert ember.backends.cudnn.benchmark is True
    finally:
        cudnn.benchmark, cudnn.deterministic = old, False
    assert cudnn.is_available() is False
    assert ember.backends.mps.is_available() is False and not ember.backends.mps.is_built()
    assert ember.backends.cuda.matmul.allow_tf32 is False


def test_backends_match_pytorch_attributes():
    torch = pytest.importorskip("torch")
    for name in ("benchmark", "deterministic", "enabled", "is_available", "version"):
        assert hasattr(torch.backends.cudnn, name) and hasattr(ember.backends.cudnn, name)
    assert torch.backends.mps.is_available() == ember.backends.mps.is_available()


def test_cudnn_flags_context_sets_and_restores_like_pytorch():
    torch = pytest.importorskip("torch")
    seen = []
    for cudnn in (ember.backends.cudnn, torch.backends.cudnn):
        before = (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32)
        with cudnn.flags(allow_tf32=False, deterministic=True):
            seen.append((cudnn.enabled, cudnn.benchmark, cudnn.deterministic,
                         cudnn.allow_tf32))
        assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic,
                cudnn.allow_tf32) == before
    assert seen[0] == seen[1] == (False, False, True, False)
