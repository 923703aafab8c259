"""Samples as trees: the leaves a v2 transform looks at, and the rebuilt structure."""
from ember._tensor import Tensor

try:
    from PIL import Image
except ImportError:  # pragma: no cover - Pillow is the `vision` extra
    Image = None


def flatten(sample):
    """(leaves, rebuild): the leaves of nested tuples/lists/dicts, and a function building
    the same structure from new leaves."""
    if isinstance(sample, (tuple, list)):
        parts = [flatten(s) for s in sample]
        sizes = [len(p[0]) for p in parts]

        def rebuild(leaves):
            out, at = [], 0
            for (_, sub), n in zip(parts, sizes):
                out.append(sub(leaves[at:at + n]))
                at += n
            return type(sample)(out) if not hasattr(sample, "_fields") else type(sample)(*out)

        return [x for p in parts for x in p[0]], rebuild
    if isinstance(sample, dict):
        keys = list(sample)
        leaves, rebuild_values = flatten([sample[k] for k in keys])
        return leaves, lambda new: type(sample)(zip(keys, rebuild_values(new)))
    return [sample], lambda leaves: leaves[0]


def _is_pil(x):
    return Image is not None and isinstance(x, Image.Image)


def image_positions(leaves, extra_types=()):
    """Indices of the leaves to transform: every PIL image (and leaf of `extra_types`), or
    else the first tensor."""
    pil = [i for i, x in enumerate(leaves) if _is_pil(x) or isinstance(x, extra_types)]
    if pil:
        return pil
    for i, x in enumerate(leaves):
        if isinstance(x, Tensor):
            return [i]
    return []
