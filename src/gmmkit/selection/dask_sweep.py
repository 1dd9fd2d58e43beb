r""":func:`gmmkit.select` on a Dask array: the whole sweep in lockstep, so it costs passes over
the data, not configurations x passes.

Every configuration of the sweep (each ``n_components`` x covariance type x start) is one run
of :func:`gmmkit._core.lockstep.fit_in_lockstep`: a round answers the next E-step of every run
still going from one read of each block (:meth:`gmmkit.backends.dask.DaskSource.batch_statistics`
groups the requests of all covariance types over the same rows into one task per block). The
passes of a sweep are

* one to validate the data and find their mean and variances
  (:func:`gmmkit.backends.dask.check_data`),
* what the starts gather (:func:`gmmkit.backends.dask.dask_starts`: nothing for
  ``random_from_data``; for k-means a sample of rows, and for ``hc`` 2000 rows, per
  ``n_components``; on data small enough for these starts to take every row, the rows
  once for the whole sweep),
* one for the first M-step of every start of every configuration,
* one per round of EM (as many as the longest run has iterations),
* one for the criteria of every configuration (log-likelihood and entropy, summed per block),
* one to gather the silhouette sample (unless ``silhouette_samples=None``), and
* the polish of the chosen configuration (:mod:`gmmkit.selection.polishing`): one per
  iteration, and one for its criteria.

The table, ``best_estimator_`` and the criteria are those of the in-memory sweep: from the same
starts each configuration follows the same iterates, its statistics summed in another order
(relative differences of order 1e-15). The silhouettes are computed on the same seeded
subsample of rows as in memory (:func:`gmmkit.selection.silhouette.silhouette_rows`), gathered
once, with each fitted model's labels of those rows.

With a ``prior``, every configuration's is resolved from the data's moments (mean, covariance,
rows of positive weight: :func:`gmmkit._core.prior.resolve_prior_from_moments`), which one more
pass gives, as the in-memory sweep resolves it from the rows.

Not available on Dask input (each a ``ValueError`` before any pass): ``cv`` (held-out folds of a
Dask array; select on an in-memory sample, or compare by an information criterion),
``warm_start``, ``standardize`` and ``init_params='random'``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .._config import Options, current_options
from .._core.fitting import EMSettings, Start
from .._core.hierarchical import SUBSET_SIZE, HierarchicalStart
from .._core.init import initial_responsibilities
from .._core.lockstep import Configuration, fit_in_lockstep
from .._core.posedness import ill_posed_reason
from .._core.prior import resolve_prior_from_moments
from .._dask_input import as_dask_array
from .._progress import progress_bar
from ..criteria import CRITERIA
from ..mixture import GaussianMixture
from .fitting import BOTH_STARTS, new_estimator, short_runs, start_methods
from .planning import (
    SweepSettings,
    _base_seed,
    _check_components,
    _check_covariance_types,
)
from .polishing import POLISH_MAX_ITER, POLISH_TOL
from .result import (
    SelectionResult,
    best_index,
    eligible,
    error_text,
    fit_columns,
    new_row,
    rank,
)
from .silhouette import SilhouetteSample, silhouette_rows


def run_dask_selection(X, settings: SweepSettings, sample_weight=None) -> SelectionResult:
    """:func:`gmmkit.select` with checked ``settings`` on a Dask array or DataFrame ``X``
    (see the module docstring)."""
    from ..backends.dask import check_data

    _refuse_unsupported(settings)
    X, names = as_dask_array(X)
    options = current_options()
    data = check_data(X, sample_weight, options)
    n_samples = data.n_samples
    if n_samples < 2:
        raise ValueError(f"select needs at least 2 rows, got {n_samples}")
    ks = _check_components(settings.n_components, n_samples)
    types = _check_covariance_types(settings.covariance_type, settings.prior)
    if settings.silhouette_samples is None and settings.criterion == "silhouette":
        raise ValueError("criterion='silhouette' needs silhouette_samples (got None)")
    seed = _base_seed(settings.random_state)
    sweep = _DaskSweep(data, settings, ks, types, seed, options)
    rows, models = sweep.fit_all()
    sweep.score_silhouettes(rows, models)
    best_model = None
    ranked = [
        (rank(settings.criterion, types, row), i)
        for i, row in enumerate(rows)
        if eligible(row, settings.criterion)
    ]
    if ranked:
        _, chosen = min(ranked)
        best_model = models[chosen]
        if CRITERIA[settings.criterion].information:
            best_model = sweep.polish(rows[chosen], best_model)
    rows.sort(key=lambda row: (types.index(row["covariance_type"]), row["n_components"]))
    if best_model is not None and names is not None:
        best_model.feature_names_in_ = np.asarray(names, dtype=object)
    best = best_index(rows, settings.criterion)
    assert best_model is not None  # best_index raised if no configuration was eligible
    result = SelectionResult(
        rows=rows, criterion=settings.criterion, best_index_=best, best_estimator_=best_model
    )
    result.warn_about_range_and_convergence()
    return result


def _refuse_unsupported(settings: SweepSettings) -> None:
    refused = {
        "cv": (
            settings.cv is not None or settings.criterion == "cv",
            "held-out folds of a Dask array are not supported; compare configurations by "
            "'bic', 'aic' or 'icl', or cross-validate select on an in-memory sample",
        ),
        "warm_start": (
            bool(settings.warm_start),
            "warm-start chains refit every k one after another; run them in memory",
        ),
        "standardize": (
            bool(settings.standardize),
            "standardize the Dask array first ((X - mean) / std, lazily)",
        ),
        "init_params": (
            settings.init_params == "random",
            "'random' draws n_samples x n_components numbers on the client; use "
            "'kmeans', 'k-means++', 'random_from_data', 'hc' or 'hc+kmeans'",
        ),
    }
    for name, (refuse, why) in refused.items():
        if refuse:
            value = getattr(settings, name)
            raise ValueError(f"select on Dask input does not support {name}={value!r}: {why}")


class _DaskSweep:
    """The state of one sweep on Dask data: its sources, starts, and how it scores."""

    def __init__(self, data, settings: SweepSettings, ks, types, seed, options: Options):
        self.data, self.settings, self.ks, self.types, self.seed = data, settings, ks, types, seed
        self.sources = {
            covariance_type: data.source(covariance_type, options=options)
            for covariance_type in types
        }
        self._rows: tuple[np.ndarray, np.ndarray | None] | None = None
        self._tree: HierarchicalStart | None = None
        self._covariance: np.ndarray | None = None

    # --- fitting -------------------------------------------------------------------------------
    def starts(self, k: int) -> list:
        """The initial responsibilities of ``k``, shared by every covariance type: drawn as
        :func:`gmmkit.selection.fitting.initialisations` draws them in memory (each method
        from a generator seeded with the sweep's seed; the hierarchical start first), by
        :func:`gmmkit.backends.dask.dask_starts`. Where that start gathers every row (``hc``
        up to :data:`~gmmkit._core.hierarchical.SUBSET_SIZE` rows, k-means up to
        :data:`~gmmkit.backends.dask.KMEANS_SAMPLE_SIZE`), the rows are gathered once for
        the sweep and the tree is built once, as the in-memory sweep shares its own: the
        same starts, without a gather and a tree per ``k``."""
        from ..backends.dask import KMEANS_SAMPLE_SIZE, dask_starts

        starts = []
        for method in start_methods(self.settings.init_params):
            count = (
                1
                if method == "hc" and self.settings.init_params == BOTH_STARTS
                else self.settings.n_init
            )
            rng = np.random.RandomState(self.seed)
            if method == "hc" and self.data.n_samples <= SUBSET_SIZE:
                starts += [self._hierarchy().labels(k)] * count  # one tree, no draw
            elif method in ("kmeans", "k-means++") and self.data.n_samples <= KMEANS_SAMPLE_SIZE:
                rows, weight = self._gathered()
                starts += [
                    initial_responsibilities(rows, k, method, rng, weight) for _ in range(count)
                ]
            else:
                starts += list(dask_starts(self.data, k, method, rng, count))
        return starts

    def _gathered(self) -> tuple:
        """Every row and weight of the data, in memory (gathered on first use)."""
        if self._rows is None:
            from ..backends.dask import gather_rows

            weight = self.data.sample_weight
            self._rows = (
                gather_rows(self.data.X, np.arange(self.data.n_samples)),
                None if weight is None else np.asarray(weight.compute()),
            )
        return self._rows

    def _hierarchy(self) -> HierarchicalStart:
        if self._tree is None:
            self._tree = HierarchicalStart(self._gathered()[0])
        return self._tree

    def settings_of(self, k: int, covariance_type: str, *, tol=None, max_iter=None) -> EMSettings:
        """The EM settings of one configuration (with its prior, in the sources' shifted
        coordinates)."""
        settings = self.settings
        return EMSettings(
            k,
            settings.reg_covar,
            settings.tol if tol is None else tol,
            settings.max_iter if max_iter is None else max_iter,
            bool(settings.accelerate),
            prior=self.prior_of(k, covariance_type),
            short_runs=short_runs(settings.init_params),
        )

    def prior_of(self, k: int, covariance_type: str):
        if self.settings.prior is None:
            return None
        if self._covariance is None:
            # every source is shifted to the data's mean: one scatter serves every type
            source = next(iter(self.sources.values()))
            self._covariance = source.scatter() / source.total_weight
        source = self.sources[covariance_type]
        resolved = resolve_prior_from_moments(
            self.settings.prior,
            self.data.mean,
            self._covariance,
            self.data.positive_rows,
            k,
            source.model,
        )
        assert resolved is not None  # a prior was asked for
        return resolved.shifted(source.shift)

    def ill_posed(self, covariance_type: str):
        model = self.sources[covariance_type].model
        data, reg_covar = self.data, self.settings.reg_covar
        prior = self.settings.prior is not None

        def reason(run):
            return ill_posed_reason(
                model,
                run.params.weights,
                run.params.covariances,
                n_samples=data.n_samples,
                data_variances=data.variances,
                reg_covar=reg_covar,
                recovered=run.final_recovered if run.n_iter else run.recovered,
                prior=prior,
            )

        return reason

    def fit_all(self) -> tuple[list[dict], list]:
        """Every configuration's row and fitted model (None where it failed), in lockstep."""
        settings = self.settings
        rows: list[dict[str, Any]] = []
        models: list[GaussianMixture | None] = []
        configurations: list[Configuration] = []
        placed: list[int] = []
        for k in self.ks:
            try:
                starts, error = [Start(resp) for resp in self.starts(k)], None
            except Exception as exc:
                starts, error = None, f"initialisation failed: {error_text(exc)}"
            for covariance_type in self.types:
                row = new_row(k, covariance_type, settings.init_params)
                rows.append(row)
                models.append(None)
                if error is not None:
                    row["error"] = error
                    continue
                assert starts is not None  # drawn without error
                configurations.append(
                    Configuration(
                        self.sources[covariance_type],
                        starts,
                        self.settings_of(k, covariance_type),
                        ill_posed=self.ill_posed(covariance_type),
                    )
                )
                placed.append(len(rows) - 1)
        started = time.perf_counter()
        outcomes = self.lockstep(configurations, "gmmkit.select")
        share = (time.perf_counter() - started) / max(len(configurations), 1)
        fitted = []
        for index, config, outcome in zip(placed, configurations, outcomes):
            row = rows[index]
            if isinstance(outcome, Exception):
                row["error"] = error_text(outcome)
                continue
            models[index] = self.estimator(
                row["n_components"], row["covariance_type"], config, outcome.run
            )
            row["fit_seconds"] = share
            fitted.append(index)
        fitted_models = [model for model in models if model is not None]
        for index, model, criteria in zip(fitted, fitted_models, self.criteria(fitted_models)):
            rows[index].update(criteria)
            rows[index].update(fit_columns(model))
        return rows, models

    def lockstep(self, configurations, description):
        """:func:`fit_in_lockstep` with a bar over the rounds when ``progress``."""
        bar = progress_bar(
            self.settings.max_iter if description == "gmmkit.select" else POLISH_MAX_ITER,
            description,
            "round",
            enabled=bool(self.settings.progress),
            text_unit="EM rounds",
        )
        with bar:
            return fit_in_lockstep(configurations, on_round=lambda *_: bar.update(1))

    def estimator(
        self,
        k: int,
        covariance_type: str,
        config: Configuration,
        run,
        estimator: GaussianMixture | None = None,
    ) -> GaussianMixture:
        """``estimator`` (by default the sweep's unfitted one for the configuration) fitted
        with the parameters of ``run``, in the data's coordinates."""
        if estimator is None:
            estimator = new_estimator(k, covariance_type, self.settings, self.seed)
        source = config.source
        params = run.params
        return estimator._set_fitted(
            params.weights,
            params.means + source.shift,
            params.covariances,
            params.precisions_cholesky,
            model=source.model,
            dtype=self.data.X.dtype,
            converged=run.converged,
            n_iter=run.n_iter,
            lower_bounds=run.lower_bounds,
            ill_posed=run.ill_posed,
        )

    # --- scoring -------------------------------------------------------------------------------
    def criteria(self, models: list[GaussianMixture]) -> list[dict]:
        r"""BIC, AIC, ICL and the mean log-likelihood of every model on the data (see
        :meth:`GaussianMixture.criteria`), from one pass: per model, the weighted sums
        :math:`\log L = \sum_i w_i \log p(x_i)` and :math:`E = -\sum_i w_i \sum_k r_{ik} \log
        r_{ik}`, summed block by block."""
        import dask

        if not models:
            return []
        weight = self.data.sample_weight
        sums = []
        for model in models:
            source = self.sources[model.covariance_type]
            theta, shared = source.model.theta(
                np.asarray(model.weights_, dtype=np.float64),
                np.asarray(model.means_, dtype=np.float64) - source.shift,
                np.asarray(model.precisions_cholesky_, dtype=np.float64),
            )
            summary = source.per_row(theta, shared, "summary")[:, :2]
            sums.append(
                summary.sum(axis=0) if weight is None else (summary * weight[:, None]).sum(axis=0)
            )
        total = self.data.total_weight
        return [
            model._criteria_from_sums(pair, total)
            for model, pair in zip(models, dask.compute(*sums))
        ]

    def score_silhouettes(self, rows: list[dict], models: list) -> None:
        """The silhouette of every fitted row, on the sweep's seeded subsample of rows."""
        if self.settings.silhouette_samples is None:
            return
        from ..backends.dask import gather_rows

        fitted = [i for i, model in enumerate(models) if model is not None]
        if not fitted:
            return
        try:
            chosen = silhouette_rows(
                self.data.n_samples, int(self.settings.silhouette_samples), self.seed
            )
            sample = gather_rows(self.data.X, chosen)
            silhouettes = SilhouetteSample.of(sample, np.arange(len(chosen)))
            scores = silhouettes.scores([models[i].predict(sample) for i in fitted])
        except Exception as exc:  # the fits and their other scores stand
            reason = f"silhouette failed: {error_text(exc)}"
            for i in fitted:
                rows[i]["error"] = (
                    reason if rows[i]["error"] is None else f"{rows[i]['error']}; {reason}"
                )
            return
        for i, score in zip(fitted, scores):
            rows[i]["silhouette"] = score

    def polish(self, row: dict, model: GaussianMixture) -> GaussianMixture:
        """:func:`gmmkit.selection.polishing.polish` on the Dask data: ``model`` refitted
        from its own parameters to :data:`POLISH_TOL`, kept only when well posed and no
        lower."""
        settings = self.settings
        if settings.tol <= POLISH_TOL and settings.max_iter >= POLISH_MAX_ITER:
            return model
        covariance_type, k = model.covariance_type, model.n_components
        source = self.sources[covariance_type]
        polished = GaussianMixture(
            k,
            covariance_type=covariance_type,
            tol=POLISH_TOL,
            reg_covar=settings.reg_covar,
            max_iter=POLISH_MAX_ITER,
            weights_init=model.weights_,
            means_init=model.means_,
            precisions_init=model.precisions_,
            random_state=self.seed,
            accelerate=bool(settings.accelerate),
            prior=settings.prior,
        )
        start = Start(
            weights=np.asarray(model.weights_, dtype=np.float64),
            means=np.asarray(model.means_, dtype=np.float64) - source.shift,
            precisions=np.asarray(model.precisions_, dtype=np.float64),
        )
        config = Configuration(
            source,
            [start],
            self.settings_of(k, covariance_type, tol=POLISH_TOL, max_iter=POLISH_MAX_ITER),
            ill_posed=self.ill_posed(covariance_type),
        )
        (outcome,) = self.lockstep([config], "gmmkit.select polish")
        if isinstance(outcome, (ValueError, ArithmeticError)):
            return model
        if isinstance(outcome, Exception):
            raise outcome
        self.estimator(k, covariance_type, config, outcome.run, polished)
        (criteria,) = self.criteria([polished])
        if (
            polished.ill_posed_ is not None
            or not criteria["log_likelihood"] >= row["log_likelihood"]
        ):
            return model
        iterations = row["n_iter"] + polished.n_iter_
        row.update(criteria)
        row.update(fit_columns(polished), n_iter=iterations)
        return polished
