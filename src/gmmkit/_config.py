"""gmmkit's configuration: options that change how results are computed, never what they are.

Like scikit-learn's ``set_config`` / ``config_context``, the configuration is kept per thread:
a ``config_context`` in one thread changes nothing in another, and a thread that gmmkit did not
start begins at the defaults. Every public entry point (a fit, a prediction, a sweep) reads the
calling thread's configuration once, into a frozen :class:`Options`, and passes that object
explicitly down to the EM loop, the E-step and the feature source; worker threads that a sweep
starts receive the caller's :class:`Options` as an argument, so they compute exactly what the
caller asked for. No numerical code reads a mutable module global.
"""

from __future__ import annotations

import contextlib
import dataclasses
import numbers
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

_MIB = 2**20


@dataclass(frozen=True)
class Options:
    """One call's configuration (see :func:`config_context` for the meaning of each field)."""

    #: MiB one sample chunk's temporaries (features, log-densities) may take.
    working_memory: float = 16
    #: MiB the features of a whole data set may take to be kept between EM iterations.
    feature_cache_memory: float = 256
    #: Whether EM reuses work when its statistics repeat exactly (see
    #: :func:`gmmkit._core.em.run_em`); the results are the same either way.
    reuse_fixed_points: bool = True
    #: Below this much work (samples x sum of k x features^2) a sweep runs in the calling
    #: thread, where starting workers would cost more than it saves.
    parallel_min_work: float = 5e7
    #: Called after every EM iteration of a fit as ``on_iteration(n_iter, lower_bound,
    #: change)`` (a progress bar); None: nothing is called.
    on_iteration: Callable[[int, float, float], None] | None = None
    #: Whether a fit on Dask input keeps the data in memory (``persist``) between EM
    #: passes: "auto" (when they fit, see :func:`config_context`), True or False.
    dask_persist: bool | str = "auto"

    @property
    def chunk_bytes(self) -> int:
        """:attr:`working_memory` in bytes."""
        return int(self.working_memory * _MIB)

    @property
    def feature_cache_bytes(self) -> int:
        """:attr:`feature_cache_memory` in bytes."""
        return int(self.feature_cache_memory * _MIB)


_FIELDS = {f.name: f for f in dataclasses.fields(Options)}
_local = threading.local()


def current_options() -> Options:
    """The calling thread's configuration, as a frozen :class:`Options`."""
    return getattr(_local, "options", _DEFAULTS)


def get_config() -> dict:
    """The calling thread's configuration as a dict of option name to value."""
    return dataclasses.asdict(current_options())


def set_config(**changes) -> None:
    """Change the calling thread's configuration (the names of :func:`config_context`).

    Other threads keep theirs; prefer :func:`config_context`, which restores the previous
    values on exit.
    """
    _local.options = _changed(current_options(), changes)


@contextlib.contextmanager
def config_context(**changes) -> Iterator[Options]:
    """Change the calling thread's configuration inside a ``with`` block.

    Parameters
    ----------
    working_memory : float, default=16
        MiB that one sample chunk's temporaries may take: the E-step works on chunks of rows
        so that its ``rows x max(K, n_stats)`` arrays stay within it, whatever ``n_samples``.
    feature_cache_memory : float, default=256
        MiB that the statistics features of a whole data set may take to be computed once and
        kept between EM iterations; larger data sets recompute them chunk by chunk every pass.
    reuse_fixed_points : bool, default=True
        Reuse work when EM's statistics repeat exactly (an M-step on unchanged statistics, an
        E-step after a change of the weights alone). The fitted parameters are the same bit for
        bit either way; benchmarks that time EM iterations turn it off, because at such a fixed
        point an iteration costs almost nothing.
    parallel_min_work : float, default=5e7
        Below this much work (``n_samples * sum(n_components) * n_features**2``) :func:`select`
        runs every configuration in the calling thread, whatever ``n_jobs``.
    on_iteration : callable or None, default=None
        Called after every EM iteration of every start of a
        :meth:`GaussianMixture.fit <gmmkit.GaussianMixture.fit>` made under this
        configuration (by a sweep's worker threads too, so it must be thread-safe), with
        ``(n_iter, lower_bound, change)``: for a progress bar (the command line's
        ``--progress``). It sees the fit; it cannot change it.
    dask_persist : {"auto", True, False}, default="auto"
        Whether a fit, sweep or classifier on Dask input persists the data (``X`` and
        ``sample_weight``, as ``dask.persist`` does) for its passes, so that blocks read from
        files (Parquet, zarr, CSV) are read once rather than once per EM iteration. "auto"
        persists when the data take at most half the memory the scheduler's workers have
        free (a ``distributed`` cluster's memory target less what its workers use; this
        machine's available memory under the threaded or synchronous scheduler; never under
        the multiprocessing scheduler, which would send the blocks to its processes every
        pass); larger data are read block by block every pass, with memory bounded. The
        persisted data are released once nothing refers to them (the lazy labels of
        ``fit_predict`` do). The results are the same either way.

    Yields
    ------
    Options
        The configuration in force inside the block.

    Examples
    --------
    >>> import gmmkit
    >>> with gmmkit.config_context(working_memory=4):
    ...     gmmkit.get_config()["working_memory"]
    4
    >>> gmmkit.get_config()["working_memory"]
    16
    """
    previous = current_options()
    _local.options = _changed(previous, changes)
    try:
        yield _local.options
    finally:
        _local.options = previous


@contextlib.contextmanager
def using_options(options: Options) -> Iterator[Options]:
    """Make ``options`` the calling thread's configuration inside a ``with`` block: how a worker
    thread takes on the configuration of the call that started it."""
    previous = current_options()
    _local.options = options
    try:
        yield options
    finally:
        _local.options = previous


def _changed(options: Options, changes: dict) -> Options:
    for name, value in changes.items():
        if name not in _FIELDS:
            raise TypeError(f"unknown gmmkit option {name!r}; the options are {sorted(_FIELDS)}")
        _check(name, value)
    return dataclasses.replace(options, **changes)


def _check(name: str, value) -> None:
    if name == "dask_persist":
        if not (isinstance(value, bool) or (isinstance(value, str) and value == "auto")):
            raise ValueError(f'dask_persist must be "auto", True or False, got {value!r}')
        return
    if name == "on_iteration":
        if value is not None and not callable(value):
            raise TypeError(f"on_iteration must be a callable or None, got {value!r}")
        return
    if isinstance(_FIELDS[name].default, bool):
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False, got {value!r}")
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} of type {type(value).__name__}")
    # typeshed gives numbers.Real no comparison operators; every Real compares with 0
    if not value >= 0 or value == float("inf"):  # type: ignore[operator]
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


_DEFAULTS = Options()
