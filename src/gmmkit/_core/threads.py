"""Thread limits that cannot leak: small problems run k-means on one OpenMP thread, where
threading only costs time; parallel sweeps hold BLAS to one thread, so their workers do not
oversubscribe the cores; k-means always runs inside that BLAS limit.

Two kinds of limit behave differently, and each is handled the way its kind allows:

* OpenMP's thread count is a setting of the calling thread. :func:`one_openmp_thread` saves and
  restores it in that thread only, which nothing else can interleave with.
* BLAS's thread count (OpenBLAS, MKL) is one value for the whole process. Saving it on entry
  and restoring it on exit is wrong as soon as two calls overlap: the second saves the first's
  limit and restores it after the first has gone, so the process keeps it for good. The limit is
  therefore *shared*: the first holder sets it, later holders only join, and the last to leave
  restores what the first found (:class:`_SharedBlasLimit`). While any gmmkit call holds it,
  BLAS calls of other threads run on one thread too; once none does, the process is exactly as
  before.

scikit-learn's k-means saves and restores the BLAS limit around its own work in the same racy
way, so every k-means that gmmkit runs is inside the shared limit (see
:func:`gmmkit._core.init.initial_responsibilities`), where it finds and leaves one thread.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from functools import lru_cache
from typing import Any

from threadpoolctl import ThreadpoolController

#: Below this many multiply-adds per pass over the data, one OpenMP thread (k-means) is faster
#: than several.
SINGLE_THREAD_WORK = 4_000_000


@lru_cache(maxsize=1)
def _controllers() -> tuple[ThreadpoolController, ThreadpoolController]:
    """One controller for the BLAS libraries and one for the OpenMP runtimes, built once
    (a new controller scans every loaded library, about a millisecond).

    They are kept apart because a threadpoolctl limiter restores *every* library of its
    controller on exit, not only those it limited.
    """
    controller = ThreadpoolController()
    return controller.select(user_api="blas"), controller.select(user_api="openmp")


class _SharedBlasLimit:
    """The process-wide one-thread BLAS limit, held by any number of overlapping callers.

    A count of holders under a lock: the first sets the limit, the last restores the thread
    counts the first found. Re-entrant from one thread and safe from many.

    The limit is set and restored by one long-lived helper thread, whichever caller asks:
    threadpoolctl (3.8 and later) lets only one thread at a time change a process-wide pool,
    the thread that changed it last, until that thread's own ``with`` block ends, and silently
    ignores the others. Holders leave in any order, so without the helper the last one would
    often be refused its restore.
    """

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._requests: queue.SimpleQueue[tuple[str, threading.Event]] = queue.SimpleQueue()
        self._helper: threading.Thread | None = None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._holders == 0:
                self._ask("limit")
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0:
                    self._ask("restore")

    def _ask(self, request: str) -> None:
        """Have the helper thread carry out ``request`` and wait until it has."""
        if self._helper is None or not self._helper.is_alive():
            self._helper = threading.Thread(
                target=self._serve, name="gmmkit-blas-limit", daemon=True
            )
            self._helper.start()
        done = threading.Event()
        self._requests.put((request, done))
        done.wait()

    def _serve(self) -> None:
        limiter = None
        while True:
            request, done = self._requests.get()
            try:
                if request == "limit":
                    limiter = _controllers()[0].limit(limits=1)
                    limiter.__enter__()
                elif limiter is not None:
                    limiter.__exit__(None, None, None)
                    limiter = None
            finally:
                done.set()


_SHARED_BLAS_LIMIT = _SharedBlasLimit()


def one_blas_thread() -> AbstractContextManager[None]:
    """Context holding BLAS to one thread (shared with every overlapping holder; see above)."""
    return _SHARED_BLAS_LIMIT.held()


def one_openmp_thread() -> AbstractContextManager[Any]:
    """Context limiting the calling thread's OpenMP (k-means) to one thread."""
    return _controllers()[1].limit(limits=1)


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Context limiting BLAS (shared) and this thread's OpenMP to one thread."""
    with one_blas_thread(), one_openmp_thread():
        yield


def threads_for(work: float) -> AbstractContextManager[Any]:
    """Context limiting this thread's OpenMP to one thread when ``work`` (multiply-adds per
    pass) is small; larger problems keep the user's own setting.

    BLAS is left as it is: its calls this small run on one thread by themselves (measured: a
    small fit is no faster with BLAS held to one thread), and taking the shared process-wide
    limit costs two hand-overs to the helper thread, a few hundred microseconds here.
    """
    if work < SINGLE_THREAD_WORK:
        return one_openmp_thread()
    return contextlib.nullcontext()
