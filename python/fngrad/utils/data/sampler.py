"""Samplers: iterables over dataset indices (or batches of them), as in ``torch.utils.data``.

The random samplers draw from a :class:`fngrad.Generator` (NumPy's PCG64): a seeded run
repeats, but the order is not PyTorch's for the same seed."""

from __future__ import annotations

from ... import distributed as dist
from ..._creation import Generator, default_generator, randint, randperm

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "BatchSampler", "DistributedSampler"]


class Sampler:
    """Base class: subclasses define ``__iter__`` over indices (and ``__len__`` when known).

    >>> from fngrad.utils.data import DataLoader, Sampler
    >>> class EvenFirst(Sampler):
    ...     def __init__(self, n): self.n = n
    ...     def __iter__(self): return iter(list(range(0, self.n, 2)) + list(range(1, self.n, 2)))
    ...     def __len__(self): return self.n
    >>> [b.tolist() for b in DataLoader(fngrad.arange(5), batch_size=2, sampler=EvenFirst(5))]
    [[0, 2], [4, 1], [3]]
    """

    def __init__(self, data_source=None) -> None:
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``.

    Example::

        >>> from fngrad.utils.data import SequentialSampler
        >>> list(SequentialSampler("abc"))
        [0, 1, 2]
    """

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _fresh_generator() -> Generator:
    # As PyTorch: an unseeded sampler draws its seed from the default generator, so that
    # fngrad.manual_seed makes it repeat.
    seed = int(default_generator._rng.integers(0, 1 << 63))
    return Generator().manual_seed(seed)


class RandomSampler(Sampler):
    """The indices in random order (each once), or ``num_samples`` indices drawn with
    ``replacement``.

    Example::

        >>> import fngrad
        >>> from fngrad.utils.data import RandomSampler
        >>> sorted(RandomSampler(range(4), generator=fngrad.Generator().manual_seed(1)))
        [0, 1, 2, 3]
    """

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        generator = self.generator if self.generator is not None else _fresh_generator()
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from randint(0, n, (32,), generator=generator).tolist()
            yield from randint(0, n, (self.num_samples % 32,), generator=generator).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from randperm(n, generator=generator).tolist()
            yield from randperm(n, generator=generator).tolist()[: self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in random order.

    Example::

        >>> from fngrad.utils.data import SubsetRandomSampler
        >>> sorted(SubsetRandomSampler([5, 7, 9]))
        [5, 7, 9]
    """

    def __init__(self, indices, generator=None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``).

    Example::

        >>> from fngrad.utils.data import BatchSampler, SequentialSampler
        >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
        [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


class DistributedSampler(Sampler):
    """This rank's share of the dataset's indices, as ``torch.utils.data.DistributedSampler``.

    The indices (shuffled with seed ``seed + epoch`` when ``shuffle``; call :meth:`set_epoch` each
    epoch) are padded by repeating from the start to a multiple of ``num_replicas`` (or cut down
    to one with ``drop_last``), and rank r takes every ``num_replicas``-th from position r.
    ``num_replicas`` and ``rank`` default to the process group's. The shuffled order comes from
    :class:`fngrad.Generator`, so it is not PyTorch's order for the same seed.

    Example::

        >>> from fngrad.utils.data import DistributedSampler
        >>> list(DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False))
        [1, 3, 0]
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle: bool = True, seed: int = 0,
                 drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if self.drop_last and len(self.dataset) % self.num_replicas != 0:
            self.num_samples = -(-(len(self.dataset) - self.num_replicas) // self.num_replicas)
        else:
            self.num_samples = -(-len(self.dataset) // self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            indices = randperm(n, generator=Generator().manual_seed(self.seed + self.epoch)).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            indices += (indices * -(-padding // len(indices)))[:padding] if padding > 0 else []
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Sets the epoch, which changes the shuffled order (all ranks must use the same).

        >>> from fngrad.utils.data import DistributedSampler
        >>> s = DistributedSampler(range(6), num_replicas=2, rank=0, seed=1)
        >>> s.set_epoch(0)
        >>> len(list(s)), sorted(set(list(s)) | set(DistributedSampler(range(6), num_replicas=2, rank=1, seed=1)))
        (3, [0, 1, 2, 3, 4, 5])
        """
        self.epoch = epoch
