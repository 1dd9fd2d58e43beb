"""Fit one mixture per (covariance type, component count) and measure it.

Every measurement lands in a flat, JSON-ready row, so the tour can print, save and plot the same
numbers without recomputing anything.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import silhouette_score

from ..mixture import GaussianMixture

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")

ROW_FIELDS = (
    "dataset",
    "covariance_type",
    "n_components",
    "n_parameters",
    "loglik_per_sample",
    "bic",
    "aic",
    "icl",
    "silhouette",
    "converged",
    "n_iter",
    "fit_seconds",
    "warnings",
)
"""Keys of every row, in the order the CSV file writes them."""


@dataclass
class StudyResult:
    """What one study computed: metric rows plus the data its figures are drawn from.

    Attributes
    ----------
    name : str
        Dataset name, also the prefix of the study's figure files.
    rows : list of dict
        One row per fitted mixture, with the keys of :data:`ROW_FIELDS`.
    info : dict
        JSON-ready facts about the data and the run (sizes, seed, settings).
    models : dict
        Fitted :class:`~gmmkit.GaussianMixture` objects keyed by ``(covariance_type, k)``.
    arrays : dict of ndarray
        Further study-specific arrays the figures need.
    """

    name: str
    rows: list[dict]
    info: dict = field(default_factory=dict)
    models: dict = field(default_factory=dict)
    arrays: dict = field(default_factory=dict)

    @property
    def best(self) -> dict:
        """The row with the lowest BIC."""
        return best_row(self.rows, "bic")


def fit_and_score(X, dataset, covariance_type, n_components, seed):
    """Fit one mixture to ``X`` and measure it on the same data.

    Warnings raised while fitting (non-convergence, recovered degenerate components) are caught
    and recorded in the row instead of being printed.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    dataset : str
        Name stored in the row.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}
    n_components : int
    seed : int
        ``random_state`` of the mixture.

    Returns
    -------
    model : GaussianMixture
        The fitted mixture.
    row : dict
        Keys of :data:`ROW_FIELDS`. ``loglik_per_sample`` is the mean log-density of ``X``;
        ``bic``, ``aic`` and ``icl`` are lower-is-better; ``silhouette`` is computed on the
        predicted components and is None when fewer than two of them are used.
    """
    model = GaussianMixture(n_components, covariance_type=covariance_type, random_state=seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        model.fit(X)
        seconds = time.perf_counter() - start
    labels = model.predict(X)
    row = {
        "dataset": dataset,
        "covariance_type": covariance_type,
        "n_components": int(n_components),
        "n_parameters": int(model.n_parameters_),
        "loglik_per_sample": float(model.score(X)),
        "bic": float(model.bic(X)),
        "aic": float(model.aic(X)),
        "icl": float(model.icl(X)),
        "silhouette": _silhouette(X, labels),
        "converged": bool(model.converged_),
        "n_iter": int(model.n_iter_),
        "fit_seconds": seconds,
        "warnings": sorted({f"{w.category.__name__}: {w.message}" for w in caught}),
    }
    return model, row


def sweep(X, dataset, covariance_types, component_counts, seed):
    """Fit and score a mixture for every covariance type and component count.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    dataset : str
    covariance_types : sequence of str
    component_counts : sequence of int
    seed : int

    Returns
    -------
    rows : list of dict
        Ordered by covariance type, then component count.
    models : dict
        Fitted mixtures keyed by ``(covariance_type, n_components)``.
    """
    rows, models = [], {}
    for covariance_type in covariance_types:
        for k in component_counts:
            model, row = fit_and_score(X, dataset, covariance_type, k, seed)
            rows.append(row)
            models[covariance_type, k] = model
    return rows, models


def best_row(rows, criterion="bic"):
    """Return the row with the lowest finite value of ``criterion``.

    Parameters
    ----------
    rows : list of dict
    criterion : {'bic', 'aic', 'icl'}, default='bic'

    Returns
    -------
    dict
    """
    finite = [row for row in rows if math.isfinite(row[criterion])]
    if not finite:
        raise ValueError(f"no row has a finite {criterion}; got {len(rows)} rows")
    return min(finite, key=lambda row: row[criterion])


def _silhouette(X, labels):
    """Silhouette of the predicted partition, or None when it is undefined."""
    n_clusters = np.unique(labels).size
    if not 2 <= n_clusters <= len(labels) - 1:
        return None
    return float(silhouette_score(X, labels))
