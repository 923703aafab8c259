import numpy as np
import pytest

import ember
from ember.utils.data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i


class Count(IterableDataset):
    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self):
        return self.stop - self.start


def test_tensor_dataset_rows_and_len():
    x = ember.arange(12).reshape(4, 3)
    y = ember.tensor([0, 1, 0, 1])
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    a, b = ds[2]
    assert a.tolist() == [6, 7, 8] and b.item() == 0 and b.dtype == ember.int64
    a, b = ds[-1]
    assert a.tolist() == [9, 10, 11] and b.item() == 1


def test_tensor_dataset_getitems_gathers_batch():
    x = ember.arange(20.0).reshape(10, 2)
    ds = TensorDataset(x, ember.arange(10))
    batch = ds.__getitems__([3, 0, 7])
    assert len(batch) == 3
    assert batch[1][0].tolist() == [0.0, 1.0] and batch[2][1].item() == 7
    assert [s[1].item() for s in batch] == [3, 0, 7]
    assert batch.stacked[0].tolist() == [[6.0, 7.0], [0.0, 1.0], [14.0, 15.0]]


@pytest.mark.parametrize("index", [4, -5, 100])
def test_tensor_dataset_index_past_end(index):
    ds = TensorDataset(ember.zeros(4, 2))
    with pytest.raises(IndexError, match=f"index {index} is out of bounds for dimension 0 "
                                         "with size 4"):
        ds[index]
    with pytest.raises(IndexError, match="out of bounds for dimension 0 with size 4"):
        ds.__getitems__([0, index])


def test_tensor_dataset_size_mismatch():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(ember.zeros(3), ember.zeros(4))


def test_stack_dataset_tuple_and_dict():
    a, b = Squares(4), TensorDataset(ember.arange(4))
    ds = StackDataset(a, b)
    assert ds[2][0] == 4 and ds[2][1][0].item() == 2
    assert [s[0] for s in ds.__getitems__([1, 3])] == [1, 9]
    dd = StackDataset(sq=a, t=b)
    assert dd[3]["sq"] == 9 and dd.__getitems__([0, 1])[1]["sq"] == 1
    assert len(ds) == len(dd) == 4
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(Squares(3), Squares(4))
    with pytest.raises(ValueError, match="both types are given"):
        StackDataset(a, t=b)


def test_concat_dataset_and_add():
    ds = ConcatDataset([Squares(3), Squares(4)])
    assert len(ds) == 7 and ds.cumulative_sizes == [3, 7]
    assert [ds[i] for i in range(7)] == [0, 1, 4, 0, 1, 4, 9]
    assert ds[-1] == 9 and ds[-7] == 0
    with pytest.raises(ValueError, match="absolute value of index should not exceed"):
        ds[-8]
    with pytest.raises(IndexError):
        ds[7]
    added = Squares(2) + Squares(2)
    assert isinstance(added, ConcatDataset) and len(added) == 4
    with pytest.raises(AssertionError, match="should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        ConcatDataset([Count(0, 2)])


def test_chain_dataset():
    ds = Count(0, 3) + Count(10, 12)
    assert isinstance(ds, ChainDataset)
    assert list(ds) == [0, 1, 2, 10, 11] and len(ds) == 5


def test_subset():
    s = Subset(Squares(10), [9, 2, 5])
    assert len(s) == 3 and [s[i] for i in range(3)] == [81, 4, 25]
    assert s.__getitems__([0, 2]) == [81, 25]
    t = Subset(TensorDataset(ember.arange(10)), [4, 1])
    assert [x[0].item() for x in t.__getitems__([1, 0])] == [1, 4]


def test_base_classes_raise():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    with pytest.raises(NotImplementedError):
        iter(IterableDataset())


@pytest.mark.parametrize("lengths,sizes", [([3, 7], [3, 7]), ([0.3, 0.7], [3, 7]),
                                           ([0.33, 0.33, 0.34], [4, 3, 3])])
def test_random_split_sizes_and_partition(lengths, sizes):
    parts = random_split(range(10), lengths, generator=ember.Generator().manual_seed(1))
    assert [len(p) for p in parts] == sizes
    items = sorted(x for p in parts for x in (p[i] for i in range(len(p))))
    assert items == list(range(10))


def test_random_split_reproducible_and_errors():
    def split(seed):
        parts = random_split(range(20), [10, 10], generator=ember.Generator().manual_seed(seed))
        return [parts[0][i] for i in range(10)]

    assert split(3) == split(3) and split(3) != split(4)
    ember.manual_seed(7)
    a = random_split(range(20), [10, 10])[0].indices
    ember.manual_seed(7)
    assert random_split(range(20), [10, 10])[0].indices == a
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(10), [0.5, 0.2])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(1), [0.5, 0.5])


def test_tensor_dataset_matches_torch_rows():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    ours = TensorDataset(ember.from_numpy(x))[4][0]
    theirs = torch.utils.data.TensorDataset(torch.from_numpy(x))[4][0]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
