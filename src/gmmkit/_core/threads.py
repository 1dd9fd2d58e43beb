"""BLAS thread management: small problems run on one thread, where threading only costs time."""

from __future__ import annotations

import contextlib
from functools import lru_cache

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
