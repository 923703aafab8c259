import collections

import numpy as np
import pytest

import ember
from ember.utils.data import default_collate, default_convert

torch = pytest.importorskip("torch")
tcollate = torch.utils.data.default_collate
tconvert = torch.utils.data.default_convert

Point = collections.namedtuple("Point", "x y")


def same(ours, theirs):
    """Structure, types, dtypes and values agree between ember's and torch's output."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, ember.Tensor), (ours, theirs)
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs)
        for k in theirs:
            same(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            same(a, b)
    else:
        assert ours == theirs


def _mk(m, sample):
    """Turn a sample spec into real samples for module m (ember or torch)."""
    if isinstance(sample, tuple) and sample and sample[0] == "T":
        return m.from_numpy(np.array(sample[1]))
    if isinstance(sample, Point):
        return Point(*(_mk(m, s) for s in sample))
    if isinstance(sample, dict):
        return {k: _mk(m, v) for k, v in sample.items()}
    if isinstance(sample, list):
        return [_mk(m, s) for s in sample]
    if isinstance(sample, tuple):
        return tuple(_mk(m, s) for s in sample)
    return sample


CASES = {
    "ints": [1, 2, 3],
    "floats": [1.0, 2.5],
    "bools": [True, False],
    "strings": ["a", "b"],
    "np_f32_scalars": [np.float32(1), np.float32(2)],
    "np_i16_arrays": [np.zeros(3, np.int16), np.ones(3, np.int16)],
    "np_f64_2d": [np.ones((2, 2)), np.zeros((2, 2))],
    "tensors": [("T", np.float32([1, 2])), ("T", np.float32([3, 4]))],
    "tuples": [(1, "a", 0.5), (2, "b", 1.5)],
    "lists": [[1, 2], [3, 4]],
    "dicts": [{"x": 1, "y": [1.0]}, {"x": 2, "y": [2.0]}],
    "namedtuples": [Point(1, 2.0), Point(3, 4.0)],
    "nested": [{"img": ("T", np.ones((2, 2), np.float32)), "meta": (1, "p")},
               {"img": ("T", np.zeros((2, 2), np.float32)), "meta": (2, "q")}],
    "uint8_arrays": [np.zeros(2, np.uint8), np.ones(2, np.uint8)],
}


@pytest.mark.parametrize("name", list(CASES))
def test_default_collate_matches_torch(name):
    batch = CASES[name]
    same(default_collate(_mk(ember, batch)), tcollate(_mk(torch, batch)))


def test_collate_mixed_dtypes_promote_like_torch():
    a = [np.zeros(2, np.int32), np.zeros(2, np.float32)]
    ours = default_collate([ember.from_numpy(x) for x in a])
    theirs = tcollate([torch.from_numpy(x) for x in a])
    same(ours, theirs)


@pytest.mark.parametrize("batch,exc,msg", [
    ([np.zeros(3), np.zeros(3), np.zeros(4)], RuntimeError,
     r"stack expects each tensor to be equal size, but got \[3\] at entry 0 and \[4\] at "
     r"entry 2"),
    ([[1, 2], [1]], RuntimeError, "each element in list of batch should be of equal size"),
    ([object()], TypeError, "default_collate: batch must contain tensors, numpy arrays, "
                            "numbers, dicts or lists; found <class 'object'>"),
    ([np.array(["a"])], TypeError, "default_collate: batch must contain tensors.*found <U1"),
])
def test_collate_errors(batch, exc, msg):
    with pytest.raises(exc, match=msg):
        default_collate(batch)
    with pytest.raises(exc, match=msg.split(" \\(")[0]):
        tcollate(batch)


def test_collate_tensor_shape_error_names_shapes():
    with pytest.raises(RuntimeError, match=r"got \[2, 2\] at entry 0 and \[2, 3\] at entry 1"):
        default_collate([ember.zeros(2, 2), ember.zeros(2, 3)])


@pytest.mark.parametrize("data", [
    (np.zeros(2), 1, "a"),
    np.float64(2.0),
    {"a": np.ones(2, np.int32), "b": "s"},
    Point(np.zeros(1), 2),
    [np.zeros(1), [np.ones(2)]],
    "text",
    3,
])
def test_default_convert_matches_torch(data):
    same(default_convert(data), tconvert(data))


def test_collate_stacks_into_one_new_buffer():
    a, b = ember.zeros(3), ember.ones(3)
    out = default_collate([a, b])
    out.numpy()[0] += 5  # must not write through to the samples
    assert a.tolist() == [0.0, 0.0, 0.0] and out.shape == (2, 3)
