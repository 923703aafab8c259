"""ember.utils.benchmark's printed formats and statistics against PyTorch's, on the same
recorded times (Measurement repr, Compare tables with every option) and the Fuzzer's draws
for the same seed."""
import pickle
import re

import numpy as np
import pytest

import ember
from ember.utils.benchmark.utils import common

torch = pytest.importorskip("torch")
import torch.utils.benchmark as tb  # noqa: E402
from torch.utils.benchmark.utils import common as tcommon  # noqa: E402

import ember.utils.benchmark as eb  # noqa: E402


def _times(seed, n, median, spread):
    rng = np.random.default_rng(seed)
    return (median * (1 + spread * rng.standard_normal(n))).clip(median / 10).tolist()


def _pair(number, times, **spec):
    """The same measurement in ember and in PyTorch."""
    spec = {"stmt": "x + y", "setup": "pass", **spec}
    return (common.Measurement(number, times, common.TaskSpec(**spec)),
            tcommon.Measurement(number, times, tcommon.TaskSpec(**spec)))


def _text(x):
    return re.sub(r"0x[0-9a-f]+", "0x", str(x).replace("ember", "torch"))


MEASUREMENTS = [  # (number_per_run, raw times, TaskSpec fields)
    (100, [3.1e-4], {"setup": "from __main__ import f"}),
    (1000, [2.2e-3, 2.9e-3], {}),
    (10, _times(0, 9, 5e-5, 0.5), {"label": "Add", "sub_label": "float"}),  # gross warning
    (10, _times(1, 40, 5e-5, 0.12), {"label": "Add", "description": "n=4"}),  # fluctuation
    (1, _times(2, 12, 0.4, 0.01), {"stmt": "a = x + y\nb = a * 2", "sub_label": "two lines",
                                   "setup": "x = torch.ones(3)\ny = torch.ones(3)"}),
    (10000, _times(3, 6, 2e-5, 0.01), {"stmt": "a = 1\nb = 2", "num_threads": 4}),
    (1, _times(4, 5, 12.5, 0.02), {"description": "slow", "env": "A"}),
    (1000000, _times(5, 4, 0.09, 0.001), {"label": "tiny"}),
]


@pytest.mark.parametrize("number,times,spec", MEASUREMENTS)
def test_measurement_matches_pytorch(number, times, spec):
    ours, theirs = _pair(number, times, **spec)
    assert _text(repr(ours)) == _text(repr(theirs))
    for name in ("median", "mean", "iqr"):
        assert getattr(ours, name) == pytest.approx(getattr(theirs, name), rel=1e-12)
    assert ours.times == theirs.times
    assert ours.significant_figures == theirs.significant_figures
    assert ours.has_warnings == theirs.has_warnings
    assert ours.title == theirs.title and ours.env == theirs.env
    assert ours.as_row_name == theirs.as_row_name and ours.num_threads == theirs.num_threads


def test_measurement_pickles_and_merges():
    m, _ = _pair(10, [1e-5, 2e-5], label="L")
    back = pickle.loads(pickle.dumps(m))
    assert type(back) is common.Measurement and back.raw_times == m.raw_times
    assert repr(back).splitlines()[1:] == repr(m).splitlines()[1:]
    a, b = _pair(10, [1e-5, 3e-5], label="L")
    merged = common.Measurement.merge([m, a])
    assert len(merged) == 1 and merged[0].number_per_run == 1
    assert merged[0].times == pytest.approx([1e-6, 2e-6, 1e-6, 3e-6])
    with pytest.raises(AttributeError):
        m.no_such_field


@pytest.mark.parametrize("t", [3e-10, 4e-9, 1e-6, 5e-5, 2e-3, 0.7, 12.0])
def test_units(t):
    assert common.select_unit(t) == tcommon.select_unit(t)
    unit = common.select_unit(t)[0]
    assert common.unit_to_english(unit) == tcommon.unit_to_english(unit)


@pytest.mark.parametrize("x,n", [(3.14159, 2), (123456.0, 3), (0.000123456, 1), (99.96, 3)])
def test_trim_sigfig(x, n):
    assert common.trim_sigfig(x, n) == pytest.approx(tcommon.trim_sigfig(x, n), rel=1e-6)


def _grid(lib):
    """Measurements for two labels, sub_labels x descriptions x thread counts, one cell
    missing, spreads from tight to noisy."""
    out, seed = [], 0
    for label in ("Batched dot", "Other"):
        for threads in (1, 4):
            for sub in ("[1, 1]", "[64, 1024]", "[10000, 1]"):
                for desc, scale in (("mul/sum", 1.0), ("bmm", 3.0)):
                    if (label, threads, sub, desc) == ("Batched dot", 4, "[64, 1024]", "bmm"):
                        continue
                    seed += 1
                    med = scale * (5e-6 if sub == "[1, 1]" else 4e-4) * (1 + seed % 7)
                    spec = lib.TaskSpec("f(x)", "pass", label=label, sub_label=sub,
                                        description=desc, num_threads=threads)
                    spread = 0.4 if seed % 5 == 0 else 0.01
                    out.append(lib.Measurement(100, _times(seed, 8, med, spread), spec))
    return out


def _ab(lib):
    out = []
    for i, env in enumerate(("environment A: mul/sum", "environment B: bmm")):
        for j, desc in enumerate(("[1, 1]", "[1024, 10000]", "[10000, 1]")):
            spec = lib.TaskSpec("batched_dot(x, x)", "pass", label="Batched dot",
                                description=desc, env=env)
            out.append(lib.Measurement(1000, _times(10 * i + j, 6, 7e-6 * (1 + i + 3 * j),
                                                    0.02), spec))
    return out


@pytest.mark.parametrize("options", [(), ("trim",), ("colorize",), ("rowwise",),
                                     ("trim", "colorize", "highlight"), ("highlight",)])
@pytest.mark.parametrize("data", [_grid, _ab])
def test_compare_matches_pytorch(data, options):
    tables = []
    for bench, lib in ((eb, common), (tb, tcommon)):
        c = bench.Compare(data(lib))
        if "trim" in options:
            c.trim_significant_figures()
        if "colorize" in options:
            c.colorize()
        if "rowwise" in options:
            c.colorize(rowwise=True)
        if "highlight" in options:
            c.highlight_warnings()
        tables.append(str(c))
    assert tables[0] == tables[1]


def test_compare_print_and_errors(capsys):
    c = eb.Compare(_ab(common))
    c.print()
    assert capsys.readouterr().out == str(c) + "\n"
    with pytest.raises(ValueError, match="Expected an instance of `Measurement`"):
        c.extend_results([1.0])


FUZZERS = [
    lambda m: m.Fuzzer(
        parameters=[m.FuzzedParameter("k0", minval=1, maxval=10000, distribution="loguniform"),
                    m.FuzzedParameter("k1", minval=1, maxval=10000, distribution="loguniform")],
        tensors=[m.FuzzedTensor("x", size=("k0", "k1"), min_elements=128,
                                max_elements=100000, probability_contiguous=0.6)],
        seed=0),
    lambda m: m.Fuzzer(
        parameters=[m.FuzzedParameter("n", minval=2, maxval=30, distribution="uniform"),
                    m.FuzzedParameter("s", minval=1, maxval=3, distribution="uniform"),
                    m.FuzzedParameter("d", minval=1, maxval=3, distribution="uniform",
                                      strict=True),
                    m.FuzzedParameter("f", minval=0.0, maxval=1.0, distribution="uniform")],
        tensors=[m.FuzzedTensor("x", size=("n", "n", 5), steps=("s", 1, "s"),
                                dim_parameter="d", max_elements=500),
                 m.FuzzedTensor("i", size=(4, "n"), dtype=m_dtype(m, "int32"),
                                probability_contiguous=0.0)],
        constraints=[lambda p: p["n"] % 2 == 0],
        seed=7),
]


def m_dtype(bench, name):
    return getattr(ember if bench is eb else torch, name)


@pytest.mark.parametrize("make", FUZZERS)
def test_fuzzer_draws_match_pytorch(make):
    ours, theirs = make(eb), make(tb)
    for (te, pe, ke), (tt, pt, kt) in zip(ours.take(8), theirs.take(8)):
        assert ke == kt
        assert pe.keys() == pt.keys()
        for name in pe:
            a, b = pe[name], pt[name]
            assert (a["numel"], a["steps"], a["is_contiguous"]) == \
                (b["numel"], b["steps"], b["is_contiguous"])
            assert list(a["order"]) == list(b["order"])
            assert a["dtype"].replace("ember", "torch") == b["dtype"]
            assert tuple(te[name].shape) == tuple(tt[name].shape)
            assert te[name].stride() == tt[name].stride()
            assert te[name].dtype.name == str(tt[name].dtype).split(".")[1]
    assert ours.rejection_rate == theirs.rejection_rate


def test_compare_without_descriptions_has_an_empty_column_header():
    # (PyTorch raises TypeError here)
    ms = [common.Measurement(10, [1e-5, 1.2e-5], common.TaskSpec("f(x)", "pass")),
          common.Measurement(10, [2e-5], common.TaskSpec("g(x)", "pass", sub_label="s"))]
    lines = str(eb.Compare(ms)).splitlines()
    assert lines[0] == "[-------  -------]"
    assert lines[1].strip() == "|" and lines[3].startswith("      f(x)  |")
    assert str(eb.Compare([])) == ""
