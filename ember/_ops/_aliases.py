"""NumPy's argument names, as PyTorch's argument parser accepts them.

Every native PyTorch function taking `dim` / `keepdim` also takes `axis` / `keepdims`
(`A.sum(axis=0)`, `X.sum(1, keepdims=True)`, `A.cumsum(axis=0)`: Dive into Deep Learning
writes them throughout). The functions take them as keyword-only arguments defaulting to None
and call these helpers only when one was given, so the usual call pays one `is None` test.
"""


def np_names(name, dim, keepdim, axis, keepdims, default=None):
    """(dim, keepdim) with `axis` / `keepdims` folded in (`dim` given twice is a TypeError)."""
    if axis is not None:
        if dim is not default and dim != default:
            raise TypeError(f"{name}() got an unexpected keyword argument 'axis'")
        dim = axis
    if keepdims is not None:
        if keepdim:
            raise TypeError(f"{name}() got an unexpected keyword argument 'keepdims'")
        keepdim = keepdims
    return dim, keepdim


def required_dim(name, dim, axis):
    """`dim` of a function where it is required, given as `dim` or as `axis`."""
    if axis is None:
        if dim is None:
            raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
        return dim
    if dim is not None:
        raise TypeError(f"{name}() got an unexpected keyword argument 'axis'")
    return axis
