"""Warm-start chains (``select(..., warm_start=True)``): after the sweep, each ``k`` but the
smallest is also fitted from the previous ``k``'s fit, grown by splitting its widest
components, one chain along ``n_components`` per covariance type; a row takes the warm fit
only where its log-likelihood is higher."""

from __future__ import annotations

import time

from .._core.covariances import covariance_model
from .._core.split import split_components
from .._core.threads import one_thread
from ..mixture import GaussianMixture, feature_source
from .fitting import fit_configuration, initialisations, new_estimator
from .planning import Plan, SweepSettings
from .result import eligible, fit_columns, rank
from .running import in_worker, worker_pool


def warm_start(plan: Plan, settings: SweepSettings, rows, best_model, silhouettes):
    """Run one warm-start chain per covariance type (in parallel threads), update the rows it
    improves in place, and return the best model of the updated table (``silhouettes``: the
    sweep's future :class:`~gmmkit.selection.silhouette.SilhouetteSample`, or None)."""
    from joblib import effective_n_jobs

    criterion = settings.criterion
    by_config = {(row["covariance_type"], row["n_components"]): row for row in rows}
    types = plan.covariance_types
    workers = min(len(types), effective_n_jobs(settings.n_jobs)) if len(plan.ks) > 1 else 1
    with one_thread(), worker_pool(workers) as pool:
        tasks = [
            pool.submit(
                in_worker,
                plan.options,
                _warm_chain,
                plan,
                settings,
                covariance_type,
                by_config,
                silhouettes,
            )
            for covariance_type in types
        ]
        chains = [task.result() for task in tasks]
    best_row = min(
        (row for row in rows if eligible(row, criterion)),
        key=lambda row: rank(criterion, types, row),
        default=None,
    )
    if best_row is None:
        return best_model
    if best_row["start"].startswith("split"):
        return next(
            model
            for model, model_rank in chains
            if model_rank is not None and model_rank == rank(criterion, types, best_row)
        )
    if (
        best_model is not None
        and best_model.n_components == best_row["n_components"]
        and best_model.covariance_type == best_row["covariance_type"]
    ):
        return best_model
    # a warm row lost ground on this criterion (silhouette can) and another k-means row leads
    k, covariance_type = best_row["n_components"], best_row["covariance_type"]
    starts, _ = initialisations(plan.X, plan.weight, k, plan.seed, settings)
    model = new_estimator(k, covariance_type, settings, plan.seed)
    fit_configuration(model, plan.X, plan.weight, starts, None, plan.options)
    return model


def _warm_chain(plan: Plan, settings: SweepSettings, covariance_type, by_config, silhouettes):
    """Fit each ``k`` from the previous ``k``'s chain model, split; returns the best replaced
    row's model and its rank (or ``(None, None)``)."""
    source = feature_source(plan.X, plan.weight, covariance_type, max(plan.ks), plan.options)
    chain_model, best, best_rank = None, None, None
    for previous, k in zip([None, *plan.ks[:-1]], plan.ks):
        row = by_config[covariance_type, k]
        try:
            if chain_model is None:
                starts, error = initialisations(plan.X, plan.weight, k, plan.seed, settings)
                if error is not None:
                    continue
                chain_model = new_estimator(k, covariance_type, settings, plan.seed)
                fit_configuration(chain_model, plan.X, plan.weight, starts, source, plan.options)
                continue
            model = _split_estimator(chain_model, k, settings)
            started = time.perf_counter()
            labels, criteria = fit_configuration(
                model, plan.X, plan.weight, None, source, plan.options, scores=True
            )
            seconds = time.perf_counter() - started
        except Exception:  # a chain that breaks stops; its rows keep their k-means fits
            chain_model = None
            continue
        chain_model = model
        if row["error"] is None and not _better(model, criteria, row):
            continue
        row.update(criteria)
        row.update(fit_columns(model), fit_seconds=seconds, start=f"split k={previous}", error=None)
        if silhouettes is not None:
            row["silhouette"] = silhouettes.result().score(labels)
        if eligible(row, settings.criterion):
            model_rank = rank(settings.criterion, plan.covariance_types, row)
            if best_rank is None or model_rank < best_rank:
                best, best_rank = model, model_rank
    return best, best_rank


def _better(model: GaussianMixture, criteria: dict, row: dict) -> bool:
    """Whether the warm fit ``model`` (with its ``criteria``) replaces the fit of ``row``:
    a well-posed fit beats an ill-posed one, then the higher likelihood wins."""
    posed, row_posed = model.ill_posed_ is None, not row["ill_posed"]
    if posed != row_posed:
        return posed
    return criteria["log_likelihood"] > row["log_likelihood"]


def _split_estimator(model: GaussianMixture, k: int, settings: SweepSettings) -> GaussianMixture:
    """An unfitted ``k``-component mixture starting from fitted ``model`` with its widest
    components split (:mod:`gmmkit._core.split`)."""
    covariance_type = model.covariance_type
    weights, means, covariances = split_components(
        covariance_type, model.weights_, model.means_, model.covariances_, k
    )
    return GaussianMixture(
        k,
        covariance_type=covariance_type,
        tol=settings.tol,
        reg_covar=settings.reg_covar,
        max_iter=settings.max_iter,
        weights_init=weights,
        means_init=means,
        precisions_init=covariance_model(covariance_type, means.shape[1]).invert(
            covariances, symmetric=True
        ),
        accelerate=bool(settings.accelerate),
        prior=settings.prior,
    )
