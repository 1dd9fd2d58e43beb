"""Figures of a model-selection sweep: a score against the number of components, one line per
covariance type, with the best configuration starred.

Every function reads a :class:`~gmmkit.selection.SelectionResult` (from :func:`gmmkit.select`)
through its ``records()``, so plotting needs matplotlib but not pandas. matplotlib is an optional
dependency (``pip install gmmkit[plot]``) imported only when a figure is drawn. Figures are bare
:class:`matplotlib.figure.Figure` objects, not ``pyplot`` ones, so drawing needs no display and
leaves no global state behind; show or save them with the Figure's own methods.
"""

from __future__ import annotations

import math

from ._core.covariances import covariance_marker
from ._data import plural
from .criteria import CRITERIA, INFORMATION_CRITERIA

__all__ = [
    "plot_classification",
    "plot_criterion",
    "plot_cv",
    "plot_mclust_bic",
    "plot_selection",
    "plot_silhouette",
    "plot_uncertainty",
]


def _require_matplotlib():
    """Raise ImportError with the install command when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(
            "gmmkit.plotting draws with matplotlib, which is not installed; install it with: "
            "pip install gmmkit[plot]"
        ) from None


def _axes(ax):
    """Return ``ax``, or the Axes of a new constrained-layout Figure when ``ax`` is None."""
    _require_matplotlib()
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    return Figure(figsize=(6.4, 4.4), layout="constrained").add_subplot()


def _value(row, column):
    """``row[column]`` as a float, NaN when missing.

    ``error`` alone does not blank a value: a configuration whose cross-validation failed still
    has its full-data scores, and ``select`` ranks by them.
    """
    value = row.get(column)
    return math.nan if value is None else float(value)


def _by_covariance_type(rows):
    """Group rows by covariance type, in order of first appearance, each sorted by n_components.

    Failed configurations stay in their group: their NaN values break the line there instead of
    letting it bridge the gap.

    Returns
    -------
    list of (str, list of dict)
    """
    groups = []
    for covariance_type in dict.fromkeys(row["covariance_type"] for row in rows):
        own = [row for row in rows if row["covariance_type"] == covariance_type]
        groups.append((covariance_type, sorted(own, key=lambda row: row["n_components"])))
    return groups


def _best_row(result, rows, column, lower_is_better):
    """The best row by ``column``, or None when no row has a finite value.

    When the sweep itself ranked by ``column``, its choice (``best_params_``) is the star, so the
    figure agrees with ``best_estimator_`` whatever rule ``select`` used to break ties.
    """
    finite = [row for row in rows if math.isfinite(_value(row, column))]
    if not finite:
        return None
    ranked_by = CRITERIA.get(getattr(result, "criterion", None))
    if ranked_by is not None and ranked_by.column == column:
        chosen = getattr(result, "best_params_", None) or {}
        for row in finite:
            if row["n_components"] == chosen.get("n_components") and row[
                "covariance_type"
            ] == chosen.get("covariance_type"):
                return row
    pick = min if lower_is_better else max
    return pick(finite, key=lambda row: _value(row, column))


def _draw(ax, result, rows, column, *, name, lower_is_better, ylabel, title, error_column=None):
    """Draw one line per covariance type, star and annotate the best row; return ``ax``."""
    from matplotlib.ticker import MaxNLocator

    # Every panel spans the whole sweep, even where a score is undefined (silhouette at k=1).
    k_min = min(row["n_components"] for row in rows)
    k_max = max(row["n_components"] for row in rows)
    for covariance_type, own in _by_covariance_type(rows):
        n_components = [int(row["n_components"]) for row in own]
        values = [_value(row, column) for row in own]
        n_failed = sum(
            row.get("error") is not None and math.isnan(value) for row, value in zip(own, values)
        )
        label = covariance_type if not n_failed else f"{covariance_type} ({n_failed} failed)"
        (line,) = ax.plot(
            n_components,
            values,
            marker=covariance_marker(covariance_type),
            label=label,
        )
        if error_column is not None:
            # fmt="none" and no caps: the bars are one LineCollection, so the series stays the
            # only Line2D of its covariance type.
            ax.errorbar(
                n_components,
                values,
                yerr=[_value(row, error_column) for row in own],
                fmt="none",
                ecolor=line.get_color(),
                capsize=0,
                alpha=0.6,
            )

    best = _best_row(result, rows, column, lower_is_better)
    if best is not None:
        x, y = best["n_components"], _value(best, column)
        ax.scatter(
            [x],
            [y],
            marker="*",
            s=320,
            color="gold",
            edgecolors="black",
            zorder=3,
            label=f"best ({'lowest' if lower_is_better else 'highest'} {name})",
        )
        # The best point sits at the bottom of a lower-is-better curve and at the top of a
        # higher-is-better one: the note goes on the open side, towards the middle of the range.
        right_half = x > (k_min + k_max) / 2
        ax.annotate(
            f"{best['covariance_type']}, k={x}\n{name} = {y:.4g}",
            xy=(x, y),
            xytext=(-14 if right_half else 14, 22 if lower_is_better else -22),
            textcoords="offset points",
            ha="right" if right_half else "left",
            va="bottom" if lower_is_better else "top",
            fontsize="small",
            bbox={
                "boxstyle": "round,pad=0.25",
                "facecolor": "white",
                "edgecolor": "0.7",
                "alpha": 0.9,
            },
            arrowprops={"arrowstyle": "-", "color": "0.4"},
        )

    ax.set_title(title)
    ax.set_xlabel("number of components")
    ax.set_ylabel(ylabel)
    ax.set_xlim(k_min - 0.4, k_max + 0.4)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return ax


def _has_values(rows, column):
    return any(math.isfinite(_value(row, column)) for row in rows)


def plot_criterion(result, criterion=None, ax=None):
    """Plot an information criterion against the number of components.

    One line per covariance type; the configuration with the lowest value is starred and
    annotated (``best_params_`` when the sweep itself ranked by ``criterion``). Failed
    configurations (NaN scores, ``error`` set) are left out: their line breaks there and the
    legend counts them.

    Parameters
    ----------
    result : SelectionResult
        What :func:`gmmkit.select` returned.
    criterion : {'bic', 'aic', 'icl'}, default=None
        Column to plot (scikit-learn convention: lower is better). None means
        ``result.criterion`` when that is an information criterion, else ``'bic'``.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; None draws on a new :class:`matplotlib.figure.Figure`.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; ``ax.figure`` is its Figure.

    Raises
    ------
    ValueError
        If ``criterion`` is not one of 'bic', 'aic', 'icl'.
    ImportError
        If matplotlib is not installed.
    """
    if criterion is None:
        criterion = result.criterion if result.criterion in INFORMATION_CRITERIA else "bic"
    if criterion not in INFORMATION_CRITERIA:
        raise ValueError(
            f"criterion must be one of {sorted(INFORMATION_CRITERIA)} or None, got {criterion!r}"
        )
    ax = _axes(ax)
    name = CRITERIA[criterion].label
    return _draw(
        ax,
        result,
        list(result.records()),
        criterion,
        name=name,
        lower_is_better=True,
        ylabel=f"{name} (lower is better)",
        title=f"{name} by number of components",
    )


def plot_cv(result, ax=None):
    """Plot the cross-validated log-likelihood against the number of components.

    One line per covariance type of the held-out log-likelihood per sample, averaged over folds
    (``cv_mean``), with error bars of one standard deviation over folds (``cv_std``); the
    configuration with the highest mean is starred and annotated (``best_params_`` when the sweep
    itself ranked by ``'cv'``).

    Parameters
    ----------
    result : SelectionResult
        What :func:`gmmkit.select` returned, run with ``cv`` set.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; None draws on a new :class:`matplotlib.figure.Figure`.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If the result holds no cross-validation scores (``cv_mean`` is NaN in every row).
    ImportError
        If matplotlib is not installed.
    """
    rows = list(result.records())
    if not _has_values(rows, "cv_mean"):
        raise ValueError(
            "result has no cross-validation scores to plot: cv_mean is NaN in every row; "
            "run gmmkit.select with cv set (for example cv=5) to compute them"
        )
    ax = _axes(ax)
    return _draw(
        ax,
        result,
        rows,
        "cv_mean",
        name="CV log-likelihood",
        lower_is_better=False,
        ylabel="held-out log-likelihood per sample\n(mean ± std over folds, higher is better)",
        title="Cross-validated log-likelihood",
        error_column="cv_std",
    )


def plot_silhouette(result, ax=None):
    """Plot the silhouette score of the hard clustering against the number of components.

    One line per covariance type; the configuration with the highest score is starred and
    annotated (``best_params_`` when the sweep itself ranked by ``'silhouette'``). The
    silhouette is undefined, and left out, for one component and failed fits.

    Parameters
    ----------
    result : SelectionResult
        What :func:`gmmkit.select` returned.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; None draws on a new :class:`matplotlib.figure.Figure`.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If the result holds no silhouette score (``silhouette`` is NaN in every row).
    ImportError
        If matplotlib is not installed.
    """
    rows = list(result.records())
    if not _has_values(rows, "silhouette"):
        raise ValueError(
            "result has no silhouette scores to plot: silhouette is NaN in every row "
            "(it is undefined for n_components=1 and for failed configurations)"
        )
    ax = _axes(ax)
    return _draw(
        ax,
        result,
        rows,
        "silhouette",
        name="silhouette",
        lower_is_better=False,
        ylabel="silhouette score (higher is better)",
        title="Silhouette score",
    )


def plot_selection(result):
    """Draw every panel that applies to a sweep on one Figure, side by side.

    The panels are :func:`plot_criterion` (default criterion), then :func:`plot_cv` when the
    sweep was cross-validated, then :func:`plot_silhouette` when any silhouette score is defined.
    The Figure's title names the configuration the sweep selected.

    Parameters
    ----------
    result : SelectionResult
        What :func:`gmmkit.select` returned.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    """
    _require_matplotlib()
    from matplotlib.figure import Figure

    rows = list(result.records())
    panels = [plot_criterion]
    if _has_values(rows, "cv_mean"):
        panels.append(plot_cv)
    if _has_values(rows, "silhouette"):
        panels.append(plot_silhouette)
    figure = Figure(figsize=(5.2 * len(panels), 4.4), layout="constrained")
    for ax, panel in zip(figure.subplots(1, len(panels), squeeze=False)[0], panels):
        panel(result, ax=ax)
    best = result.best_params_
    figure.suptitle(
        f"Selected by {result.criterion}: {best['covariance_type']} covariance, "
        f"{plural(best['n_components'], 'component')}"
    )
    return figure


from ._mclust_plots import plot_classification, plot_mclust_bic, plot_uncertainty  # noqa: E402
