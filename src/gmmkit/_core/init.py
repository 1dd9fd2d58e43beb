"""Initial responsibilities, drawn exactly as scikit-learn draws them.

Using the same random stream as ``sklearn.mixture.GaussianMixture`` means a user switching to gmmkit
with the same ``random_state`` starts EM from the same point, so results can be compared one to one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection

import numpy as np
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.utils.extmath import row_norms

from .hierarchical import HierarchicalStart
from .threads import one_blas_thread

INIT_METHODS = ("kmeans", "k-means++", "random", "random_from_data", "hc")


def initial_responsibilities(
    X: np.ndarray,
    n_components: int,
    method: str,
    random_state: np.random.RandomState,
    sample_weight: np.ndarray | None = None,
    kmeans_seeds: np.ndarray | None = None,
    hierarchy: HierarchicalStart | None = None,
) -> np.ndarray:
    """Responsibilities to start EM from.

    Hard assignments are returned as labels (``-1`` for rows assigned to no component), so memory
    stays ``O(n_samples)``; only ``random`` returns dense ``(n_samples, n_components)`` weights.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_components : int
    method : {'kmeans', 'k-means++', 'random', 'random_from_data', 'hc'}
        ``kmeans``: one-hot labels of a single k-means run; ``k-means++``: one-hot at the k-means++
        seeds; ``random``: uniform draws normalised per row; ``random_from_data``: one-hot at
        distinct random rows; ``hc``: mclust's start, the VVV agglomerative tree of the
        SVD-transformed data cut at ``n_components`` (see
        :class:`gmmkit._core.hierarchical.HierarchicalStart`).
    random_state : numpy.random.RandomState
        Consumed in the same order as scikit-learn consumes it (``hc`` draws from it only for
        its subset of rows, with more than 2000 rows).
    sample_weight : ndarray of shape (n_samples,), optional
        Passed to k-means (the seeding methods ignore it, as the weights enter the first M-step).
    kmeans_seeds : ndarray of shape (n_components,), optional
        Row indices of the k-means++ seeds, from :func:`shared_kmeans_seeds`; k-means then starts
        from them (``random_state`` is not used) and ends exactly where it would have.
    hierarchy : HierarchicalStart, optional
        For ``hc``: a tree shared with other calls (``random_state`` is then not used); without
        one, the tree is built for this call.
    """
    n_samples = X.shape[0]
    if method == "hc":
        if hierarchy is None:
            hierarchy = HierarchicalStart(X, random_state=random_state)
        return hierarchy.labels(n_components)
    if method == "kmeans":
        init = "k-means++" if kmeans_seeds is None else X[kmeans_seeds]
        kmeans = KMeans(
            n_clusters=n_components,
            init=init,
            n_init=1,
            random_state=random_state if kmeans_seeds is None else None,
        )
        # k-means sets and restores the process-wide BLAS limit itself, which races with any
        # overlapping call; inside the shared limit it finds and leaves one thread
        with one_blas_thread():
            return kmeans.fit(X, sample_weight=sample_weight).labels_
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


def shared_kmeans_seeds(
    X: np.ndarray,
    ks: Collection[int],
    new_random_state: Callable[[], np.random.RandomState],
    sample_weight: np.ndarray | None = None,
) -> dict[int, np.ndarray]:
    """``{k: row indices of the k seeds}`` for every ``k`` in ``ks``: see
    :class:`SharedKMeansSeeds`, which computes the same seeds on demand."""
    seeds = SharedKMeansSeeds(X, ks, new_random_state, sample_weight)
    return {k: seeds(k) for k in ks}


def _n_local_trials(k: int) -> int:
    """Candidates per centre in scikit-learn's k-means++ seeding of ``k`` centres."""
    return 2 + int(np.log(k))


class SharedKMeansSeeds:
    r"""The k-means++ seeds that ``KMeans(n_clusters=k, random_state=new_random_state())`` picks,
    for every ``k`` in ``ks``, from one seeding per group of ``k`` that draw alike.

    k-means++ picks its centres one at a time, each from :math:`2 + \lfloor \ln k \rfloor`
    candidates drawn from the random stream; the first ``j`` centres depend on ``k`` only
    through that number of candidates. So for every ``k`` with the same number, the seeds are
    the first ``k`` of one seeding with the largest such ``k``: 4 seedings instead of 20 for
    ``k = 10, 20, ..., 200``. The seeding runs on the data centred as :class:`KMeans` centres
    it, so every distance, and every choice, is the same.

    Calling the object with ``k`` returns that ``k``'s seeds, running its group's seeding the
    first time it is asked for. It is thread-safe: parallel workers of a sweep share one, and
    each seeding runs once, when the first worker needs it, instead of all of them up front.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    ks : iterable of int
    new_random_state : callable
        Returns a fresh ``RandomState`` in the state ``KMeans`` would receive.
    sample_weight : ndarray of shape (n_samples,), optional
    """

    def __init__(
        self,
        X: np.ndarray,
        ks: Collection[int],
        new_random_state: Callable[[], np.random.RandomState],
        sample_weight: np.ndarray | None = None,
    ) -> None:
        self._largest: dict[int, int] = {}
        for k in ks:
            trials = _n_local_trials(k)
            self._largest[trials] = max(self._largest.get(trials, 0), k)
        self._X, self._new_random_state, self._sample_weight = X, new_random_state, sample_weight
        self._locks = {trials: threading.Lock() for trials in self._largest}
        self._seedings: dict[int, np.ndarray] = {}
        self._centred_lock = threading.Lock()
        self._centred: tuple[np.ndarray, np.ndarray] | None = None

    def __call__(self, k: int) -> np.ndarray:
        """Row indices of the ``k`` seeds (``k`` must be one of ``ks``)."""
        trials = _n_local_trials(k)
        with self._locks[trials]:
            if trials not in self._seedings:
                centred, squared_norms = self._centred_data()
                _, indices = kmeans_plusplus(
                    centred,
                    self._largest[trials],
                    sample_weight=self._sample_weight,
                    x_squared_norms=squared_norms,
                    random_state=self._new_random_state(),
                    n_local_trials=trials,
                )
                self._seedings[trials] = indices
        return self._seedings[trials][:k]

    def _centred_data(self) -> tuple[np.ndarray, np.ndarray]:
        with self._centred_lock:
            if self._centred is None:
                centred = self._X - self._X.mean(axis=0)
                self._centred = centred, row_norms(centred, squared=True)
        return self._centred
