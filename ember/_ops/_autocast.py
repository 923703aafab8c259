"""The state of CPU autocast regions, read by the ops autocast changes (PyTorch's CPU lists).

`DTYPE[0]` is the lower-precision dtype of the enabled `autocast("cpu")` region (None outside
one): ops that are fast in lower precision (matmul, linear, conv, ...) call `lower(...)` on their
inputs and compute in it; ops that need the range (the losses) call `fp32(...)`. Only
float32/float16/bfloat16 tensors are cast, never float64, as in PyTorch. The casts are ordinary
differentiable `.to(dtype)`, so gradients reach float32 parameters in float32.
"""
DTYPE = [None]


def _cast(t, d):
    dt = getattr(t, "dtype", None)
    if dt is None or dt is d or not dt.is_floating_point or dt.itemsize == 8:
        return t
    return t.to(d)


def lower(*tensors):
    """The tensors cast to the region's lower-precision dtype."""
    d = DTYPE[0]
    return tuple(_cast(t, d) for t in tensors)


def fp32(*tensors):
    """The tensors cast to float32 (ops on PyTorch's CPU autocast float32 list)."""
    from ember._dtype import float32

    return tuple(_cast(t, float32) for t in tensors)
