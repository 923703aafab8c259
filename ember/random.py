"""ember.random: the global generator's seed and state (PyTorch's torch.random)."""
import contextlib

from ember._random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, **kwargs):
    """Run a block with the global generator's state saved and restored afterwards.

    >>> with ember.random.fork_rng():
    ...     _ = ember.rand(3)   # draws here do not change the outer stream
    """
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


__all__ = ["Generator", "default_generator", "fork_rng", "get_rng_state", "initial_seed",
           "manual_seed", "seed", "set_rng_state"]
