"""torchvision.transforms.v2.functional: v1's functional transforms plus to_image and
to_dtype."""
import numpy as np

from ember import _dtype
from ember._tensor import Tensor, _wrap
from ember.vision.transforms.functional import *  # noqa: F401,F403 - the same functions
from ember.vision.transforms.functional import convert_image_dtype, pil_to_tensor


def to_image(inpt):
    """PIL image or HWC ndarray -> CHW tensor of the same dtype; tensors pass unchanged."""
    if isinstance(inpt, Tensor):
        return inpt
    if isinstance(inpt, np.ndarray):
        a = inpt[:, :, None] if inpt.ndim == 2 else inpt
        return _wrap(np.ascontiguousarray(a.transpose(2, 0, 1)))
    return pil_to_tensor(inpt)


def to_dtype(inpt, dtype, scale=False):
    """Convert to `dtype`; with scale=True rescale values between integer and float ranges."""
    if not scale:
        return inpt.to(dtype)
    if inpt.dtype == dtype:
        return inpt
    if _dtype.to_dtype(dtype).category >= _dtype.FLOAT and inpt.dtype.category >= _dtype.FLOAT:
        return inpt.to(dtype)
    return convert_image_dtype(inpt, dtype)
