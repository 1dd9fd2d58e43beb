"""Thread management: small problems run on one BLAS thread, where threading only costs time;
parallel sweeps hand the GIL between their worker threads more often."""

from __future__ import annotations

import contextlib
import sys
from functools import lru_cache

from threadpoolctl import ThreadpoolController

#: Below this many multiply-adds per pass over the data, one BLAS thread is faster than several.
SINGLE_THREAD_WORK = 4_000_000


@lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def one_thread(user_api: str | None = None):
    """Context limiting BLAS and OpenMP (or only ``user_api``: 'blas' or 'openmp') to one thread.

    Uses one cached controller: building a new one (as ``threadpoolctl.threadpool_limits``
    does) scans every loaded library, about a millisecond each time.
    """
    return _controller().limit(limits=1, user_api=user_api)


def blas_threads_for(work: float):
    """Context limiting BLAS and OpenMP (k-means) to one thread when ``work`` (multiply-adds per
    pass) is small.

    Larger problems keep the user's own setting, so ``threadpoolctl`` limits set around gmmkit
    calls are honoured.
    """
    if work < SINGLE_THREAD_WORK:
        return one_thread()
    return contextlib.nullcontext()


#: Seconds a thread may hold the GIL while another waits for it (CPython's default is 0.005).
WORKER_SWITCH_INTERVAL = 0.0005


@contextlib.contextmanager
def frequent_gil_switches():
    """Lower CPython's GIL switch interval to :data:`WORKER_SWITCH_INTERVAL` while worker threads
    run, then restore it.

    Sweep workers spend most of their time in BLAS and LAPACK, which release the GIL, but between
    those calls each runs stretches of Python (small NumPy calls, scikit-learn's k-means
    set-up). A worker back from BLAS waits until the other drops the GIL, up to a whole switch
    interval; at the default 5 ms that waiting made a two-worker digits sweep 2-4% slower.
    The setting is process-wide, so it is changed only for the duration of the parallel part.
    """
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, WORKER_SWITCH_INTERVAL))
    try:
        yield
    finally:
        sys.setswitchinterval(previous)
