"""How a sweep starts, fits and scores one configuration.

:func:`fit_configuration` fits through :func:`gmmkit.mixture.fit_on_source` (the functional
core, :func:`gmmkit._core.fitting.fit_mixture`, over the sweep's shared feature source); every
fit and score of the sweep, its warm-start chains and its cross-validation goes through it.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._config import Options
from .._core.init import initial_responsibilities
from ..mixture import GaussianMixture, feature_source, fit_on_source
from .planning import SweepSettings
from .result import error_text

#: The sweep's start that fits every configuration from both mclust's hierarchical start and
#: k-means, keeping the better (see :func:`initialisations`).
BOTH_STARTS = "hc+kmeans"


#: With :data:`BOTH_STARTS`, the iterations each start gets before only the more likely is
#: carried on to convergence (see :func:`gmmkit._core.fitting.next_to_resume`).
SHORT_RUNS = 10


def short_runs(init_params: str) -> int:
    """The short runs of a sweep's fits (:data:`SHORT_RUNS` with both starts, else 0: every
    start of ``n_init`` runs to convergence, as in scikit-learn)."""
    return SHORT_RUNS if init_params == BOTH_STARTS else 0


def start_methods(init_params: str) -> tuple[str, ...]:
    """The initialisation methods a sweep's ``init_params`` stands for."""
    return ("hc", "kmeans") if init_params == BOTH_STARTS else (init_params,)


def new_estimator(
    k: int, covariance_type: str, settings: SweepSettings, seed: int
) -> GaussianMixture:
    """The unfitted mixture of one configuration, with the sweep's fitting settings (with
    both starts, the estimator's own ``init_params`` is k-means: what a refit would draw)."""
    init_params = start_methods(settings.init_params)[-1]
    return GaussianMixture(
        k,
        covariance_type=covariance_type,
        tol=settings.tol,
        reg_covar=settings.reg_covar,
        max_iter=settings.max_iter,
        n_init=settings.n_init,
        init_params=init_params,
        random_state=seed,
        accelerate=bool(settings.accelerate),
        prior=settings.prior,
    )


def fit_configuration(
    estimator: GaussianMixture,
    X,
    weight,
    starts,
    source,
    options: Options,
    scores: bool = False,
    short_runs: int = 0,
):
    """Fit ``estimator`` to validated ``X`` (and ``weight``) under ``options``; with
    ``scores``, return ``(labels, criteria)`` of the fitted model on ``X`` (its predicted
    components and the dict of BIC, AIC, ICL and mean log-likelihood), read from the fit's
    last pass where it can (see :func:`gmmkit.mixture.fit_on_source`).

    ``starts``: the initial responsibilities, one array per initialisation (None: the
    estimator's own ``*_init`` parameters or initialisation); ``source``: a feature source of
    this same ``X`` and ``weight`` shared with other fits (None: one is built for this fit);
    ``short_runs``: see :func:`short_runs`. Convergence and recovery warnings are not
    shown: the table summarises them.
    """
    if source is None:
        source = feature_source(
            X, weight, estimator.covariance_type, estimator.n_components, options
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_on_source(
            estimator,
            X,
            source,
            starts=starts,
            options=options,
            scores=scores,
            short_runs=short_runs,
        )


def initialisations(
    X, weight, k, seed, settings: SweepSettings, rng=None, kmeans_seeds=None, hierarchies=None
):
    """``(starts, error)``: the initial responsibilities for every ``n_init``, shared by all
    covariance types, or None and why they could not be computed (``kmeans_seeds``: this
    ``k``'s shared k-means++ seeds, if any; ``hierarchies``: the sweep's
    :class:`~gmmkit._core.hierarchical.SharedHierarchies` of ``X``, if any). With
    :data:`BOTH_STARTS`, the hierarchical start comes first, then the ``n_init`` k-means
    ones; a fit keeps the best of all."""
    if rng is None and (kmeans_seeds is None or hierarchies is None):
        rng = np.random.RandomState(seed)  # with shared seeds and trees, nothing is drawn
    try:
        starts = []
        for method in start_methods(settings.init_params):
            count = 1 if method == "hc" and settings.init_params == BOTH_STARTS else settings.n_init
            starts += [
                initial_responsibilities(
                    X,
                    k,
                    method,
                    rng,
                    weight,
                    kmeans_seeds=kmeans_seeds if method == "kmeans" else None,
                    hierarchy=None if hierarchies is None or method != "hc" else hierarchies(index),
                )
                for index in range(count)
            ]
        return starts, None
    except Exception as exc:
        return None, f"initialisation failed: {error_text(exc)}"
