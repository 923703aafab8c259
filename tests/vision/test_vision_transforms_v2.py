"""transforms.v2: whole samples, shared randomness across a sample's images, pass-through."""
import numpy as np
import pytest
from PIL import Image

import ember
from ember.vision.transforms import v2


def _img(h=8, w=10, seed=0):
    rng = np.random.default_rng(seed)
    return Image.fromarray((rng.random((h, w, 3)) * 255).astype(np.uint8))


def test_to_image_and_to_dtype():
    img = _img()
    t = v2.ToImage()(img)
    assert t.dtype == ember.uint8 and tuple(t.shape) == (3, 8, 10)
    np.testing.assert_array_equal(t.numpy(), np.asarray(img).transpose(2, 0, 1))
    hwc = np.zeros((4, 5, 2), np.float32)
    assert tuple(v2.ToImage()(hwc).shape) == (2, 4, 5)
    assert v2.ToImage()(t) is t
    f = v2.ToDtype(ember.float32, scale=True)(t)
    np.testing.assert_allclose(f.numpy(), t.numpy() / 255.0, rtol=1e-6)
    assert v2.ToDtype(ember.float32)(t).max().item() == t.max().item()  # no scaling
    back = v2.ToDtype(ember.uint8, scale=True)(f)
    np.testing.assert_array_equal(back.numpy(), t.numpy())
    as_dict = v2.ToDtype({ember.Tensor: ember.float64, "others": None})(t)
    assert as_dict.dtype == ember.float64


def test_structures_pass_labels_and_metadata_through():
    pipe = v2.Compose([v2.ToImage(), v2.ToDtype(ember.float32, scale=True),
                       v2.Normalize([0.5] * 3, [0.5] * 3)])
    x, label = pipe(_img(), 7)
    assert tuple(x.shape) == (3, 8, 10) and label == 7
    out = pipe({"image": _img(), "label": 3, "name": "cat"})
    assert out["label"] == 3 and out["name"] == "cat" and out["image"].dtype == ember.float32
    nested = pipe((_img(), [1, {"k": "v"}]))
    assert nested[1] == [1, {"k": "v"}]


def test_one_random_draw_per_sample():
    img = _img(16, 16)
    ember.manual_seed(0)
    for t in (v2.RandomResizedCrop(8), v2.RandomRotation(30), v2.RandomHorizontalFlip(),
              v2.RandomAffine(20, translate=(0.2, 0.2)), v2.ColorJitter(0.5, 0.5, 0.5, 0.1)):
        for _ in range(3):
            a, b = t(img, img)  # the same picture twice: the same parameters give the same output
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_plain_tensors_first_is_the_image():
    x = ember.arange(2 * 4 * 4, dtype=ember.float32).reshape(2, 4, 4)
    other = ember.ones(3)
    flipped, same = v2.RandomHorizontalFlip(p=1.0)(x, other)
    assert flipped[0, 0, 0].item() == 3.0 and same is other


def test_lambda_choice_and_custom_transform():
    assert v2.Lambda(lambda v: v * 2, int)((3, "a")) == (6, "a")
    assert v2.RandomChoice([v2.Lambda(lambda v: v + 1, int)])(1) == 2

    class Shift(v2.Transform):
        def make_params(self, flat_inputs):
            return {"by": len(flat_inputs)}

        def transform(self, inpt, params):
            return inpt + params["by"]

    t = ember.zeros(2)
    out, label = Shift()(t, 5)
    assert out.tolist() == [2.0, 2.0] and label == 5

    class Legacy(v2.Transform):
        def _transform(self, inpt, params):
            return inpt * 3

    assert Legacy()(ember.ones(1)).item() == 3.0


def test_to_tensor_is_deprecated_but_works():
    with pytest.warns(UserWarning, match="deprecated"):
        t = v2.ToTensor()
    x = t(_img())
    assert x.dtype == ember.float32 and x.max().item() <= 1.0


def test_v2_pipeline_in_a_dataloader():
    pipe = v2.Compose([v2.RandomResizedCrop(16, antialias=True), v2.RandomHorizontalFlip(),
                       v2.ToImage(), v2.ToDtype(ember.float32, scale=True)])
    data = ember.vision.datasets.FakeData(size=8, image_size=(3, 20, 20), transform=pipe)
    x, y = next(iter(ember.utils.data.DataLoader(data, batch_size=4)))
    assert tuple(x.shape) == (4, 3, 16, 16) and x.dtype == ember.float32 and y.shape == (4,)
