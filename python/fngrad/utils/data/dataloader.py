"""DataLoader and the default collate function, as in ``torch.utils.data``.

Batches are loaded in the calling process: ``num_workers`` is accepted for compatibility and
gives the same batches in the same order as PyTorch's worker processes would."""

from __future__ import annotations

import collections.abc
import itertools
import re

import numpy as np

from ..._C import float64
from ..._creation import as_tensor, tensor
from ..._functions import stack
from ..._tensor import Tensor
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]


def get_worker_info():
    """None: fngrad loads every batch in the calling process (PyTorch returns None there too).

    >>> fngrad.utils.data.get_worker_info() is None
    True
    """
    return None

_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
_NP_STR_OBJ = re.compile(r"[SaUO]")


def default_convert(data):
    """Converts NumPy arrays (at any depth of dicts, tuples and lists) to tensors; used when
    ``batch_size=None`` turns batching off.

    Example::

        >>> import numpy as np
        >>> from fngrad.utils.data import default_convert
        >>> default_convert({"x": np.zeros(2)})["x"].shape
        fngrad.Size([2])
    """
    if isinstance(data, np.ndarray) and _NP_STR_OBJ.search(data.dtype.str) is None:
        return as_tensor(data)
    if isinstance(data, np.generic) and _NP_STR_OBJ.search(data.dtype.str) is None:
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            return type(data)({k: default_convert(v) for k, v in data.items()})
        except TypeError:
            return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def default_collate(batch):
    """Merges a list of samples into a batch, as PyTorch's ``default_collate``: tensors and
    NumPy arrays are stacked along a new first dim, Python floats become a float64 tensor and
    ints an int64 tensor, strings stay a list, and dicts, named tuples, tuples and lists are
    collated field by field (a tuple sample gives a list, as in PyTorch).

    Example::

        >>> import fngrad
        >>> from fngrad.utils.data import default_collate
        >>> x, y = default_collate([(fngrad.zeros(2), 1), (fngrad.ones(2), 2)])
        >>> x.shape, y.tolist()
        (fngrad.Size([2, 2]), [1, 2])
    """
    elem = batch[0]
    elem_type = type(elem)
    if isinstance(elem, Tensor):
        return stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        if _NP_STR_OBJ.search(elem.dtype.str) is not None:
            raise TypeError(_ERR.format(elem.dtype))
        return default_collate([as_tensor(b) for b in batch])
    if isinstance(elem, np.generic):
        if _NP_STR_OBJ.search(elem.dtype.str) is not None:
            raise TypeError(_ERR.format(elem.dtype))
        return as_tensor(np.array(batch))
    if isinstance(elem, bool):
        return tensor(list(batch))
    if isinstance(elem, float):
        return tensor(list(batch), dtype=float64)
    if isinstance(elem, int):
        return tensor(list(batch))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        try:
            return elem_type({key: default_collate([d[key] for d in batch]) for key in elem})
        except TypeError:
            return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return elem_type(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(samples) for samples in transposed]
        try:
            return elem_type([default_collate(samples) for samples in transposed])
        except TypeError:
            return [default_collate(samples) for samples in transposed]
    raise TypeError(_ERR.format(elem_type))


class DataLoader:
    """Iterates over a map-style dataset in batches.

    ``batch_size`` samples (chosen by ``sampler``, by a ``RandomSampler`` when ``shuffle``, else
    in order) are merged by ``collate_fn`` (:func:`default_collate`); ``batch_sampler`` gives
    whole batches of indices instead; ``batch_size=None`` yields single samples. ``generator``
    seeds the shuffling. Loading happens in the calling process whatever ``num_workers`` is.

    Example::

        >>> import fngrad
        >>> from fngrad.utils.data import DataLoader, TensorDataset
        >>> ds = TensorDataset(fngrad.arange(5.0))
        >>> [b[0].tolist() for b in DataLoader(ds, batch_size=2, drop_last=True)]
        [[0.0, 1.0], [2.0, 3.0]]
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None, sampler=None,
                 batch_sampler=None, num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None, multiprocessing_context=None,
                 generator=None, *, prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            # PyTorch's checks: the dataset decides the order and the batches' contents.
            if shuffle not in {False, None}:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified "
                    f"batch_sampler option, but got batch_sampler={batch_sampler}"
                )
            # Never iterated: the batches come from the dataset's iterator.
            sampler = itertools.repeat(None)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"
            )
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_sampler is not None else default_convert)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    def __iter__(self):
        dataset, collate = self.dataset, self.collate_fn
        if self._iterable:
            yield from self._iter_iterable()
            return
        if not self._auto_collation:
            for index in self.sampler:
                yield collate(dataset[index])
            return
        getitems = getattr(dataset, "__getitems__", None)
        for indices in self.batch_sampler:
            data = getitems(indices) if callable(getitems) else [dataset[i] for i in indices]
            yield collate(data)

    def _iter_iterable(self):
        it = iter(self.dataset)
        if not self._auto_collation:
            for sample in it:
                yield self.collate_fn(sample)
            return
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield self.collate_fn(batch)

    def __len__(self) -> int:
        if self._iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else -(-length // self.batch_size)
            return length
        return len(self.batch_sampler) if self._auto_collation else len(self.sampler)
