"""Clustering: what fitted mixtures look like, and how fit and cluster quality change with the
covariance type and the number of components.

:func:`add_sweep_section` is the tour's two-moons study; :func:`add_model_section` shows one
fitted mixture on any data (``gmmkit report``).
"""

from __future__ import annotations

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


def add_sweep_section(
    report, data, *, component_counts, panel_counts, seed=0, title="Clustering two moons"
):
    """Add the clustering study of 2-D ``data``: fitted mixtures for every covariance type.

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
    standardized_view : bool, default=False
        Draw the principal components of the standardized features (each centred and divided
        by its standard deviation) rather than of the raw ones, where a feature in large units
        would take all the variance.

    Returns
    -------
    dict
        The section's metrics.
    """
    X = data.X_train
    types = swept_covariance_types("sklearn")  # the types swept below
    traits = "; ".join(f"{t}: {covariance_model_class(t).description}" for t in types)
    section = report.add_section(
        KEY,
        title,
        (
            f"A Gaussian mixture describes each moon with several components, and the covariance "
            f"type decides their shape: {traits}. "
            f"Each panel below is one mixture fitted to the {len(X)} training rows; the tint shows "
            f"which component claims each point of the plane (its decision region), and the black "
            f"lines are level sets of the mixture density that enclose about 95, 75, 50 and 25 % "
            f"of the rows."
        ),
    )
    result = select(
        X, n_components=component_counts, covariance_type=types, random_state=seed, n_jobs=-1
    )
    records = result.records()
    by_config = {(row["covariance_type"], row["n_components"]): row for row in records}
    models = {
        (cov, k): GaussianMixture(k, covariance_type=cov, random_state=seed).fit(X)
        for cov in types
        for k in panel_counts
    }

    top_loglik = best_row(records, "log_likelihood", higher_is_better=True)
    top_silhouette = best_row(records, "silhouette", higher_is_better=True)
    panel_rows = [by_config[cov, k] for cov in types for k in panel_counts]
    best_panel = max(panel_rows, key=lambda row: row["log_likelihood"])
    worst_panel = min(panel_rows, key=lambda row: row["log_likelihood"])
    section.summary = (
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
    section.add_figure(
        "clustering_mixtures",
        _mixtures_figure(models, by_config, X, data.feature_names),
        f"Fitted mixtures for the {_count_word(len(types))} covariance types (rows) and k = "
        f"{', '.join(map(str, panel_counts))} (columns): the fit improves from "
        f"{worst_panel['log_likelihood']:.3f} log-likelihood per row "
        f"({worst_panel['covariance_type']}, k={worst_panel['n_components']}) to "
        f"{best_panel['log_likelihood']:.3f} ({best_panel['covariance_type']}, "
        f"k={best_panel['n_components']})"
        + (
            ", as more and freer components follow the curved moons."
            if best_panel["n_components"] > worst_panel["n_components"]
            else "."
        ),
    )
    dips = [
        f"{cov} k={row['n_components']}"
        for cov in types
        for previous, row in zip(_own(records, cov), _own(records, cov)[1:])
        if row["log_likelihood"] < previous["log_likelihood"]
    ]
    rise = (
        "rises with k for every covariance type"
        if not dips
        else f"rises with k, with dips at {', '.join(dips)} where EM stopped at a poorer local "
        f"optimum than with fewer components,"
    )
    section.add_figure(
        "clustering_scores",
        _scores_figure(result, records),
        f"Log-likelihood per row {rise} while the silhouette is highest at "
        f"k={top_silhouette['n_components']} ({top_silhouette['covariance_type']})"
        + (
            ": beyond it, more components cut the moons into pieces less separated from each other."
            if top_silhouette["n_components"] < max(component_counts)
            else "."
        ),
    )
    section.add_table(
        panel_rows,
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
        "n_train": len(X),
        "best_log_likelihood": _pick(top_loglik, "log_likelihood"),
        "best_silhouette": _pick(top_silhouette, "silhouette"),
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
            for row in records
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


def _mixtures_figure(models, by_config, X, feature_names):
    counts = sorted({k for _, k in models})
    types = list(dict.fromkeys(cov for cov, _ in models))
    figure = new_figure(3.3 * len(counts), 2.9 * len(types))
    axes = figure.subplots(len(types), len(counts), squeeze=False)
    grid = PlaneGrid.around(X)
    for i, cov in enumerate(types):
        for j, k in enumerate(counts):
            row = by_config[cov, k]
            ax = axes[i, j]
            draw_mixture(ax, models[cov, k], X, grid, point_size=4)
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


def _scores_figure(result, records):
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
    plotting.plot_silhouette(result, ax=silhouette_ax)
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
