"""recipes/benchmark (PyTorch Benchmark) and recipes/timer_quick_start on ember, imports
rewritten only.

Shrunk for speed: smaller inputs, `min_run_time` 0.01 s instead of 1 s, thread counts 1 and
2 instead of 1, 4, 16, 32; two long lines are wrapped. Left out: the CUDA section, C++
snippets and Callgrind instruction counts (ember's Timer measures Python wall time only) and the
`op_fuzzers.binary.BinaryOpFuzzer` section (its inputs reach 32M elements; its draws are
checked against the recipe's table in tests/utils/benchmark/test_benchmark_op_fuzzers.py).
Both recipes also run on PyTorch and the
printed output is compared with numbers, addresses, colors and the parts that depend on
how many blocks a run happened to take (IQR line, warnings) masked.
"""
import re

import pytest
from _harness import mask_numbers, normalise, run

BENCHMARK = '''
import torch


def batched_dot_mul_sum(a, b):
    \'\'\'Computes batched dot by multiplying and summing\'\'\'
    return a.mul(b).sum(-1)


def batched_dot_bmm(a, b):
    \'\'\'Computes batched dot by reducing to ``bmm``\'\'\'
    a = a.reshape(-1, 1, a.shape[-1])
    b = b.reshape(-1, b.shape[-1], 1)
    return torch.bmm(a, b).flatten(-3)


# Input for benchmarking
x = torch.randn(1000, 64)

# Ensure that both functions compute the same output
assert batched_dot_mul_sum(x, x).allclose(batched_dot_bmm(x, x))

import timeit

t0 = timeit.Timer(
    stmt='batched_dot_mul_sum(x, x)',
    setup='from __main__ import batched_dot_mul_sum',
    globals={'x': x})

t1 = timeit.Timer(
    stmt='batched_dot_bmm(x, x)',
    setup='from __main__ import batched_dot_bmm',
    globals={'x': x})

print(f'mul_sum(x, x):  {t0.timeit(100) / 100 * 1e6:>5.1f} us')
print(f'bmm(x, x):      {t1.timeit(100) / 100 * 1e6:>5.1f} us')

import torch.utils.benchmark as benchmark

t0 = benchmark.Timer(
    stmt='batched_dot_mul_sum(x, x)',
    setup='from __main__ import batched_dot_mul_sum',
    globals={'x': x})

t1 = benchmark.Timer(
    stmt='batched_dot_bmm(x, x)',
    setup='from __main__ import batched_dot_bmm',
    globals={'x': x})

print(t0.timeit(100))
print(t1.timeit(100))

num_threads = torch.get_num_threads()
print(f'Benchmarking on {num_threads} threads')

t0 = benchmark.Timer(
    stmt='batched_dot_mul_sum(x, x)',
    setup='from __main__ import batched_dot_mul_sum',
    globals={'x': x},
    num_threads=num_threads,
    label='Multithreaded batch dot',
    sub_label='Implemented using mul and sum')

t1 = benchmark.Timer(
    stmt='batched_dot_bmm(x, x)',
    setup='from __main__ import batched_dot_bmm',
    globals={'x': x},
    num_threads=num_threads,
    label='Multithreaded batch dot',
    sub_label='Implemented using bmm')

print(t0.timeit(100))
print(t1.timeit(100))

t0 = benchmark.Timer(
    stmt='batched_dot_mul_sum(x, x)',
    setup='from __main__ import batched_dot_mul_sum',
    globals={'x': x})

t1 = benchmark.Timer(
    stmt='batched_dot_bmm(x, x)',
    setup='from __main__ import batched_dot_bmm',
    globals={'x': x})

m0 = t0.blocked_autorange(min_run_time=0.01)
m1 = t1.blocked_autorange(min_run_time=0.01)

print(m0)
print(m1)

print(f"Mean:   {m0.mean * 1e6:6.2f} us")
print(f"Median: {m0.median * 1e6:6.2f} us")

from itertools import product

# Compare takes a list of measurements which we'll save in results.
results = []

sizes = [1, 64]
for b, n in product(sizes, sizes):
    # label and sub_label are the rows
    # description is the column
    label = 'Batched dot'
    sub_label = f'[{b}, {n}]'
    x = torch.ones((b, n))
    for num_threads in [1, 2]:
        results.append(benchmark.Timer(
            stmt='batched_dot_mul_sum(x, x)',
            setup='from __main__ import batched_dot_mul_sum',
            globals={'x': x},
            num_threads=num_threads,
            label=label,
            sub_label=sub_label,
            description='mul/sum',
        ).blocked_autorange(min_run_time=0.01))
        results.append(benchmark.Timer(
            stmt='batched_dot_bmm(x, x)',
            setup='from __main__ import batched_dot_bmm',
            globals={'x': x},
            num_threads=num_threads,
            label=label,
            sub_label=sub_label,
            description='bmm',
        ).blocked_autorange(min_run_time=0.01))

compare = benchmark.Compare(results)
compare.print()

compare.trim_significant_figures()
compare.colorize()
compare.print()

import pickle

ab_test_results = []
for env in ('environment A: mul/sum', 'environment B: bmm'):
    for b, n in ((1, 1), (64, 1000), (1000, 1)):
        x = torch.ones((b, n))
        dot_fn = (batched_dot_mul_sum if env == 'environment A: mul/sum' else batched_dot_bmm)
        m = benchmark.Timer(
            stmt='batched_dot(x, x)',
            globals={'x': x, 'batched_dot': dot_fn},
            num_threads=1,
            label='Batched dot',
            description=f'[{b}, {n}]',
            env=env,
        ).blocked_autorange(min_run_time=0.01)
        ab_test_results.append(pickle.dumps(m))

ab_results = [pickle.loads(i) for i in ab_test_results]
compare = benchmark.Compare(ab_results)
compare.trim_significant_figures()
compare.colorize()
compare.print()

# And just to show that we can round trip all of the results from earlier:
round_tripped_results = pickle.loads(pickle.dumps(results))
assert(str(benchmark.Compare(results)) == str(benchmark.Compare(round_tripped_results)))

from torch.utils.benchmark import Fuzzer, FuzzedParameter, FuzzedTensor, ParameterAlias

# Generates random tensors with 128 to 10000000 elements and sizes k0 and k1 chosen from a
# ``loguniform`` distribution in [1, 10000], 40% of which will be discontiguous on average.
example_fuzzer = Fuzzer(
    parameters = [
        FuzzedParameter('k0', minval=1, maxval=10000, distribution='loguniform'),
        FuzzedParameter('k1', minval=1, maxval=10000, distribution='loguniform'),
    ],
    tensors = [
        FuzzedTensor('x', size=('k0', 'k1'), min_elements=128, max_elements=10000000,
                     probability_contiguous=0.6)
    ],
    seed=0,
)

results = []
for tensors, tensor_params, params in example_fuzzer.take(10):
    # description is the column label
    sub_label=(f"{params['k0']:<6} x {params['k1']:<4} "
               f"{'' if tensor_params['x']['is_contiguous'] else '(discontiguous)'}")
    results.append(benchmark.Timer(
        stmt='batched_dot_mul_sum(x, x)',
        setup='from __main__ import batched_dot_mul_sum',
        globals=tensors,
        label='Batched dot',
        sub_label=sub_label,
        description='mul/sum',
    ).blocked_autorange(min_run_time=0.01))
    results.append(benchmark.Timer(
        stmt='batched_dot_bmm(x, x)',
        setup='from __main__ import batched_dot_bmm',
        globals=tensors,
        label='Batched dot',
        sub_label=sub_label,
        description='bmm',
    ).blocked_autorange(min_run_time=0.01))

compare = benchmark.Compare(results)
compare.trim_significant_figures()
compare.print()
'''

TIMER_QUICK_START = '''
import torch
from torch.utils.benchmark import Language, Timer

def measure(b_size):
    return Timer(
        "x * y",
        f"""
        x = torch.ones((128,))
        y = torch.ones(({b_size},))
        """,
    ).blocked_autorange(min_run_time=0.01)

print(measure(b_size=128), "\\n")
print(measure(b_size=1), "\\n")
'''

# the rows of the recipe's own printed Fuzzer table: seed 0 draws the same sizes and layouts
FUZZED_ROWS = ["725    x 257", "49     x 383", "34     x 1468", "187    x 5039",
               "2140   x 1296 (discontiguous)", "78     x 1598", "519    x 763",
               "141    x 1082", "78     x 5    (discontiguous)", "187    x 1"]

MEASUREMENT = (r"<torch\.utils\.benchmark\.utils\.common\.Measurement object at 0x[0-9a-f]+>\n"
               r"{title}\nsetup: from __main__ import {fn}\n  \d+\.\d\d (ns|us|ms|s)\n"
               r"  1 measurement, 100 runs , {threads}\n")


def _stable(text):
    """Printed output without what varies from run to run: numbers, addresses, colors, the
    IQR line and warnings (they depend on how many blocks were timed), column widths."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text.replace("ember", "torch"))
    text = re.sub(r"0x[0-9a-f]+", "0x", text)
    text = re.sub(r"  WARNING: Interquartile.*\n.*\n", "", text)
    text = re.sub(r"  IQR: .*\n", "", text)
    text = text.replace("Median: ", "").replace("measurements,", "measurement,")
    text = text.replace("runs per measurement,", "runs ,")
    text = re.sub(r"(\d) (ns|us|ms|s)\b", r"\1 <unit>", text)
    text = re.sub(r"Times are in \w+ \(\w+\)", "Times are in <unit>", text)
    return re.sub(r"-+", "-", mask_numbers(text))


@pytest.fixture
def one_thread():
    """The recipe benchmarks on torch.get_num_threads() threads: keep that at one, as
    several threads contend badly on a small shared machine."""
    import ember

    saved = ember.get_num_threads()
    ember.set_num_threads(1)
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        saved_torch = torch.get_num_threads()
        torch.set_num_threads(1)
    yield
    ember.set_num_threads(saved)
    if torch is not None:
        torch.set_num_threads(saved_torch)


def test_benchmark_recipe(one_thread):
    ns, out = run(BENCHMARK, as_main=True)
    out = normalise(out)
    one_thread = "1 thread"
    for title, fn in (("batched_dot_mul_sum(x, x)", "batched_dot_mul_sum"),
                      ("batched_dot_bmm(x, x)", "batched_dot_bmm")):
        assert re.search(MEASUREMENT.format(title=re.escape(title), fn=fn,
                                            threads=one_thread), out), title
    assert "Benchmarking on 1 threads" in out
    assert re.search(MEASUREMENT.format(
        title="Multithreaded batch dot: Implemented using mul and sum",
        fn="batched_dot_mul_sum", threads=one_thread), out)
    m0 = ns["m0"]
    assert m0.median > 0 and m0.mean > 0 and len(m0.times) == len(m0.raw_times) >= 1
    assert f"Mean:   {m0.mean * 1e6:6.2f} us" in out
    # the Compare tables: a column per description, a row per sub_label, grouped by threads
    table = out[out.index("[------"):]
    assert re.search(r"\n +\|  mul/sum  \|  +bmm *\n1 threads: -+\n      \[1, 1\]   ", table)
    assert "2 threads: " in table and "Times are in " in table
    assert "\x1b[92m\x1b[1m" in table  # colorize() marks the best of each column green
    assert "(environment A: mul/sum)  batched_dot(x, x)" in table
    fuzzed = table[table.rindex("[------"):]
    rows = [line.split("|")[0].strip() for line in fuzzed.splitlines()[3:13]]
    assert rows == FUZZED_ROWS


def test_benchmark_recipe_matches_pytorch(one_thread):
    pytest.importorskip("torch")
    _, ours = run(BENCHMARK, as_main=True)
    _, theirs = run(BENCHMARK, "torch", as_main=True)
    assert _stable(ours) == _stable(theirs)


def test_timer_quick_start():
    ns, out = run(TIMER_QUICK_START, as_main=True)
    pattern = (r"<torch\.utils\.benchmark\.utils\.common\.Measurement object at 0x[0-9a-f]+>\n"
               r"x \* y\nsetup:\n  x = torch\.ones\(\(128,\)\)\n  y = torch\.ones\(\({}\)\)\n\n"
               r"  (Median: )?\d+\.\d\d (ns|us|ms|s)\n")
    assert re.search(pattern.format("128,"), normalise(out))
    assert re.search(pattern.format("1,"), normalise(out))
    # the C++ and Callgrind sections need PyTorch's toolchain: ember says so
    timer = ns["Timer"]
    with pytest.raises(NotImplementedError, match="C\\+\\+"):
        timer("x * y;", "auto x = torch::ones({128});", language=ns["Language"].CPP)
    with pytest.raises(NotImplementedError, match="Callgrind"):
        timer("x * y", "x = y = torch.ones(3)").collect_callgrind()


def test_timer_quick_start_matches_pytorch():
    pytest.importorskip("torch")
    _, ours = run(TIMER_QUICK_START, as_main=True)
    _, theirs = run(TIMER_QUICK_START, "torch", as_main=True)
    assert _stable(ours) == _stable(theirs)
