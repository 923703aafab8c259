"""Random number generation: a Generator object and the global default one.

ember's streams are NumPy's PCG64, not PyTorch's Mersenne Twister: the same seed gives
reproducible ember results, not the same numbers as PyTorch.
"""
from ember._backend import xp


class Generator:
    """A source of random numbers (PyTorch's torch.Generator)."""

    def __init__(self, device="cpu"):
        from ember._device import to_device

        self.device = to_device(device)
        self._seed = 67280421310721
        self._rng = xp.random.Generator(xp.random.PCG64(self._seed))

    def __repr__(self):
        # PyTorch's Generator is the C++ class torch._C.Generator
        return f"<ember._C.Generator object at {hex(id(self))}>"

    def manual_seed(self, seed):
        seed = int(seed)
        self._seed = seed
        self._rng = xp.random.Generator(xp.random.PCG64(seed & ((1 << 64) - 1)))
        return self

    def seed(self):
        s = int(xp.random.SeedSequence().entropy) & ((1 << 63) - 1)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        import pickle

        from ember._tensor import _wrap

        raw = pickle.dumps(self._rng.bit_generator.state)
        return _wrap(xp.frombuffer(raw, dtype=xp.uint8).copy())

    def set_state(self, state):
        import pickle

        self._rng.bit_generator.state = pickle.loads(state._data.tobytes())
        return self


default_generator = Generator()


def rng(generator=None):
    """The NumPy Generator behind `generator` (or the global default)."""
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
