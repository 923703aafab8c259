"""Devices. `cpu` works everywhere; `cuda` needs CuPy and a GPU (see ember.cuda)."""

_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
          "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
          "privateuseone")


class device:
    """A device, printed like PyTorch's: `device(type='cpu')`, `device(type='cuda', index=0)`.

    >>> device("cuda:1") == device("cuda", 1)
    True
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002 - PyTorch's argument name
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            raise RuntimeError("Cannot access accelerator device when none is available.")
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({_typename(type)}), but expected one of: (ember.device device) "
                            "or (str type, int index = -1)")
        name, sep, idx = type.partition(":")
        if name not in _TYPES:
            if sep or name.strip() != name:
                raise RuntimeError(f"Invalid device string: '{type}'")
            raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of "
                               f"device string: {type}")
        if sep:
            if not idx.isdigit() or (len(idx) > 1 and idx[0] == "0"):
                raise RuntimeError(f"Invalid device string: '{type}'")
            if index is not None:
                raise RuntimeError("type (string) must not include an index because index "
                                   f"was passed explicitly: {type}")
            index = int(idx)
        if index is not None:
            index = int(index)
            if index < 0:
                raise RuntimeError("Device index must not be negative")
        self.type = name
        self.index = index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        # NOTE: like PyTorch, a device never equals a string (device('cpu') != 'cpu')
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self):
        """`with ember.device("meta"):` makes it the default device of the tensors made in
        the block; a device ember lacks raises here, as `.to(device)` would."""
        if self.type != "cpu":
            from ember._ops.conversion import _check_device

            _check_device(self)
        _ENTERED.append(DEFAULT[0])
        DEFAULT[0] = None if self.type == "cpu" else self
        return self

    def __exit__(self, *exc):
        DEFAULT[0] = _ENTERED.pop()
        return False


def _typename(x):
    return type(x).__name__


CPU = device("cpu")
META = device("meta")
DEFAULT = [None]  # the default device when not the CPU (set_default_device, `with device`)
_ENTERED = []  # the defaults that `with device(...)` blocks replaced


def to_device(d):
    """Normalise a device argument (None, str, int ordinal, device) to a device."""
    if d is None or d is CPU:
        return CPU
    if isinstance(d, device):
        return d
    if isinstance(d, int) and not isinstance(d, bool):
        return device("cuda", d)  # `.to(0)` / `.cuda(0)`: a CUDA ordinal, as in PyTorch
    return device(d)
