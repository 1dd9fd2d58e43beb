r"""Growing a fitted mixture by splitting components: warm starts along ``n_components``.

The component with the largest :math:`\pi_k \lambda_k` (weight times the variance along its
principal axis :math:`v_k`) is the one a single Gaussian fits worst in the most data; it is
replaced by two halves of its weight, centred at :math:`\mu_k \pm \tfrac12 \sqrt{\lambda_k}\,v_k`,
each with the parent's covariance. EM from there usually needs few iterations.
"""

from __future__ import annotations

import numpy as np


def split_components(covariance_type, weights, means, covariances, n_components):
    """Parameters of a mixture grown to ``n_components`` by splitting the widest components.

    Parameters
    ----------
    covariance_type : {'full', 'tied', 'diag', 'spherical'}
    weights : ndarray of shape (K,)
    means : ndarray of shape (K, d)
    covariances : ndarray in scikit-learn's layout for ``covariance_type``
    n_components : int
        The new number of components, at least ``K``. When it is more than ``2 K``, the split
        is repeated on the grown mixture.

    Returns
    -------
    weights, means, covariances
        The grown mixture (float64), in the same layouts.
    """
    weights = np.asarray(weights, dtype=np.float64)
    means = np.asarray(means, dtype=np.float64)
    covariances = np.asarray(covariances, dtype=np.float64)
    while len(weights) < n_components:
        n_new = min(n_components - len(weights), len(weights))
        axes, variances = _principal_axes(covariance_type, covariances, means.shape)
        chosen = np.argsort(-(weights * variances), kind="stable")[:n_new]
        shift = 0.5 * np.sqrt(variances[chosen])[:, None] * axes[chosen]
        weights = weights.copy()
        weights[chosen] /= 2.0
        weights = np.concatenate([weights, weights[chosen]])
        grown = means.copy()
        grown[chosen] -= shift
        means = np.concatenate([grown, means[chosen] + shift])
        if covariance_type != "tied":
            covariances = np.concatenate([covariances, covariances[chosen]])
    return weights, means, covariances


def _principal_axes(covariance_type, covariances, means_shape):
    """Each component's principal axis (unit rows, ``(K, d)``) and its variance ``(K,)``."""
    n_components, d = means_shape
    if covariance_type in ("full", "tied"):
        stack = covariances[None] if covariance_type == "tied" else covariances
        values, vectors = np.linalg.eigh(stack)
        axes, variances = vectors[:, :, -1], values[:, -1]
        if covariance_type == "tied":
            axes = np.broadcast_to(axes, (n_components, d))
            variances = np.broadcast_to(variances, (n_components,))
        return axes, variances
    variances = (covariances if covariance_type == "diag"
                 else np.repeat(covariances[:, None], d, axis=1))
    widest = variances.argmax(axis=1)
    axes = np.zeros((n_components, d))
    axes[np.arange(n_components), widest] = 1.0
    return axes, variances[np.arange(n_components), widest]
