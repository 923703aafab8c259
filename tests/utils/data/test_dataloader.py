"""DataLoader: order, completeness, seeding, sharding, failure modes and clean shutdown."""
import gc
import mmap
import os
import pickle
import random
import signal
import time
import warnings

import numpy as np
import pytest

import ember
from ember.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    DistributedSampler,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    get_worker_info,
)


# -- helpers ----------------------------------------------------------------------------
def children():
    """PIDs of this process's live children, from /proc (no psutil)."""
    me, out = str(os.getpid()), set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[1] == me:  # fields[0] is the state, fields[1] the parent pid
            out.add(int(pid))
    return out - _mp_helpers()


def _mp_helpers():
    """multiprocessing's own long-lived helpers (spawn starts a resource tracker)."""
    from multiprocessing import resource_tracker

    pid = getattr(resource_tracker._resource_tracker, "_pid", None)
    return {pid} if pid else set()


def shm_segments():
    try:
        return {n for n in os.listdir("/dev/shm") if n.startswith(f"ember_{os.getpid()}_")}
    except OSError:
        return set()


@pytest.fixture
def no_leaks():
    """Fails the test if it leaves a child process or a /dev/shm segment behind."""
    before = children()
    yield
    deadline = time.monotonic() + 5
    while children() - before and time.monotonic() < deadline:
        time.sleep(0.02)
        if time.monotonic() > deadline - 4.5:
            gc.collect()  # an exception's traceback may still hold an iterator
    assert children() - before == set(), "worker processes left running"
    assert shm_segments() == set(), "shared-memory segments left in /dev/shm"


class Indices(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


class Raises(Indices):
    def __getitem__(self, i):
        if i == 5:
            raise ValueError("bad sample 5")
        return i


class Exits(Indices):
    def __getitem__(self, i):
        if get_worker_info() is not None and i == 3:
            os._exit(3)
        return i


class Killed(Indices):
    def __getitem__(self, i):
        if get_worker_info() is not None and i == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return i


class Hangs(Indices):
    def __getitem__(self, i):
        if i == 2:
            time.sleep(30)
        return i


class Sleeps(Indices):
    def __getitem__(self, i):
        time.sleep(0.01)
        return i


class Random3(Indices):
    def __getitem__(self, i):
        info = get_worker_info()
        return (float(ember.rand(1).item()), random.random(), float(np.random.rand()),
                info.seed if info else -1, info.id if info else -1)


class Shard(IterableDataset):
    def __init__(self, n, shard=True):
        self.n, self.shard = n, shard

    def __iter__(self):
        info = get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


class Pid(Indices):
    def __getitem__(self, i):
        return os.getpid()


def flat(loader):
    return [int(v) for b in loader for v in (b.tolist() if hasattr(b, "tolist") else [b])]


def seeded_gen():
    return ember.Generator().manual_seed(1234)


SAMPLERS = {
    "sequential": lambda ds: dict(sampler=SequentialSampler(ds)),
    "shuffle": lambda ds: dict(shuffle=True, generator=seeded_gen()),
    "random_replacement": lambda ds: dict(sampler=RandomSampler(ds, True, 30, seeded_gen())),
    "subset_random": lambda ds: dict(sampler=SubsetRandomSampler(list(range(0, 23, 2)),
                                                                 seeded_gen())),
    "weighted": lambda ds: dict(sampler=WeightedRandomSampler([1.0] * 23, 23, False,
                                                              seeded_gen())),
    "batch_sampler": lambda ds: dict(batch_sampler=BatchSampler(SequentialSampler(ds), 5, True)),
    "distributed": lambda ds: dict(sampler=DistributedSampler(ds, 2, 1, seed=3)),
}
EXPECTED = {
    "sequential": list(range(23)),
    "shuffle": list(range(23)),
    "random_replacement": None,
    "subset_random": list(range(0, 23, 2)),
    "weighted": list(range(23)),
    "batch_sampler": list(range(20)),
    "distributed": None,
}


# -- order and completeness --------------------------------------------------------------
@pytest.mark.parametrize("name", list(SAMPLERS))
@pytest.mark.parametrize("num_workers", [0, 1, 2])
def test_every_sampler_every_worker_count(name, num_workers, no_leaks):
    ds = Indices(23)
    kw = SAMPLERS[name](ds)
    if "batch_sampler" not in kw:
        kw["batch_size"] = 4
    out = flat(DataLoader(ds, num_workers=num_workers, **kw))
    reference = flat(DataLoader(ds, **SAMPLERS[name](ds), **(
        {} if "batch_sampler" in kw else {"batch_size": 4})))
    assert out == reference  # workers never change the order
    if EXPECTED[name] is not None:
        assert sorted(out) == EXPECTED[name]
    elif name == "random_replacement":
        assert len(out) == 30 and set(out) <= set(range(23))
    else:
        assert len(out) == 12 and len(set(out)) == 12


@pytest.mark.parametrize("num_workers", [0, 2])
def test_tensor_dataset_fast_path(num_workers, no_leaks):
    x = ember.arange(200.0).reshape(100, 2)
    y = ember.arange(100)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, drop_last=True,
                        num_workers=num_workers, generator=seeded_gen())
    assert len(loader) == 6
    seen = []
    for xb, yb in loader:
        assert xb.shape == (16, 2) and xb.dtype == ember.float32 and yb.dtype == ember.int64
        np.testing.assert_array_equal(xb.numpy()[:, 0], yb.numpy() * 2.0)
        seen += yb.tolist()
    assert len(set(seen)) == 96


def test_batch_size_none_and_len():
    loader = DataLoader(Indices(5), batch_size=None)
    assert list(loader) == [0, 1, 2, 3, 4] and len(loader) == 5
    arrays = list(DataLoader([np.ones(2)], batch_size=None))
    assert isinstance(arrays[0], ember.Tensor) and arrays[0].dtype == ember.float64
    assert len(DataLoader(Indices(10), batch_size=3)) == 4
    assert len(DataLoader(Indices(10), batch_size=3, drop_last=True)) == 3


def test_large_batches_through_shared_memory(no_leaks):
    x = ember.from_numpy(np.arange(40 * 64 * 64, dtype=np.float32).reshape(40, 64, 64))
    loader = DataLoader(TensorDataset(x), batch_size=8, num_workers=2)
    got = [b[0].numpy() for b in loader]
    np.testing.assert_array_equal(np.concatenate(got), x.numpy())
    assert all(isinstance(g.base, mmap.mmap) for g in got)  # views of shared segments


def test_shared_segments_are_recycled(no_leaks):
    x = ember.from_numpy(np.ones((48, 64, 64), np.float32))  # 6 batches of 128 KiB
    loader = DataLoader(TensorDataset(x), batch_size=8, num_workers=1, persistent_workers=True)
    for _ in range(4):
        for (b,) in loader:
            assert b.shape == (8, 64, 64) and float(b.numpy().sum()) == 8 * 64 * 64
    segments = loader._iterator._pool.channels[0].segments
    assert 1 <= len(segments) <= 5  # 24 batches through a handful of reused segments
    del loader, b


def test_shm_fallback_to_pipes_when_full(monkeypatch, no_leaks):
    from ember.utils.data import _shm, dataloader

    monkeypatch.setattr(_shm, "available", lambda: 1 << 20)
    monkeypatch.setattr(dataloader, "_shm_warned", False)
    x = ember.from_numpy(np.ones((16, 64, 64), np.float32))
    with pytest.warns(RuntimeWarning, match="--shm-size"):
        out = list(DataLoader(TensorDataset(x), batch_size=8, num_workers=1))
    assert [b[0].shape for b in out] == [(8, 64, 64)] * 2
    assert not any(isinstance(b[0].numpy().base, mmap.mmap) for b in out)  # came by pipe


# -- seeding -----------------------------------------------------------------------------
@pytest.mark.parametrize("num_workers", [0, 2])
def test_shuffle_reproducible_under_manual_seed(num_workers, no_leaks):
    def run(seed):
        ember.manual_seed(seed)
        return flat(DataLoader(Indices(20), batch_size=3, shuffle=True,
                               num_workers=num_workers))
    assert run(1) == run(1) and run(1) != run(2)


def test_worker_seeds_differ_and_reproduce(no_leaks):
    def run():
        ember.manual_seed(0)
        loader = DataLoader(Random3(8), batch_size=None, num_workers=2)
        return list(loader)
    a, b = run(), run()
    assert a == b  # same manual_seed, same augmentations
    by_worker = {s[4]: s for s in a}
    w0, w1 = by_worker[0], by_worker[1]
    assert w1[3] == w0[3] + 1  # seed = base_seed + worker id
    assert all(w0[k] != w1[k] for k in range(3))  # ember, random and numpy all differ
    ember.manual_seed(1)
    assert list(DataLoader(Random3(8), batch_size=None, num_workers=2)) != a


# -- iterable datasets -------------------------------------------------------------------
@pytest.mark.parametrize("num_workers", [0, 1, 2, 3])
def test_iterable_sharding(num_workers, no_leaks):
    out = flat(DataLoader(Shard(25), batch_size=4, num_workers=num_workers))
    assert sorted(out) == list(range(25))


def test_iterable_without_sharding_duplicates_and_drop_last(no_leaks):
    out = flat(DataLoader(Shard(10, shard=False), batch_size=4, num_workers=2))
    assert sorted(out) == sorted(list(range(10)) * 2)
    batches = list(DataLoader(Shard(10), batch_size=4, drop_last=True))
    assert [b.tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(Shard(10), batch_size=4)) == 3


# -- persistent workers, in_order, threads ----------------------------------------------
def test_persistent_workers_survive_epochs(no_leaks):
    loader = DataLoader(Pid(12), batch_size=2, num_workers=2, persistent_workers=True)
    pids1 = set(flat(loader))
    it = iter(loader)
    next(it)  # abandon epoch 2 early: its in-flight batches must not leak into epoch 3
    pids3 = set(flat(loader))
    assert pids1 == pids3 and len(pids1) == 2 and os.getpid() not in pids1
    seq = DataLoader(Indices(12), batch_size=5, num_workers=2, persistent_workers=True)
    assert flat(seq) == list(range(12)) and flat(seq) == list(range(12))
    del loader, it, seq


def test_out_of_order_delivery_is_complete(no_leaks):
    out = flat(DataLoader(Sleeps(12), batch_size=2, num_workers=2, in_order=False))
    assert sorted(out) == list(range(12))


@pytest.mark.parametrize("dataset,expected", [(Indices(13), list(range(13))),
                                              (Shard(13), list(range(13)))])
def test_thread_workers(dataset, expected):
    out = flat(DataLoader(dataset, batch_size=3, num_workers=2, worker_mode="thread"))
    assert sorted(out) == expected
    if isinstance(dataset, Indices):
        assert out == expected


def test_thread_workers_timeout_and_init_fn():
    called = []
    loader = DataLoader(Hangs(6), batch_size=1, num_workers=2, worker_mode="thread",
                        timeout=0.3, worker_init_fn=called.append)
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
        list(loader)
    assert sorted(called) == [0, 1]


class InitRecorder(Indices):
    def __getitem__(self, i):
        return int(os.environ.get("EMBER_TEST_WORKER", "-1"))


def _record_init(worker_id):
    os.environ["EMBER_TEST_WORKER"] = str(worker_id)


def test_worker_init_fn_runs_in_each_worker(no_leaks):
    out = flat(DataLoader(InitRecorder(8), batch_size=2, num_workers=2,
                          worker_init_fn=_record_init))
    assert out == [0, 0, 1, 1, 0, 0, 1, 1]  # round-robin batches, in order
    assert "EMBER_TEST_WORKER" not in os.environ  # ran in the workers, not here


def test_generic_subscription():
    from ember.utils.data import Sampler

    class Pairs(Dataset[tuple]):
        pass

    class Mine(Sampler[int]):
        pass
    assert issubclass(Pairs, Dataset) and issubclass(Mine, Sampler)


def test_thread_worker_exception():
    loader = DataLoader(Raises(8), batch_size=2, num_workers=2, worker_mode="thread")
    with pytest.raises(ValueError, match="Caught ValueError in DataLoader worker thread 0"):
        list(loader)


# -- failure modes -----------------------------------------------------------------------
def test_worker_exception_reraised_with_traceback(no_leaks):
    loader = DataLoader(Raises(10), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as err:
        for _ in loader:
            pass
    msg = str(err.value)
    del err  # the traceback references this frame; drop the cycle so workers stop now
    assert "Caught ValueError in DataLoader worker process 0" in msg
    assert "Original Traceback (most recent call last)" in msg and "bad sample 5" in msg


def test_worker_key_error_keeps_type(no_leaks):
    loader = DataLoader({"a": 1}, batch_size=None, num_workers=1, sampler=[0])
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 0"):
        list(loader)


def test_worker_init_fn_error(no_leaks):
    loader = DataLoader(Indices(4), num_workers=1, worker_init_fn=_bad_init)
    with pytest.raises(ZeroDivisionError, match="worker process 0"):
        list(loader)


def _bad_init(worker_id):
    1 / 0


def test_worker_os_exit_is_an_error(no_leaks):
    loader = DataLoader(Exits(10), batch_size=1, num_workers=2)
    with pytest.raises(RuntimeError, match=r"DataLoader worker process 1 \(pid \d+\) exited "
                                           "unexpectedly with exit code 3"):
        list(loader)


def test_worker_killed_by_signal_is_an_error(no_leaks):
    loader = DataLoader(Killed(10), batch_size=1, num_workers=2)
    with pytest.raises(RuntimeError, match=r"worker process 1 \(pid \d+\) was killed by signal "
                                           "SIGKILL"):
        list(loader)


def test_timeout(no_leaks):
    loader = DataLoader(Hangs(6), batch_size=1, num_workers=1, timeout=0.3)
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
        list(loader)
    assert time.monotonic() - t0 < 10


def test_break_shuts_workers_down(no_leaks):
    x = ember.from_numpy(np.ones((64, 64, 64), np.float32))
    loader = DataLoader(TensorDataset(x), batch_size=4, num_workers=2)
    for i, _ in enumerate(loader):
        if i == 1:
            break
    # no gc.collect(): dropping the last reference must be enough
    deadline = time.monotonic() + 5
    while shm_segments() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert shm_segments() == set()


def test_gc_of_iterator_and_exception_in_training_loop(no_leaks):
    loader = DataLoader(Indices(40), batch_size=2, num_workers=2)
    it = iter(loader)
    next(it)
    assert len(children()) >= 2
    del it

    def train():
        for _ in loader:
            raise KeyError("boom in the training loop")
    with pytest.raises(KeyError):
        train()


# -- bad input ---------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,msg", [
    (dict(batch_size=0), "batch_size should be a positive integer value, but got batch_size=0"),
    (dict(shuffle=True, sampler=[0, 1]), "sampler option is mutually exclusive with shuffle"),
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(timeout=-1), "timeout option should be non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified in "
                              "multiprocessing"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
    (dict(batch_size=None, drop_last=True), "mutually exclusive with drop_last"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(multiprocessing_context="spawn"), "multiprocessing_context can only be used"),
    (dict(num_workers=1, multiprocessing_context="nope"), "should specify a valid start method"),
    (dict(worker_mode="green"), "worker_mode should be 'process' or 'thread'"),
])
def test_bad_arguments(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        DataLoader(Indices(4), **kwargs)


@pytest.mark.parametrize("kwargs,what", [(dict(shuffle=True), "shuffle"),
                                         (dict(sampler=[0]), "sampler"),
                                         (dict(batch_sampler=[[0]]), "batch_sampler")])
def test_iterable_dataset_rejects_samplers(kwargs, what):
    with pytest.raises(ValueError, match=f"DataLoader with IterableDataset: expected "
                                         f"unspecified {what} option"):
        DataLoader(Shard(4), **kwargs)


def test_index_past_end_and_inconsistent_shapes():
    with pytest.raises(IndexError, match="out of bounds for dimension 0 with size 3"):
        list(DataLoader(TensorDataset(ember.zeros(3)), sampler=[0, 5]))

    class Ragged(Indices):
        def __getitem__(self, i):
            return np.zeros(3 if i != 2 else 4, np.float32)
    with pytest.raises(RuntimeError, match=r"got \[3\] at entry 0 and \[4\] at entry 2"):
        next(iter(DataLoader(Ragged(4), batch_size=4)))


def test_attributes_locked_after_init():
    loader = DataLoader(Indices(4))
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 2


def test_lambda_collate_under_spawn_explains_pickling(no_leaks):
    loader = DataLoader(Indices(4), batch_size=2, num_workers=1,
                        multiprocessing_context="spawn", collate_fn=lambda b: b)
    with pytest.raises(pickle.PicklingError, match="sends the collate_fn to each worker "
                                                   "process by pickling it.*top level"):
        next(iter(loader))


def test_spawn_workers_load_correctly(no_leaks):
    x = ember.arange(24.0).reshape(12, 2)
    loader = DataLoader(TensorDataset(x), batch_size=5, num_workers=1,
                        multiprocessing_context="spawn")
    out = np.concatenate([b[0].numpy() for b in loader])
    np.testing.assert_array_equal(out, x.numpy())


def test_worker_info_outside_workers_and_frozen():
    assert get_worker_info() is None
    from ember.utils.data import WorkerInfo

    info = WorkerInfo(id=0, num_workers=1, seed=3, dataset=None)
    with pytest.raises(RuntimeError, match="Cannot assign attributes to WorkerInfo"):
        info.id = 2


PIN_MEMORY_WARNING = ("'pin_memory' argument is set as true but no accelerator is found, then "
                      "device pinned memory won't be used.")


def test_pin_memory_accepted_with_pytorchs_warning_per_iterator():
    loader = DataLoader(TensorDataset(ember.ones(4, 2)), batch_size=2, pin_memory=True)
    with pytest.warns(UserWarning) as record:
        out = list(loader)
        again = list(loader)
    assert len(out) == len(again) == 2 and out[0][0].shape == (2, 2)
    assert [str(w.message) for w in record] == [PIN_MEMORY_WARNING] * 2
    assert record[0].filename == __file__  # attributed to the loop, not to ember's internals
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(DataLoader(TensorDataset(ember.ones(4, 2)), batch_size=2))


def test_pin_memory_warning_matches_pytorch():
    torch = pytest.importorskip("torch")
    if torch.accelerator.is_available():
        pytest.skip("PyTorch sees an accelerator")
    with pytest.warns(UserWarning) as record:
        list(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(4, 2)),
                                         batch_size=2, pin_memory=True))
    assert [str(w.message) for w in record] == [PIN_MEMORY_WARNING]


_ORPHAN_SCRIPT = """
import os, sys
sys.path.insert(0, {root!r})
import numpy as np
import ember
from ember.utils.data import DataLoader, TensorDataset
x = ember.from_numpy(np.ones((64, 64, 64), np.float32))
loader = DataLoader(TensorDataset(x), batch_size=8, num_workers=2, persistent_workers=True)
it = iter(loader)
next(it)
print(" ".join(str(p.pid) for p in it._pool.procs), flush=True)
os._exit(0)  # die without any cleanup
"""


def test_workers_exit_when_main_process_dies():
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    out = subprocess.run([sys.executable, "-c", _ORPHAN_SCRIPT.format(root=root)],
                         capture_output=True, text=True, timeout=60)
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 2, out.stderr
    deadline = time.monotonic() + 10
    while any(os.path.exists(f"/proc/{p}") and _state(p) != "Z" for p in pids) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(not os.path.exists(f"/proc/{p}") or _state(p) == "Z" for p in pids)
    leftovers = [n for n in os.listdir("/dev/shm")
                 if any(n.startswith("ember_") and f"_w{p}_" in n for p in pids)]
    assert leftovers == []  # the orphaned workers swept their unsent segments


def _state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def test_keyboard_interrupt_in_loop_stops_workers(no_leaks):
    loader = DataLoader(Indices(40), batch_size=2, num_workers=2)

    def train():
        for i, _ in enumerate(loader):
            if i == 2:
                signal.raise_signal(signal.SIGINT)  # Ctrl-C
    with pytest.raises(KeyboardInterrupt):
        train()


class Notebook(Indices):
    pass


def test_class_from_notebook_main_under_spawn(monkeypatch):
    import sys
    import types

    fake_main = types.ModuleType("__main__")  # like Jupyter: no __file__
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    monkeypatch.setattr(Notebook, "__module__", "__main__")
    loader = DataLoader(Notebook(4), num_workers=1, multiprocessing_context="spawn")
    with pytest.raises(pickle.PicklingError, match="defined in __main__ of an interactive "
                                                   "session or notebook"):
        iter(loader)


class DictSamples(Indices):
    def __getitem__(self, i):
        return {"x": np.full((2,), i, np.float32), "y": i, "name": f"s{i}", "w": float(i)}


@pytest.mark.parametrize("kwargs", [dict(batch_size=3), dict(batch_size=3, drop_last=True),
                                    dict(batch_size=None), dict(batch_size=10)])
def test_batches_match_torch(kwargs):
    torch = pytest.importorskip("torch")
    ours = list(DataLoader(DictSamples(7), **kwargs))
    theirs = list(torch.utils.data.DataLoader(DictSamples(7), **kwargs))
    assert len(ours) == len(theirs) == len(DataLoader(DictSamples(7), **kwargs))
    for a, b in zip(ours, theirs):
        assert list(a) == list(b)
        assert a["name"] == b["name"]
        for k in ("x", "y", "w"):
            if not isinstance(b[k], torch.Tensor):  # batch_size=None keeps Python numbers
                assert type(a[k]) is type(b[k]) and a[k] == b[k]
                continue
            assert str(a[k].dtype).split(".")[1] == str(b[k].dtype).split(".")[1]
            np.testing.assert_array_equal(a[k].numpy(), b[k].numpy())


def test_prefetch_factor_must_be_positive():
    with pytest.raises(ValueError, match="prefetch_factor should be a positive integer"):
        DataLoader(Indices(4), num_workers=1, prefetch_factor=0)


def test_persistent_workers_restart_after_a_worker_died(no_leaks):
    loader = DataLoader(Exits(6), batch_size=1, num_workers=2, persistent_workers=True)
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(loader)
    with pytest.raises(RuntimeError, match="exited unexpectedly"):  # fresh workers, same fate
        list(loader)
    del loader


def test_spawn_worker_exception_keeps_type(no_leaks):
    loader = DataLoader(TensorDataset(ember.zeros(3)), sampler=[0, 7], num_workers=1,
                        multiprocessing_context="spawn")
    with pytest.raises(IndexError, match="Caught IndexError in DataLoader worker process 0"):
        list(loader)


class _Draws:
    """Each item draws from NumPy's global generator and from the library's."""

    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return np.random.randint(0, 1000), float(self.lib.rand(1)), i


def test_worker_seeds_match_torch():
    torch = pytest.importorskip("torch")

    def run(m):
        m.manual_seed(5)
        loader = m.utils.data.DataLoader(_Draws(m), batch_size=2, num_workers=2)
        return [tuple(x.tolist() for x in b) for b in loader]

    assert run(ember) == run(torch)
