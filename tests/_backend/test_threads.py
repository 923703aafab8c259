"""Intra-op threads: a split op gives exactly the unsplit op's result."""
import multiprocessing
import sys
import warnings

import numpy as np
import pytest

import ember
from ember._backend import threads

N = threads.MIN_SIZE * 3 + 12345  # large enough to split, not a multiple of the block


@pytest.fixture
def two_threads():
    before = threads.num_threads()
    threads.set_num_threads(2)
    yield
    threads.set_num_threads(before)


def _arrays(dtype=np.float32):
    rng = np.random.default_rng(0)
    return rng.standard_normal(N).astype(dtype), rng.standard_normal(N).astype(dtype)


@pytest.mark.parametrize("fn", [np.add, np.multiply, np.subtract, np.true_divide, np.maximum])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_split_equals_numpy(two_threads, fn, dtype):
    a, b = _arrays(dtype)
    assert threads.splittable(a, b)
    out = threads.ufunc(fn, a, b)
    assert out.dtype == dtype and out.shape == a.shape
    np.testing.assert_array_equal(out, fn(a, b))


def test_scalar_operands_keep_the_array_dtype(two_threads):
    a, _ = _arrays()
    for other in (2.5, 3, np.zeros((), np.float32)):
        out = threads.ufunc(np.multiply, a, other)
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out, a * other)


def test_unary_split_keeps_shape(two_threads):
    a = _arrays()[0][: (N // 7) * 7].reshape(7, -1)
    np.testing.assert_array_equal(threads.call(np.exp, a), np.exp(a))


def test_not_split_when_small_strided_broadcast_or_single_thread(two_threads):
    a, b = _arrays()
    assert not threads.splittable(a[:1000], b[:1000])
    assert not threads.splittable(a[::2], b[::2])
    assert not threads.splittable(a[: N // 2 * 2].reshape(2, -1), b[: N // 2])
    threads.set_num_threads(1)
    assert not threads.splittable(a, b)
    np.testing.assert_array_equal(threads.call(np.add, a, b), a + b)  # falls back


def test_sum_all_is_accurate(two_threads):
    a = _arrays()[0] + 1.0  # a large positive sum, where naive float32 sums drift
    s = threads.sum_all(a)
    assert s.shape == () and s.dtype == np.float32
    ref = a.astype(np.float64).sum()
    assert abs(float(s) - ref) <= 1e-6 * abs(ref)


def test_ember_ops_use_the_split_path_and_agree(two_threads):
    a, b = _arrays()
    x, y = ember.tensor(a), ember.tensor(b)
    np.testing.assert_array_equal((x + y).numpy(), a + b)
    np.testing.assert_array_equal((x * 2.0).numpy(), a * 2.0)
    np.testing.assert_array_equal(ember.exp(x).numpy(), np.exp(a))
    assert abs(ember.sum(x).item() - a.astype(np.float64).sum()) < 1e-2


def _child(queue):
    x = ember.ones(N)
    queue.put(float((x + x).sum()))


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_forked_child_builds_its_own_pool(two_threads):
    a, b = _arrays()
    threads.ufunc(np.add, a, b)  # the parent's pool exists now
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue,))
    proc.start()
    result = queue.get(timeout=60)
    proc.join(timeout=60)
    assert proc.exitcode == 0 and result == 2.0 * N


def test_set_num_threads_sets_the_split_count():
    before = ember.get_num_threads()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # no threadpoolctl: BLAS is left alone, with a warning
            ember.set_num_threads(1)
        assert ember.get_num_threads() == 1 == threads.num_threads()
    finally:
        threads.set_num_threads(before)


def test_set_num_threads_limits_blas():
    pytest.importorskip("threadpoolctl")
    before = ember.get_num_threads()
    ember.set_num_threads(1)
    try:
        assert ember.get_num_threads() == 1
        x = ember.randn(64, 64)
        assert (x @ x).shape == (64, 64)
    finally:
        ember.set_num_threads(before)
    assert ember.get_num_threads() == before


def test_set_num_threads_rejects_nonpositive():
    with pytest.raises(RuntimeError, match="positive"):
        ember.set_num_threads(0)


@pytest.mark.parametrize("shape", [(512, 300, 200), (4, 3000, 1200), (2, 64, 300, 200)])
def test_dot_split_by_rows_or_columns(two_threads, monkeypatch, shape):
    monkeypatch.setattr(threads, "DOT_MIN", 0)
    rng = np.random.default_rng(1)
    a = rng.standard_normal(shape[:-1], dtype=np.float32)
    b = rng.standard_normal(shape[-2:], dtype=np.float32)
    out = threads.dot(a, b)
    assert out.shape == a.shape[:-1] + (b.shape[1],) and out.dtype == np.float32
    np.testing.assert_allclose(out, a.dot(b), rtol=1e-5, atol=1e-4)


def test_active_makes_blas_single_threaded(two_threads):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    assert threads.active()
    # NumPy's BLAS, the one ember calls (PyTorch, when loaded, has its own and keeps it)
    mine = {c.filepath for c in threads._blas_controllers()}
    infos = [i for i in threadpoolctl.threadpool_info() if i["filepath"] in mine]
    assert infos and all(i["num_threads"] == 1 for i in infos)


def test_nested_split_inside_a_worker_runs_serially(two_threads):
    # a task that itself splits (say, a DataLoader thread worker's transform) must not wait
    # on the pool it runs in
    inner = []

    def task(lo, hi):
        inner.append(threads._run(lambda a, b: b - a, [lo, (lo + hi) // 2, hi]))
        return hi - lo

    assert threads._run(task, [0, 10, 20]) == [10, 10]
    assert sorted(map(tuple, inner)) == [(5, 5), (5, 5)]


def test_a_failing_chunk_raises_in_the_caller(two_threads):
    def task(lo, hi):
        if lo:
            raise ValueError(f"chunk {lo}:{hi} failed")
        return 1

    with pytest.raises(ValueError, match="chunk 5:10 failed"):
        threads._run(task, [0, 5, 10])


def test_more_chunks_than_threads_all_run_in_order(two_threads):
    assert threads._run(lambda lo, hi: (lo, hi), [0, 1, 2, 3, 4]) == [(0, 1), (1, 2), (2, 3),
                                                                      (3, 4)]


def test_a_second_calling_thread_runs_its_chunks_itself(two_threads):
    import threading

    seen = []
    release = threading.Event()

    def slow(lo, hi):
        release.wait(10)
        return threading.current_thread().name

    def from_other_thread():
        # the workers are busy with the main thread's op: this caller must not wait for them
        seen.extend(threads._run(lambda lo, hi: threading.current_thread().name, [0, 1, 2]))
        release.set()

    threads._run(lambda lo, hi: None, [0, 1, 2])  # the workers exist
    other = threading.Thread(target=from_other_thread, name="other-caller")

    def first(lo, hi):
        if lo == 0:
            other.start()
        return slow(lo, hi)

    names = threads._run(first, [0, 1, 2])
    other.join(10)
    assert seen == ["other-caller", "other-caller"]
    assert names[1] == "ember-intra-op"


def test_a_worker_error_leaves_the_workers_usable(two_threads):
    with pytest.raises(ZeroDivisionError):
        threads._run(lambda lo, hi: 1 // lo, [0, 1, 2])  # the caller's own chunk fails
    assert threads._run(lambda lo, hi: hi - lo, [0, 3, 7]) == [3, 4]


def test_importing_ember_makes_blas_single_threaded():
    pytest.importorskip("threadpoolctl")
    import subprocess

    code = ("import threadpoolctl, numpy; import ember; print(max(i['num_threads'] for i in "
            "threadpoolctl.threadpool_info() if i['user_api'] == 'blas'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "1"
