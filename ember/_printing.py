"""Tensor repr/str formatted exactly as PyTorch formats them."""
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


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Set printing options (same names and profiles as PyTorch)."""
    if profile == "default":
        PRINT_OPTS.precision, PRINT_OPTS.threshold = 4, 1000
        PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 3, 80
    elif profile == "short":
        PRINT_OPTS.precision, PRINT_OPTS.threshold = 2, 1000
        PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 2, 80
    elif profile == "full":
        PRINT_OPTS.precision, PRINT_OPTS.threshold = 4, math.inf
        PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 3, 80
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    """Chooses one format (fixed, integer-valued or scientific) and width for all elements."""

    def __init__(self, values):
        self.floating = values.dtype.kind in "f" or values.dtype.name == "bfloat16"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        p = PRINT_OPTS.precision
        if not self.floating:
            for v in values.reshape(-1).tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        v64 = values.astype(xp.float64).reshape(-1)
        finite = v64[xp.isfinite(v64)]
        if finite.size == 0:
            self.max_width = max((len(self._fmt_special(v)) for v in v64.tolist()), default=1)
            return
        nonzero = xp.abs(finite[finite != 0])
        self.int_mode = bool((finite == xp.ceil(finite)).all())
        if nonzero.size:
            lo, hi = float(nonzero.min()), float(nonzero.max())
        else:
            lo = hi = 0.0
        if self.int_mode:
            if nonzero.size and (hi / lo > 1000.0 or hi > 1.0e8):
                self.sci_mode = True
        elif nonzero.size and (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4):
            self.sci_mode = True
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode
        self.max_width = max(len(self.format(v)) for v in v64.tolist())
        del p

    @staticmethod
    def _fmt_special(v):
        if math.isnan(v):
            return "nan"
        return "inf" if v > 0 else "-inf"

    def format(self, v):
        if not self.floating:
            return str(v)
        if not math.isfinite(v):
            return self._fmt_special(v)
        p = PRINT_OPTS.precision
        if self.sci_mode:
            return f"{v:.{p}e}"
        if self.int_mode:
            return f"{v:.0f}."
        return f"{v:.{p}f}"

    def pad(self, v):
        return self.format(v).rjust(self.max_width)


def _fmt_complex(values):
    real, imag = _Formatter(values.real), _Formatter(values.imag)

    def fmt(v):
        im = imag.format(abs(v.imag)).rjust(imag.max_width)
        sign = "-" if v.imag < 0 or (v.imag == 0 and math.copysign(1, v.imag) < 0) else "+"
        return f"{real.pad(v.real)}{sign}{im.strip()}j"

    return fmt


def _summarize(a, edge):
    if a.ndim == 0:
        return a
    if a.shape[0] > 2 * edge:
        a = xp.concatenate([a[:edge], a[-edge:]])
    return xp.stack([_summarize(x, edge) for x in a]) if a.ndim > 1 else a


def _body(a, fmt, indent, summarize):
    edge = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return fmt(a.item())
    if a.ndim == 1:
        items = [fmt(v) for v in a.tolist()]
        if summarize and a.shape[0] > 2 * edge:
            items = items[:edge] + ["..."] + items[-edge:]
        width = max((len(s) for s in items), default=1) + 2
        per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / width))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"
    rows = [_body(a[i], fmt, indent + 1, summarize) for i in range(a.shape[0])]
    if summarize and a.shape[0] > 2 * edge:
        rows = rows[:edge] + ["..."] + rows[-edge:]
    sep = "," + "\n" * (a.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(rows) + "]"


def _data_str(a, indent):
    summarize = a.size > PRINT_OPTS.threshold
    shown = _summarize(a, PRINT_OPTS.edgeitems) if summarize else a
    if a.dtype.kind == "c":
        fmt = _fmt_complex(shown)
    else:
        if a.dtype.kind == "b":
            return _body(a if not summarize else shown, lambda v: str(v), indent, summarize)
        f = _Formatter(shown)
        fmt = f.pad
        if f.floating:
            shown = shown.astype(xp.float64)
    return _body(shown, fmt, indent, summarize)


def tensor_repr(t, prefix="tensor("):
    a = t._data
    if type(a) is not xp.ndarray:
        a = a.get()
    indent = len(prefix)
    suffixes = []
    d = t.dtype
    default = _dtype.get_default_dtype()
    hide_dtype = d in (default, _dtype.int64, _dtype.bool) or (
        d is _dtype.complex64 and default is _dtype.float32) or (
        d is _dtype.complex128 and default is _dtype.float64)
    if a.size == 0 and a.shape != (0,):
        body = "[]"
        suffixes.append(f"size={tuple(a.shape)}")
    elif a.size == 0:
        body = "[]"
    else:
        body = _data_str(a, indent)
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if not hide_dtype or (a.size == 0 and d is not default and d is not _dtype.int64
                          and d is not _dtype.bool):
        suffixes.append(f"dtype={d}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    out = prefix + body
    last_line = len(out) - out.rfind("\n") - 1 if "\n" in out else len(out)
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > PRINT_OPTS.linewidth:
            out += ",\n" + " " * indent + suffix
            last_line = indent + len(suffix)
        else:
            out += ", " + suffix
            last_line += len(suffix) + 2
    return out + ")"
