"""TrivialAugmentWide / RandAugment and the tone functionals they use (invert, posterize,
solarize, adjust_sharpness, autocontrast, equalize). Tensor images are checked against PIL's
ImageOps/ImageEnhance, which is what torchvision runs for PIL images (and what its own tests
compare its tensor kernels with: equal, or within 1 where PIL rounds differently)."""
import numpy as np
import pytest

import ember
import ember.vision.transforms as T
import ember.vision.transforms.functional as F

pytest.importorskip("PIL")
from PIL import Image  # noqa: E402


def _rgb(h=17, w=13, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


TONE_OPS = [("invert", (), 0), ("posterize", (3,), 0), ("posterize", (1,), 0),
            ("posterize", (8,), 0), ("solarize", (100,), 0), ("solarize", (0,), 0),
            ("autocontrast", (), 1), ("equalize", (), 0), ("adjust_sharpness", (1.7,), 1),
            ("adjust_sharpness", (0.3,), 1), ("adjust_sharpness", (1.0,), 0)]


@pytest.mark.parametrize("name, args, tol", TONE_OPS)
def test_tone_ops_on_tensors_match_pil(name, args, tol):
    a = _rgb()
    ours = getattr(F, name)(ember.from_numpy(a.transpose(2, 0, 1).copy()), *args)
    theirs = getattr(F, name)(Image.fromarray(a), *args)
    assert isinstance(theirs, Image.Image) and ours.dtype == ember.uint8
    diff = np.abs(ours.numpy().astype(int) - np.asarray(theirs).transpose(2, 0, 1))
    assert diff.max() <= tol


@pytest.mark.parametrize("name, args", [("invert", ()), ("posterize", (2,)),
                                        ("equalize", ()), ("autocontrast", ())])
def test_tone_ops_batched_is_per_image(name, args):
    a = np.stack([_rgb(seed=s).transpose(2, 0, 1) for s in range(3)])
    batched = getattr(F, name)(ember.from_numpy(a), *args).numpy()
    for i in range(3):
        single = getattr(F, name)(ember.from_numpy(a[i].copy()), *args).numpy()
        np.testing.assert_array_equal(batched[i], single)


def test_tone_ops_on_float_tensors():
    x = ember.from_numpy(_rgb().transpose(2, 0, 1).astype(np.float32) / 255)
    np.testing.assert_allclose(F.invert(x).numpy(), 1 - x.numpy())
    s = F.solarize(x, 0.5).numpy()
    np.testing.assert_allclose(s, np.where(x.numpy() >= 0.5, 1 - x.numpy(), x.numpy()))
    ac = F.autocontrast(x).numpy()
    assert ac.min() == 0.0 and abs(ac.max() - 1.0) < 1e-6 and ac.dtype == np.float32
    assert F.adjust_sharpness(x, 2.0).dtype == ember.float32
    flat = ember.full((3, 4, 4), 0.25)
    np.testing.assert_array_equal(F.autocontrast(flat).numpy(), flat.numpy())  # max == min


def test_tone_op_errors():
    x = ember.rand(3, 8, 8)
    with pytest.raises(TypeError, match="Only torch.uint8 image tensors are supported"):
        F.equalize(x)
    with pytest.raises(TypeError, match="Only torch.uint8 image tensors are supported"):
        F.posterize(x, 3)
    with pytest.raises(ValueError, match="bits should be between 0 and 8"):
        F.posterize(ember.zeros(3, 4, 4, dtype=ember.uint8), 9)
    with pytest.raises(TypeError, match="Threshold should be less than bound of img"):
        F.solarize(x, 2.0)
    with pytest.raises(ValueError, match="is not non-negative"):
        F.adjust_sharpness(x, -1.0)
    with pytest.raises(TypeError, match="permitted channel values are \\[1, 3\\]"):
        F.invert(ember.rand(2, 4, 4))


def test_trivial_augment_wide_repr_and_space():
    t = T.TrivialAugmentWide(num_magnitude_bins=31)
    assert repr(t) == ("TrivialAugmentWide(num_magnitude_bins=31, "
                       "interpolation=InterpolationMode.NEAREST, fill=None)")
    space = t._augmentation_space(31)
    assert len(space) == 14 and space["Rotate"][0][-1] == 135.0 and space["Rotate"][1]
    assert space["Posterize"][0].tolist()[:7] == [8, 8, 8, 7, 7, 7, 7]
    assert space["Posterize"][0][-1] == 2 and space["Solarize"][0][0] == 1.0
    assert repr(T.RandAugment(num_ops=3)) == (
        "RandAugment(num_ops=3, magnitude=9, num_magnitude_bins=31, "
        "interpolation=InterpolationMode.NEAREST, fill=None)")


@pytest.mark.parametrize("aug", [T.TrivialAugmentWide(), T.RandAugment(),
                                 T.TrivialAugmentWide(fill=128)])
def test_augment_keeps_size_and_kind_and_is_seeded(aug):
    a = _rgb(32, 24)
    pil, t = Image.fromarray(a), ember.from_numpy(a.transpose(2, 0, 1).copy())
    ember.manual_seed(3)
    first = [np.asarray(aug(pil)) for _ in range(30)]
    tensors = [aug(t) for _ in range(30)]
    assert all(o.shape == a.shape for o in first)
    assert all(o.shape == (3, 32, 24) and o.dtype == ember.uint8 for o in tensors)
    assert sum(not np.array_equal(o, a) for o in first) > 10  # most draws change the image
    ember.manual_seed(3)
    again = [np.asarray(aug(pil)) for _ in range(30)]
    assert all(np.array_equal(x, y) for x, y in zip(first, again))


def test_trivial_augment_in_a_compose_pipeline():
    tf = T.Compose([T.Resize(size=(64, 64)), T.TrivialAugmentWide(num_magnitude_bins=31),
                    T.ToTensor()])
    out = tf(Image.fromarray(_rgb(50, 70)))
    assert out.shape == (3, 64, 64) and out.dtype == ember.float32
    assert 0.0 <= float(out.min()) and float(out.max()) <= 1.0
