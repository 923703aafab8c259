"""ember's generator reproduces PyTorch's CPU streams: the same seed gives the same numbers,
bit for bit, for every sampling op with a PyTorch recipe (see ember/_random_draws.py)."""
import re

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _same(fn, seed=0):
    """fn(lib) run after lib.manual_seed(seed) in both libraries: identical values/dtypes."""
    ember.manual_seed(seed)
    torch.manual_seed(seed)
    a, b = fn(ember), fn(torch)
    a = a.numpy() if hasattr(a, "numpy") else np.asarray(a)
    b = b.numpy() if hasattr(b, "numpy") else np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)


SIZES = [0, 1, 5, 15, 16, 17, 100, 1001]
SEEDS = [0, 42, 2147483647, 2 ** 40 + 3, -1]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
def test_rand_randn_match(n, seed):
    _same(lambda m: m.rand(n), seed)
    _same(lambda m: m.randn(n), seed)
    _same(lambda m: m.randn(n, dtype=m.float64), seed)


@pytest.mark.parametrize("case", [
    lambda m: m.rand(3, 4, dtype=m.float64),
    lambda m: m.rand(7, dtype=m.float16),
    lambda m: m.rand(7, dtype=m.bfloat16).float(),
    lambda m: m.randn(5, 5, dtype=m.complex64),
    lambda m: m.rand(9, dtype=m.complex128),
    lambda m: m.randn(2, 3, 40),
    lambda m: m.empty(300).uniform_(-0.123, 0.123),
    lambda m: m.empty(60, dtype=m.float64).uniform_(-2.5, 0.75),
    lambda m: m.empty(8, 9).normal_(2.0, 3.0),
    lambda m: m.empty(20, 4).t().normal_(),  # strided: the element-by-element path
    lambda m: m.normal(1.0, 2.0, size=(33,)),
    lambda m: m.normal(m.arange(40.0), 0.5),
    lambda m: m.normal(m.arange(40.0), m.arange(40.0) / 10),
    lambda m: m.normal(3.0, m.arange(1.0, 41.0)),
    lambda m: m.randint(-5, 17, (6, 7)),
    lambda m: m.randint(10, (50,), dtype=m.int32),
    lambda m: m.randint(0, 2 ** 40, (20,)),
    lambda m: m.randperm(1),
    lambda m: m.randperm(1000),
    lambda m: m.randperm(10, dtype=m.int32),
    lambda m: m.empty(10, dtype=m.int64).random_(),
    lambda m: m.empty(10).random_(),
    lambda m: m.empty(10, dtype=m.uint8).random_(),
    lambda m: m.empty(10, dtype=m.int16).random_(3, 9),
    lambda m: m.empty(10).random_(100),
    lambda m: m.empty(1000).bernoulli_(0.3),
    lambda m: m.bernoulli(m.full((4, 50), 0.7)),
    lambda m: m.bernoulli(m.full((4, 50), 0.7, dtype=m.float64)),
    lambda m: m.empty(40, 5).bernoulli_(m.linspace(0, 1, 5)),
    lambda m: m.empty(50).exponential_(2.5),
    lambda m: m.empty(50).cauchy_(1.0, 2.0),
    lambda m: m.empty(50).geometric_(0.3),
    lambda m: m.empty(50).log_normal_(0.5, 0.7),
    lambda m: m.rand_like(m.ones(4, 4)),
    lambda m: m.randn_like(m.ones(40)),
    lambda m: m.randint_like(m.ones(10), 3, 8),
])
def test_sampling_ops_match(case):
    _same(case, seed=1234)


@pytest.mark.parametrize("replacement", [True, False])
@pytest.mark.parametrize("num", [1, 5])
def test_multinomial_matches(replacement, num):
    probs = np.random.default_rng(0).random((7, 13)).astype(np.float32)
    probs[2, 3] = 0
    _same(lambda m: m.multinomial(m.tensor(probs), num, replacement), seed=9)
    _same(lambda m: m.multinomial(m.tensor(probs[0]).double(), num, replacement), seed=9)


def test_generator_objects_and_interleaving():
    def run(m):
        g = m.Generator().manual_seed(2147483647)
        p = m.rand(27, generator=g)
        out = [m.multinomial(p, 1, replacement=True, generator=g) for _ in range(5)]
        m.manual_seed(3)
        out.append(m.randn(3))  # serial path: leaves one Box-Muller value cached
        out.append(m.randn(3))  # ... which this call uses first
        out.append(m.randn(20, generator=g))
        return m.cat([o.float().reshape(-1) for o in out])

    _same(run)


def test_state_roundtrip_between_libraries():
    ember.manual_seed(7)
    ember.randn(3)
    ember.rand(5)
    torch.manual_seed(7)
    torch.randn(3)
    torch.rand(5)
    state = ember.get_rng_state()
    np.testing.assert_array_equal(state.numpy(), torch.get_rng_state().numpy())
    torch.set_rng_state(torch.from_numpy(state.numpy()))
    ember.set_rng_state(ember.from_numpy(torch.get_rng_state().numpy()))
    np.testing.assert_array_equal(ember.randn(40).numpy(), torch.randn(40).numpy())
    with pytest.raises(RuntimeError, match="size 5056 but found the input RNG state size to be 3"):
        ember.set_rng_state(ember.zeros(3, dtype=ember.uint8))


def test_seeds_and_errors_like_torch():
    for s in (2 ** 63, 2 ** 64 - 1, -(2 ** 63)):
        assert ember.manual_seed(s).initial_seed() == torch.manual_seed(s).initial_seed()
    with pytest.raises(ValueError, match="Overflow"):
        ember.manual_seed(2 ** 64)
    with pytest.raises(RuntimeError, match="manual_seed expected a long"):
        ember.Generator().manual_seed(1.5)
    assert ember.Generator().initial_seed() == torch.Generator().initial_seed()
    g = ember.Generator()
    s = g.seed()
    assert g.initial_seed() == s


def test_fork_rng_restores_the_stream():
    ember.manual_seed(0)
    with ember.random.fork_rng():
        ember.rand(10)
    np.testing.assert_array_equal(ember.rand(3).numpy(), (torch.manual_seed(0), torch.rand(3))[1])


def test_generator_pickles_with_its_stream():
    import pickle

    g = ember.Generator().manual_seed(5)
    ember.rand(3, generator=g)
    h = pickle.loads(pickle.dumps(g))
    np.testing.assert_array_equal(ember.rand(4, generator=g).numpy(),
                                  ember.rand(4, generator=h).numpy())


def test_generator_repr_names_the_class_like_pytorch():
    pattern = r"<{}\._C\.Generator object at 0x[0-9a-f]+>"
    assert re.fullmatch(pattern.format("torch"), repr(torch.manual_seed(0)))
    assert re.fullmatch(pattern.format("ember"), repr(ember.manual_seed(0)))
    g = ember.Generator()
    assert repr(g) == f"<ember._C.Generator object at {hex(id(g))}>"
    assert ember.manual_seed(3) is ember.default_generator
