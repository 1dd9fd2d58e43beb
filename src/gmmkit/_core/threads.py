"""Thread management: small problems run on one thread, where threading only costs time, and
per-component linear algebra on many components is split across the threads BLAS may use."""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np

from threadpoolctl import ThreadpoolController

#: Below this many multiply-adds per pass over the data, one BLAS thread is faster than several.
SINGLE_THREAD_WORK = 4_000_000


@lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def blas_threads_for(work: float):
    """Context limiting BLAS and OpenMP (k-means) to one thread when ``work`` (multiply-adds per
    pass) is small.

    Larger problems keep the user's own setting, so ``threadpoolctl`` limits set around gmmkit
    calls are honoured.
    """
    if work < SINGLE_THREAD_WORK:
        return _controller().limit(limits=1)
    return contextlib.nullcontext()


#: Per-component linear algebra (batched Cholesky factors, triangular inverses, products) is
#: split across threads above this many multiply-adds per call, ``K d^3``.
PARALLEL_LINALG_WORK = 5_000_000
#: Fewest components one thread takes.
MIN_BLOCK_COMPONENTS = 16


def linalg_threads(n_components: int, n_features: int) -> int:
    """How many threads per-component linear algebra may use: one for small problems, else as
    many as BLAS may use now (so ``threadpoolctl`` limits, and model-selection workers that run
    one BLAS thread each, are honoured)."""
    if n_components * n_features**3 < PARALLEL_LINALG_WORK:
        return 1
    blas = [lib["num_threads"] for lib in _controller().select(user_api="blas").info()]
    return max(1, min(min(blas, default=1), os.cpu_count() or 1,
                      n_components // MIN_BLOCK_COMPONENTS))


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1,
                              thread_name_prefix="gmmkit-linalg")


def by_component_blocks(function, threads: int, *arrays, axis: int = 0):
    """``function(*arrays)`` computed on ``threads`` contiguous blocks of components (axis 0 of
    every array) in parallel and joined along ``axis`` of the result.

    NumPy's batched linear algebra releases the GIL but runs on one core; each block is a
    batch of its own. ``function`` may return a tuple, whose items are joined one by one
    (``None`` items stay ``None``).
    """
    n = arrays[0].shape[0]
    if threads <= 1 or n < 2 * MIN_BLOCK_COMPONENTS:
        return function(*arrays)
    bounds = np.linspace(0, n, min(threads, n // MIN_BLOCK_COMPONENTS) + 1).astype(int)
    blocks = [[a[start:stop] for a in arrays] for start, stop in zip(bounds[:-1], bounds[1:])]
    parts = list(_pool().map(lambda block: function(*block), blocks))
    if isinstance(parts[0], tuple):
        return tuple(None if items[0] is None else np.concatenate(items, axis=axis)
                     for items in zip(*parts))
    return np.concatenate(parts, axis=axis)
