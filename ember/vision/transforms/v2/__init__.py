"""torchvision.transforms.v2: the same transforms, applied to whole samples.

A v2 transform takes a sample of any structure — an image, an ``(image, label)`` tuple, a
dict, nested lists — transforms every image in it with the SAME random parameters (an
image and its mask are flipped together) and passes everything else (labels, strings,
numbers) through. Images are PIL images; when a sample holds none, its first tensor is the
image and other tensors pass through (torchvision's rule for plain tensors). Several
positional inputs are treated as one tuple sample, as in torchvision.
"""
import warnings

import numpy as np

from ember import _random
from ember import _random_draws as _draws
from ember._tensor import Tensor
from ember.vision.transforms import transforms as _v1
from ember.vision.transforms.functional import InterpolationMode
from ember.vision.transforms.v2 import functional
from ember.vision.transforms.v2._sample import flatten, image_positions

_WRAPPED = ["ToPILImage", "Normalize", "Resize", "CenterCrop", "RandomCrop",
            "RandomResizedCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "RandomRotation",
            "RandomAffine", "ColorJitter", "Grayscale", "RandomGrayscale", "GaussianBlur", "Pad",
            "RandomErasing", "PILToTensor", "ConvertImageDtype"]


class Transform:
    """Base of v2 transforms. Subclasses define `transform(inpt, params)` (torchvision's
    `_transform` also works) and optionally `make_params(flat_inputs)` (or `_get_params`),
    drawn once per sample and shared by all its images."""

    _extra_types = ()  # leaf types transformed besides images (ToImage: ndarrays)

    def make_params(self, flat_inputs):
        getter = getattr(self, "_get_params", None)
        return getter(flat_inputs) if getter is not None else {}

    def transform(self, inpt, params):
        legacy = getattr(self, "_transform", None)
        if legacy is None:
            raise NotImplementedError(f"{type(self).__name__} must define transform()")
        return legacy(inpt, params)

    def __call__(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        leaves, rebuild = flatten(sample)
        params = self.make_params(leaves)
        out = list(leaves)
        for i in image_positions(leaves, self._extra_types):
            out[i] = self.transform(leaves[i], params)
        return rebuild(out)

    def __repr__(self):
        extra = self.extra_repr() if hasattr(self, "extra_repr") else ""
        return f"{type(self).__name__}({extra})"


class _SharedRandomness:
    """Runs a v1 transform on every image of a sample, each from the same generator
    state, so random parameters (crop box, flip, angle) are the same for all of them."""

    def __call__(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        leaves, rebuild = flatten(sample)
        out = list(leaves)
        state = None
        for i in image_positions(leaves):
            if state is None:
                state = _random.get_rng_state()
            else:
                _random.set_rng_state(state)
            out[i] = super().__call__(leaves[i])
        return rebuild(out)


for _name in _WRAPPED:
    globals()[_name] = type(_name, (_SharedRandomness, getattr(_v1, _name)), {
        "__module__": __name__, "__doc__": getattr(_v1, _name).__doc__})


class Compose(_v1.Compose):
    """Chain transforms; several positional inputs go through as one sample."""

    def __call__(self, *inputs):
        unpack = len(inputs) > 1
        for t in self.transforms:
            out = t(*inputs)
            inputs = out if unpack else (out,)
        return out


class RandomApply(_SharedRandomness, _v1.RandomApply):
    pass


class RandomChoice(_v1.RandomChoice):
    def __call__(self, *inputs):
        probs = np.asarray(self.p, np.float32)  # torch.multinomial(torch.tensor(p), 1)
        idx = int(_draws.multinomial(_random.get(None), probs, 1, False)[0])
        return self.transforms[idx](*inputs)


class RandomOrder(_v1.RandomOrder):
    def __call__(self, *inputs):
        unpack = len(inputs) > 1
        for i in _v1._randperm(len(self.transforms)):
            out = self.transforms[i](*inputs)
            inputs = out if unpack else (out,)
        return inputs if unpack else inputs[0]


class Lambda(Transform):
    """Apply `lambd` to every leaf of the sample that is one of `types` (default: all)."""

    def __init__(self, lambd, *types):
        self.lambd, self.types = lambd, types or (object,)

    def __call__(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        leaves, rebuild = flatten(sample)
        return rebuild([self.lambd(x) if isinstance(x, self.types) else x for x in leaves])


class ToImage(Transform):
    """PIL image or HWC ndarray -> CHW tensor of the same dtype (uint8 stays uint8)."""

    _extra_types = (np.ndarray,)

    def transform(self, inpt, params):
        return functional.to_image(inpt)


class ToDtype(Transform):
    """Convert images to `dtype`; with scale=True also rescale values (uint8 [0, 255] <->
    float [0, 1]). A dict dtype maps input types to dtypes (key "others" for the rest)."""

    def __init__(self, dtype, scale=False):
        self.dtype, self.scale = dtype, scale

    def transform(self, inpt, params):
        dtype = self.dtype
        if isinstance(dtype, dict):
            dtype = dtype.get(type(inpt), dtype.get(Tensor, dtype.get("others")))
            if dtype is None:
                return inpt
        return functional.to_dtype(inpt, dtype, scale=self.scale)

    def extra_repr(self):
        return f"dtype={self.dtype}, scale={self.scale}"


class ToPureTensor(Transform):
    """Identity: ember has no tv_tensors subclasses to strip."""

    def transform(self, inpt, params):
        return inpt


class ToTensor(Transform):
    """Deprecated in v2, as in torchvision: use Compose([ToImage(), ToDtype(float32,
    scale=True)])."""

    def __init__(self):
        warnings.warn("The transform `ToTensor()` is deprecated and will be removed in a future "
                      "release. Instead, please use `v2.Compose([v2.ToImage(), "
                      "v2.ToDtype(torch.float32, scale=True)])`.", UserWarning, stacklevel=2)

    def transform(self, inpt, params):
        return _v1.F.to_tensor(inpt)


__all__ = ["Transform", "Compose", "RandomApply", "RandomChoice", "RandomOrder", "Lambda",
           "ToImage", "ToDtype", "ToPureTensor", "ToTensor", "InterpolationMode",
           "functional"] + _WRAPPED
