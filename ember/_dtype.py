"""dtypes and PyTorch's type-promotion rules.

One place computes result dtypes (`result_type`); ops never rely on NumPy's promotion,
which differs from PyTorch's for 0-d arrays and mixed int/float operands.
"""
from math import log10 as _log10

from ember._backend import xp

try:  # bfloat16 is an optional extra
    import ml_dtypes as _ml_dtypes
except ImportError:  # pragma: no cover - depends on the environment
    _ml_dtypes = None

BOOL, INT, FLOAT, COMPLEX = 0, 1, 2, 3
# NOTE: complex autograd (conjugate Wirtinger gradients) is not implemented: ops' backward
# formulas would give silently wrong complex gradients, so complex tensors refuse to require
# grad (see complex_grad_error)
COMPLEX_GRAD_MESSAGE = ("ember does not support autograd through complex tensors yet (PyTorch "
                        "does): keep real and imaginary parts as separate real tensors")


class dtype:
    """A tensor element type, printed like PyTorch's (`ember.float32`)."""

    __slots__ = ("name", "np", "itemsize", "category", "is_signed", "_aliases")

    def __init__(self, name, np_dtype, category, is_signed):
        self.name = name
        self.np = np_dtype
        self.itemsize = np_dtype.itemsize if np_dtype is not None else 0
        self.category = category
        self.is_signed = is_signed

    @property
    def is_floating_point(self):
        return self.category == FLOAT

    @property
    def is_complex(self):
        return self.category == COMPLEX

    def to_real(self):
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self):
        return {"float64": complex128}.get(self.name, complex64)

    def __repr__(self):
        return "ember." + self.name

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))


def _make(name, np_name, category, signed=True):
    np_dtype = xp.dtype(np_name) if np_name is not None else None
    return dtype(name, np_dtype, category, signed)


bool = _make("bool", "bool", BOOL, False)  # noqa: A001 - PyTorch's public name
uint8 = _make("uint8", "uint8", INT, False)
int8 = _make("int8", "int8", INT)
int16 = _make("int16", "int16", INT)
int32 = _make("int32", "int32", INT)
int64 = _make("int64", "int64", INT)
float16 = _make("float16", "float16", FLOAT)
float32 = _make("float32", "float32", FLOAT)
float64 = _make("float64", "float64", FLOAT)
complex64 = _make("complex64", "complex64", COMPLEX)
complex128 = _make("complex128", "complex128", COMPLEX)
bfloat16 = dtype("bfloat16", xp.dtype(_ml_dtypes.bfloat16) if _ml_dtypes else None, FLOAT, True)

# PyTorch's aliases
half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001
cfloat, cdouble = complex64, complex128
uint16 = _make("uint16", "uint16", INT, False)
uint32 = _make("uint32", "uint32", INT, False)
uint64 = _make("uint64", "uint64", INT, False)

ALL = [bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64,
       complex64, complex128, uint16, uint32, uint64]
_BY_NAME = {d.name: d for d in ALL}
# numpy dtype -> ember dtype; one dict lookup per `.dtype` access
FROM_NP = {d.np: d for d in ALL if d.np is not None}


def _dtype_by_name(name):
    return _BY_NAME[name]


def from_np(np_dtype):
    """The ember dtype for a NumPy dtype, with a clear error for unsupported ones."""
    try:
        return FROM_NP[np_dtype]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type {np_dtype}. The only supported types are: "
            "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, "
            "uint8, and bool."
        ) from None


_default = [float32]


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    if d not in (float32, float64, float16, bfloat16):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d


def to_dtype(d):
    """Accept an ember dtype, a NumPy dtype or a Python type and return an ember dtype."""
    if type(d) is dtype:
        return d
    import builtins

    if d is builtins.float:
        return get_default_dtype()
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool
    if d is builtins.complex:
        return get_default_dtype().to_complex()
    if isinstance(d, str):
        d = d.replace("torch.", "").replace("ember.", "")
        if d in _BY_NAME:
            return _BY_NAME[d]
        aliases = {"float": float32, "double": float64, "half": float16, "long": int64,
                   "int": int32, "short": int16, "cfloat": complex64, "cdouble": complex128}
        if d in aliases:
            return aliases[d]
    try:
        return from_np(xp.dtype(d))
    except TypeError:
        raise TypeError(f"{d!r} is not a dtype ember understands") from None


def promote_types(a, b):
    """PyTorch's promote_types: the higher category wins, sizes combine within one."""
    if a is b:
        return a
    if a.category != b.category:
        hi, lo = (a, b) if a.category > b.category else (b, a)
        if hi.category == COMPLEX and lo is float64:
            return complex128
        return hi
    if {a.name, b.name} == {"float16", "bfloat16"}:
        return float32
    if a.category == BOOL:
        return bool
    return FROM_NP[xp.promote_types(a.np, b.np)]


def _scalar_category(value):
    t = type(value)
    if t is builtins_bool:
        return BOOL
    if t is builtins_int:
        return INT
    if t is builtins_complex:
        return COMPLEX
    return FLOAT


builtins_bool, builtins_int, builtins_complex = type(True), type(1), type(1j)
builtins_float = type(1.0)


def result_type(*operands):
    """PyTorch's result_type over tensors and Python scalars.

    Three priority levels: dimensioned tensors, zero-dim tensors, then Python scalars.
    A lower level only changes the result when its category is higher.
    """
    dim_t = zero_t = None
    scalar_cat = -1
    for op in operands:
        d = getattr(op, "dtype", None)
        if type(d) is dtype:
            if op.ndim:
                dim_t = d if dim_t is None else promote_types(dim_t, d)
            else:
                zero_t = d if zero_t is None else promote_types(zero_t, d)
        else:
            scalar_cat = max(scalar_cat, _scalar_category(op))
    result = dim_t
    if zero_t is not None:
        if result is None or zero_t.category > result.category:
            result = zero_t if result is None else promote_types(result, zero_t)
    if scalar_cat >= 0:
        if result is None:
            result = {BOOL: bool, INT: int64, FLOAT: get_default_dtype(),
                      COMPLEX: get_default_dtype().to_complex()}[scalar_cat]
        elif scalar_cat > result.category:
            if scalar_cat == INT:
                result = int64
            elif scalar_cat == FLOAT:
                result = get_default_dtype()
            else:
                result = result.to_complex() if result.category == FLOAT else \
                    get_default_dtype().to_complex()
    return result


def can_cast(from_, to):
    """PyTorch's can_cast: no casting to a lower category (float -> int, etc.)."""
    return from_.category <= to.category


class _Info:
    def __init__(self, **kw):
        self.__dict__.update(kw)

    def __repr__(self):  # PyTorch's layout: numbers as %g (ints too), no `bits`
        items = ", ".join(f"{k}={v}" if type(v) is str else f"{k}={v:g}"
                          for k, v in self.__dict__.items() if k != "bits")
        return f"{type(self).__name__}({items})"


class finfo(_Info):
    """Machine limits for floating-point dtypes (PyTorch's `torch.finfo`)."""

    def __init__(self, type=None):  # noqa: A002
        d = to_dtype(type) if type is not None else get_default_dtype()
        if d.category not in (FLOAT, COMPLEX):
            raise TypeError("ember.finfo() requires a floating point input type. Use "
                            "ember.iinfo to handle 'ember.finfo'")
        d = d.to_real()
        info = (_ml_dtypes.finfo(d.np) if d is bfloat16 else xp.finfo(d.np))
        eps = builtins_float(info.eps)  # resolution = 10**-precision (ml_dtypes differs)
        super().__init__(resolution=10.0 ** -builtins_int(-_log10(eps)),
                         min=builtins_float(info.min), max=builtins_float(info.max), eps=eps,
                         smallest_normal=builtins_float(info.smallest_normal),
                         tiny=builtins_float(info.smallest_normal),
                         bits=builtins_int(info.bits), dtype=d.name)


class iinfo(_Info):
    """Machine limits for integer dtypes (PyTorch's `torch.iinfo`)."""

    def __init__(self, type):  # noqa: A002
        d = to_dtype(type)
        if d.category == BOOL:
            raise TypeError(f"{d} is not supported by ember.iinfo")
        if d.category != INT:
            raise TypeError("ember.iinfo() requires an integer input type. Use ember.finfo to "
                            "handle 'ember.iinfo'")
        info = xp.iinfo(d.np)
        super().__init__(bits=builtins_int(info.bits), min=builtins_int(info.min),
                         max=builtins_int(info.max), dtype=d.name)
