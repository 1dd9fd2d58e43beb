"""Figure helpers shared by the studies; matplotlib is imported only when a figure is drawn.

Figures are built as bare :class:`matplotlib.figure.Figure` objects, not through ``pyplot``, so
drawing them neither needs a display nor leaves global state behind; PNG files are rendered with
the Agg backend.
"""

from __future__ import annotations

from ._sweep import best_row

CRITERIA = (("bic", "BIC"), ("aic", "AIC"))
MARKERS = {"full": "o", "tied": "s", "diag": "^", "spherical": "D"}


def new_figure(width, height):
    """Return an empty figure of ``width`` x ``height`` inches with a constrained layout.

    Raises
    ------
    ImportError
        When matplotlib is not installed.
    """
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def criteria_figure(rows, title):
    """Plot BIC and AIC against the number of components, one line per covariance type.

    The lowest value of each criterion is marked with a star and its value.

    Parameters
    ----------
    rows : list of dict
        Sweep rows (see :func:`gmmkit.studies._sweep.fit_and_score`).
    title : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    figure = new_figure(11, 4.2)
    axes = figure.subplots(1, len(CRITERIA))
    covariance_types = list(dict.fromkeys(row["covariance_type"] for row in rows))
    for ax, (key, label) in zip(axes, CRITERIA):
        for covariance_type in covariance_types:
            own = [row for row in rows if row["covariance_type"] == covariance_type]
            ax.plot(
                [row["n_components"] for row in own],
                [row[key] for row in own],
                marker=MARKERS.get(covariance_type, "o"),
                label=covariance_type,
            )
        best = best_row(rows, key)
        ax.plot(
            best["n_components"], best[key], marker="*", markersize=18, color="gold",
            markeredgecolor="black", linestyle="none",
            label=f"best: {best['covariance_type']}, k={best['n_components']}",
        )
        ax.set_title(f"{label} (lower is better)")
        ax.set_xlabel("number of components k")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    figure.suptitle(title)
    return figure
