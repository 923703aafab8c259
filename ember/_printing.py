"""Tensor repr/str formatted exactly as PyTorch formats them.

The rules follow PyTorch's printing: one formatter (fixed, integer-valued or scientific)
chosen from the nonzero finite values of the (summarised) tensor, every element padded to
the widest of them, rows wrapped at `linewidth`, large tensors summarised with `...`.
"""
import contextlib
import math

from ember import _dtype
from ember._backend import xp


class _Options:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


PRINT_OPTS = _Options()

_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80),
             "full": (4, math.inf, 3, 80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Set printing options (same names, profiles and defaults as PyTorch).

    >>> set_printoptions(precision=2)
    >>> set_printoptions(profile="default")
    """
    if profile is not None:
        if profile in _PROFILES:  # PyTorch ignores unknown profiles
            (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems,
             PRINT_OPTS.linewidth) = _PROFILES[profile]
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """The current print options as a dict."""
    return {k: getattr(PRINT_OPTS, k)
            for k in ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")}


@contextlib.contextmanager
def printoptions(**kwargs):
    """Temporarily change print options (a context manager)."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Chooses one format (fixed, integer-valued or scientific) and width for all elements."""

    def __init__(self, values):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if not self.floating:
            flat = values.reshape(-1)
            if flat.size:
                if values.dtype.kind == "b":
                    self.max_width = 5 if not flat.all() else 4
                else:
                    self.max_width = max(len(str(int(flat.max()))), len(str(int(flat.min()))))
            return
        v = values.reshape(-1)
        # NOTE: only nonzero finite values decide the format and the width (as in PyTorch)
        v = v[xp.isfinite(v) & (v != 0)]
        if v.size == 0:
            return
        a = xp.abs(v)
        lo, hi = float(a.min()), float(a.max())
        p = PRINT_OPTS.precision
        self.int_mode = bool((v == xp.ceil(v)).all())
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
                         if PRINT_OPTS.sci_mode is None else PRINT_OPTS.sci_mode)
        vals = v.tolist()
        if self.sci_mode:
            self.max_width = max(len(f"{x:.{p}e}") for x in vals)
        elif self.int_mode:
            self.max_width = max(len(f"{x:.0f}") for x in vals) + 1
        else:
            self.max_width = max(len(f"{x:.{p}f}") for x in vals)

    def width(self):
        return self.max_width

    def format(self, value):
        if self.floating:
            p = PRINT_OPTS.precision
            if self.sci_mode:
                s = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                s = f"{value:.0f}"
                if math.isfinite(value):
                    s += "."
            else:
                s = f"{value:.{p}f}"
        else:
            s = f"{value}"
        return (self.max_width - len(s)) * " " + s


def _val_formatter(f1, f2):
    if f2 is None:
        return f1.format

    def fmt(val):
        real = f1.format(val.real)
        imag = (f2.format(val.imag) + "j").lstrip()
        return real + imag if imag[0] in "+-" else real + "+" + imag

    return fmt


def _vector_str(a, indent, summarize, f1, f2):
    edge = PRINT_OPTS.edgeitems
    element_length = f1.width() + 2
    if f2 is not None:
        element_length += f2.width() + 1
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / element_length)))
    fmt = _val_formatter(f1, f2)
    if summarize and not edge:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * edge:
        data = ([fmt(v) for v in a[:edge].tolist()] + [" ..."]
                + [fmt(v) for v in a[-edge:].tolist()])
    else:
        data = [fmt(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(a, indent, summarize, f1, f2=None):
    ndim = a.ndim
    if ndim == 0:
        return _val_formatter(f1, f2)(a.item())
    if ndim == 1:
        return _vector_str(a, indent, summarize, f1, f2)
    edge = PRINT_OPTS.edgeitems
    n = a.shape[0]
    if summarize and n > 2 * edge:
        idx = list(range(edge)) + [None] + list(range(n - edge, n))
    else:
        idx = range(n)
    slices = ["..." if i is None else
              _tensor_str_with_formatter(a[i], indent + 1, summarize, f1, f2) for i in idx]
    return "[" + ("," + "\n" * (ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _summarized(a):
    """The elements that will be shown (the edges of every dim) for choosing the format."""
    edge = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return xp.concatenate((a[:edge], a[-edge:])) if a.shape[0] > 2 * edge else a
    if not edge:
        return a[(slice(0, 0),) * a.ndim]
    rows = list(range(edge)) + list(range(a.shape[0] - edge, a.shape[0])) \
        if a.shape[0] > 2 * edge else range(a.shape[0])
    return xp.stack([_summarized(a[i]) for i in rows])


def _tensor_str(a, indent):
    if a.size == 0:
        return "[]"
    summarize = a.size > PRINT_OPTS.threshold
    if a.dtype.kind == "f" and a.dtype.itemsize < 4 or a.dtype.kind == "V" or \
            a.dtype.name == "bfloat16":
        a = a.astype(xp.float32)
    if a.dtype.kind == "c":
        shown = _summarized(a) if summarize else a
        return _tensor_str_with_formatter(a, indent, summarize, _Formatter(shown.real),
                                          _Formatter(shown.imag))
    return _tensor_str_with_formatter(
        a, indent, summarize, _Formatter(_summarized(a) if summarize else a))


def _add_suffixes(text, suffixes, indent):
    parts = [text]
    # NOTE: PyTorch's own measure of the last line (2 more than its length); kept for parity
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t, prefix=None):
    """The repr (and str) of a Tensor, character for character PyTorch's."""
    if prefix is None:
        name = type(t).__name__
        prefix = "tensor(" if name in ("Tensor", "Parameter", "_DualTensor") else name + "("
    a = t._data
    dev = t.device
    meta = dev.type == "meta"
    if type(a) is not xp.ndarray and not meta:
        a = a.get()
    indent = len(prefix)
    suffixes = []
    if dev.type != "cpu":
        suffixes.append(f"device='{dev}'")
    d = t.dtype
    default = _dtype.get_default_dtype()
    default_complex = _dtype.complex128 if default is _dtype.float64 else _dtype.complex64
    if meta:  # no data: "..." and the size, and any dtype but the default
        suffixes.append(f"size={tuple(a.shape)}")
        if d is not default:
            suffixes.append(f"dtype={d}")
        body = "..."
    elif a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if d is not default:
            suffixes.append(f"dtype={d}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(a.shape)}")
        if d not in (default, default_complex, _dtype.int64, _dtype.bool):
            suffixes.append(f"dtype={d}")
        body = _tensor_str(a, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    if type(t).__name__ == "_DualTensor":
        from ember.autograd.forward_ad import unpack_dual

        tangent = unpack_dual(t).tangent
        if tangent is not None:
            suffixes.append(f"tangent={tangent}")
    return _add_suffixes(prefix + body, suffixes, indent)
