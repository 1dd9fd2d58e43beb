"""R mclust's three standard figures, drawn with matplotlib: the BIC plot of a sweep, and the
classification and uncertainty plots of a fitted mixture.

The styles are mclust 6's own (``mclust.options()``): ``bicPlotSymbols`` and ``bicPlotColors``
per model, ``classPlotSymbols`` and ``classPlotColors`` per class. R's plotting symbols
(``pch``) are mapped to the nearest matplotlib markers; hollow R symbols are drawn hollow.
Re-exported by :mod:`gmmkit.plotting`.
"""

from __future__ import annotations

import math

import numpy as np

from ._core.covariances import covariance_model, covariance_model_class

#: R ``pch`` -> (matplotlib marker, filled).
_PCH = {
    0: ("s", False),
    1: ("o", False),
    2: ("^", False),
    3: ("+", True),
    4: ("x", True),
    5: ("D", False),
    6: ("v", False),
    7: (r"$\boxtimes$", True),
    8: ("*", True),
    9: ("P", False),
    10: (r"$\oplus$", True),
    11: ("h", False),
    12: (r"$\boxplus$", True),
    13: (r"$\otimes$", True),
    14: ("p", False),
    15: ("s", True),
    16: ("o", True),
    17: ("^", True),
    18: ("D", True),
}
#: mclust's ``bicPlotSymbols`` and ``bicPlotColors`` (the palette it builds, resolved).
BIC_STYLE = {
    "EII": (17, "gray"),
    "VII": (2, "black"),
    "EEI": (16, "#218B21"),
    "EVI": (10, "#41884F"),
    "VEI": (13, "#508476"),
    "VVI": (1, "#58819C"),
    "EEE": (15, "#597DC3"),
    "VEE": (8, "#5178EA"),
    "EVE": (5, "#716EE7"),
    "VVE": (9, "#9B60B8"),
    "EEV": (12, "#B2508B"),
    "VEV": (7, "#C03F60"),
    "EVV": (14, "#C82A36"),
    "VVV": (0, "#CC0000"),
    "E": (17, "gray"),
    "V": (2, "black"),
}
#: mclust's ``classPlotSymbols`` and ``classPlotColors``, cycled beyond 19 classes.
CLASS_SYMBOLS = (16, 0, 17, 3, 15, 4, 1, 8, 2, 7, 5, 9, 6, 10, 11, 18, 12, 13, 14)
CLASS_COLOURS = (
    "dodgerblue",
    "#CD0000",
    "#00CD00",
    "slateblue",
    "darkorange",
    "#87CEFF",
    "#8B2252",
    "forestgreen",
    "#36648B",
    "slategrey",
    "brown",
    "black",
    "darkseagreen",
    "#CD950C",
    "olivedrab",
    "royalblue",
    "#8B3626",
    "#00EEEE",
    "#00EE76",
)


def model_name(covariance_type: str) -> str:
    """mclust's name of a registered covariance type (``'full'`` -> ``'VVV'``); a model
    without one keeps its own name."""
    try:
        cls = covariance_model_class(covariance_type)
    except ValueError:
        return covariance_type
    return getattr(cls, "mclust_name", None) or covariance_type


def bic_table(result, criterion: str = "bic") -> tuple[list[int], dict[str, list[float]]]:
    """A sweep's BIC (or ICL) as mclust tabulates it (see :meth:`SelectionResult.to_mclust`):
    the numbers of components searched, and per model (mclust's name) its value at each in
    mclust's sign, NaN for mclust's NA (a failed or ill-posed fit)."""
    rows = result.records()
    ks = sorted({row["n_components"] for row in rows})
    table: dict[str, list[float]] = {}
    for row in rows:
        values = table.setdefault(model_name(row["covariance_type"]), [math.nan] * len(ks))
        value = row.get(criterion)
        if value is not None and math.isfinite(value) and not row.get("ill_posed"):
            values[ks.index(row["n_components"])] = -float(value)
    return ks, table


def plot_mclust_bic(result, ax=None):
    """mclust's BIC plot: BIC (higher is better) against the number of components, one line
    per model in mclust's symbols and colours; ill-posed and failed fits are gaps (NA).

    Parameters
    ----------
    result : SelectionResult
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    from .plotting import _axes

    ax = _axes(ax)
    ks, table = bic_table(result)
    for name, values in table.items():
        pch, colour = BIC_STYLE.get(name, (1, "0.4"))
        _line(ax, ks, values, name, pch, colour)
    best_value = max(
        (v for values in table.values() for v in values if math.isfinite(v)), default=None
    )
    if best_value is not None:
        name, k = next(
            (name, ks[i])
            for name, values in table.items()
            for i, v in enumerate(values)
            if v == best_value
        )
        ax.annotate(
            f"best: {name}, {k}",
            (k, best_value),
            textcoords="offset points",
            xytext=(6, 6),
            fontsize=8,
        )
    ax.set_xlabel("Number of components")
    ax.set_ylabel("BIC (2 log L - p log n)")
    ax.set_title("BIC")
    ax.set_xticks(ks)
    ax.legend(
        ncol=2 if len(table) > 7 else 1, fontsize=7, title="model", title_fontsize=7, loc="best"
    )
    return ax


def _line(ax, ks, values, label, pch, colour):
    marker, filled = _PCH.get(pch, ("o", True))
    ax.plot(
        ks,
        values,
        color=colour,
        linewidth=1,
        marker=marker,
        markersize=6,
        markerfacecolor=colour if filled else "none",
        markeredgecolor=colour,
        label=label,
    )


def plot_classification(model, X, dims=(0, 1), ax=None, feature_names=None):
    """mclust's classification plot: the rows of ``X`` in two of its features, each in its
    predicted component's symbol and colour, with every component's ellipse of one standard
    deviation, its principal axes (dashed) and its mean.

    Parameters
    ----------
    model : GaussianMixture
        Fitted.
    X : array-like of shape (n_samples, n_features)
    dims : pair of int, default=(0, 1)
        The two features drawn.
    ax : matplotlib.axes.Axes, optional
    feature_names : list of str, optional
        Axis labels (the model's ``feature_names_in_`` when it has them).

    Returns
    -------
    matplotlib.axes.Axes
    """
    from .plotting import _axes

    X, dims = _checked(model, X, dims)
    ax = _axes(ax)
    labels = model.predict(X)
    for k in range(model.n_components):
        rows = labels == k
        marker, filled = _PCH[CLASS_SYMBOLS[k % len(CLASS_SYMBOLS)]]
        colour = CLASS_COLOURS[k % len(CLASS_COLOURS)]
        ax.scatter(
            X[rows, dims[0]],
            X[rows, dims[1]],
            s=14,
            marker=marker,
            c=colour if filled else "none",
            edgecolors=colour,
            linewidths=0.8,
            label=f"component {k}",
        )
    _ellipses(ax, model, dims)
    _labels(ax, model, dims, feature_names)
    ax.set_title("Classification")
    ax.legend(fontsize=7, loc="best")
    return ax


def plot_uncertainty(model, X, dims=(0, 1), ax=None, feature_names=None):
    """mclust's uncertainty plot: each row drawn larger and darker the less certain its
    classification, :math:`1 - \\max_k P(k \\mid x)` (scaled to the rows' own range), in its
    predicted component's colour, with the components' ellipses.

    Parameters and returns as :func:`plot_classification`.
    """
    from .plotting import _axes

    X, dims = _checked(model, X, dims)
    ax = _axes(ax)
    proba = model.predict_proba(X)
    uncertainty = 1.0 - proba.max(axis=1)
    span = uncertainty.max() - uncertainty.min() + math.sqrt(np.finfo(float).eps)
    scaled = (uncertainty - uncertainty.min()) / span
    from matplotlib.colors import to_rgba

    colours = np.array(
        [to_rgba(CLASS_COLOURS[k % len(CLASS_COLOURS)]) for k in proba.argmax(axis=1)]
    )
    colours[:, 3] = 0.3 + 0.6 * scaled
    sizes = (6 * (0.3 + 1.7 * scaled)) ** 2
    ax.scatter(X[:, dims[0]], X[:, dims[1]], s=sizes, c=colours, linewidths=0)
    _ellipses(ax, model, dims)
    _labels(ax, model, dims, feature_names)
    ax.set_title("Uncertainty")
    return ax


def _checked(model, X, dims):
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != model.n_features_in_:
        raise ValueError(f"X must have shape (n_samples, {model.n_features_in_}), got {X.shape}")
    dims = tuple(int(j) for j in dims)
    if len(dims) != 2 or dims[0] == dims[1] or not all(0 <= j < X.shape[1] for j in dims):
        raise ValueError(
            f"dims must be two different feature indices in 0..{X.shape[1] - 1}, got {dims}"
        )
    return X, dims


def _ellipses(ax, model, dims):
    structure = covariance_model(model.covariance_type, model.n_features_in_)
    covariances = structure.marginal_covariances(
        np.asarray(model.covariances_, np.float64), model.n_components, np.array(dims)
    )
    angle = np.linspace(0.0, 2.0 * np.pi, 61)
    circle = np.stack([np.cos(angle), np.sin(angle)])
    for mean, covariance in zip(np.asarray(model.means_)[:, dims], covariances):
        values, vectors = np.linalg.eigh(covariance)
        axes = vectors * np.sqrt(np.maximum(values, 0.0))
        outline = mean[:, None] + axes @ circle
        ax.plot(outline[0], outline[1], color="0.19", linewidth=1)
        for column in axes.T:
            ends = np.stack([mean - column, mean + column])
            ax.plot(ends[:, 0], ends[:, 1], color="0.19", linewidth=1, linestyle="--")
        ax.plot(mean[0], mean[1], marker="*", color="0.19", markersize=8)


def _labels(ax, model, dims, feature_names):
    names = feature_names
    if names is None:
        names = getattr(model, "feature_names_in_", None)
    if names is None:
        names = [f"x{j + 1}" for j in range(model.n_features_in_)]
    ax.set_xlabel(str(names[dims[0]]))
    ax.set_ylabel(str(names[dims[1]]))
