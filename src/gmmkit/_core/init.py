"""Initial responsibilities, drawn exactly as scikit-learn draws them.

Using the same random stream as ``sklearn.mixture.GaussianMixture`` means a user switching to gmmkit
with the same ``random_state`` starts EM from the same point, so results can be compared one to one.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.utils.extmath import row_norms

INIT_METHODS = ("kmeans", "k-means++", "random", "random_from_data")


def initial_responsibilities(X, n_components, method, random_state, sample_weight=None,
                             kmeans_seeds=None):
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
    kmeans_seeds : ndarray of shape (n_components,), optional
        Row indices of the k-means++ seeds, from :func:`shared_kmeans_seeds`; k-means then starts
        from them (``random_state`` is not used) and ends exactly where it would have.
    """
    n_samples = X.shape[0]
    if method == "kmeans" and kmeans_seeds is not None:
        return (
            KMeans(n_clusters=n_components, init=X[kmeans_seeds], n_init=1)
            .fit(X, sample_weight=sample_weight)
            .labels_
        )
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


def shared_kmeans_seeds(X, ks, new_random_state, sample_weight=None) -> dict[int, np.ndarray]:
    r"""The k-means++ seeds that ``KMeans(n_clusters=k, random_state=new_random_state())`` picks,
    for every ``k`` in ``ks``, from one seeding per group of ``k`` that draw alike.

    k-means++ picks its centres one at a time, each from :math:`2 + \lfloor \ln k \rfloor`
    candidates drawn from the random stream; the first ``j`` centres depend on ``k`` only
    through that number of candidates. So for every ``k`` with the same number, the seeds are
    the first ``k`` of one seeding with the largest such ``k``: 4 seedings instead of 20 for
    ``k = 10, 20, ..., 200``. The seeding runs on the data centred as :class:`KMeans` centres
    it, so every distance, and every choice, is the same.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    ks : iterable of int
    new_random_state : callable
        Returns a fresh ``RandomState`` in the state ``KMeans`` would receive.
    sample_weight : ndarray of shape (n_samples,), optional

    Returns
    -------
    dict
        ``{k: row indices of the k seeds}``.
    """
    groups: dict[int, list[int]] = {}
    for k in ks:
        groups.setdefault(2 + int(np.log(k)), []).append(k)
    centred = X - X.mean(axis=0)
    squared_norms = row_norms(centred, squared=True)
    seeds = {}
    for n_trials, members in groups.items():
        _, indices = kmeans_plusplus(centred, max(members), sample_weight=sample_weight,
                                     x_squared_norms=squared_norms,
                                     random_state=new_random_state(), n_local_trials=n_trials)
        seeds.update({k: indices[:k] for k in members})
    return seeds
