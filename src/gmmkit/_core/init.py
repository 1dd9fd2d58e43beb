"""Initial responsibilities, drawn exactly as scikit-learn draws them.

Using the same random stream as ``sklearn.mixture.GaussianMixture`` means a user switching to gmmkit
with the same ``random_state`` starts EM from the same point, so results can be compared one to one.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans, kmeans_plusplus

INIT_METHODS = ("kmeans", "k-means++", "random", "random_from_data")


def initial_responsibilities(X, n_components, method, random_state, sample_weight=None):
    """Responsibilities to start EM from.

    Hard assignments are returned as labels (``-1`` for rows assigned to no component), so memory
    stays ``O(n_samples)``; only ``random`` returns dense ``(n_samples, n_components)`` weights.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_components : int
    method : {'kmeans', 'k-means++', 'random', 'random_from_data'}
        ``kmeans``: one-hot labels of a single k-means run; ``k-means++``: one-hot at the k-means++
        seeds; ``random``: uniform draws normalised per row; ``random_from_data``: one-hot at
        distinct random rows.
    random_state : numpy.random.RandomState
        Consumed in the same order as scikit-learn consumes it.
    sample_weight : ndarray of shape (n_samples,), optional
        Passed to k-means (the seeding methods ignore it, as the weights enter the first M-step).
    """
    n_samples = X.shape[0]
    if method == "kmeans":
        return (
            KMeans(n_clusters=n_components, n_init=1, random_state=random_state)
            .fit(X, sample_weight=sample_weight)
            .labels_
        )
    if method == "random":
        resp = random_state.uniform(size=(n_samples, n_components)).astype(X.dtype)
        resp = resp.astype(np.float64)
        resp /= resp.sum(axis=1)[:, None]
        return resp
    labels = np.full(n_samples, -1, dtype=np.intp)
    if method == "random_from_data":
        indices = random_state.choice(n_samples, size=n_components, replace=False)
    elif method == "k-means++":
        _, indices = kmeans_plusplus(X, n_components, random_state=random_state)
    else:
        raise ValueError(f"init_params must be one of {INIT_METHODS}, got {method!r}")
    labels[indices] = np.arange(n_components)
    return labels
