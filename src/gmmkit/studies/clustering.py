"""Clustering: what fitted mixtures look like, and how fit and cluster quality change with the
covariance type and the number of components.

:func:`add_sweep_section` is the tour's two-moons study: :func:`sweep` computes it, and
:func:`mixtures_figure` and :func:`scores_figure` draw it (the gallery calls the same three).
:func:`add_model_section` shows one fitted mixture on any data (``gmmkit report``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA

from .. import plotting
from .._core.covariances import covariance_marker, covariance_model_class, swept_covariance_types
from .._data import plural
from ..mixture import GaussianMixture
from ..selection import select
from ..standardizing import Standardization, standardization
from ._figures import PlaneGrid, colours, draw_mixture, label_plane, new_figure
from .selection import best_row

KEY = "clustering"


@dataclass(frozen=True)
class MixtureSweep:
    """The clustering study's computation: a sweep of 2-D data and the mixtures drawn as panels.

    Attributes
    ----------
    data : gmmkit.studies.datasets.Split
        The training rows were swept.
    result : gmmkit.SelectionResult
        Every covariance type of :func:`~gmmkit._core.covariances.swept_covariance_types`
        (``"sklearn"``) at every number of components.
    records : list of dict
        ``result.records()``.
    models : dict of (str, int) to GaussianMixture
        The mixture of each (covariance type, number of components) drawn as a panel.
    component_counts : tuple of int
    panel_counts : tuple of int
    """

    data: object
    result: object
    records: list
    models: dict
    component_counts: tuple
    panel_counts: tuple

    @property
    def covariance_types(self):
        """The swept covariance types, in sweep order."""
        return list(dict.fromkeys(cov for cov, _ in self.models))

    def row(self, covariance_type, n_components):
        """The sweep's record of one configuration."""
        return next(
            row
            for row in self.records
            if row["covariance_type"] == covariance_type and row["n_components"] == n_components
        )

    @property
    def panel_rows(self):
        """The records of the panels, by covariance type then number of components."""
        return [self.row(cov, k) for cov in self.covariance_types for k in self.panel_counts]

    @property
    def best_log_likelihood(self):
        """The record with the highest training log-likelihood per row."""
        return best_row(self.records, "log_likelihood", higher_is_better=True)

    @property
    def best_silhouette(self):
        """The record with the highest silhouette."""
        return best_row(self.records, "silhouette", higher_is_better=True)


def sweep(data, *, component_counts, panel_counts, seed=0):
    """Fit every covariance type at every number of components to 2-D ``data``'s training rows.

    Parameters
    ----------
    data : gmmkit.studies.datasets.Split
        Two features.
    component_counts : iterable of int
        Numbers of components swept for the log-likelihood and silhouette curves.
    panel_counts : sequence of int
        Numbers of components drawn as panels (:func:`mixtures_figure`), one column each.
    seed : int, default=0

    Returns
    -------
    MixtureSweep
    """
    X = data.X_train
    types = swept_covariance_types("sklearn")
    component_counts = tuple(component_counts)
    panel_counts = tuple(panel_counts)
    result = select(
        X, n_components=component_counts, covariance_type=types, random_state=seed, n_jobs=-1
    )
    models = {
        (cov, k): GaussianMixture(k, covariance_type=cov, random_state=seed).fit(X)
        for cov in types
        for k in panel_counts
    }
    return MixtureSweep(data, result, result.records(), models, component_counts, panel_counts)


def sweep_intro(data):
    """The study's opening paragraph: what the covariance types do and what the panels show."""
    types = swept_covariance_types("sklearn")
    traits = "; ".join(f"{t}: {covariance_model_class(t).description}" for t in types)
    return (
        f"A Gaussian mixture describes each moon with several components, and the covariance "
        f"type decides their shape: {traits}. "
        f"Each panel below is one mixture fitted to the {len(data.X_train)} training rows; the "
        f"tint shows which component claims each point of the plane (its decision region), and "
        f"the black lines are level sets of the mixture density that enclose about 95, 75, 50 "
        f"and 25 % of the rows."
    )


def sweep_summary(sweep):
    """The study's key result in one sentence: where fit and separation peak."""
    top_loglik, top_silhouette = sweep.best_log_likelihood, sweep.best_silhouette
    return (
        f"The training log-likelihood is highest at k={top_loglik['n_components']} "
        f"({top_loglik['covariance_type']}, {top_loglik['log_likelihood']:.3f} per row), the "
        f"silhouette at k={top_silhouette['n_components']} "
        f"({top_silhouette['covariance_type']}, {top_silhouette['silhouette']:.3f})"
        + (
            ": a good density needs many components, well-separated clusters few."
            if top_loglik["n_components"] > top_silhouette["n_components"]
            else "."
        )
    )


def mixtures_caption(sweep):
    """What to see in :func:`mixtures_figure`: how the fit improves across the panels."""
    panel_rows = sweep.panel_rows
    best_panel = max(panel_rows, key=lambda row: row["log_likelihood"])
    worst_panel = min(panel_rows, key=lambda row: row["log_likelihood"])
    return (
        f"Fitted mixtures for the {_count_word(len(sweep.covariance_types))} covariance types "
        f"(rows) and k = {', '.join(map(str, sweep.panel_counts))} (columns): the fit improves "
        f"from {worst_panel['log_likelihood']:.3f} log-likelihood per row "
        f"({worst_panel['covariance_type']}, k={worst_panel['n_components']}) to "
        f"{best_panel['log_likelihood']:.3f} ({best_panel['covariance_type']}, "
        f"k={best_panel['n_components']})"
        + (
            ", as more and freer components follow the curved moons."
            if best_panel["n_components"] > worst_panel["n_components"]
            else "."
        )
    )


def scores_caption(sweep):
    """What to see in :func:`scores_figure`: the log-likelihood rises, the silhouette peaks."""
    records = sweep.records
    top_silhouette = sweep.best_silhouette
    dips = [
        f"{cov} k={row['n_components']}"
        for cov in sweep.covariance_types
        for previous, row in zip(_own(records, cov), _own(records, cov)[1:])
        if row["log_likelihood"] < previous["log_likelihood"]
    ]
    rise = (
        "rises with k for every covariance type"
        if not dips
        else f"rises with k, with dips at {', '.join(dips)} where EM stopped at a poorer local "
        f"optimum than with fewer components,"
    )
    return (
        f"Log-likelihood per row {rise} while the silhouette is highest at "
        f"k={top_silhouette['n_components']} ({top_silhouette['covariance_type']})"
        + (
            ": beyond it, more components cut the moons into pieces less separated from each other."
            if top_silhouette["n_components"] < max(sweep.component_counts)
            else "."
        )
    )


def add_sweep_section(
    report, data, *, component_counts, panel_counts, seed=0, title="Clustering two moons"
):
    """Add the clustering study of 2-D ``data``: fitted mixtures for every covariance type.

    The computation is :func:`sweep`; the figures are :func:`mixtures_figure` and
    :func:`scores_figure`.

    Parameters
    ----------
    report : gmmkit.report.Report
    data : gmmkit.studies.datasets.Split
        Two features; the training rows are clustered.
    component_counts : iterable of int
        Numbers of components swept for the log-likelihood and silhouette curves.
    panel_counts : sequence of int
        Numbers of components drawn as panels, one column each.
    seed : int, default=0
    title : str

    Returns
    -------
    dict
        The section's metrics.
    """
    section = report.add_section(KEY, title, sweep_intro(data))
    study = sweep(data, component_counts=component_counts, panel_counts=panel_counts, seed=seed)
    section.summary = sweep_summary(study)
    section.add_figure("clustering_mixtures", mixtures_figure(study), mixtures_caption(study))
    section.add_figure("clustering_scores", scores_figure(study), scores_caption(study))
    section.add_table(
        study.panel_rows,
        caption="The mixtures drawn above, measured on the training rows.",
        columns={
            "covariance_type": "covariance",
            "n_components": "k",
            "log_likelihood": "log-lik/row",
            "silhouette": "silhouette",
            "bic": "BIC",
            "n_parameters": "parameters",
            "n_iter": "EM iterations",
            "converged": "converged",
        },
    )
    metrics = {
        "n_train": len(data.X_train),
        "best_log_likelihood": _pick(study.best_log_likelihood, "log_likelihood"),
        "best_silhouette": _pick(study.best_silhouette, "silhouette"),
        "settings": [
            {
                key: row[key]
                for key in (
                    "covariance_type",
                    "n_components",
                    "log_likelihood",
                    "silhouette",
                    "bic",
                    "n_parameters",
                    "converged",
                    "n_iter",
                )
            }
            for row in study.records
        ],
    }
    section.add_metrics(**metrics)
    return metrics


def add_model_section(report, model, data, *, title="The chosen mixture", standardized_view=False):
    """Add a section showing one fitted mixture on ``data``'s training rows.

    One feature: histogram with the mixture density and its weighted components. Two: the
    fitted mixture with decision regions and density level sets. More: the rows on their first
    two principal components, coloured by predicted component.

    Parameters
    ----------
    report : gmmkit.report.Report
    model : GaussianMixture
        Fitted on ``data.X_train``.
    data : gmmkit.studies.datasets.Split
    title : str

    Returns
    -------
    dict
        The section's metrics.
    """
    X = data.X_train
    d = X.shape[1]
    k = model.n_components
    labels = model.predict(X)
    sizes = np.bincount(labels, minlength=k)
    section = report.add_section(
        KEY,
        title,
        (
            f"The mixture chosen by BIC ({model.covariance_type} covariance, k={k}) on the "
            f"{len(X)} training rows. Each row belongs to the component with the highest posterior "
            f"probability; the table gives every component's weight and its share of the rows."
        ),
    )
    if d == 1:
        figure, caption = _density_figure(model, X, data.feature_names[0])
    elif d == 2:
        figure, caption = _plane_figure(model, X, data.feature_names)
    else:
        figure, caption = _projection_figure(model, X, labels, standardized_view)
    section.add_figure("clustering_chosen", figure, caption)
    rows = [
        {
            "component": j + 1,
            "weight": float(model.weights_[j]),
            "rows": int(sizes[j]),
            **{
                f"mean {name}": float(value)
                for name, value in zip(data.feature_names[:6], model.means_[j])
            },
        }
        for j in range(k)
    ]
    section.add_table(
        rows,
        caption=(
            "Components of the chosen mixture: mixing weight, rows assigned to it"
            + (" and its mean (first six features)." if d > 6 else " and its mean.")
        ),
    )
    proba = model.predict_proba(X)
    entropy = -np.sum(proba * np.log(np.clip(proba, 1e-300, 1.0)), axis=1).mean()
    section.summary = (
        f"{k} component{'s' if k != 1 else ''}; the largest holds {sizes.max()} of {len(X)} "
        f"rows ({sizes.max() / len(X):.0%}); mean assignment entropy {entropy:.3f} nats "
        f"(0 means every row belongs clearly to one component)."
    )
    metrics = {
        "n_components": k,
        "covariance_type": model.covariance_type,
        "weights": model.weights_,
        "component_rows": sizes,
        "mean_assignment_entropy": float(entropy),
    }
    section.add_metrics(**metrics)
    return metrics


def _count_word(n):
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    return words[n] if n < len(words) else str(n)


def mixtures_figure(sweep):
    """One panel per drawn mixture: covariance type by row, number of components by column.

    Parameters
    ----------
    sweep : MixtureSweep

    Returns
    -------
    matplotlib.figure.Figure
    """
    X, feature_names = sweep.data.X_train, sweep.data.feature_names
    counts = sorted({k for _, k in sweep.models})
    types = sweep.covariance_types
    figure = new_figure(3.3 * len(counts), 2.9 * len(types))
    axes = figure.subplots(len(types), len(counts), squeeze=False)
    grid = PlaneGrid.around(X)
    for i, cov in enumerate(types):
        for j, k in enumerate(counts):
            row = sweep.row(cov, k)
            ax = axes[i, j]
            draw_mixture(ax, sweep.models[cov, k], X, grid, point_size=4)
            label_plane(
                ax,
                feature_names,
                f"{cov}, k={k}\nlog-lik/row {row['log_likelihood']:.2f}, "
                f"silhouette {_two_decimals(row['silhouette'])}",
            )
            ax.title.set_fontsize("small")
    figure.suptitle(
        "Fitted mixtures: covariance type by row, number of components by column\n"
        "(tint: decision regions; black lines: density level sets; X: means)"
    )
    return figure


def scores_figure(sweep):
    """Training log-likelihood and silhouette against the number of components.

    Parameters
    ----------
    sweep : MixtureSweep

    Returns
    -------
    matplotlib.figure.Figure
    """
    records = sweep.records
    figure = new_figure(12, 4.4)
    loglik_ax, silhouette_ax = figure.subplots(1, 2)
    for cov in dict.fromkeys(row["covariance_type"] for row in records):
        own = _own(records, cov)
        loglik_ax.plot(
            [row["n_components"] for row in own],
            [row["log_likelihood"] for row in own],
            marker=covariance_marker(cov),
            label=cov,
        )
    loglik_ax.set_title("Log-likelihood on the training rows")
    loglik_ax.set_xlabel("number of components")
    loglik_ax.set_ylabel("mean log-likelihood per row (higher is better)")
    loglik_ax.grid(alpha=0.3)
    loglik_ax.legend(fontsize="small")
    plotting.plot_silhouette(sweep.result, ax=silhouette_ax)
    figure.suptitle("Fit against cluster separation, for every covariance type and k")
    return figure


def _plane_figure(model, X, feature_names):
    figure = new_figure(7.5, 6.2)
    ax = figure.subplots()
    draw_mixture(ax, model, X, PlaneGrid.around(X))
    label_plane(
        ax,
        feature_names,
        f"{model.covariance_type} covariance, "
        f"k={model.n_components}: decision regions and density level sets",
    )
    caption = (
        f"The {plural(model.n_components, 'component')} (means marked X) split the plane into the "
        f"tinted decision regions; the black level sets enclose about 95, 75, 50 and "
        f"25 % of the training rows."
    )
    return figure, caption


def _projection_figure(model, X, labels, standardized=False):
    view = standardization(X) if standardized else Standardization(0.0, 1.0)
    pca = PCA(n_components=2).fit(view.transform(X))
    projected = pca.transform(view.transform(X))
    means = pca.transform(view.transform(model.means_))
    share = pca.explained_variance_ratio_
    of = "of the standardized features " if standardized else ""
    palette = colours(model.n_components)
    figure = new_figure(7.5, 6.2)
    ax = figure.subplots()
    ax.scatter(projected[:, 0], projected[:, 1], c=palette[labels], s=8, alpha=0.7, linewidths=0)
    ax.scatter(means[:, 0], means[:, 1], marker="X", s=80, c="white", edgecolors="black", zorder=3)
    ax.set_xlabel(f"first principal component ({share[0]:.0%} of the variance)")
    ax.set_ylabel(f"second principal component ({share[1]:.0%} of the variance)")
    ax.set_title(
        f"Chosen mixture (k={model.n_components}) on the first two principal "
        f"components{' (standardized)' if standardized else ''}"
    )
    ax.grid(alpha=0.3)
    caption = (
        f"The first two principal components {of}show {share.sum():.0%} of the "
        f"variance{_STANDARDIZED_NOTE if standardized else ''}; "
        f"colours are the predicted components (means marked X), so components that "
        f"overlap here may still be separated in the other {X.shape[1] - 2} dimensions."
    )
    return figure, caption


_STANDARDIZED_NOTE = (
    " (each feature centred and divided by its standard deviation, as its units differ)"
)


def _density_figure(model, X, feature_name):
    values = X[:, 0]
    span = (values.max() - values.min()) or 1.0
    grid = np.linspace(values.min() - 0.05 * span, values.max() + 0.05 * span, 400)[:, None]
    density = np.exp(model.score_samples(grid))
    # pi_k N(x | k) = P(k | x) p(x): each component's share of the density.
    weighted = model.predict_proba(grid) * density[:, None]
    figure = new_figure(8, 4.8)
    ax = figure.subplots()
    ax.hist(values, bins="auto", density=True, color="0.8", edgecolor="0.6", label="rows")
    ax.plot(grid[:, 0], density, color="black", linewidth=1.8, label="mixture density")
    for j, colour in enumerate(colours(model.n_components)):
        ax.plot(
            grid[:, 0],
            weighted[:, j],
            color=colour,
            linewidth=1.0,
            linestyle="--",
            label=f"component {j + 1}" if j < 10 else None,
        )
    ax.set_xlabel(feature_name)
    ax.set_ylabel("density")
    ax.set_title(f"Mixture density ({plural(model.n_components, 'component')}) over the histogram")
    ax.legend(fontsize="small")
    caption = (
        "The black curve is the fitted mixture density and the dashed curves its "
        "weighted components; where the curve follows the histogram, the mixture fits."
    )
    return figure, caption


def _two_decimals(value):
    """A score with two decimals, or a dash when it is undefined."""
    return "–" if value is None or np.isnan(value) else f"{value:.2f}"


def _own(records, covariance_type):
    """The rows of one covariance type, by number of components."""
    return sorted(
        (row for row in records if row["covariance_type"] == covariance_type),
        key=lambda row: row["n_components"],
    )


def _pick(row, column):
    return {
        "covariance_type": row["covariance_type"],
        "n_components": row["n_components"],
        "value": row[column],
    }
