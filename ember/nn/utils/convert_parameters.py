"""parameters_to_vector / vector_to_parameters."""


def parameters_to_vector(parameters):
    """One flat tensor holding every parameter (a copy; differentiable)."""
    from ember._ops.shape import reshape

    params = list(parameters)
    if not params:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    from ember._ops.joining import cat

    return cat([reshape(p, -1) for p in params])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of `vec` into `parameters` (replacing their data)."""
    from ember._tensor import Tensor

    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for p in parameters:
        n = p._data.size
        p._data = vec._data[pointer:pointer + n].reshape(p._data.shape).astype(
            p._data.dtype, copy=False)
        p._bump()
        pointer += n


__all__ = ["parameters_to_vector", "vector_to_parameters"]
