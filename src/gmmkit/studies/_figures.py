"""Figure pieces shared by the studies: fitted mixtures, probability maps, image mosaics.

Figures are bare :class:`matplotlib.figure.Figure` objects, not ``pyplot`` ones, so drawing needs
no display and leaves no global state behind; matplotlib is imported only when one is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Level sets drawn at these percentiles of the points' own log-densities, so they enclose about
#: 95, 75, 50 and 25 % of the points ("highest-density regions").
DENSITY_PERCENTILES = (5, 25, 50, 75)
REAL_COLOUR = "0.55"
GENERATED_COLOUR = "tab:orange"


def new_figure(width, height):
    """An empty figure of ``width`` x ``height`` inches with a constrained layout."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def colours(n):
    """``n`` distinct RGBA colours: tab10 up to 10, tab20 up to 20, then evenly spaced hues.

    Returns
    -------
    ndarray of shape (n, 4)
    """
    from matplotlib import colormaps

    if n <= 10:
        return colormaps["tab10"](np.arange(n))
    if n <= 20:
        return colormaps["tab20"](np.arange(n))
    return colormaps["hsv"](np.linspace(0.0, 1.0, n, endpoint=False))


@dataclass(frozen=True)
class PlaneGrid:
    """A mesh over a 2-D data set, for maps of densities, components and probabilities.

    Attributes
    ----------
    x, y : ndarray of shape (size, size)
        Mesh coordinates.
    points : ndarray of shape (size * size, 2)
        The same mesh as rows, ready for ``predict`` and ``score_samples``.
    """

    x: np.ndarray
    y: np.ndarray
    points: np.ndarray

    @classmethod
    def around(cls, X, size=200, margin=0.08):
        """Mesh covering the rows of ``X`` (n, 2) plus ``margin`` of its range on every side."""
        low, high = X.min(axis=0), X.max(axis=0)
        pad = margin * np.where(high > low, high - low, 1.0)
        x, y = np.meshgrid(
            np.linspace(low[0] - pad[0], high[0] + pad[0], size),
            np.linspace(low[1] - pad[1], high[1] + pad[1], size),
        )
        return cls(x, y, np.column_stack([x.ravel(), y.ravel()]))

    def reshape(self, values):
        """Values computed on :attr:`points`, as a mesh."""
        return np.asarray(values).reshape(self.x.shape)

    def limit(self, ax):
        """Set ``ax``'s limits to the mesh."""
        ax.set_xlim(self.x[0, 0], self.x[0, -1])
        ax.set_ylim(self.y[0, 0], self.y[-1, 0])


def draw_mixture(ax, model, X, grid, *, point_size=6):
    """One fitted 2-D mixture: decision regions, density level sets and the points.

    Each mesh point is tinted by the component that claims it (``predict``), with thin grey
    boundaries between regions; black contours are level sets of the mixture density at
    :data:`DENSITY_PERCENTILES` of the points' own log-densities; points are coloured by
    predicted component, component means are white crosses.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    model : GaussianMixture
        Fitted on 2-D data.
    X : ndarray of shape (n_samples, 2)
    grid : PlaneGrid
    point_size : float, default=6
    """
    k = model.n_components
    palette = colours(k)
    regions = grid.reshape(model.predict(grid.points))
    ax.contourf(grid.x, grid.y, regions, levels=np.arange(k + 1) - 0.5, colors=palette, alpha=0.16)
    if k > 1:
        ax.contour(
            grid.x, grid.y, regions, levels=np.arange(k - 1) + 0.5, colors="0.45", linewidths=0.5
        )
    log_density = grid.reshape(model.score_samples(grid.points))
    levels = np.unique(np.percentile(model.score_samples(X), DENSITY_PERCENTILES))
    ax.contour(
        grid.x,
        grid.y,
        log_density,
        levels=levels,
        colors="black",
        linewidths=0.8,
        linestyles="solid",
        alpha=0.75,
    )
    labels = model.predict(X)
    ax.scatter(X[:, 0], X[:, 1], c=palette[labels], s=point_size, alpha=0.75, linewidths=0)
    ax.scatter(
        model.means_[:, 0],
        model.means_[:, 1],
        marker="X",
        s=60,
        c="white",
        edgecolors="black",
        linewidths=0.8,
        zorder=3,
    )
    grid.limit(ax)


def draw_probability_map(ax, classifier, X, y, grid):
    """P(y | x) of a fitted classifier over the plane, with the rows of ``X`` on top.

    With two classes the map is P(y = ``classes_[1]`` | x) on a blue-red scale with the 0.5
    contour (the decision boundary); with more, each mesh point's colour mixes the class
    colours by their probabilities, with the boundaries of the predicted class.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    classifier : fitted classifier with ``predict_proba`` and ``classes_``
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
        True classes of ``X``, for the points' colours.
    grid : PlaneGrid

    Returns
    -------
    matplotlib.contour.QuadContourSet or None
        The filled map of a two-class problem, for a colorbar; None otherwise.
    """
    classes = classifier.classes_
    proba = classifier.predict_proba(grid.points)
    palette = _class_palette(len(classes))
    mappable = None
    if len(classes) == 2:
        positive = grid.reshape(proba[:, 1])
        mappable = ax.contourf(
            grid.x, grid.y, positive, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.45
        )
        ax.contour(grid.x, grid.y, positive, levels=[0.5], colors="black", linewidths=1.2)
    else:
        blend = np.clip(proba @ palette[:, :3], 0.0, 1.0).reshape(*grid.x.shape, 3)
        ax.imshow(
            blend,
            extent=(grid.x[0, 0], grid.x[0, -1], grid.y[0, 0], grid.y[-1, 0]),
            origin="lower",
            aspect="auto",
            alpha=0.4,
            interpolation="bilinear",
        )
        predicted = grid.reshape(np.searchsorted(classes, classes[proba.argmax(axis=1)]))
        ax.contour(
            grid.x,
            grid.y,
            predicted,
            levels=np.arange(len(classes) - 1) + 0.5,
            colors="black",
            linewidths=0.8,
        )
    index = np.searchsorted(classes, y)
    for j, label in enumerate(classes):
        rows = index == j
        ax.scatter(
            X[rows, 0],
            X[rows, 1],
            s=14,
            color=palette[j],
            edgecolors="black",
            linewidths=0.4,
            label=f"class {label}",
        )
    grid.limit(ax)
    return mappable


def _class_palette(n_classes):
    """Class colours: blue and red for two classes (matching the RdBu map), else :func:`colours`."""
    if n_classes == 2:
        from matplotlib import colormaps

        return colormaps["RdBu_r"]([0.1, 0.9])
    return colours(n_classes)


def label_plane(ax, feature_names, title=None):
    """Axis labels from the first two feature names, and an optional title."""
    ax.set_xlabel(feature_names[0])
    ax.set_ylabel(feature_names[1])
    if title is not None:
        ax.set_title(title)


def draw_real_and_generated(ax, real, generated, *, real_label, generated_label):
    """Two 2-D samples on one plot: held-out real rows in grey under generated rows in colour."""
    ax.scatter(
        real[:, 0], real[:, 1], s=9, color=REAL_COLOUR, alpha=0.7, linewidths=0, label=real_label
    )
    ax.scatter(
        generated[:, 0],
        generated[:, 1],
        s=9,
        color=GENERATED_COLOUR,
        alpha=0.7,
        linewidths=0,
        label=generated_label,
    )


def mosaic(images, n_rows, n_cols, gap=1):
    """Tile equally sized images row by row into one array, separated by blank lines.

    Parameters
    ----------
    images : ndarray of shape (n_rows * n_cols, h, w)
    n_rows, n_cols : int
    gap : int, default=1
        Blank pixels between neighbouring images (value NaN, drawn as background).

    Returns
    -------
    ndarray of shape (n_rows * (h + gap) - gap, n_cols * (w + gap) - gap)
    """
    h, w = images.shape[1:]
    canvas = np.full((n_rows * (h + gap) - gap, n_cols * (w + gap) - gap), np.nan)
    for index, image in enumerate(images[: n_rows * n_cols]):
        row, col = divmod(index, n_cols)
        canvas[row * (h + gap) : row * (h + gap) + h, col * (w + gap) : col * (w + gap) + w] = image
    return canvas
