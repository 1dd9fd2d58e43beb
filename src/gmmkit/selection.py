r"""Model selection: one sweep over number of components x covariance structure.

Every configuration is fitted on all the data and scored by

* BIC :math:`= -2 \log L + p \log n` and AIC :math:`= -2 \log L + 2p` (lower is better, the
  scikit-learn convention; :meth:`SelectionResult.to_mclust` gives R mclust's
  :math:`2 \log L - p \log n`, higher is better),
* ICL :math:`= \mathrm{BIC} - 2 \sum_i w_i \sum_k r_{ik} \log r_{ik}` (lower is better),
* the mean log-likelihood per sample and the silhouette of the predicted labels,
* optionally the held-out log-likelihood per sample, mean and standard deviation over CV folds.

Work is shared where it is sound: one k-means initialisation per ``(n_components, init)`` serves
every covariance type (scikit-learn's loop would compute the same k-means for each type), and
values of ``n_components`` run in parallel (joblib threads pulling from one queue, largest
first) with one BLAS thread each, so tables are identical for any ``n_jobs``.
"""

from __future__ import annotations

import contextlib
import functools
import numbers
import queue
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.model_selection import KFold, check_cv
from sklearn.utils.extmath import row_norms
from sklearn.utils.validation import (
    _get_feature_names,
    check_array,
    check_is_fitted,
    validate_data,
)

from ._config import Options, current_options, using_options
from ._core.covariances import covariance_model, covariance_types
from ._core.init import SharedKMeansSeeds, initial_responsibilities
from ._core.split import split_components
from ._core.threads import one_blas_thread, one_openmp_thread, one_thread
from ._progress import progress_bar
from ._validation import parameter_constraints, validate_params
from .criteria import CRITERIA
from .mixture import GaussianMixture, _check_sample_weight, feature_source

TABLE_COLUMNS = (
    "n_components", "covariance_type", "bic", "aic", "icl", "log_likelihood", "n_parameters",
    "converged", "n_iter", "fit_seconds", "silhouette", "cv_mean", "cv_std", "start", "error",
)


@dataclass
class SelectionResult:
    """What :func:`select` found.

    Attributes
    ----------
    table : pandas.DataFrame or list of dict
        One row per configuration, columns :data:`TABLE_COLUMNS` (a DataFrame when pandas is
        installed). ``error`` says why a score is missing: when the fit itself failed, every
        score of the row is NaN (``converged`` False, ``n_iter`` 0); when only a
        cross-validation fold could not be fitted (a training fold smaller than ``k``), only
        ``cv_mean`` and ``cv_std`` are NaN and the full-data scores stand.
    criterion : str
        The criterion that chose ``best_params_``.
    best_params_ : dict
        ``{"n_components": k, "covariance_type": name}`` of the best configuration.
    best_estimator_ : GaussianMixture
        That configuration, fitted on all the data.
    best_index_ : int
        Its row in ``table``.
    """

    rows: list[dict]
    criterion: str
    best_index_: int
    best_estimator_: GaussianMixture
    table: object = field(init=False)

    def __post_init__(self):
        self.table = _as_table(self.rows)

    @property
    def best_params_(self) -> dict:
        row = self.rows[self.best_index_]
        return {"n_components": row["n_components"], "covariance_type": row["covariance_type"]}

    def records(self) -> list[dict]:
        """The table as a list of dicts (a copy), whether or not pandas is installed."""
        return [dict(row) for row in self.rows]

    def to_mclust(self):
        """The table with BIC and ICL in R mclust's convention, :math:`2\\log L - p\\log n`
        (higher is better): the negated scikit-learn values."""
        rows = self.records()
        for row in rows:
            row["bic"] = -row["bic"]
            row["icl"] = -row["icl"]
        return _as_table(rows)


def select(
    X,
    n_components=range(1, 11),
    covariance_type="all",
    criterion="bic",
    cv=None,
    *,
    n_init=1,
    init_params="kmeans",
    random_state=None,
    n_jobs=None,
    sample_weight=None,
    tol=1e-3,
    reg_covar=1e-6,
    max_iter=100,
    silhouette_samples=2000,
    progress=False,
    accelerate=False,
    warm_start=False,
) -> SelectionResult:
    """Fit a Gaussian mixture for every (n_components, covariance_type) and pick the best.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_components : int or list of int, default=range(1, 11)
    covariance_type : {'all', 'full', 'tied', 'diag', 'spherical'} or list of them, default='all'
        Registered covariance models are accepted by name; 'all' sweeps the four built-ins
        and any registered model whose ``in_all`` is True.
    criterion : {'bic', 'aic', 'icl', 'cv', 'silhouette'}, default='bic'
        BIC, AIC and ICL are minimised; 'cv' (the mean held-out log-likelihood per sample, needs
        ``cv``) and 'silhouette' are maximised.
    cv : int, cross-validation splitter or None, default=None
        When given, every configuration is also fitted on each training fold and scored on the
        held-out fold (``cv_mean``/``cv_std`` columns). An int means shuffled K-fold.
    n_init, init_params, tol, reg_covar, max_iter : as in :class:`GaussianMixture`
    random_state : int, RandomState or None, default=None
        Seeds every initialisation, fold split and silhouette subsample. Each configuration
        starts from this same seed, exactly as ``sklearn.mixture.GaussianMixture(k,
        covariance_type=..., random_state=random_state)`` in a loop would, so with an int the
        table is the same for any ``n_jobs`` and each fit matches that scikit-learn fit.
    n_jobs : int or None, default=None
        Parallel worker threads over ``n_components`` (joblib; ``-1`` for all cores). Each uses
        one BLAS thread, so parallel sweeps do not oversubscribe the cores; small sweeps run in
        one thread, where starting workers would cost more than it saves.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights for the fits, the criteria and the held-out scores.
    silhouette_samples : int or None, default=2000
        Silhouette is computed on a seeded subsample of at most this many rows (it is
        quadratic in n); their distance matrix is computed once for the whole sweep. ``None``
        skips it (the column is NaN), for sweeps that only need the likelihood criteria.
    progress : bool, default=False
        Show a progress bar over values of ``n_components`` (tqdm if installed, else lines on
        stderr).
    accelerate : bool, default=False
        Fit with SQUAREM-accelerated EM (see :class:`GaussianMixture`); rows then no longer
        match a scikit-learn loop's fits one to one.
    warm_start : bool, default=False
        After the sweep, also fit every ``k`` but the smallest from the previous ``k``'s
        fit, grown by splitting its widest components (:mod:`gmmkit._core.split`), one chain
        along ``n_components`` per covariance type. A row takes the warm fit only where its
        log-likelihood is higher (``start`` says which), so no row gets worse; on data with
        many components this often finds much better mixtures. The cross-validation columns
        keep their k-means starts. Costs about a second sweep.

    Returns
    -------
    SelectionResult

    Raises
    ------
    InvalidParameterError
        Before any fitting, for an argument outside its constraints (see
        :mod:`gmmkit._validation`: the same as :class:`GaussianMixture`'s for the parameters they
        share), such as an empty ``n_components``, an unknown criterion or covariance type or a
        negative ``tol``. It is a ``ValueError`` (and a ``TypeError``).
    ValueError
        Before any fitting, for a value of ``n_components`` above ``n_samples``,
        ``criterion='cv'`` without ``cv``, or ``cv`` with more folds than samples.
    """
    validate_params("select", dict(
        n_components=n_components, covariance_type=covariance_type, criterion=criterion, cv=cv,
        n_init=n_init, init_params=init_params, random_state=random_state, n_jobs=n_jobs,
        tol=tol, reg_covar=reg_covar, max_iter=max_iter, silhouette_samples=silhouette_samples,
        progress=progress, accelerate=accelerate, warm_start=warm_start))
    plan = _plan(X, n_components, covariance_type, criterion, cv, n_init, init_params,
                 random_state, sample_weight, silhouette_samples, current_options())
    options = dict(n_init=n_init, init_params=init_params, tol=tol, reg_covar=reg_covar,
                   max_iter=max_iter, accelerate=bool(accelerate))
    rows, best_model = _run_tasks(plan, criterion, options, n_jobs, progress)
    if warm_start:
        best_model = _warm_start(plan, criterion, options, n_jobs, rows, best_model)
    rows.sort(key=lambda row: (plan.covariance_types.index(row["covariance_type"]),
                               row["n_components"]))
    best = _best_index(rows, criterion)
    names = _get_feature_names(X)
    if best_model is not None and names is not None:
        best_model.feature_names_in_ = names
    return SelectionResult(rows=rows, criterion=criterion, best_index_=best,
                           best_estimator_=best_model)


# ---------------------------------------------------------------------- planning and validation
@dataclass
class _Plan:
    X: np.ndarray
    weight: np.ndarray | None
    ks: list[int]
    covariance_types: list[str]
    cv: object
    seed: int
    #: the silhouette subsample, whose distances are computed once for all fits
    silhouette_rows: _SilhouetteSample | None
    #: the configuration of the call, read once and handed to every worker and fit
    options: Options
    #: whether the initialisations are hard labels (every method but 'random')
    init_is_labels: bool = True

    def weights_of(self, rows):
        """The sample weights of ``rows`` (None when unweighted)."""
        return None if self.weight is None else self.weight[rows]


def _plan(X, n_components, covariance_type, criterion, cv, n_init, init_params, random_state,
          sample_weight, silhouette_samples, options) -> _Plan:
    X = check_array(X, dtype=[np.float64, np.float32], ensure_min_samples=2, order="C")
    n_samples = X.shape[0]
    ks = _check_components(n_components, n_samples)
    types = _check_covariance_types(covariance_type)
    if criterion == "cv" and cv is None:
        raise ValueError("criterion='cv' needs cv (a number of folds or a splitter)")
    if silhouette_samples is None and criterion == "silhouette":
        raise ValueError("criterion='silhouette' needs silhouette_samples (got None)")
    splitter = _check_cv(cv, n_samples, random_state)
    weight = _check_sample_weight(sample_weight, n_samples)
    seed = _base_seed(random_state)
    silhouette_rows = (None if silhouette_samples is None
                       else _SilhouetteSample(X, int(silhouette_samples), seed))
    return _Plan(X, weight, ks, types, splitter, seed, silhouette_rows, options,
                 init_is_labels=init_params != "random")


def _check_components(n_components, n_samples) -> list[int]:
    """The sorted distinct values of ``n_components`` (an int or a list of them, as the
    constraints checked), each at most ``n_samples``."""
    values = [n_components] if isinstance(n_components, numbers.Integral) else list(n_components)
    too_many = [int(v) for v in values if v > n_samples]
    if too_many:
        raise ValueError(
            f"n_components {too_many} exceed n_samples={n_samples}: a mixture needs at least "
            "one sample per component"
        )
    return sorted({int(v) for v in values})


def _check_covariance_types(covariance_type) -> list[str]:
    """The distinct covariance types, in order, of a valid ``covariance_type`` ('all', a
    name, or a list of names)."""
    if isinstance(covariance_type, str):
        covariance_type = (covariance_types(in_all=True) if covariance_type == "all"
                           else [covariance_type])
    return list(dict.fromkeys(covariance_type))


def _check_cv(cv, n_samples, random_state):
    if cv is None:
        return None
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        if cv > n_samples:
            raise ValueError(f"cv={cv} folds exceed n_samples={n_samples}")
        return KFold(int(cv), shuffle=True, random_state=_base_seed(random_state))
    return check_cv(cv)


def _base_seed(random_state) -> int:
    """An int seed from ``random_state`` (drawn once from it when it is a generator or None)."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    rng = random_state if isinstance(random_state, np.random.RandomState) else None
    if rng is None:
        rng = np.random.RandomState()
    return int(rng.randint(np.iinfo(np.int32).max))


# ---------------------------------------------------------------------- running configurations
def _run_tasks(plan, criterion, options, n_jobs, progress):
    """Fit every configuration; return all rows and the best model.

    Worker threads take values of ``n_components`` from one queue, largest first, so the
    work stays balanced however long each ``k`` takes; the statistics features of ``X`` are
    computed once per covariance type and shared by all workers and values of ``k``.
    Threads, not processes: the work is NumPy and BLAS, which release the GIL, and threads
    start instantly and share the data. Every fit is deterministic given its configuration and
    seed, so neither the order nor ``n_jobs`` changes the table.
    """
    from joblib import delayed, effective_n_jobs

    work = plan.X.shape[0] * sum(plan.ks) * plan.X.shape[1] ** 2
    workers = (1 if work < plan.options.parallel_min_work
               else min(effective_n_jobs(n_jobs), len(plan.ks)))
    seeds = _shared_seeds(plan, options)
    pending = queue.SimpleQueue()
    for k in sorted(plan.ks, reverse=True):
        pending.put(k)
    bar = progress_bar(len(plan.ks), "gmmkit.select", "k", enabled=progress,
                       text_unit="values of n_components")
    # One BLAS thread per worker, held for the whole sweep (the BLAS limit is process-wide and
    # shared with overlapping calls; OpenMP limits are per thread, so each worker also sets
    # its own: see _in_worker): no oversubscription, and every fit runs the same arithmetic
    # whatever n_jobs.
    rows, best_model, best_rank = [], None, None
    with one_blas_thread(), contextlib.ExitStack() as cleanup:
        cleanup.callback(bar.close)
        sources = _Sources(plan, max(plan.ks))
        # The first worker starts with the k-means++ seeding of the largest k, mostly Python
        # that holds the GIL; the others would wait for it, so they first build what every fit
        # shares, mostly NumPy that releases it.
        shared = [functools.partial(sources.get, covariance_type)
                  for covariance_type in plan.covariance_types]
        if plan.silhouette_rows is not None:
            shared.append(plan.silhouette_rows.distances)
        calls = [delayed(_in_worker)(plan.options, _fit_worker, plan, pending, criterion,
                                     options, seeds, sources, bar, shared if index else ())
                 for index in range(workers)]
        outputs = _in_threads(workers, calls)
        for worker_rows, model, rank in outputs:
            rows.extend(worker_rows)
            if model is not None and (best_rank is None or rank < best_rank):
                best_model, best_rank = model, rank
    return rows, best_model


def _in_threads(workers: int, calls) -> list:
    """Run joblib ``delayed`` calls on ``workers`` threads (in this thread when 1), in order."""
    from joblib import Parallel

    if workers == 1:
        return [call(*args, **kwargs) for call, args, kwargs in calls]
    return Parallel(n_jobs=workers, prefer="threads")(calls)


def _rank(plan, criterion, row) -> tuple:
    """Sort key of a row for ``criterion``: best first, ties broken by table order (covariance
    type, then ``k``), the same order :func:`_best_index` uses."""
    value = row[CRITERIA[criterion].column]
    return (-value if CRITERIA[criterion].higher_is_better else value,
            plan.covariance_types.index(row["covariance_type"]), row["n_components"])


def _in_worker(options: Options, function, *args):
    """``function(*args)`` in a worker thread, under the sweep caller's configuration and with
    this thread's OpenMP limited to one thread.

    Both are settings of the calling thread: neither the caller's configuration nor its OpenMP
    limit reaches worker threads by itself, and their k-means would otherwise start one OpenMP
    thread per core each.
    """
    with using_options(options), one_openmp_thread():
        return function(*args)


def _fit_worker(plan: _Plan, pending, criterion, options, seeds, sources, progress,
                prepare=()):
    """Fit every covariance type for each ``k`` taken from ``pending`` until it is empty;
    returns the rows and the worker's best model with its :func:`_rank` (so only one fitted
    model travels back per worker). ``seeds`` gives a ``k``'s shared k-means++ seeds
    (:func:`_shared_seeds`), ``sources`` the shared features (:class:`_Sources`); the
    calls in ``prepare`` build shared work first (a failure there is left for the fits that
    need that work to report)."""
    for build in prepare:
        with contextlib.suppress(Exception):
            build()
    column = CRITERIA[criterion].column
    rows, best_model, best_rank = [], None, None
    while True:
        try:
            k = pending.get_nowait()
        except queue.Empty:
            return rows, best_model, best_rank
        starts, start_error = _initialisations(plan.X, plan.weight, k, plan.seed, options,
                                               kmeans_seeds=_seeds_of(seeds, k))
        folds = (_fold_initialisations(plan, k, plan.seed, options)
                 if plan.cv is not None else None)
        fitted = []  # (row, model, labels) of each covariance type
        for covariance_type in plan.covariance_types:
            row = {"n_components": k, "covariance_type": covariance_type}
            row.update(_empty_scores(), start=options["init_params"])
            rows.append(row)
            if start_error is not None:
                row["error"] = start_error
                continue
            try:
                fitted.append((row, *_fit_and_score(plan, k, covariance_type, starts, folds,
                                                    sources, options, row)))
            except Exception as exc:  # one failed configuration never stops the sweep
                row.update(_empty_scores(), start=options["init_params"])
                row["error"] = _reason(exc)
        if plan.silhouette_rows is not None and fitted:
            _score_silhouettes(plan.silhouette_rows, fitted)
        for row, model, _ in fitted:
            if np.isfinite(row[column]):
                rank = _rank(plan, criterion, row)
                if best_rank is None or rank < best_rank:
                    best_model, best_rank = model, rank
        progress.update(1)


class _Sources:
    """Statistics features of the data and of each training fold, built once per covariance
    type (and fold) when first asked for, and shared by every ``k`` and every worker thread."""

    def __init__(self, plan, max_components):
        self.plan, self.max_components, self._built = plan, max_components, {}
        self._lock = threading.Lock()
        self._key_locks: dict[tuple, threading.Lock] = {}

    def get(self, covariance_type, train=None, fold=None):
        key = (covariance_type, fold)
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            if key not in self._built:
                rows = slice(None) if train is None else train
                source = feature_source(self.plan.X[rows], self.plan.weights_of(rows),
                                        covariance_type, self.max_components, self.plan.options)
                if self.plan.init_is_labels:
                    source.warm_up()  # labels enter the first M-step sparsely
                self._built[key] = source
            return self._built[key]


def _initialisations(X, weight, k, seed, options, rng=None, kmeans_seeds=None):
    """The initial responsibilities for every ``n_init``, shared by all covariance types
    (``kmeans_seeds``: this ``k``'s k-means++ seeds from :func:`_shared_seeds`, if any)."""
    if rng is None and kmeans_seeds is None:
        rng = np.random.RandomState(seed)  # with shared seeds, k-means draws nothing
    try:
        return [initial_responsibilities(X, k, options["init_params"], rng, weight,
                                         kmeans_seeds=kmeans_seeds)
                for _ in range(options["n_init"])], None
    except Exception as exc:
        return None, f"initialisation failed: {_reason(exc)}"


def _shared_seeds(plan, options) -> SharedKMeansSeeds | None:
    """k-means++ seeds for every ``k`` of the sweep, computed together and on demand (see
    :class:`gmmkit._core.init.SharedKMeansSeeds`); None when they cannot be shared (several
    initialisations per ``k`` draw from one stream)."""
    if options["init_params"] != "kmeans" or options["n_init"] != 1:
        return None
    return SharedKMeansSeeds(plan.X, plan.ks, lambda: np.random.RandomState(plan.seed),
                             plan.weight)


def _seeds_of(seeds: SharedKMeansSeeds | None, k: int):
    """``k``'s shared seeds, or None (then ``k`` seeds its own k-means, which reports any
    problem in its rows)."""
    if seeds is None:
        return None
    try:
        return seeds(k)
    except Exception:
        return None


def _score_silhouettes(sample: _SilhouetteSample, fitted) -> None:
    """Fill the silhouette of each ``(row, model, labels)`` of one ``k``, all in one pass over
    the distances; should that fail, the rows keep NaN and say why."""
    try:
        silhouettes = sample.scores([labels for _, _, labels in fitted])
    except Exception as exc:  # the fits and their other scores stand
        reason = f"silhouette failed: {_reason(exc)}"
        for row, _, _ in fitted:
            row["error"] = reason if row["error"] is None else f"{row['error']}; {reason}"
        return
    for (row, _, _), silhouette in zip(fitted, silhouettes):
        row["silhouette"] = silhouette


def _fit_and_score(plan, k, covariance_type, starts, folds, sources, options, row):
    """Fit one configuration from ``starts`` and fill its row (all but the silhouette, which
    :func:`_score_silhouettes` adds for every covariance type of ``k`` at once); returns the
    fitted estimator and its labels of ``X``."""
    estimator = _estimator(k, covariance_type, options, plan.seed)
    source = sources.get(covariance_type)
    started = time.perf_counter()
    _quietly(estimator._fit, plan.X, plan.weight, starts, False, source, options=plan.options)
    row["fit_seconds"] = time.perf_counter() - started
    labels, criteria = estimator._labels_and_criteria(plan.X, plan.weight, source)
    row.update(criteria)
    row["n_parameters"] = int(estimator.n_parameters_)
    row["converged"] = bool(estimator.converged_)
    row["n_iter"] = int(estimator.n_iter_)
    if folds is not None:
        row["cv_mean"], row["cv_std"], cv_error = _cross_validate(
            plan, k, covariance_type, folds, sources, options)
        if cv_error:
            row["error"] = cv_error
    return estimator, labels


def _warm_start(plan, criterion, options, n_jobs, rows, best_model):
    """Run one warm-start chain per covariance type (in parallel threads), update the rows it
    improves in place, and return the best model of the updated table."""
    from joblib import delayed, effective_n_jobs

    by_config = {(row["covariance_type"], row["n_components"]): row for row in rows}
    types = plan.covariance_types
    workers = min(len(types), effective_n_jobs(n_jobs)) if len(plan.ks) > 1 else 1
    with one_thread():
        calls = (delayed(_in_worker)(plan.options, _warm_chain, plan, covariance_type,
                                     criterion, options, by_config)
                 for covariance_type in types)
        chains = _in_threads(workers, calls)
    best_row = min((row for row in rows if np.isfinite(row[CRITERIA[criterion].column])),
                   key=lambda row: _rank(plan, criterion, row), default=None)
    if best_row is None:
        return best_model
    if best_row["start"].startswith("split"):
        return next(model for model, rank in chains
                    if rank is not None and rank == _rank(plan, criterion, best_row))
    if best_model is not None and best_model.n_components == best_row["n_components"] and \
            best_model.covariance_type == best_row["covariance_type"]:
        return best_model
    # a warm row lost ground on this criterion (silhouette can) and another k-means row leads
    k, covariance_type = best_row["n_components"], best_row["covariance_type"]
    starts, _ = _initialisations(plan.X, plan.weight, k, plan.seed, options)
    model = _estimator(k, covariance_type, options, plan.seed)
    _quietly(model._fit, plan.X, plan.weight, starts, False, None, options=plan.options)
    return model


def _warm_chain(plan, covariance_type, criterion, options, by_config):
    """Fit each ``k`` from the previous ``k``'s chain model, split; returns the best replaced
    row's model and its rank (or ``(None, None)``)."""
    source = feature_source(plan.X, plan.weight, covariance_type, max(plan.ks), plan.options)
    chain_model, best, best_rank = None, None, None
    for previous, k in zip([None, *plan.ks[:-1]], plan.ks):
        row = by_config[covariance_type, k]
        try:
            if chain_model is None:
                starts, error = _initialisations(plan.X, plan.weight, k, plan.seed, options)
                if error is not None:
                    continue
                chain_model = _estimator(k, covariance_type, options, plan.seed)
                _quietly(chain_model._fit, plan.X, plan.weight, starts, False, source,
                         options=plan.options)
                continue
            weights, means, covariances = split_components(
                covariance_type, chain_model.weights_, chain_model.means_,
                chain_model.covariances_, k)
            model = GaussianMixture(
                k, covariance_type=covariance_type, tol=options["tol"],
                reg_covar=options["reg_covar"], max_iter=options["max_iter"],
                weights_init=weights, means_init=means,
                precisions_init=covariance_model(covariance_type, means.shape[1]).invert(
                    covariances, symmetric=True),
                accelerate=options["accelerate"])
            started = time.perf_counter()
            _quietly(model._fit, plan.X, plan.weight, None, False, source,
                     options=plan.options)
            seconds = time.perf_counter() - started
        except Exception:  # a chain that breaks stops; its rows keep their k-means fits
            chain_model = None
            continue
        chain_model = model
        labels, criteria = model._labels_and_criteria(plan.X, plan.weight, source)
        if row["error"] is None and not criteria["log_likelihood"] > row["log_likelihood"]:
            continue
        row.update(criteria)
        row.update(n_parameters=int(model.n_parameters_), converged=bool(model.converged_),
                   n_iter=int(model.n_iter_), fit_seconds=seconds,
                   start=f"split k={previous}", error=None)
        if plan.silhouette_rows is not None:
            row["silhouette"] = plan.silhouette_rows.score(labels)
        if np.isfinite(row[CRITERIA[criterion].column]):
            rank = _rank(plan, criterion, row)
            if best_rank is None or rank < best_rank:
                best, best_rank = model, rank
    return best, best_rank


def _fold_initialisations(plan, k, seed, options):
    """Per fold: ``(train, test, starts, error)``, the starts shared by all covariance types."""
    folds = []
    for fold, (train, test) in enumerate(plan.cv.split(plan.X)):
        if len(train) < k:
            error = (f"cv: training fold {fold} has {len(train)} samples, fewer than "
                     f"{k} components")
            folds.append((train, test, None, error))
            continue
        fold_rng = np.random.RandomState(
            np.random.SeedSequence([seed, fold + 1]).generate_state(1)[0])
        starts, error = _initialisations(plan.X[train], plan.weights_of(train), k, seed, options,
                                         fold_rng)
        folds.append((train, test, starts, None if error is None else f"cv fold {fold}: {error}"))
    return folds


def _cross_validate(plan, k, covariance_type, folds, sources, options):
    """Mean and standard deviation over folds of the held-out log-likelihood per sample."""
    scores = []
    for fold, (train, test, starts, error) in enumerate(folds):
        if error:
            return np.nan, np.nan, error
        estimator = _estimator(k, covariance_type, options, plan.seed)
        source = sources.get(covariance_type, train, fold)
        _quietly(estimator._fit, source.X, plan.weights_of(train), starts, False, source,
                 options=plan.options)
        scores.append(estimator.score(plan.X[test], sample_weight=plan.weights_of(test)))
    return float(np.mean(scores)), float(np.std(scores)), None


def _estimator(k, covariance_type, options, seed):
    return GaussianMixture(
        k, covariance_type=covariance_type, tol=options["tol"], reg_covar=options["reg_covar"],
        max_iter=options["max_iter"], n_init=options["n_init"],
        init_params=options["init_params"], random_state=seed,
        accelerate=options["accelerate"],
    )


def _quietly(function, *args, **kwargs):
    """Run a fit; convergence and recovery warnings are summarised by the table instead."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


class _SilhouetteSample:
    """A seeded subsample of at most ``max_samples`` rows for the silhouette score.

    Silhouette needs all pairwise distances of the subsample; they do not depend on the
    configuration, so one matrix, computed by the first fit that needs it, serves every fit of
    the sweep (thread-safe). It is kept in float32: each score reads the whole matrix, so
    this halves the memory traffic of the sweep's largest memory-bound step, and a silhouette
    is still good to about 1e-6.
    """

    def __init__(self, X, max_samples, seed):
        if max_samples < 2:
            raise ValueError(f"silhouette_samples must be at least 2, got {max_samples}")
        self.rows = np.arange(len(X))
        if len(X) > max_samples:
            self.rows = np.sort(np.random.RandomState(seed).choice(len(X), max_samples,
                                                                   replace=False))
        self._X = X
        self._distances = None
        self._lock = threading.Lock()

    def distances(self) -> np.ndarray:
        with self._lock:
            if self._distances is None:
                self._distances = _float32_distances(self._X[self.rows])
        return self._distances

    def score(self, labels) -> float:
        """Mean silhouette of ``labels`` (of all rows of ``X``) on the subsample."""
        return _silhouette(labels, self.rows, self.distances())

    def scores(self, label_sets) -> list[float]:
        """:meth:`score` of each labelling, from one pass over the distances."""
        return _silhouettes(label_sets, self.rows, self.distances())


#: Rows of float64 distances computed at a time before they are stored in float32.
DISTANCE_BLOCK_ROWS = 256


def _float32_distances(X) -> np.ndarray:
    """Euclidean distances between the rows of ``X``, computed in float64 a block of rows at a
    time and stored in float32, so the float64 matrix (twice the size) never exists."""
    n = X.shape[0]
    squared_norms = row_norms(X, squared=True)
    out = np.empty((n, n), dtype=np.float32)
    for start in range(0, n, DISTANCE_BLOCK_ROWS):
        block = slice(start, min(start + DISTANCE_BLOCK_ROWS, n))
        # scikit-learn's euclidean_distances, operation for operation, without its validation
        squared = -2.0 * (X[block] @ X.T)
        squared += squared_norms[block, None]
        squared += squared_norms[None, :]
        np.maximum(squared, 0.0, out=squared)
        out[block] = np.sqrt(squared)
    np.fill_diagonal(out, 0.0)
    return out


def _silhouette(labels, rows, distances) -> float:
    """Mean silhouette of one labelling (see :func:`_silhouettes`)."""
    return _silhouettes([labels], rows, distances)[0]


def _silhouettes(label_sets, rows, distances) -> list[float]:
    r"""Mean silhouette of each labelling in ``label_sets`` on the subsample ``rows``; NaN
    where it is undefined (fewer than 2 or more than ``n - 1`` clusters).

    :math:`s_i = (b_i - a_i) / \max(a_i, b_i)` with :math:`a_i` the mean distance to the other
    members of its cluster and :math:`b_i` the smallest mean distance to another cluster (0 for
    singletons), as :func:`sklearn.metrics.silhouette_score` defines it. The per-cluster distance
    sums of all labellings are one sparse product with the precomputed distance matrix, in its
    dtype. The one-hot matrix is stored by column, so the product reads each row of the
    distance matrix (the sweep's largest memory-bound read) once for all labellings.
    """
    n = len(rows)
    scores = [np.nan] * len(label_sets)
    clusterings, cluster_rows, offset = {}, [], 0
    for index, labels in enumerate(label_sets):
        clusters, members = np.unique(labels[rows], return_inverse=True)
        if 2 <= clusters.size <= n - 1:
            clusterings[index] = (members, np.bincount(members), offset)
            cluster_rows.append(members + offset)
            offset += clusters.size
    if not clusterings:
        return scores
    per_column = len(cluster_rows)
    one_hot = scipy.sparse.csc_array(
        (np.ones(per_column * n, dtype=distances.dtype), np.stack(cluster_rows, axis=1).ravel(),
         np.arange(0, per_column * n + 1, per_column)), shape=(offset, n))
    all_sums = one_hot @ distances
    own_entries_columns = np.arange(n)
    for index, (members, counts, start) in clusterings.items():
        sums = all_sums[start : start + counts.size]
        own_entries = (members, own_entries_columns)
        own = counts[members]
        a = sums[own_entries].astype(np.float64) / np.maximum(own - 1, 1)
        means = np.divide(sums, counts[:, None].astype(sums.dtype), out=sums)
        means[own_entries] = np.inf
        b = means.min(axis=0).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.where(own > 1, (b - a) / np.maximum(a, b), 0.0)
        scores[index] = float(np.nan_to_num(s).mean())
    return scores


def _empty_scores() -> dict:
    return {"bic": np.nan, "aic": np.nan, "icl": np.nan, "log_likelihood": np.nan,
            "n_parameters": np.nan, "converged": False, "n_iter": 0, "fit_seconds": np.nan,
            "silhouette": np.nan, "cv_mean": np.nan, "cv_std": np.nan, "start": None,
            "error": None}


def _reason(exc: BaseException) -> str:
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _best_index(rows, criterion) -> int:
    column = CRITERIA[criterion].column
    values = np.array([row[column] for row in rows], dtype=float)
    if not np.isfinite(values).any():
        reasons = sorted({row["error"] for row in rows if row["error"]})
        raise ValueError(
            f"no configuration could be scored by {criterion!r}; reasons: {reasons}"
        )
    values[~np.isfinite(values)] = -np.inf if CRITERIA[criterion].higher_is_better else np.inf
    return int(np.argmax(values) if CRITERIA[criterion].higher_is_better else np.argmin(values))


def _as_table(rows):
    try:
        import pandas as pd
    except ImportError:
        return [dict(row) for row in rows]
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


# ---------------------------------------------------------------------- estimator form
class GaussianMixtureSelector(DensityMixin, BaseEstimator):
    """A model-selection sweep as an estimator: ``fit`` runs :func:`select`, then the selector
    behaves like the best mixture (``predict``, ``predict_proba``, ``score_samples``, ``score``,
    ``sample``, ``bic``, ``aic``, ``icl``), so it can sit in a Pipeline.

    Parameters are those of :func:`select`.

    Attributes
    ----------
    best_estimator_ : GaussianMixture
    best_params_ : dict
    best_index_ : int
    rows_ : list of dict
        The table's rows; ``table_`` and ``result_`` are built from them.
    table_ : pandas.DataFrame or list of dict
    result_ : SelectionResult
    n_features_in_ : int
    """

    _parameter_constraints: dict = parameter_constraints("GaussianMixtureSelector")

    def __init__(self, n_components=tuple(range(1, 11)), covariance_type="all", criterion="bic",
                 cv=None, *, n_init=1, init_params="kmeans", random_state=None, n_jobs=None,
                 tol=1e-3, reg_covar=1e-6, max_iter=100, silhouette_samples=2000,
                 progress=False, accelerate=False, warm_start=False):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.criterion = criterion
        self.cv = cv
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.silhouette_samples = silhouette_samples
        self.progress = progress
        self.accelerate = accelerate
        self.warm_start = warm_start

    def fit(self, X, y=None, sample_weight=None):
        """Run the sweep and keep the best mixture."""
        self._validate_params()
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
        result = select(
            X, self.n_components, self.covariance_type, self.criterion, self.cv,
            n_init=self.n_init, init_params=self.init_params, random_state=self.random_state,
            n_jobs=self.n_jobs, sample_weight=sample_weight, tol=self.tol,
            reg_covar=self.reg_covar, max_iter=self.max_iter,
            silhouette_samples=self.silhouette_samples, progress=self.progress,
            accelerate=self.accelerate, warm_start=self.warm_start,
        )
        self.rows_ = result.records()
        self.best_index_ = result.best_index_
        self.best_estimator_ = result.best_estimator_
        self.best_params_ = result.best_params_
        return self

    @property
    def result_(self) -> SelectionResult:
        """The sweep as a :class:`SelectionResult` (rebuilt from the fitted rows, so a saved
        and loaded selector has it too)."""
        check_is_fitted(self)
        return SelectionResult(rows=self.rows_, criterion=self.criterion,
                               best_index_=self.best_index_,
                               best_estimator_=self.best_estimator_)

    @property
    def table_(self):
        """The sweep's table (see :attr:`SelectionResult.table`)."""
        return self.result_.table

    def _checked(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=[np.float64, np.float32], reset=False)

    def predict(self, X):
        """Most probable component of the best mixture for every row."""
        X = self._checked(X)
        return self.best_estimator_.predict(X)

    def predict_proba(self, X):
        """Responsibilities under the best mixture."""
        X = self._checked(X)
        return self.best_estimator_.predict_proba(X)

    def score_samples(self, X):
        """Log-density of every row under the best mixture."""
        X = self._checked(X)
        return self.best_estimator_.score_samples(X)

    def score(self, X, y=None, sample_weight=None):
        """Mean (weighted) log-likelihood per sample under the best mixture."""
        X = self._checked(X)
        return self.best_estimator_.score(X, sample_weight=sample_weight)

    def bic(self, X, sample_weight=None):
        """BIC of the best mixture on ``X`` (lower is better)."""
        X = self._checked(X)
        return self.best_estimator_.bic(X, sample_weight=sample_weight)

    def aic(self, X, sample_weight=None):
        """AIC of the best mixture on ``X`` (lower is better)."""
        X = self._checked(X)
        return self.best_estimator_.aic(X, sample_weight=sample_weight)

    def icl(self, X, sample_weight=None):
        """ICL of the best mixture on ``X`` (lower is better)."""
        X = self._checked(X)
        return self.best_estimator_.icl(X, sample_weight=sample_weight)

    def sample(self, n_samples=1, random_state=None):
        """Draw from the best mixture (see :meth:`GaussianMixture.sample`)."""
        check_is_fitted(self)
        return self.best_estimator_.sample(n_samples, random_state=random_state)


# ---------------------------------------------------------------------- GridSearchCV scorers
def bic_scorer(estimator, X, y=None):
    """Negated BIC of ``estimator`` on ``X``, for ``GridSearchCV(scoring=bic_scorer)``.

    The sign is flipped so that greater is better, as scikit-learn's search expects. Note which
    data it sees: ``GridSearchCV`` calls a scorer on each *held-out* fold, so this is the BIC of
    the validation fold under the model fitted on the training folds (the penalty uses the
    fold's size), not the in-sample BIC that model selection usually means; :func:`select`
    computes the in-sample BIC on all the data.
    """
    return -float(estimator.bic(X))


def aic_scorer(estimator, X, y=None):
    """Negated AIC of ``estimator`` on ``X`` (greater is better); see :func:`bic_scorer` for
    which data ``GridSearchCV`` passes."""
    return -float(estimator.aic(X))
