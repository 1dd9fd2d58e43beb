"""Initialisation is scikit-learn's, including when a sweep shares its k-means++ seedings."""

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits

from gmmkit._core.init import initial_responsibilities, shared_kmeans_seeds


@pytest.fixture(scope="module")
def digits_20d():
    X = load_digits().data[:600]
    return X - X.mean(axis=0) + 3.0


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_shared_seedings_give_scikit_learns_kmeans_labels_for_every_k(digits_20d, dtype, weighted):
    X = digits_20d.astype(dtype)
    weight = np.random.RandomState(1).randint(1, 4, size=len(X)).astype(float) if weighted else None
    # k = 5..60 spans four groups of k that draw the same number of k-means++ candidates
    ks = [5, 7, 8, 12, 20, 21, 30, 54, 55, 60]
    seeds = shared_kmeans_seeds(X, ks, lambda: np.random.RandomState(7), weight)
    assert sorted(seeds) == ks
    for k in ks:
        expected = (
            KMeans(n_clusters=k, n_init=1, random_state=np.random.RandomState(7))
            .fit(X, sample_weight=weight)
            .labels_
        )
        labels = initial_responsibilities(
            X, k, "kmeans", np.random.RandomState(99), weight, kmeans_seeds=seeds[k]
        )
        np.testing.assert_array_equal(labels, expected, err_msg=f"k={k}")


def test_seeds_of_a_smaller_k_are_a_prefix_of_its_groups_largest(digits_20d):
    seeds = shared_kmeans_seeds(digits_20d, [21, 40, 54], lambda: np.random.RandomState(0))
    np.testing.assert_array_equal(seeds[21], seeds[54][:21])
    np.testing.assert_array_equal(seeds[40], seeds[54][:40])


def test_shared_seeds_asked_from_many_threads_at_once_are_the_sequential_ones(digits_20d):
    from concurrent.futures import ThreadPoolExecutor

    from gmmkit._core.init import SharedKMeansSeeds

    ks = [5, 8, 12, 20, 30, 54, 60] * 3
    expected = shared_kmeans_seeds(digits_20d, ks, lambda: np.random.RandomState(3))
    seeds = SharedKMeansSeeds(digits_20d, ks, lambda: np.random.RandomState(3))
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(seeds, ks))
    for k, indices in zip(ks, results):
        np.testing.assert_array_equal(indices, expected[k], err_msg=f"k={k}")
