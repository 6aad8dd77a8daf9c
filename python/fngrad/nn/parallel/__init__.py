"""``fngrad.nn.parallel``: :class:`DistributedDataParallel` (data parallelism over MPI ranks).

Importing it does not load MPI; constructing a ``DistributedDataParallel`` needs a process group
(``fngrad.distributed.init_process_group``).

Example::

    >>> from fngrad.nn.parallel import DistributedDataParallel
    >>> DistributedDataParallel.__name__
    'DistributedDataParallel'
"""

from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
