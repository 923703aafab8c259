"""Random number generation: a Generator object and the global default one.

A Generator is PyTorch's CPU generator: a 32-bit Mersenne Twister (NumPy's MT19937 bit
generator) seeded the way PyTorch seeds it, so `manual_seed(s)` followed by the sampling ops
of ember/_random_draws.py gives PyTorch's numbers (rand, randn, randint, randperm, normal_,
uniform_, bernoulli, dropout, multinomial, nn.init, ...). Its state tensor has PyTorch's
5056-byte layout, so `torch.get_rng_state()` saved by one library restores in the other.
Draws with no PyTorch recipe here (poisson, gamma, binomial) use NumPy's samplers on the same
stream (`rng(generator)`): reproducible, not PyTorch's values.
"""
from ember._backend import xp

_DEFAULT_SEED = 67280421310721  # PyTorch's default_rng_seed_val
_N = 624  # Mersenne Twister state words
_STATE_BYTES = 5056  # sizeof(CPUGeneratorImplState)
_LEGACY_STATE_BYTES = 5048  # sizeof(THGeneratorState): no float normal cache
_U64 = (1 << 64) - 1


class Generator:
    """A source of random numbers (PyTorch's torch.Generator on the CPU)."""

    def __init__(self, device="cpu"):
        from ember._device import to_device

        self.device = to_device(device)
        self._bits = xp.random.MT19937()
        self._rng = xp.random.Generator(self._bits)  # NumPy samplers on the same stream
        self.manual_seed(_DEFAULT_SEED)

    def __repr__(self):
        # PyTorch's Generator is the C++ class torch._C.Generator
        return f"<ember._C.Generator object at {hex(id(self))}>"

    def manual_seed(self, seed):
        if isinstance(seed, float) or not hasattr(seed, "__index__"):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        seed = int(seed)
        if not -(1 << 63) <= seed <= _U64:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed & _U64
        # NOTE: RandomState's integer seeding is the reference init_genrand, as PyTorch's is
        key = xp.random.RandomState(self._seed & 0xFFFFFFFF).get_state()[1]
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _N}}
        self._normal = None  # the second value of a Box-Muller pair, kept for the next draw
        self._float_normal = None
        return self

    def seed(self):
        """Seed from the OS's entropy; returns the seed."""
        s = int(xp.random.SeedSequence().entropy) & _U64
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    # -- raw streams ---------------------------------------------------------------------
    def random32(self, n):
        """n 32-bit draws (as uint64), PyTorch's `generator->random()`."""
        return self._bits.random_raw(n)

    def random64(self, n):
        """n 64-bit draws, each two 32-bit ones (high word first), PyTorch's `random64()`."""
        pairs = self._bits.random_raw(2 * n).reshape(n, 2)
        return (pairs[:, 0] << xp.uint64(32)) | pairs[:, 1]

    # -- state in PyTorch's layout ---------------------------------------------------------
    def get_state(self):
        from ember._tensor import _wrap

        buf = xp.zeros(_STATE_BYTES, xp.uint8)
        st = self._bits.state["state"]
        pos = int(st["pos"])
        buf[0:8] = xp.array([self._seed], xp.uint64).view(xp.uint8)
        buf[8:16] = xp.array([_N + 1 - pos, 1], xp.int32).view(xp.uint8)  # left, seeded
        buf[16:24] = xp.array([pos % _N], xp.uint64).view(xp.uint8)  # next
        buf[24:24 + 8 * _N] = st["key"].astype(xp.uint64).view(xp.uint8)
        if self._normal is not None:  # normal_y and normal_is_valid
            buf[5024:5032] = xp.array([self._normal], xp.float64).view(xp.uint8)
            buf[5040:5044] = xp.array([1], xp.int32).view(xp.uint8)
        if self._float_normal is not None:
            buf[5048:5052] = xp.array([self._float_normal], xp.float32).view(xp.uint8)
            buf[5052] = 1
        return _wrap(buf)

    def set_state(self, new_state):
        data = getattr(new_state, "_data", None)
        if data is None or data.dtype != xp.uint8:
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        raw = xp.ascontiguousarray(data).reshape(-1)
        if raw.size not in (_STATE_BYTES, _LEGACY_STATE_BYTES):
            raise RuntimeError(
                f"Expected either a THGeneratorState of size {_LEGACY_STATE_BYTES} or a "
                f"CPUGeneratorImplState of size {_STATE_BYTES} but found the input RNG state "
                f"size to be {raw.size}")
        seed = int(raw[0:8].view(xp.uint64)[0])
        left = int(raw[8:12].view(xp.int32)[0])
        key = raw[24:24 + 8 * _N].view(xp.uint64).astype(xp.uint32)
        self._seed = seed
        self._bits.state = {"bit_generator": "MT19937",
                            "state": {"key": key, "pos": _N + 1 - left}}
        valid = int(raw[5040:5044].view(xp.int32)[0])
        self._normal = float(raw[5024:5032].view(xp.float64)[0]) if valid else None
        self._float_normal = None
        if raw.size == _STATE_BYTES and raw[5052]:
            self._float_normal = float(raw[5048:5052].view(xp.float32)[0])
        return self

    def __reduce__(self):  # pickles (DataLoader workers under spawn) keep the stream
        return _rebuild, (str(self.device), self.get_state()._data.tobytes())


def _rebuild(device, state):
    from ember._tensor import _wrap

    g = Generator(device)
    g.set_state(_wrap(xp.frombuffer(state, xp.uint8).copy()))
    return g


default_generator = Generator()
default_generator.seed()  # as PyTorch's: a fresh process draws fresh numbers


def get(generator=None):
    """`generator`, or the global default one."""
    return generator or default_generator


def rng(generator=None):
    """A NumPy Generator on `generator`'s stream (or the global default's), for the samplers
    with no PyTorch recipe."""
    return (generator or default_generator)._rng


def manual_seed(seed):
    """Seed the global generator; returns it, like PyTorch."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)
