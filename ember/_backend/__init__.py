"""The array namespace (`xp`) that op code is written against.

Op modules never import numpy themselves: they take `xp` from here, so a CuPy backend
can slot in by registering its array type. `namespace_of(array)` resolves the namespace
for an array with one dict lookup keyed by the array's type.
"""
import numpy as xp

_NAMESPACES = {xp.ndarray: xp}


def namespace_of(array):
    """Return the array namespace that owns `array` (numpy for ndarrays and scalars)."""
    return _NAMESPACES.get(type(array), xp)


def register_namespace(array_type, namespace):
    """Register a backend (e.g. cupy) so its arrays dispatch to its namespace."""
    _NAMESPACES[array_type] = namespace


__all__ = ["xp", "namespace_of", "register_namespace"]
