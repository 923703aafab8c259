"""nn.init's old names without the underscore (common in older notebooks): same fill, plus
PyTorch's FutureWarning."""
import warnings

import pytest

import ember

ALIASES = [("uniform", ()), ("normal", ()), ("constant", (0.5,)), ("xavier_uniform", ()),
           ("xavier_normal", ()), ("kaiming_uniform", ()), ("kaiming_normal", ()),
           ("orthogonal", ()), ("sparse", (0.5,)), ("eye", ()), ("dirac", ())]


def _call(mod, name, args):
    shape = (2, 3, 3) if name == "dirac" else (4, 5)
    t = mod.empty(*shape)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = getattr(mod.nn.init, name)(t, *args)
    return t, out, [(type(w.message), str(w.message)) for w in rec]


@pytest.mark.parametrize("name, args", ALIASES)
def test_deprecated_alias_fills_and_warns(name, args):
    t, out, warns = _call(ember, name, args)
    assert out is t
    assert warns == [(FutureWarning, f"`nn.init.{name}` is now deprecated in favor of "
                                     f"`nn.init.{name}_`.")]
    if name == "constant":
        assert (t == 0.5).all()


@pytest.mark.parametrize("name, args", ALIASES)
def test_deprecated_alias_warning_matches_pytorch(name, args):
    torch = pytest.importorskip("torch")
    assert _call(ember, name, args)[2] == _call(torch, name, args)[2]
