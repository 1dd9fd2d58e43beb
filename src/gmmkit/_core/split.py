r"""Growing a fitted mixture by splitting components: warm starts along ``n_components``.

The component with the largest :math:`\pi_k \lambda_k` (weight times the variance along its
principal axis :math:`v_k`) is the one a single Gaussian fits worst in the most data; it is
replaced by two halves of its weight, centred at :math:`\mu_k \pm \tfrac12 \sqrt{\lambda_k}\,v_k`,
each with the parent's covariance. EM from there usually needs few iterations.
"""

from __future__ import annotations

import numpy as np

from .covariances import covariance_model


def split_components(
    covariance_type: str,
    weights: np.ndarray,
    means: np.ndarray,
    covariances: np.ndarray,
    n_components: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parameters of a mixture grown to ``n_components`` by splitting the widest components.

    Parameters
    ----------
    covariance_type : str
        A registered covariance model's name; the model gives each component's principal
        axis and grows the covariances.
    weights : ndarray of shape (K,)
    means : ndarray of shape (K, d)
    covariances : ndarray in the layout of ``covariance_type``
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
    model = covariance_model(covariance_type, means.shape[1])
    while len(weights) < n_components:
        n_new = min(n_components - len(weights), len(weights))
        axes, variances = model.principal_axes(covariances, len(weights))
        chosen = np.argsort(-(weights * variances), kind="stable")[:n_new]
        shift = 0.5 * np.sqrt(variances[chosen])[:, None] * axes[chosen]
        weights = weights.copy()
        weights[chosen] /= 2.0
        weights = np.concatenate([weights, weights[chosen]])
        grown = means.copy()
        grown[chosen] -= shift
        means = np.concatenate([grown, means[chosen] + shift])
        covariances = model.repeat_components(covariances, chosen)
    return weights, means, covariances
