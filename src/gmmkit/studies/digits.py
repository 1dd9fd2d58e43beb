"""Handwritten digits: a mixture in PCA space as a density model and a generator.

The 8x8 digit images are projected onto the principal components that keep 99 % of the variance;
mixtures with full and diagonal covariances are compared by the information criteria, and the
best one by BIC draws new digits, mapped back to pixels through the PCA.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from ._plots import criteria_figure, new_figure
from ._sweep import StudyResult, sweep

NAME = "digits"
VARIANCE_KEPT = 0.99
COVARIANCE_TYPES = ("full", "diag")
COMPONENT_COUNTS = (10, 20, 50, 100, 200)
QUICK_COMPONENT_COUNTS = (10, 20)
IMAGE_SHAPE = (8, 8)
PIXEL_MAX = 16.0
MOSAIC_SHAPE = (6, 8)


def run(quick=False, seed=0):
    """Fit mixtures to the PCA projection of the digits and sample from the best one.

    Parameters
    ----------
    quick : bool, default=False
        Fit k in :data:`QUICK_COMPONENT_COUNTS` instead of :data:`COMPONENT_COUNTS`.
    seed : int, default=0
        Seed of every mixture, of the generated samples and of the real digits shown beside them.

    Returns
    -------
    StudyResult
        Rows for every (covariance type, k) and the fitted models. ``arrays`` holds
        ``explained_variance_ratio`` (all 64 components), ``generated`` and ``real``, both of
        shape ``(n_images, 8, 8)`` with pixel values in ``[0, 16]``.
    """
    images = load_digits().data
    pca = PCA(n_components=VARIANCE_KEPT, svd_solver="full").fit(images)
    Z = pca.transform(images)
    counts = QUICK_COMPONENT_COUNTS if quick else COMPONENT_COUNTS
    rows, models = sweep(Z, NAME, COVARIANCE_TYPES, counts, seed)
    result = StudyResult(NAME, rows, models=models)
    best = result.best
    n_images = int(np.prod(MOSAIC_SHAPE))
    generated = generate_digits(models[best["covariance_type"], best["n_components"]], pca,
                                n_images, seed)
    real_rows = np.random.RandomState(seed).choice(len(images), n_images, replace=False)
    result.arrays = {
        "explained_variance_ratio": PCA(svd_solver="full").fit(images).explained_variance_ratio_,
        "generated": generated,
        "real": images[real_rows].reshape(-1, *IMAGE_SHAPE),
    }
    result.info = {
        "n_samples": images.shape[0],
        "n_pixels": images.shape[1],
        "variance_kept": VARIANCE_KEPT,
        "n_features": int(pca.n_components_),
        "explained_variance": float(pca.explained_variance_ratio_.sum()),
        "covariance_types": list(COVARIANCE_TYPES),
        "component_counts": list(counts),
    }
    return result


def generate_digits(model, pca, n_images, seed):
    """Sample ``n_images`` digits from a mixture fitted in PCA space.

    Parameters
    ----------
    model : GaussianMixture
        Fitted to ``pca.transform`` of the images.
    pca : sklearn.decomposition.PCA
        The fitted projection.
    n_images : int
    seed : int

    Returns
    -------
    ndarray of shape (n_images, 8, 8)
        Pixel values clipped to ``[0, 16]``, the range of the data set.
    """
    samples, _ = model.sample(n_images, random_state=seed)
    pixels = np.clip(pca.inverse_transform(samples), 0.0, PIXEL_MAX)
    return pixels.reshape(-1, *IMAGE_SHAPE)


def figures(result):
    """Draw the study's figures.

    Parameters
    ----------
    result : StudyResult
        As returned by :func:`run`.

    Returns
    -------
    dict of str to matplotlib.figure.Figure
        ``digits_pca_variance``: cumulative explained variance;
        ``digits_criteria``: BIC and AIC against k;
        ``digits_samples``: real digits beside digits drawn from the best-BIC mixture.
    """
    return {
        "digits_pca_variance": variance_figure(result),
        "digits_criteria": criteria_figure(
            result.rows, "Digits (PCA space): information criteria vs number of components"
        ),
        "digits_samples": samples_figure(result),
    }


def variance_figure(result):
    """Cumulative explained variance of the PCA, with the 99 % cut marked.

    Parameters
    ----------
    result : StudyResult

    Returns
    -------
    matplotlib.figure.Figure
    """
    cumulative = np.cumsum(result.arrays["explained_variance_ratio"])
    kept = result.info["n_features"]
    figure = new_figure(6.5, 4.2)
    ax = figure.subplots()
    ax.plot(np.arange(1, cumulative.size + 1), cumulative, marker=".")
    ax.axhline(VARIANCE_KEPT, color="grey", linestyle="--",
               label=f"{VARIANCE_KEPT:.0%} of the variance")
    ax.axvline(kept, color="tab:red", linestyle=":", label=f"{kept} components kept")
    ax.set_xlabel("number of principal components")
    ax.set_ylabel("cumulative explained variance ratio")
    ax.set_title("Digits: PCA cumulative explained variance")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return figure


def samples_figure(result):
    """Real digits beside digits generated by the best-BIC mixture.

    Parameters
    ----------
    result : StudyResult

    Returns
    -------
    matplotlib.figure.Figure
    """
    best = result.best
    figure = new_figure(11, 5)
    panels = (
        (result.arrays["real"], "real digits (random draw from the data set)"),
        (result.arrays["generated"],
         f"generated: best-BIC mixture ({best['covariance_type']}, k={best['n_components']})"),
    )
    for ax, (images, title) in zip(figure.subplots(1, 2), panels):
        ax.imshow(mosaic(images, MOSAIC_SHAPE), cmap="gray_r", vmin=0, vmax=PIXEL_MAX)
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(f"{MOSAIC_SHAPE[1]} images per row, 8x8 pixels each")
        ax.set_ylabel(f"{MOSAIC_SHAPE[0]} rows")
    figure.suptitle("Digits: sampled from a Gaussian mixture in PCA space, "
                    "mapped back to pixels and clipped to 0..16")
    return figure


def mosaic(images, shape, gap=1):
    """Tile images into one array, separated by blank lines.

    Parameters
    ----------
    images : ndarray of shape (n_rows * n_cols, h, w)
    shape : tuple of int
        ``(n_rows, n_cols)``.
    gap : int, default=1
        Blank pixels between neighbouring images.

    Returns
    -------
    ndarray of shape (n_rows * (h + gap) - gap, n_cols * (w + gap) - gap)
    """
    n_rows, n_cols = shape
    h, w = images.shape[1:]
    canvas = np.zeros((n_rows * (h + gap) - gap, n_cols * (w + gap) - gap))
    for index, image in enumerate(images[: n_rows * n_cols]):
        row, col = divmod(index, n_cols)
        canvas[row * (h + gap): row * (h + gap) + h, col * (w + gap): col * (w + gap) + w] = image
    return canvas
