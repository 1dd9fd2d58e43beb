"""Two moons: how covariance structure and component count trade fit against complexity.

Two interleaved half-circles are not Gaussian, so a mixture approximates each moon with several
components; the criteria (BIC, AIC, ICL) and the silhouette disagree about how many it needs,
and the covariance type decides how few can do.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_moons

from ._plots import criteria_figure, new_figure
from ._sweep import COVARIANCE_TYPES, StudyResult, sweep

NAME = "moons"
N_SAMPLES = 1000
NOISE = 0.1
COMPONENT_COUNTS = (2, 4, 6, 8, 10)
FULL_COMPONENT_COUNTS = tuple(range(2, 11))
GRID_COMPONENT_COUNTS = (2, 6, 10)
DENSITY_PERCENTILES = (5, 25, 50, 75)


def run(quick=False, seed=0):
    """Fit mixtures of every covariance type to the two-moons data set.

    Parameters
    ----------
    quick : bool, default=False
        Fit k in :data:`COMPONENT_COUNTS` instead of every k in :data:`FULL_COMPONENT_COUNTS`.
    seed : int, default=0
        Seed of the data set and of every mixture.

    Returns
    -------
    StudyResult
        Rows for every (covariance type, k), the fitted models and ``arrays["X"]``, the data.
    """
    X, _ = make_moons(n_samples=N_SAMPLES, noise=NOISE, random_state=seed)
    counts = COMPONENT_COUNTS if quick else FULL_COMPONENT_COUNTS
    rows, models = sweep(X, NAME, COVARIANCE_TYPES, counts, seed)
    info = {
        "n_samples": N_SAMPLES,
        "n_features": X.shape[1],
        "noise": NOISE,
        "covariance_types": list(COVARIANCE_TYPES),
        "component_counts": list(counts),
    }
    return StudyResult(NAME, rows, info=info, models=models, arrays={"X": X})


def figures(result):
    """Draw the study's figures.

    Parameters
    ----------
    result : StudyResult
        As returned by :func:`run`.

    Returns
    -------
    dict of str to matplotlib.figure.Figure
        ``moons_mixtures``: fitted mixtures for each covariance type at a few k;
        ``moons_criteria``: BIC and AIC against k.
    """
    return {
        "moons_mixtures": mixtures_figure(result),
        "moons_criteria": criteria_figure(
            result.rows, "Two moons: information criteria vs number of components"
        ),
    }


def mixtures_figure(result):
    """Grid of fitted mixtures: one row per covariance type, one column per k.

    Each panel shows the points coloured by predicted component, the two-standard-deviation
    ellipse of every component and density contours that enclose about 95, 75, 50 and 25 % of
    the points.

    Parameters
    ----------
    result : StudyResult

    Returns
    -------
    matplotlib.figure.Figure
    """
    X = result.arrays["X"]
    counts = [k for k in GRID_COMPONENT_COUNTS if (COVARIANCE_TYPES[0], k) in result.models]
    figure = new_figure(3.4 * len(counts), 2.6 * len(COVARIANCE_TYPES))
    axes = figure.subplots(len(COVARIANCE_TYPES), len(counts), squeeze=False)
    grid_x, grid_y = _grid(X)
    for i, covariance_type in enumerate(COVARIANCE_TYPES):
        for j, k in enumerate(counts):
            _draw_mixture(axes[i, j], result.models[covariance_type, k], X, grid_x, grid_y)
            axes[i, j].set_title(f"{covariance_type}, k={k}")
            axes[i, j].set_xlabel("x1")
            axes[i, j].set_ylabel("x2")
    figure.suptitle(
        "Two moons: fitted Gaussian mixtures (colour: predicted component; "
        "contours: 95/75/50/25 % density regions)"
    )
    return figure


def component_covariances(model):
    """Full ``(K, d, d)`` covariance matrices of a fitted mixture, whatever its type.

    Parameters
    ----------
    model : GaussianMixture

    Returns
    -------
    ndarray of shape (n_components, n_features, n_features)
    """
    covariances = np.asarray(model.covariances_, dtype=np.float64)
    K, d = model.means_.shape
    if model.covariance_type == "full":
        return covariances
    if model.covariance_type == "tied":
        return np.broadcast_to(covariances, (K, d, d))
    if model.covariance_type == "diag":
        return covariances[:, :, None] * np.eye(d)
    return covariances[:, None, None] * np.eye(d)


def _grid(X, margin=0.5, size=200):
    """Mesh covering the data plus a margin, for density contours."""
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    return np.meshgrid(np.linspace(low[0], high[0], size), np.linspace(low[1], high[1], size))


def _draw_mixture(ax, model, X, grid_x, grid_y):
    """Scatter, component ellipses and density contours of one fitted mixture on ``ax``."""
    from matplotlib import colormaps
    from matplotlib.patches import Ellipse

    colours = colormaps["tab10"]
    labels = model.predict(X)
    ax.scatter(X[:, 0], X[:, 1], c=colours(labels % 10), s=5, alpha=0.6, linewidths=0)
    log_density = model.score_samples(np.column_stack([grid_x.ravel(), grid_y.ravel()]))
    # Levels at percentiles of the points' own densities give "highest-density regions".
    levels = np.unique(np.percentile(model.score_samples(X), DENSITY_PERCENTILES))
    ax.contour(grid_x, grid_y, log_density.reshape(grid_x.shape), levels=levels,
               colors="black", linewidths=0.7, linestyles="solid", alpha=0.6)
    for k, (mean, covariance) in enumerate(zip(model.means_, component_covariances(model))):
        eigenvalues, eigenvectors = np.linalg.eigh(covariance)
        angle = np.degrees(np.arctan2(eigenvectors[1, -1], eigenvectors[0, -1]))
        width, height = 4.0 * np.sqrt(eigenvalues[::-1])
        ax.add_patch(Ellipse(mean, width, height, angle=angle, fill=False,
                             edgecolor=colours(k % 10), linewidth=1.5))
    ax.set_xlim(grid_x[0, 0], grid_x[0, -1])
    ax.set_ylim(grid_y[0, 0], grid_y[-1, 0])
    ax.set_aspect("equal")
