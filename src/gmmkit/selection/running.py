"""Running a sweep: every value of ``n_components`` as a task of one thread pool, over inputs
that every fit shares and that the same pool builds first.

Tasks for values of ``k`` are submitted largest first, so the work stays balanced however long
each ``k`` takes. Threads, not processes: the work is NumPy and BLAS, which release the GIL,
and threads start instantly and share the data. Every fit is deterministic given its
configuration and seed, and rows are collected in submission order, so neither the order the
tasks finish in nor ``n_jobs`` changes the table.
"""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial

import numpy as np

from .._config import Options, using_options
from .._core.hierarchical import SharedHierarchies
from .._core.init import SharedKMeansSeeds
from .._core.threads import one_blas_thread, one_openmp_thread
from .._progress import progress_bar
from ..mixture import GaussianMixture, feature_source
from .cross_validation import cross_validate, fold_initialisations, fold_random_state
from .fitting import (
    fit_configuration,
    initialisations,
    new_estimator,
    short_runs,
    start_methods,
)
from .planning import Plan, SweepSettings
from .result import eligible, empty_scores, error_text, fit_columns, new_row, rank
from .silhouette import SilhouetteSample


def run_sweep(plan: Plan, settings: SweepSettings) -> tuple:
    """Fit and score every configuration of ``plan``.

    Returns ``(rows, best_model, silhouettes)``: the rows of the table (in no particular
    order), the model that ``settings.criterion`` ranks first (None when none could be
    scored) and a future of the sweep's :class:`SilhouetteSample` (None without silhouette).
    """
    from joblib import effective_n_jobs

    work = plan.X.shape[0] * sum(plan.ks) * plan.X.shape[1] ** 2
    workers = (
        1
        if work < plan.options.parallel_min_work
        else min(effective_n_jobs(settings.n_jobs), len(plan.ks))
    )
    bar = progress_bar(
        len(plan.ks),
        "gmmkit.select",
        "k-value",
        enabled=settings.progress,
        text_unit="values of n_components",
    )
    best = _BestModel()
    # One BLAS thread per worker, held for the whole sweep (the BLAS limit is process-wide and
    # shared with overlapping calls; OpenMP limits are per thread, so each task also sets its
    # own: see in_worker): no oversubscription, and every fit runs the same arithmetic
    # whatever n_jobs.
    with one_blas_thread(), bar, worker_pool(workers) as pool:
        inputs = SharedInputs(pool, plan, settings)
        tasks = []
        for k in sorted(plan.ks, reverse=True):
            task = pool.submit(in_worker, plan.options, _fit_k, plan, settings, k, inputs, best)
            task.add_done_callback(lambda _: bar.update(1))
            tasks.append(task)
        rows = [row for task in tasks for row in task.result()]
    return rows, best.model, inputs.silhouettes


@contextlib.contextmanager
def worker_pool(workers: int):
    """A ``ThreadPoolExecutor`` of ``workers`` threads, or with one worker an executor that
    runs each task in the calling thread as it is submitted. On leaving, every task submitted
    has finished (those not started are cancelled if the block raised)."""
    if workers == 1:
        yield _InThisThread()
        return
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gmmkit-select")
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


class _InThisThread:
    """The executor of one worker: starting a thread would cost more than it saves."""

    def submit(self, function, *args) -> Future:
        future: Future = Future()
        try:
            future.set_result(function(*args))
        except Exception as exc:
            future.set_exception(exc)
        return future


def in_worker(options: Options, function, *args):
    """``function(*args)`` in a worker thread, under the sweep caller's configuration and with
    this thread's OpenMP limited to one thread.

    Both are settings of the calling thread: neither the caller's configuration nor its OpenMP
    limit reaches worker threads by itself, and their k-means would otherwise start one OpenMP
    thread per core each.
    """
    with using_options(options), one_openmp_thread():
        return function(*args)


class SharedInputs:
    """What the fits of a sweep share, each built once by a task of the sweep's pool,
    submitted before any fit: the statistics features of the data and of each training fold
    per covariance type, the silhouette subsample's distances, and the k-means++ seeds or the
    hierarchical clustering trees (of all the data and of each training fold).

    A fit that needs an input waits for its task; an input that failed to build raises its
    error in every fit that needs it, so only their rows report it. Fits only wait for tasks
    submitted before them, so a pool of any size always makes progress.
    """

    def __init__(self, pool, plan: Plan, settings: SweepSettings):
        def submit(function, *args) -> Future:
            return pool.submit(in_worker, plan.options, function, *args)

        self.seeds = _shared_seeds(plan, settings)
        if self.seeds is not None:
            # First the opening seeding, mostly Python that holds the GIL: the other workers
            # meanwhile build the features and distances, mostly NumPy that releases it.
            submit(_seeds_of, self.seeds, max(plan.ks))
        self.hierarchies, self.fold_hierarchies = None, None
        if "hc" in start_methods(settings.init_params):
            self.hierarchies = SharedHierarchies(plan.X, lambda: np.random.RandomState(plan.seed))
            # the first tree, built while the features are: every fit waits for it
            submit(_build_tree, self.hierarchies)
            if plan.folds is not None:
                self.fold_hierarchies = [
                    SharedHierarchies(plan.X[train], partial(fold_random_state, plan, fold))
                    for fold, (train, _) in enumerate(plan.folds)
                ]
        self._sources = {
            covariance_type: submit(_build_source, plan, covariance_type, None)
            for covariance_type in plan.covariance_types
        }
        self.silhouettes = (
            None
            if plan.silhouette_rows is None
            else submit(SilhouetteSample.of, plan.X, plan.silhouette_rows)
        )
        self._fold_sources = {
            (covariance_type, fold): submit(_build_source, plan, covariance_type, train)
            for covariance_type in plan.covariance_types
            for fold, (train, _) in enumerate(plan.folds or ())
        }

    def source(self, covariance_type: str):
        """The features of all the data for ``covariance_type``."""
        return self._sources[covariance_type].result()

    def fold_source(self, covariance_type: str, fold: int):
        """The features of training fold ``fold`` for ``covariance_type``."""
        return self._fold_sources[covariance_type, fold].result()


def _build_source(plan: Plan, covariance_type: str, train):
    """The feature source of the rows ``train`` (None: all rows), sized for the largest ``k``."""
    rows = slice(None) if train is None else train
    source = feature_source(
        plan.X[rows], plan.weights_of(rows), covariance_type, max(plan.ks), plan.options
    )
    if plan.init_is_labels:
        source.warm_up()  # labels enter the first M-step sparsely
    return source


def _shared_seeds(plan: Plan, settings: SweepSettings) -> SharedKMeansSeeds | None:
    """k-means++ seeds for every ``k`` of the sweep, computed together and on demand (see
    :class:`gmmkit._core.init.SharedKMeansSeeds`); None when they cannot be shared (several
    initialisations per ``k`` draw from one stream)."""
    if "kmeans" not in start_methods(settings.init_params) or settings.n_init != 1:
        return None
    return SharedKMeansSeeds(plan.X, plan.ks, lambda: np.random.RandomState(plan.seed), plan.weight)


def _build_tree(hierarchies: SharedHierarchies) -> None:
    """Build the first initialisation's tree (a failure is reported by the fits that need it)."""
    try:
        hierarchies(0).merges()
    except Exception:
        pass


def _seeds_of(seeds: SharedKMeansSeeds | None, k: int):
    """``k``'s shared seeds, or None (then ``k`` seeds its own k-means, which reports any
    problem in its rows)."""
    if seeds is None:
        return None
    try:
        return seeds(k)
    except Exception:
        return None


class _BestModel:
    """The best model of the sweep so far, offered by each ``k``'s task from its thread: only
    one fitted model is kept, however many values of ``k``."""

    def __init__(self):
        self.model: GaussianMixture | None = None
        self._rank = None
        self._lock = threading.Lock()

    def offer(self, model: GaussianMixture, model_rank: tuple) -> None:
        with self._lock:
            if self._rank is None or model_rank < self._rank:
                self.model, self._rank = model, model_rank


def _fit_k(
    plan: Plan, settings: SweepSettings, k: int, inputs: SharedInputs, best: _BestModel
) -> list[dict]:
    """Fit every covariance type for ``k``; returns their rows and offers the best of their
    models to ``best``."""
    starts, start_error = initialisations(
        plan.X,
        plan.weight,
        k,
        plan.seed,
        settings,
        kmeans_seeds=_seeds_of(inputs.seeds, k),
        hierarchies=inputs.hierarchies,
    )
    folds = (
        fold_initialisations(plan, settings, k, inputs.fold_hierarchies)
        if plan.folds is not None
        else None
    )
    rows, fitted = [], []  # fitted: (row, model, labels) of each covariance type
    for covariance_type in plan.covariance_types:
        row = new_row(k, covariance_type, settings.init_params)
        rows.append(row)
        if start_error is not None:
            row["error"] = start_error
            continue
        try:
            fitted.append(
                (
                    row,
                    *_fit_and_score(plan, settings, k, covariance_type, starts, folds, inputs, row),
                )
            )
        except Exception as exc:  # one failed configuration never stops the sweep
            row.update(empty_scores(), start=settings.init_params)
            row["error"] = error_text(exc)
    if inputs.silhouettes is not None and fitted:
        _score_silhouettes(inputs.silhouettes, fitted)
    ranked = [
        (rank(settings.criterion, plan.covariance_types, row), model)
        for row, model, _ in fitted
        if eligible(row, settings.criterion)
    ]
    if ranked:
        model_rank, model = min(ranked, key=lambda pair: pair[0])
        best.offer(model, model_rank)
    return rows


def _fit_and_score(
    plan: Plan,
    settings: SweepSettings,
    k,
    covariance_type,
    starts,
    folds,
    inputs: SharedInputs,
    row,
) -> tuple:
    """Fit one configuration from ``starts`` and fill its row (all but the silhouette, which
    :func:`_score_silhouettes` adds for every covariance type of ``k`` at once); returns the
    fitted estimator and its labels of ``X``."""
    estimator = new_estimator(k, covariance_type, settings, plan.seed)
    source = inputs.source(covariance_type)
    started = time.perf_counter()
    labels, criteria = fit_configuration(
        estimator,
        plan.X,
        plan.weight,
        starts,
        source,
        plan.options,
        scores=True,
        short_runs=short_runs(settings.init_params),
    )
    row["fit_seconds"] = time.perf_counter() - started
    row.update(criteria)
    row.update(fit_columns(estimator))
    if folds is not None:
        row["cv_mean"], row["cv_std"], cv_error = cross_validate(
            plan, settings, k, covariance_type, folds, inputs.fold_source
        )
        if cv_error:
            row["error"] = cv_error
    return estimator, labels


def _score_silhouettes(silhouettes: Future, fitted) -> None:
    """Fill the silhouette of each ``(row, model, labels)`` of one ``k``, all in one pass over
    the distances; should that fail, the rows keep NaN and say why."""
    try:
        scores = silhouettes.result().scores([labels for _, _, labels in fitted])
    except Exception as exc:  # the fits and their other scores stand
        reason = f"silhouette failed: {error_text(exc)}"
        for row, _, _ in fitted:
            row["error"] = reason if row["error"] is None else f"{row['error']}; {reason}"
        return
    for (row, _, _), silhouette in zip(fitted, scores):
        row["silhouette"] = silhouette
