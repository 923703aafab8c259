import collections

import pytest

import ember
from ember.utils.data import (
    BatchSampler,
    DistributedSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)


def gen(seed):
    return ember.Generator().manual_seed(seed)


def test_sequential():
    assert list(SequentialSampler(range(5))) == [0, 1, 2, 3, 4]
    assert len(SequentialSampler(range(5))) == 5


def test_random_is_a_permutation_and_reproducible():
    a = list(RandomSampler(range(50), generator=gen(1)))
    assert sorted(a) == list(range(50)) and a != list(range(50))
    assert a == list(RandomSampler(range(50), generator=gen(1)))
    assert a != list(RandomSampler(range(50), generator=gen(2)))
    ember.manual_seed(3)
    b = list(RandomSampler(range(50)))
    ember.manual_seed(3)
    assert b == list(RandomSampler(range(50)))


def test_random_new_order_each_epoch():
    s = RandomSampler(range(30), generator=gen(0))
    assert list(s) != list(s)


def test_random_num_samples_and_replacement():
    s = RandomSampler(range(4), num_samples=10, generator=gen(0))
    out = list(s)
    assert len(s) == 10 and len(out) == 10
    assert collections.Counter(out[:8]) == {0: 2, 1: 2, 2: 2, 3: 2}  # two full permutations
    r = list(RandomSampler(range(3), replacement=True, num_samples=200, generator=gen(0)))
    assert len(r) == 200 and set(r) == {0, 1, 2}


def test_random_with_replacement_draws_lazily():
    # makemore's InfiniteDataLoader: num_samples=int(1e10) must not be drawn up front
    import itertools

    from ember.utils.data import DataLoader, TensorDataset

    ds = TensorDataset(ember.arange(10))
    s = RandomSampler(ds, replacement=True, num_samples=int(1e10), generator=gen(0))
    assert len(s) == int(1e10) and set(itertools.islice(iter(s), 100)) <= set(range(10))
    loader = DataLoader(ds, sampler=s, batch_size=4)
    assert len(loader) == 2500000000
    batches = list(itertools.islice(iter(loader), 3))
    assert [tuple(b[0].shape) for b in batches] == [(4,), (4,), (4,)]
    # past one chunk of draws: every index drawn once, batches cut across chunk boundaries
    k = RandomSampler._CHUNK * 2 + 3
    s = RandomSampler(range(5), replacement=True, num_samples=k, generator=gen(1))
    assert len(list(s)) == k
    for drop_last in (False, True):
        loader = DataLoader(list(range(5)), sampler=s, batch_size=7, drop_last=drop_last)
        sizes = [len(b) for b in loader]
        assert len(sizes) == len(loader) and set(sizes[:-1]) == {7}
        assert sum(sizes) == (k - k % 7 if drop_last else k)


@pytest.mark.parametrize("kwargs,exc,msg", [
    (dict(num_samples=0), ValueError, "num_samples should be a positive integer value, but got "
                                      "num_samples=0"),
    (dict(replacement=1), TypeError, "replacement should be a boolean value, but got "
                                     "replacement=1"),
])
def test_random_bad_args(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        RandomSampler(range(3), **kwargs)


def test_subset_random():
    out = list(SubsetRandomSampler([10, 20, 30, 40], generator=gen(0)))
    assert sorted(out) == [10, 20, 30, 40]
    assert len(SubsetRandomSampler([1, 2])) == 2


def test_weighted_random():
    s = WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 400, generator=gen(0))
    c = collections.Counter(s)
    assert set(c) == {1, 3} and c[3] > 2 * c[1] and len(s) == 400
    no_repl = list(WeightedRandomSampler([1.0, 2.0, 3.0], 3, replacement=False,
                                         generator=gen(0)))
    assert sorted(no_repl) == [0, 1, 2]
    w = list(WeightedRandomSampler(ember.tensor([1.0, 1.0]), 5, generator=gen(0)))
    assert len(w) == 5


@pytest.mark.parametrize("kwargs,msg", [
    (dict(weights=[[1.0, 2.0]], num_samples=2), "weights should be a 1d sequence but given "
                                                r"weights have shape \(1, 2\)"),
    (dict(weights=[1.0, 2.0], num_samples=0), "num_samples should be a positive integer"),
    (dict(weights=[1.0, 2.0], num_samples=2, replacement=1), "replacement should be a boolean"),
])
def test_weighted_bad_args(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        WeightedRandomSampler(**kwargs)


def test_batch_sampler():
    assert list(BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3
    assert len(BatchSampler(range(7), 3, True)) == 2


def test_batch_sampler_fast_path_matches_iteration():
    s1 = BatchSampler(RandomSampler(range(10), generator=gen(4)), 4, False)
    s2 = BatchSampler(RandomSampler(range(10), generator=gen(4)), 4, False)
    assert [b.tolist() for b in s1._index_batches()] == list(s2)


@pytest.mark.parametrize("bs,dl,msg", [
    (0, False, "batch_size should be a positive integer value, but got batch_size=0"),
    (True, False, "batch_size should be a positive integer value"),
    (2, 1, "drop_last should be a boolean value, but got drop_last=1"),
])
def test_batch_sampler_bad_args(bs, dl, msg):
    with pytest.raises(ValueError, match=msg):
        BatchSampler(range(3), bs, dl)


def test_distributed_partition_and_padding():
    ranks = [list(DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False))
             for r in range(3)]
    assert ranks == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
    dropped = [list(DistributedSampler(range(10), 3, r, shuffle=False, drop_last=True))
               for r in range(3)]
    assert dropped == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    assert len(DistributedSampler(range(10), 3, 0)) == 4


def test_distributed_shuffle_set_epoch():
    s = [DistributedSampler(range(12), num_replicas=2, rank=r, seed=5) for r in range(2)]
    e0 = [list(x) for x in s]
    assert sorted(e0[0] + e0[1]) == list(range(12))
    assert e0 == [list(x) for x in s]  # same epoch, same order
    for x in s:
        x.set_epoch(1)
    e1 = [list(x) for x in s]
    assert sorted(e1[0] + e1[1]) == list(range(12)) and e1 != e0


def test_distributed_bad_rank():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval "
                                         r"\[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)


def test_distributed_matches_torch_without_shuffle():
    torch = pytest.importorskip("torch")
    for n, reps, drop in [(10, 3, False), (10, 3, True), (7, 2, False), (8, 4, True)]:
        for r in range(reps):
            ours = list(DistributedSampler(range(n), reps, r, shuffle=False, drop_last=drop))
            theirs = list(torch.utils.data.DistributedSampler(range(n), reps, r, shuffle=False,
                                                              drop_last=drop))
            assert ours == theirs


def test_seeded_shuffling_matches_torch():
    torch = pytest.importorskip("torch")

    def run(m):
        m.manual_seed(0)
        ds = m.utils.data.TensorDataset(m.arange(50))
        out = []
        for _ in range(2):
            for (b,) in m.utils.data.DataLoader(ds, batch_size=8, shuffle=True):
                out += b.tolist()
        g = m.Generator().manual_seed(1)
        out += list(m.utils.data.random_split(range(20), [0.75, 0.25], generator=g)[0].indices)
        out += list(m.utils.data.SubsetRandomSampler([5, 6, 7, 8]))
        out += list(m.utils.data.WeightedRandomSampler([0.1, 0.9, 0.4], 6))
        out += list(m.utils.data.WeightedRandomSampler([0.1, 0.9, 0.4, 1.0], 3, False))
        out += list(m.utils.data.RandomSampler(range(10), replacement=True, num_samples=40))
        out += list(m.utils.data.RandomSampler(range(10), num_samples=15))
        out += list(m.utils.data.distributed.DistributedSampler(range(11), num_replicas=2,
                                                                rank=0, seed=3))
        out += m.rand(3).tolist()  # the global stream is left where PyTorch leaves it
        return out

    assert run(ember) == run(torch)
