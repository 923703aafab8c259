"""DistributedSampler: each of `num_replicas` processes sees its own slice of the dataset."""
import math
import os

import numpy as np

from ember import _random, _random_draws
from ember.utils.data.sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Restricts loading to the `rank`-th of `num_replicas` equal shards.

    Every rank shuffles with the same seed (`seed + epoch`), pads (or with `drop_last`
    trims) to a multiple of `num_replicas`, then takes every `num_replicas`-th index from
    `rank`. Call `set_epoch(epoch)` before each epoch to reshuffle. Without an initialised
    process group, `num_replicas`/`rank` default to $WORLD_SIZE/$RANK (else 1 and 0).
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None:
            num_replicas = int(os.environ.get("WORLD_SIZE", 1))
        if rank is None:
            rank = int(os.environ.get("RANK", 0))
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            g = _random.Generator().manual_seed(self.seed + self.epoch)
            idx = np.array(_random_draws.permutation(g, n), dtype=np.int64)
        else:
            idx = np.arange(n)
        if not self.drop_last:
            pad = self.total_size - n
            if pad > 0:
                idx = np.concatenate([idx] + [idx] * (pad // n) + [idx[:pad % n]])
        else:
            idx = idx[:self.total_size]
        assert len(idx) == self.total_size
        mine = idx[self.rank:self.total_size:self.num_replicas]
        assert len(mine) == self.num_samples
        return iter(mine.tolist())

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Set the epoch, which seeds this epoch's shuffle identically on every rank."""
        self.epoch = epoch
