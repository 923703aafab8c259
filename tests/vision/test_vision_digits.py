import numpy as np
import pytest

import ember
from ember.vision import datasets, transforms

pytest.importorskip("PIL")


def test_digits_split_sizes_and_attributes():
    train, test = datasets.Digits(train=True), datasets.Digits(train=False)
    assert len(train) + len(test) == 1797
    assert len(test) == 359
    assert tuple(train.data.shape) == (len(train), 8, 8) and train.data.dtype == ember.uint8
    assert train.targets.dtype == ember.int64
    assert len(train.classes) == 10 and train.class_to_idx[train.classes[3]] == 3
    # every class appears in both splits, ~20% of each class held out
    for c in range(10):
        n_tr = int((train.targets.numpy() == c).sum())
        n_te = int((test.targets.numpy() == c).sum())
        assert n_te > 0 and abs(n_te / (n_tr + n_te) - 0.2) < 0.02


def test_digits_items_are_pil_L_and_transform_to_tensor():
    ds = datasets.Digits(transform=transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]), target_transform=str)
    img, target = ds[0]
    assert tuple(img.shape) == (1, 8, 8) and img.dtype == ember.float32
    assert isinstance(target, str)
    assert -1.0 <= float(img.numpy().min()) and float(img.numpy().max()) <= 1.0
    raw, label = datasets.Digits()[0]
    assert raw.mode == "L" and raw.size == (8, 8) and isinstance(label, int)
    assert np.asarray(raw).max() > 200  # scaled from 0..16 to 0..255


def test_digits_fixed_split_is_deterministic_and_disjoint():
    a, b = datasets.Digits(), datasets.Digits()
    np.testing.assert_array_equal(a.data.numpy(), b.data.numpy())
    test = datasets.Digits(train=False)
    tr = {x.tobytes() for x in a.data.numpy()}
    te = [x.tobytes() for x in test.data.numpy()]
    assert sum(x not in tr for x in te) > 300  # (a few digit images occur twice in UCI data)


def test_digits_repr_mentions_split():
    assert "Split: Test" in repr(datasets.Digits(train=False))
    assert "CC BY 4.0" in datasets.Digits.__doc__


def test_vision_namespace_like_torchvision():
    import ember.vision as torchvision

    assert torchvision.get_image_backend() == "PIL"
    with pytest.raises(ValueError, match="PIL"):
        torchvision.set_image_backend("accimage")
    assert torchvision.transforms.functional.to_tensor is not None
    assert callable(torchvision.models.resnet18) and callable(torchvision.utils.make_grid)
    with pytest.raises(AttributeError):
        torchvision.nope
