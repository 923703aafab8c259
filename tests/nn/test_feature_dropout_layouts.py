"""dropout2d / dropout3d on inputs of other ranks: PyTorch's masks and warnings.

dropout2d always drops along dim 1 (a 3-D input is (N, C, L); a 2-D (N, C) input drops single
elements, as in the 'Defining a neural network' recipe's Dropout2d after flatten); dropout3d
treats anything but 5-D as unbatched.
"""
import warnings

import pytest

import ember
import ember.nn.functional as F


def _mask(fn, shape):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = fn(ember.ones(*shape), 0.5).numpy()
    return y != 0


def test_dropout2d_on_3d_drops_per_sample_channel():
    keep = _mask(F.dropout2d, (64, 5, 7))
    assert (keep == keep[:, :, :1]).all()  # constant along L
    assert not (keep == keep[:1]).all()  # differs across N: dim 0 is the batch


def test_dropout2d_on_2d_drops_single_elements():
    keep = _mask(F.dropout2d, (64, 50))
    assert 0.3 < keep.mean() < 0.7
    assert not (keep == keep[:, :1]).all()


def test_dropout3d_on_4d_is_unbatched():
    keep = _mask(F.dropout3d, (16, 3, 4, 5))
    assert (keep == keep[:, :1, :1, :1]).all()


@pytest.mark.parametrize("fn, shape", [("dropout2d", (4, 3)), ("dropout2d", (4, 3, 2)),
                                       ("dropout2d", (2, 2, 2, 2, 2)), ("dropout3d", (4, 3)),
                                       ("dropout2d", (2, 3, 4, 5)), ("dropout3d", (2, 3, 4, 5))])
def test_feature_dropout_warnings_match_pytorch(fn, shape):
    torch = pytest.importorskip("torch")
    got = {}
    for name, mod in (("ember", ember), ("torch", torch)):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            getattr(mod.nn.functional, fn)(mod.ones(*shape), 0.5)
        got[name] = [str(w.message) for w in rec]
    assert got["ember"] == got["torch"]
