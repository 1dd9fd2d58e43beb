"""The silhouette score of many labellings of one seeded subsample, from one distance matrix.

Silhouette needs all pairwise distances of the subsample; they do not depend on the
configuration, so one matrix serves every fit of a sweep. It is kept in float32: each score
reads the whole matrix, so this halves the memory traffic of the sweep's largest memory-bound
step, and a silhouette is still good to about 1e-6.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
from sklearn.utils.extmath import row_norms

#: Rows of float64 distances computed at a time before they are stored in float32.
DISTANCE_BLOCK_ROWS = 256


def silhouette_rows(n_samples: int, max_samples: int, seed: int) -> np.ndarray:
    """The sorted rows of a seeded subsample of at most ``max_samples`` of ``n_samples``."""
    if max_samples < 2:
        raise ValueError(f"silhouette_samples must be at least 2, got {max_samples}")
    if n_samples > max_samples:
        return np.sort(np.random.RandomState(seed).choice(n_samples, max_samples, replace=False))
    return np.arange(n_samples)


class SilhouetteSample:
    """The rows of the subsample and their distance matrix, which :meth:`of` computes."""

    def __init__(self, rows, distances):
        self.rows, self.distances = rows, distances

    @classmethod
    def of(cls, X, rows) -> SilhouetteSample:
        return cls(rows, _float32_distances(X[rows]))

    def score(self, labels) -> float:
        """Mean silhouette of ``labels`` (of all rows of ``X``) on the subsample."""
        return _silhouette(labels, self.rows, self.distances)

    def scores(self, label_sets) -> list[float]:
        """:meth:`score` of each labelling, from one pass over the distances."""
        return _silhouettes(label_sets, self.rows, self.distances)


def _float32_distances(X) -> np.ndarray:
    """Euclidean distances between the rows of ``X``, computed in float64 a block of rows at a
    time and stored in float32, so the float64 matrix (twice the size) never exists."""
    n = X.shape[0]
    squared_norms = row_norms(X, squared=True)
    out = np.empty((n, n), dtype=np.float32)
    for start in range(0, n, DISTANCE_BLOCK_ROWS):
        block = slice(start, min(start + DISTANCE_BLOCK_ROWS, n))
        # scikit-learn's euclidean_distances, operation for operation, without its validation
        squared = -2.0 * (X[block] @ X.T)
        squared += squared_norms[block, None]
        squared += squared_norms[None, :]
        np.maximum(squared, 0.0, out=squared)
        out[block] = np.sqrt(squared)
    np.fill_diagonal(out, 0.0)
    return out


def _silhouette(labels, rows, distances) -> float:
    """Mean silhouette of one labelling (see :func:`_silhouettes`)."""
    return _silhouettes([labels], rows, distances)[0]


def _silhouettes(label_sets, rows, distances) -> list[float]:
    r"""Mean silhouette of each labelling in ``label_sets`` on the subsample ``rows``; NaN
    where it is undefined (fewer than 2 or more than ``n - 1`` clusters).

    :math:`s_i = (b_i - a_i) / \max(a_i, b_i)` with :math:`a_i` the mean distance to the other
    members of its cluster and :math:`b_i` the smallest mean distance to another cluster (0 for
    singletons), as :func:`sklearn.metrics.silhouette_score` defines it. The per-cluster distance
    sums of all labellings are one sparse product with the precomputed distance matrix, in its
    dtype. The one-hot matrix is stored by column, so the product reads each row of the
    distance matrix (the sweep's largest memory-bound read) once for all labellings.
    """
    n = len(rows)
    scores = [np.nan] * len(label_sets)
    clusterings, cluster_rows, offset = {}, [], 0
    for index, labels in enumerate(label_sets):
        clusters, members = np.unique(labels[rows], return_inverse=True)
        if 2 <= clusters.size <= n - 1:
            clusterings[index] = (members, np.bincount(members), offset)
            cluster_rows.append(members + offset)
            offset += clusters.size
    if not clusterings:
        return scores
    per_column = len(cluster_rows)
    one_hot = scipy.sparse.csc_array(
        (
            np.ones(per_column * n, dtype=distances.dtype),
            np.stack(cluster_rows, axis=1).ravel(),
            np.arange(0, per_column * n + 1, per_column),
        ),
        shape=(offset, n),
    )
    all_sums = one_hot @ distances
    own_entries_columns = np.arange(n)
    for index, (members, counts, start) in clusterings.items():
        sums = all_sums[start : start + counts.size]
        own_entries = (members, own_entries_columns)
        own = counts[members]
        a = sums[own_entries].astype(np.float64) / np.maximum(own - 1, 1)
        means = np.divide(sums, counts[:, None].astype(sums.dtype), out=sums)
        means[own_entries] = np.inf
        b = means.min(axis=0).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.where(own > 1, (b - a) / np.maximum(a, b), 0.0)
        scores[index] = float(np.nan_to_num(s).mean())
    return scores
