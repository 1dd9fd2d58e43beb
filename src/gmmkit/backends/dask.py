r"""The Dask backend: a feature source over the row blocks of a Dask array.

Every pass over the data is one graph: the NumPy chunk kernel of :mod:`gmmkit._core.estep`
(the functions :class:`~gmmkit.backends.numpy.NumpySource` uses) runs on each row block where
the block lives, and the per-block results, each ``K x n_stats`` at most, are added in a tree
of :data:`SPLIT_EVERY`-way sums. The client sends the coefficients ``theta`` (``n_stats x K``)
and receives one ``(log-likelihood, K x n_stats statistics)`` pair: one :func:`_compute` per
E-step, so one per EM iteration, with whatever scheduler is current (dask's default, or a
``distributed.Client`` when one exists; this module never starts one). Because the statistics
add up over any split of the rows,

.. math::

    \sum_i w_i r_{ik} \phi(x_i) = \sum_b \sum_{i \in b} w_i r_{ik} \phi(x_i),

the result is the in-memory one up to the order of the floating-point additions (relative
differences of a few units of 1e-16 per block). A lost block (a worker that dies) is
recomputed by Dask from the graph, so a fault changes nothing but the time.

Per-row outputs (:meth:`DaskSource.per_row`) are lazy Dask arrays with the input's row chunks.

Inside a block the kernel works through chunks of rows sized by the call's ``working_memory``,
as the in-memory source does, so a task's temporaries (features, log-densities) stay small
whatever the block size; and where the scheduler runs several kernels at once (threads,
processes, a cluster) each holds BLAS to one thread while it runs, so that they do not
oversubscribe the cores (see :func:`kernels_share_cores`).

Data that fit in the workers' memory are persisted for the call (:func:`check_data`, the
``dask_persist`` option of :func:`gmmkit.config_context`): the validation pass reads each
block once, from its file (zarr, HDF5, Parquet, CSV) or from the client, and every EM pass
after it finds the blocks on the workers, so that only the coefficients travel, as Spark
MLlib caches its input for its iterations; on a cluster the blocks are spread over the
workers in proportion to their threads (:func:`persist`). Larger data are computed from their
graph on every pass, block by block, which is what keeps the memory bounded.

This module imports Dask; nothing else in gmmkit imports it at module level.
"""

from __future__ import annotations

import functools
import numbers
from dataclasses import dataclass

import dask
import dask.array as da
import dask.base
import dask.local
import dask.multiprocessing
import dask.system
import dask.threaded
import numpy as np

from .._config import Options
from .._core.covariances import CovarianceModel, covariance_model
from .._core.estep import (
    Scratch,
    chunk_features,
    chunk_responsibility_statistics,
    chunk_rows,
    chunk_scatter,
    chunk_statistics,
    chunks,
    fill_per_sample,
    per_sample_output,
    weighted_log_prob,
)
from .._core.hierarchical import (
    SUBSET_SIZE,
    HierarchicalStart,
    most_probable_cluster,
    subset_mixture,
)
from .._core.init import initial_responsibilities
from .._core.threads import one_blas_thread as shared_blas_limit

#: Partial results added together by one task of a tree-sum.
SPLIT_EVERY = 8
#: Under ``dask_persist="auto"``, data are persisted when they take at most this share of the
#: memory the workers have free (:func:`memory_for_data`).
PERSIST_SHARE = 0.5
#: Rows that k-means and k-means++ start from (see :func:`dask_starts`); with at most this
#: many rows the whole data set is gathered and the start is the in-memory one.
KMEANS_SAMPLE_SIZE = 20_000

_PER_ROW_DTYPES = {
    "log_prob_norm": np.float64,
    "resp": np.float64,
    "argmax": np.intp,
    "summary": np.float64,
}


def _compute(*collections):
    """``dask.compute`` with the current scheduler: every result this backend brings to the
    client goes through here (tests count the calls)."""
    return dask.compute(*collections)


def _tree_sum(parts, combine):
    """One delayed value combining ``parts`` with ``combine(*some)``, :data:`SPLIT_EVERY` at
    a time, level by level."""
    parts = list(parts)
    while len(parts) > 1:
        parts = [
            dask.delayed(combine, pure=True)(*parts[i : i + SPLIT_EVERY])
            for i in range(0, len(parts), SPLIT_EVERY)
        ]
    return parts[0]


def _add(*parts):
    """The sum of arrays, or of equal-length lists of ``(log-likelihood, stats)`` pairs."""
    if isinstance(parts[0], list):
        return [
            (sum(part[j][0] for part in parts), sum(part[j][1] for part in parts))
            for j in range(len(parts[0]))
        ]
    return sum(parts[1:], parts[0])


def _where(index, offsets) -> str:
    return f"block {index} of X (rows {offsets[index]} to {offsets[index + 1] - 1})"


# ---------------------------------------------------------------------- validation
@dataclass(frozen=True)
class DaskData:
    """A validated Dask data set and what one pass over it found.

    Attributes
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        float32 or float64, one block across the columns.
    sample_weight : dask.array.Array of shape (n_samples,) or None
        float64, with the row chunks of ``X``.
    n_samples : int
    total_weight : float
        :math:`\\sum_i w_i`.
    mean : ndarray of shape (n_features,)
        The weighted mean :math:`\\sum_i w_i x_i / \\sum_i w_i` (the sources' shift).
    variances : ndarray of shape (n_features,)
        The weighted variance of each feature about ``mean``.
    positive_rows : int
        The rows of positive weight.
    """

    X: da.Array
    sample_weight: da.Array | None
    n_samples: int
    total_weight: float
    mean: np.ndarray
    variances: np.ndarray
    positive_rows: int

    def source(
        self, covariance_type, n_components: int | None = None, options: Options | None = None
    ) -> DaskSource:
        """A :class:`DaskSource` of these data for ``covariance_type``, shifted to their
        mean, its blocks worked through in chunks of ``options.working_memory``
        (``n_components`` is accepted for symmetry with the in-memory source and unused:
        blocks are Dask's)."""
        return DaskSource(
            self.X,
            self.mean,
            covariance_model(covariance_type, self.X.shape[1]),
            sample_weight=self.sample_weight,
            total_weight=self.total_weight,
            data=self,
            options=options,
        )


def as_rows(X) -> da.Array:
    """``X`` as a 2-D Dask array of float32 or float64 with one block across the columns and
    known row chunks (no data are read, except to learn unknown chunk sizes)."""
    if not isinstance(X, da.Array):
        raise TypeError(f"X must be a dask array, got {type(X).__name__}")
    if X.ndim != 2:
        raise ValueError(
            f"X must be 2-D (n_samples, n_features), got a dask array of shape {X.shape}"
        )
    if X.dtype.kind not in "biuf":
        raise TypeError(f"X must be numeric, got a dask array of dtype {X.dtype}")
    if any(np.isnan(size) for size in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X


def as_weights(sample_weight, X: da.Array) -> da.Array | None:
    """``sample_weight`` (None, a number, an array, a Dask array or Series of shape
    ``(n_samples,)``) as a float64 Dask array with ``X``'s row chunks; values are checked in
    the pass that reads them (:func:`check_data`, or lazily by :func:`checked_weights`)."""
    if sample_weight is None:
        return None
    n = X.shape[0]
    if isinstance(sample_weight, numbers.Real) and not isinstance(sample_weight, bool):
        return da.full(n, float(sample_weight), chunks=(X.chunks[0],))
    if hasattr(sample_weight, "to_dask_array"):  # a Dask Series
        sample_weight = sample_weight.to_dask_array(lengths=True)
    if not isinstance(sample_weight, da.Array):
        try:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"sample_weight must be numeric: {exc}") from None
        if sample_weight.shape != (n,):
            raise ValueError(
                f"sample_weight must have shape ({n},) to match X, got {sample_weight.shape}"
            )
        return da.from_array(sample_weight, chunks=(X.chunks[0],))
    if any(np.isnan(size) for size in sample_weight.chunks[0]):
        sample_weight = sample_weight.compute_chunk_sizes()
    if sample_weight.shape != (n,):
        raise ValueError(
            f"sample_weight must have shape ({n},) to match X, got {sample_weight.shape}"
        )
    if sample_weight.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must be numeric, got dtype {sample_weight.dtype}")
    sample_weight = sample_weight.astype(np.float64)
    if sample_weight.chunks[0] != X.chunks[0]:
        sample_weight = sample_weight.rechunk((X.chunks[0],))
    return sample_weight


def _check_block(block, weight, index, offsets, width):
    rows = offsets[index + 1] - offsets[index]
    if block.shape != (rows, width):
        raise ValueError(
            f"{_where(index, offsets)} has shape {block.shape}; the dask array "
            f"declares ({rows}, {width}) for it"
        )
    bad = ~np.isfinite(block).all(axis=1)
    if bad.any():
        raise ValueError(
            f"{_where(index, offsets)} contains NaN or infinity, first in row "
            f"{offsets[index] + int(np.flatnonzero(bad)[0])}"
        )
    if weight is not None:
        if weight.shape != (rows,):
            raise ValueError(
                f"block {index} of sample_weight has shape {weight.shape}, expected ({rows},)"
            )
        bad = ~np.isfinite(weight) | (weight < 0)
        if bad.any():
            raise ValueError(
                f"block {index} of sample_weight (rows {offsets[index]} to "
                f"{offsets[index + 1] - 1}) has a negative or non-finite weight, "
                f"first in row {offsets[index] + int(np.flatnonzero(bad)[0])}"
            )


def _block_moments(block, weight, index, offsets, width):
    """Checks the block (see :func:`check_data`) and returns ``(sum of weights, weighted
    mean, weighted sum of squared deviations from that mean, rows of positive weight)``."""
    _check_block(block, weight, index, offsets, width)
    x = np.asarray(block, dtype=np.float64)
    total = float(x.shape[0] if weight is None else weight.sum())
    positive = x.shape[0] if weight is None else int(np.count_nonzero(weight > 0))
    if total == 0.0:
        return 0.0, np.zeros(width), np.zeros(width), positive
    mean = (x.sum(axis=0) if weight is None else weight @ x) / total
    deviations = (x - mean) ** 2
    return (
        total,
        mean,
        deviations.sum(axis=0) if weight is None else weight @ deviations,
        positive,
    )


def _combine_moments(*parts):
    """Chan, Golub and LeVeque's pairwise update of weighted means and squared deviations:
    exact in exact arithmetic and free of the cancellation of raw second moments."""
    total, mean, m2, positive = parts[0]
    for other_total, other_mean, other_m2, other_positive in parts[1:]:
        positive += other_positive
        if other_total == 0.0:
            continue
        combined = total + other_total
        delta = other_mean - mean
        mean = mean + delta * (other_total / combined)
        m2 = m2 + other_m2 + delta**2 * (total * other_total / combined)
        total = combined
    return total, mean, m2, positive


def check_data(X, sample_weight=None, options: Options | None = None) -> DaskData:
    """Validate a Dask data set in one pass and summarise it (see :class:`DaskData`).

    Every block is checked for its declared shape and for NaN or infinity, and every weight
    block for negative or non-finite values, before anything else reads them; a failure is a
    ``ValueError`` naming the block (its index and rows). The same pass gives the total
    weight, the weighted mean and the feature variances.

    When ``options.dask_persist`` says so (:func:`should_persist`), ``X`` and the weights are
    persisted first, so that this pass is the one that reads the blocks and every later pass
    finds them in the workers' memory.
    """
    X = as_rows(X)
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    weight = as_weights(sample_weight, X)
    setting = (Options() if options is None else options).dask_persist
    nbytes = X.nbytes + (0 if weight is None else weight.nbytes)
    if should_persist(setting, nbytes):
        X, weight = persist(X, weight)
    offsets = np.concatenate([[0], np.cumsum(X.chunks[0])]).astype(int).tolist()
    blocks = X.to_delayed(optimize_graph=False).ravel()
    weights = (
        [None] * len(blocks) if weight is None else weight.to_delayed(optimize_graph=False).ravel()
    )
    parts = [
        dask.delayed(_block_moments, pure=True)(block, w, index, offsets, X.shape[1])
        for index, (block, w) in enumerate(zip(blocks, weights))
    ]
    ((total, mean, m2, positive),) = _compute(_tree_sum(parts, _combine_moments))
    if not total > 0:
        raise ValueError("sample_weight must not be all zero")
    return DaskData(
        X,
        weight,
        int(X.shape[0]),
        float(total),
        np.asarray(mean, dtype=np.float64),
        np.asarray(m2, dtype=np.float64) / total,
        int(positive),
    )


def should_persist(setting, nbytes: float) -> bool:
    """Whether data of ``nbytes`` are persisted under the ``dask_persist`` ``setting``: True
    and False say so; "auto" persists when they take at most :data:`PERSIST_SHARE` of
    :func:`memory_for_data` (never under the multiprocessing scheduler, where persisted
    blocks live in the client and travel to the processes on every pass)."""
    if isinstance(setting, bool):
        return setting
    if dask.base.get_scheduler() is dask.multiprocessing.get:
        return False
    return nbytes <= PERSIST_SHARE * memory_for_data()


def persist(X: da.Array, weight: da.Array | None) -> tuple[da.Array, da.Array | None]:
    """``X`` and ``weight`` persisted (``dask.persist``); on a ``distributed`` cluster of
    several workers, each row block (with its weights) is placed on a worker chosen so that
    every worker holds blocks in proportion to its threads (:func:`spread_blocks`).

    Every EM pass runs each block's kernel where the block is, so the placement sets the
    balance of every pass: left to the scheduler, 8 blocks on 2 workers were sometimes
    placed 5 and 3, and a pass then took the time of 5 blocks on one core. The placement is
    a preference (``allow_other_workers``): a block whose worker is lost is recomputed on
    another."""
    client = _distributed_client()
    workers = {} if client is None else _workers(client)
    if len(workers) < 2:
        return dask.persist(X, weight)
    blocks = X.to_delayed(optimize_graph=False).ravel().tolist()
    weights = (
        [None] * len(blocks)
        if weight is None
        else weight.to_delayed(optimize_graph=False).ravel().tolist()
    )
    owners = spread_blocks(len(blocks), {a: int(w.get("nthreads", 1)) for a, w in workers.items()})
    held_rows: dict[int, object] = {}
    held_weights: dict[int, object] = {}
    for address in dict.fromkeys(owners):
        mine = [i for i, owner in enumerate(owners) if owner == address]
        wanted = [blocks[i] for i in mine] + ([] if weight is None else [weights[i] for i in mine])
        kept = client.persist(wanted, workers=[address], allow_other_workers=True)
        held_rows.update(zip(mine, kept[: len(mine)]))
        held_weights.update(zip(mine, kept[len(mine) :]))
    rows, width = X.chunks[0], X.shape[1]
    X = da.concatenate(
        [
            da.from_delayed(held_rows[i], (rows[i], width), dtype=X.dtype, meta=X._meta)
            for i in range(len(blocks))
        ]
    )
    if weight is not None:
        weight = da.concatenate(
            [
                da.from_delayed(held_weights[i], (rows[i],), dtype=weight.dtype)
                for i in range(len(blocks))
            ]
        )
    return X, weight


def spread_blocks(n_blocks: int, threads: dict) -> list:
    """The worker of each of ``n_blocks`` blocks, given each worker's ``threads``: block by
    block, the worker with the fewest blocks per thread so far (ties to the earlier worker),
    so that the blocks are in proportion to the threads, within one block."""
    load = dict.fromkeys(threads, 0)
    owners = []
    for _ in range(n_blocks):
        owner = min(threads, key=lambda address: (load[address] + 1) / max(threads[address], 1))
        load[owner] += 1
        owners.append(owner)
    return owners


def _distributed_client():
    """The ``distributed.Client`` that is the current scheduler, or None."""
    client = getattr(dask.base.get_scheduler(), "__self__", None)
    if client is None or not type(client).__module__.startswith("distributed"):
        return None
    return client


def _workers(client) -> dict:
    """Every worker's information (address -> dict), as the scheduler reports it."""
    try:
        return client.scheduler_info(n_workers=-1)["workers"]
    except TypeError:  # distributed before 2025: every worker, without the argument
        return client.scheduler_info()["workers"]


def memory_for_data() -> float:
    """Bytes the current scheduler's workers have free for data: for a ``distributed``
    client, the sum over its workers of ``memory_limit x distributed.worker.memory.target``
    (the share a worker fills before it spills to disk) less the memory the worker uses;
    otherwise (threads, synchronous) this machine's available memory."""
    client = _distributed_client()
    if client is None:
        return _available_memory()
    target = dask.config.get("distributed.worker.memory.target", 0.6) or 1.0
    free = 0.0
    for worker in _workers(client).values():
        limit = worker.get("memory_limit") or _available_memory()
        used = worker.get("metrics", {}).get("memory", 0)
        free += max(limit * target - used, 0.0)
    return free


def _available_memory() -> float:
    """This machine's available memory in bytes (psutil's figure where psutil is there, as
    it is with ``distributed``; else the free physical pages)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - distributed, in gmmkit[dask], depends on it
        import os

        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    return float(psutil.virtual_memory().available)


def checked_weights(weight: da.Array) -> da.Array:
    """``weight`` with each block checked, lazily, for negative or non-finite values."""
    # functools.wraps(map_blocks) on Array.map_blocks shows mypy the module function's
    # signature (func first), not the method's
    return weight.map_blocks(_checked_weight_block, dtype=np.float64)  # type: ignore[call-arg, arg-type]


def _checked_weight_block(weight, block_info=None):
    if (~np.isfinite(weight) | (weight < 0)).any():
        start, stop = block_info[0]["array-location"][0]
        raise ValueError(
            f"sample_weight has a negative or non-finite weight in rows {start} to {stop - 1}"
        )
    return weight


# ---------------------------------------------------------------------- block kernels
def kernels_share_cores() -> bool:
    """Whether the current scheduler runs several block kernels at once on the machine's
    cores: dask's threads (the default for arrays) or processes with more than one worker,
    or a ``distributed`` cluster. Not the synchronous scheduler, nor one thread.

    Where they do, each kernel holds BLAS to one thread (see :func:`_one_blas_thread_each`);
    read on the client, once per compute."""
    scheduler = dask.base.get_scheduler()
    if scheduler is dask.local.get_sync:
        return False
    if scheduler is None or scheduler is dask.threaded.get:
        workers = dask.config.get("num_workers", None) or dask.system.CPU_COUNT
        return workers > 1
    return True


def _one_blas_thread_each(kernel):
    """``kernel`` taking a keyword ``one_blas_thread``: when true it runs inside gmmkit's
    shared one-thread BLAS limit (:func:`gmmkit._core.threads.one_blas_thread`).

    Kernels running side by side, each with a BLAS using every core, oversubscribe the cores:
    on 2 cores, 1,000,000 x 16 with k = 32, a threaded pass took 0.58 s with OpenBLAS's
    default threads and 0.38 s with one (the in-memory pass: 0.46 s). The limit is shared,
    so overlapping kernels join it and the last to finish restores BLAS as it was.
    """

    @functools.wraps(kernel)
    def run(*args, one_blas_thread: bool = False, **kwargs):
        if not one_blas_thread:
            return kernel(*args, **kwargs)
        with shared_blas_limit():
            return kernel(*args, **kwargs)

    return run


def _sub_chunks(n_rows: int, width: int, chunk_bytes: int):
    """Slices of a block's rows, each small enough that a float64 ``rows x width``
    temporary stays under ``chunk_bytes`` (the call's ``working_memory``), as the in-memory
    source chunks its rows: the features and log-densities of a whole block would leave the
    caches (and, for many features, take far more memory than the block)."""
    return chunks(n_rows, chunk_rows(n_rows, width, chunk_bytes))


def _sample_major(phi_t):
    cached = []

    def rows_major():
        if not cached:
            cached.append(np.ascontiguousarray(phi_t.T))
        return cached[0]

    return rows_major


@_one_blas_thread_each
def _block_statistics(block, weight, jobs, chunk_bytes):
    """Statistics of one block for every job ``(model, shift, [(theta, shared), ...])``: the
    features of each model are formed once per chunk of rows and serve every coefficient of
    it."""
    results = []
    scratch = Scratch()  # the chunks' work arrays, reused (see Scratch)
    for model, shift, coefficients in jobs:
        totals = [0.0] * len(coefficients)
        sums = [np.zeros((theta.shape[1], theta.shape[0])) for theta, _ in coefficients]
        width = max([model.n_stats] + [theta.shape[1] for theta, _ in coefficients])
        for rows in _sub_chunks(block.shape[0], width, chunk_bytes):
            phi_t = chunk_features(model, block[rows], shift, scratch)
            rows_major = _sample_major(phi_t)
            w = None if weight is None else weight[rows]
            for j, (theta, shared) in enumerate(coefficients):
                out = scratch.array("log_prob", (theta.shape[1], phi_t.shape[1]))
                log_prob = weighted_log_prob(phi_t, theta, shared, out=out)
                log_norm, stats, _ = chunk_statistics(log_prob, phi_t, w, rows_major, scratch)
                sums[j] += stats
                totals[j] += log_norm.sum() if w is None else log_norm @ w
        results.extend((float(total), stats) for total, stats in zip(totals, sums))
    return results


@_one_blas_thread_each
def _block_responsibility_statistics(block, weight, models, jobs, chunk_bytes) -> list[np.ndarray]:
    """One block's statistics for every job ``(model key, K, responsibilities)``, each model's
    features formed once per chunk of rows."""
    results = [np.zeros((k, models[key][0].n_stats)) for key, k, _ in jobs]
    width = max([model.n_stats for model, _ in models.values()] + [k for _, k, _ in jobs])
    for rows in _sub_chunks(block.shape[0], width, chunk_bytes):
        features: dict = {}
        w = None if weight is None else weight[rows]
        for j, (key, n_components, resp) in enumerate(jobs):
            model, shift = models[key]
            if key not in features:
                phi_t = chunk_features(model, block[rows], shift)
                features[key] = (phi_t, _sample_major(phi_t))
            phi_t, rows_major = features[key]
            results[j] += chunk_responsibility_statistics(
                np.asarray(resp)[rows], phi_t, w, n_components, rows_major
            )
    return results


def _add_arrays(*parts):
    """The sums, entry by entry, of equal-length lists of arrays."""
    return [sum((part[j] for part in parts[1:]), parts[0][j]) for j in range(len(parts[0]))]


@_one_blas_thread_each
def _block_scatter(block, weight, model, shift, chunk_bytes):
    scatter = np.zeros((model.d, model.d))
    for rows in _sub_chunks(block.shape[0], model.n_stats, chunk_bytes):
        w = None if weight is None else weight[rows]
        scatter += chunk_scatter(chunk_features(model, block[rows], shift), model.d, w)
    return scatter


@_one_blas_thread_each
def _block_rows(block, model, shift, theta, shared, want, chunk_bytes, block_info=None):
    start, stop = block_info[0]["array-location"][0]
    where = f"block {block_info[0]['chunk-location'][0]} of X (rows {start} to {stop - 1})"
    if block.shape[1] != model.d:
        raise ValueError(f"{where} has {block.shape[1]} columns; the model has {model.d} features")
    if not np.isfinite(block).all():
        raise ValueError(f"{where} contains NaN or infinity")
    n_components = theta.shape[1]
    out = per_sample_output(want, block.shape[0], n_components)
    scratch = Scratch()
    with np.errstate(over="ignore", invalid="ignore"):
        for rows in _sub_chunks(block.shape[0], max(model.n_stats, n_components), chunk_bytes):
            phi_t = chunk_features(model, block[rows], shift, scratch)
            log_prob = weighted_log_prob(
                phi_t, theta, shared, out=scratch.array("log_prob", (n_components, phi_t.shape[1]))
            )
            try:
                fill_per_sample(log_prob, want, out, rows)
            except ValueError as exc:
                raise ValueError(f"{where}, counting rows from the block's first: {exc}") from None
    return out


# ---------------------------------------------------------------------- the source
class DaskSource:
    """The feature source of a Dask array of rows (implements
    :class:`gmmkit._core.source.FeatureSource`); see the module docstring.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        Validated rows (:func:`check_data`): float32 or float64, one block across the
        columns. Features are formed in float64 on each block.
    shift : ndarray of shape (n_features,)
        Subtracted from every row before its features are formed.
    model : CovarianceModel
    sample_weight : dask.array.Array of shape (n_samples,), optional
        float64 weights with the row chunks of ``X`` (None: all one).
    total_weight : float, optional
        :math:`\\sum_i w_i`; computed (one pass) when not given.
    data : DaskData, optional
        The validated data set this source was made from, when it was.
    options : Options, optional
        The call's configuration: each block is worked through in chunks of rows whose
        temporaries stay under its ``working_memory``, as in memory (gmmkit's defaults when
        omitted).
    """

    def __init__(
        self,
        X,
        shift,
        model: CovarianceModel,
        sample_weight=None,
        total_weight: float | None = None,
        data: DaskData | None = None,
        options: Options | None = None,
    ):
        if not isinstance(X, da.Array) or X.ndim != 2 or len(X.chunks[1]) != 1:
            raise ValueError(
                "X must be a 2-D dask array with one block across the columns "
                "(see gmmkit.backends.dask.check_data)"
            )
        if sample_weight is not None and sample_weight.chunks[0] != X.chunks[0]:
            raise ValueError(
                f"sample_weight must have the row chunks of X, "
                f"{X.chunks[0]}, got {sample_weight.chunks[0]}"
            )
        self.X = X
        self.shift = np.asarray(shift, dtype=np.float64)
        self.model = model
        self.n_samples = int(X.shape[0])
        self.sample_weight = sample_weight
        self.data = data
        self.chunk_bytes = (Options() if options is None else options).chunk_bytes
        if total_weight is None:
            total_weight = (
                self.n_samples if sample_weight is None else float(_compute(sample_weight.sum())[0])
            )
        self.total_weight = float(total_weight)
        self._blocks = X.to_delayed(optimize_graph=False).ravel().tolist()
        self._weights = (
            [None] * len(self._blocks)
            if sample_weight is None
            else sample_weight.to_delayed(optimize_graph=False).ravel().tolist()
        )
        self._offsets = np.concatenate([[0], np.cumsum(X.chunks[0])]).astype(int)

    @property
    def data_key(self) -> tuple:
        """Names the rows and weights: sources with equal keys read the same blocks."""
        return (self.X.name, None if self.sample_weight is None else self.sample_weight.name)

    def _per_block(self, kernel, *args):
        """One delayed ``kernel(block, weight, *args, chunk_bytes)`` per block, holding BLAS
        to one thread where kernels share the cores (:func:`kernels_share_cores`)."""
        shared = kernels_share_cores()
        return [
            dask.delayed(kernel, pure=True)(
                block, w, *args, self.chunk_bytes, one_blas_thread=shared
            )
            for block, w in zip(self._blocks, self._weights)
        ]

    # --- the FeatureSource protocol ---------------------------------------------------------
    def statistics(self, theta, shared_prec_chol, weights_only=False):
        r"""One E-step, one compute: :math:`\sum_i w_i \ell_i` and the statistics
        :math:`\sum_i w_i r_{ik} \Phi_i` (``K x n_stats``). ``weights_only`` changes nothing
        (the blocks keep no log-densities between passes)."""
        return self.batch_statistics([(self, theta, shared_prec_chol, weights_only)])[0]

    @classmethod
    def batch_statistics(cls, requests):
        """:meth:`statistics` of every request ``(source, theta, shared, weights_only)``, in
        order, from ONE compute: requests over the same rows (:attr:`data_key`) share one task
        per block, which reads the block once and forms each model's features once."""
        requests = list(requests)
        groups: dict[tuple, dict[int, list]] = {}
        for index, (source, theta, shared, _) in enumerate(requests):
            by_source = groups.setdefault(source.data_key, {})
            by_source.setdefault(id(source), [source, []])[1].append((index, theta, shared))
        roots, orders = [], []
        for by_source in groups.values():
            jobs, order = [], []
            for source, asked in by_source.values():
                jobs.append(
                    (source.model, source.shift, [(theta, shared) for _, theta, shared in asked])
                )
                order.extend(index for index, _, _ in asked)
            first = next(iter(by_source.values()))[0]
            roots.append(_tree_sum(first._per_block(_block_statistics, jobs), _add))
            orders.append(order)
        results: list = [None] * len(requests)
        for order, answers in zip(orders, _compute(*roots)):
            for index, (total, stats) in zip(order, answers):
                results[index] = (float(total), stats)
        return results

    def responsibility_statistics(self, resp, n_components: int) -> np.ndarray:
        """Statistics for given responsibilities (dense ``(n_samples, K)`` or hard labels
        ``(n_samples,)`` with ``-1`` for unassigned rows), NumPy or Dask, in one compute."""
        return self.batch_responsibility_statistics([(self, resp, n_components)])[0]

    @classmethod
    def batch_responsibility_statistics(cls, requests) -> list[np.ndarray]:
        """:meth:`responsibility_statistics` of every request ``(source, resp,
        n_components)``, in order, from ONE compute (the first M-steps of a whole sweep):
        requests over the same rows share one task per block, which reads the block once and
        forms each covariance model's features once."""
        requests = list(requests)
        groups: dict[tuple, list] = {}
        for index, (source, resp, n_components) in enumerate(requests):
            groups.setdefault(source.data_key, []).append((index, source, resp, n_components))
        roots, orders = [], []
        for asked in groups.values():
            first = asked[0][1]
            models: dict[int, tuple] = {}
            jobs = []  # per request: (model key, K, its responsibilities block by block)
            for _, source, resp, n_components in asked:
                models.setdefault(id(source), (source.model, source.shift))
                jobs.append((id(source), n_components, first._resp_blocks(resp)))
            shared = kernels_share_cores()
            parts = [
                dask.delayed(_block_responsibility_statistics, pure=True)(
                    block,
                    w,
                    models,
                    [(key, k, pieces[b]) for key, k, pieces in jobs],
                    first.chunk_bytes,
                    one_blas_thread=shared,
                )
                for b, (block, w) in enumerate(zip(first._blocks, first._weights))
            ]
            roots.append(_tree_sum(parts, _add_arrays))
            orders.append([index for index, *_ in asked])
        results: list = [None] * len(requests)
        for order, answers in zip(orders, _compute(*roots)):
            for index, stats in zip(order, answers):
                results[index] = stats
        return results

    def _resp_blocks(self, resp) -> list:
        """``resp`` (NumPy or Dask, labels or dense) cut into this source's row blocks."""
        if isinstance(resp, da.Array):
            resp = resp.rechunk((self.X.chunks[0],) + tuple((size,) for size in resp.shape[1:]))
            return list(resp.to_delayed(optimize_graph=False).ravel())
        resp = np.asarray(resp)
        return [resp[a:b] for a, b in zip(self._offsets[:-1], self._offsets[1:])]

    def scatter(self) -> np.ndarray:
        """:math:`\\sum_i w_i (x_i - s)(x_i - s)^T` about the shift, one compute."""
        parts = self._per_block(_block_scatter, self.model, self.shift)
        return _compute(_tree_sum(parts, _add))[0]

    def per_row(self, theta, shared_prec_chol, want: str):
        """Per-row outputs as a LAZY Dask array with the row chunks of ``X`` (see
        :meth:`gmmkit._core.source.FeatureSource.per_row`); each block is checked for NaN or
        infinity when computed."""
        if want not in _PER_ROW_DTYPES:
            raise ValueError(f"want must be one of {tuple(_PER_ROW_DTYPES)}, got {want!r}")
        dtype = _PER_ROW_DTYPES[want]
        width = {"resp": theta.shape[1], "summary": 3}.get(want)
        shared = kernels_share_cores()
        if width is None:
            return self.X.map_blocks(
                _block_rows,
                self.model,
                self.shift,
                theta,
                shared_prec_chol,
                want,
                self.chunk_bytes,
                one_blas_thread=shared,
                drop_axis=1,
                dtype=dtype,
                chunks=(self.X.chunks[0],),
                meta=np.empty((0,), dtype),
            )
        return self.X.map_blocks(
            _block_rows,
            self.model,
            self.shift,
            theta,
            shared_prec_chol,
            want,
            self.chunk_bytes,
            one_blas_thread=shared,
            dtype=dtype,
            chunks=(self.X.chunks[0], (width,)),
            meta=np.empty((0, 0), dtype),
        )

    def kept_rows(self, theta, want: str) -> np.ndarray | None:
        """None: the blocks keep no log-densities between passes."""
        return None

    def warm_up(self) -> None:
        """Nothing: the data are persisted, or not, when they are checked (:func:`check_data`)."""


# ---------------------------------------------------------------------- starts
def gather_rows(X: da.Array, rows: np.ndarray) -> np.ndarray:
    """``X[rows]`` as NumPy (``rows`` sorted), one compute of only those rows."""
    return np.asarray(_compute(X[rows])[0])


def _block_nearest(block, centres, shift):
    centred = block - shift
    distances = (centres**2).sum(axis=1) - 2.0 * centred @ centres.T
    distances[:, ~np.isfinite(centres).all(axis=1)] = np.inf
    return distances.argmin(axis=1).astype(np.intp)


def _block_marked(block, rows, labels, block_info=None):
    start, stop = block_info[0]["array-location"][0]
    out = np.full(stop - start, -1, dtype=np.intp)
    inside = (rows >= start) & (rows < stop)
    out[rows[inside] - start] = labels[inside]
    return out


def _block_most_probable(block, mixture, rows, labels, block_info=None):
    start, stop = block_info[0]["array-location"][0]
    out = most_probable_cluster(np.asarray(block, dtype=np.float64), mixture)
    inside = (rows >= start) & (rows < stop)
    out[rows[inside] - start] = labels[inside]
    return out


def _lazy_labels(X, kernel, *args):
    return X.map_blocks(
        kernel,
        *args,
        drop_axis=1,
        dtype=np.intp,
        chunks=(X.chunks[0],),
        meta=np.empty((0,), np.intp),
    )


def dask_starts(data: DaskData, n_components: int, method: str, random_state, n_init: int):
    """Initial responsibilities of ``n_init`` starts on Dask data, drawn from
    ``random_state``; a generator, so each is drawn just before its run.

    How each relates to the in-memory start (:func:`gmmkit._core.init.initial_responsibilities`
    on the same rows, the same ``random_state``):

    * ``random_from_data``: the same ``n_components`` row indices drawn the same way, so the
      same start, whatever the chunking.
    * ``kmeans`` and ``k-means++`` with at most :data:`KMEANS_SAMPLE_SIZE` rows: the rows are
      gathered and the start is exactly the in-memory one. With more, first
      :data:`KMEANS_SAMPLE_SIZE` distinct row indices are drawn from ``random_state``
      (``choice(n, size, replace=False)``, sorted: the same rows whatever the chunking), only
      those rows are gathered, and the in-memory method runs on them (with their weights),
      drawing from ``random_state`` next. ``k-means++`` then labels its seed rows alone, as
      in memory; ``kmeans`` labels every row with its nearest centre, the weighted mean of
      its sample cluster (computed lazily, block by block), i.e. one more assignment step of
      k-means on all rows.
    * ``hc``: exactly mclust's and the in-memory start: with more than 2000 rows the same
      2000 rows are drawn (:class:`gmmkit._core.hierarchical.HierarchicalStart`), the tree is
      built on them, and the other rows join their most probable cluster, block by block.
    * ``random`` draws ``n_samples x n_components`` numbers on the client and is refused.

    Yields hard labels (NumPy, or lazy Dask arrays with ``X``'s chunks).
    """
    X, n = data.X, data.n_samples
    if method == "random":
        raise ValueError(
            "init_params='random' draws n_samples x n_components numbers on the "
            "client and is not available for Dask input; use 'kmeans', "
            "'k-means++', 'random_from_data', 'hc' or give weights_init, "
            "means_init and precisions_init"
        )
    if method == "random_from_data":
        for _ in range(n_init):
            indices = random_state.choice(n, size=n_components, replace=False)
            order = np.argsort(indices)
            yield _lazy_labels(X, _block_marked, indices[order], np.arange(n_components)[order])
        return
    if method == "hc":
        # up to SUBSET_SIZE rows nothing is drawn, and every start cuts one tree
        tree = HierarchicalStart(gather_rows(X, np.arange(n))) if n <= SUBSET_SIZE else None
        for _ in range(n_init):
            if tree is not None:
                yield tree.labels(n_components)
                continue
            subset_rows = np.sort(random_state.choice(n, size=SUBSET_SIZE, replace=False))
            subset = gather_rows(X, subset_rows).astype(np.float64)
            tree_labels = HierarchicalStart(subset).labels(n_components)
            mixture = subset_mixture(subset, tree_labels, n_components)
            yield _lazy_labels(X, _block_most_probable, mixture, subset_rows, tree_labels)
        return
    rows = (
        None
        if n <= KMEANS_SAMPLE_SIZE
        else np.sort(random_state.choice(n, size=KMEANS_SAMPLE_SIZE, replace=False))
    )
    taken = slice(None) if rows is None else rows
    wanted = [X[taken]] if data.sample_weight is None else [X[taken], data.sample_weight[taken]]
    sample, *weights = (np.asarray(part) for part in _compute(*wanted))  # one compute
    weight = weights[0] if weights else None
    for _ in range(n_init):
        labels = initial_responsibilities(sample, n_components, method, random_state, weight)
        if rows is None:
            yield labels
        elif method == "k-means++":
            seeds = np.flatnonzero(labels >= 0)
            yield _lazy_labels(X, _block_marked, rows[seeds], labels[seeds])
        else:
            yield _lazy_labels(
                X,
                _block_nearest,
                _centres(sample, labels, weight, n_components, data.mean),
                data.mean,
            )


def _centres(sample, labels, weight, n_components, shift):
    """Weighted means of the sample's clusters about ``shift`` (NaN for an empty one)."""
    w = np.ones(len(sample)) if weight is None else weight
    one_hot = np.zeros((n_components, len(sample)))
    one_hot[labels, np.arange(len(sample))] = w
    counts = one_hot.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return one_hot @ (np.asarray(sample, dtype=np.float64) - shift) / counts[:, None]
