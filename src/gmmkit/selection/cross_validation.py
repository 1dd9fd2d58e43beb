"""The sweep's cross-validation columns: each configuration fitted on every training fold and
scored by its held-out log-likelihood per sample."""

from __future__ import annotations

from typing import Any

import numpy as np

from .fitting import fit_configuration, initialisations, new_estimator, short_runs
from .planning import Plan, SweepSettings


def fold_random_state(plan: Plan, fold: int) -> np.random.RandomState:
    """The generator the initialisations of training fold ``fold`` draw from, for every ``k``."""
    return np.random.RandomState(np.random.SeedSequence([plan.seed, fold + 1]).generate_state(1)[0])


def fold_initialisations(
    plan: Plan, settings: SweepSettings, k: int, hierarchies=None
) -> list[tuple]:
    """Per fold: ``(train, test, starts, error)``, the starts shared by all covariance types
    (``hierarchies``: the sweep's shared hierarchical trees of each training fold, if any)."""
    folds: list[tuple[np.ndarray, np.ndarray, Any, str | None]] = []
    assert plan.folds is not None  # only a sweep with cross-validation has folds to fit
    for fold, (train, test) in enumerate(plan.folds):
        if len(train) < k:
            error = f"cv: training fold {fold} has {len(train)} samples, fewer than {k} components"
            folds.append((train, test, None, error))
            continue
        starts, error = initialisations(
            plan.X[train],
            plan.weights_of(train),
            k,
            plan.seed,
            settings,
            fold_random_state(plan, fold),
            hierarchies=None if hierarchies is None else hierarchies[fold],
        )
        folds.append((train, test, starts, None if error is None else f"cv fold {fold}: {error}"))
    return folds


def cross_validate(
    plan: Plan, settings: SweepSettings, k: int, covariance_type: str, folds, fold_source
) -> tuple:
    """``(mean, std, error)`` over ``folds`` (from :func:`fold_initialisations`) of the
    held-out log-likelihood per sample; ``fold_source(covariance_type, fold)`` gives the
    shared features of a training fold."""
    scores = []
    for fold, (train, test, starts, error) in enumerate(folds):
        if error:
            return np.nan, np.nan, error
        estimator = new_estimator(k, covariance_type, settings, plan.seed)
        source = fold_source(covariance_type, fold)
        fit_configuration(
            estimator,
            source.X,
            plan.weights_of(train),
            starts,
            source,
            plan.options,
            short_runs=short_runs(settings.init_params),
        )
        scores.append(estimator.score(plan.X[test], sample_weight=plan.weights_of(test)))
    return float(np.mean(scores)), float(np.std(scores)), None
