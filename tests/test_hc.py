"""init_params='hc': mclust's model-based agglomerative hierarchical clustering (VVV), checked
merge for merge against R mclust 6.0.0 (tests/fixtures/mclust/*_hc.json)."""

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

import gmmkit
from gmmkit import GaussianMixture
from gmmkit._core import hierarchical
from gmmkit._core.hierarchical import (
    SUBSET_SIZE,
    HierarchicalStart,
    cut_tree,
    hierarchical_partitions,
    svd_transform,
    vvv_merges,
)
from gmmkit._core.init import initial_responsibilities

FIXTURES = Path(__file__).parent / "fixtures" / "mclust"
TREES = [("faithful", "default"), ("faithful", "svd"), ("iris", "default"), ("iris", "svd")]


def _fixture(name):
    return json.loads((FIXTURES / f"{name}_hc.json").read_text())


def _tree_input(fixture, use):
    X = np.array(fixture["data"], dtype=float)
    return X if use == "default" else svd_transform(X)


@pytest.mark.parametrize("name, use", TREES)
def test_tree_is_mclusts_merge_for_merge(name, use):
    fixture = _fixture(name)
    merges = vvv_merges(_tree_input(fixture, use))
    np.testing.assert_array_equal(merges + 1, fixture[f"hc_{use}"]["merge"])


@pytest.mark.parametrize("name, use", TREES)
def test_cuts_are_mclusts_hclass_partitions_for_1_to_9_clusters(name, use):
    fixture = _fixture(name)
    X = _tree_input(fixture, use)
    cuts = cut_tree(vvv_merges(X), len(X), range(1, 10))
    for k in range(1, 10):
        # both number clusters in order of first appearance, so the labels agree exactly
        np.testing.assert_array_equal(
            cuts[k] + 1, fixture[f"hclass_{use}"][str(k)], err_msg=f"k={k}"
        )


@pytest.mark.parametrize("name", ["faithful", "iris"])
def test_svd_transform_is_mclusts_up_to_column_signs(name):
    fixture = _fixture(name)
    Z = svd_transform(np.array(fixture["data"], dtype=float))
    expected = np.array(fixture["hc_svd"]["transformed_data"])
    signs = np.sign(np.sum(Z * expected, axis=0))
    np.testing.assert_allclose(Z * signs, expected, atol=1e-12)


def _naive_tree(Z):
    """Agglomeration by the module docstring's criterion, every cost from scratch."""
    n, p = Z.shape
    alpha = np.sum((Z - Z.mean(axis=0)) ** 2) / (n * p)

    def term(rows):
        if len(rows) == 1:
            return np.log(alpha)
        centred = Z[rows] - Z[rows].mean(axis=0)
        scatter, m = centred.T @ centred, len(rows)
        trace_term = (np.trace(scatter) + alpha) / m
        return m * np.log((np.linalg.det(scatter / m) if m > p else 0.0) + trace_term)

    clusters, merges = [[i] for i in range(n)], []
    while len(clusters) > 1:
        _, i, j = min(
            (term(a + b) - term(a) - term(b), i, j)
            for i, a in enumerate(clusters)
            for j, b in enumerate(clusters)
            if i < j
        )
        merges.append(sorted((min(clusters[i]), min(clusters[j]))))
        clusters[i] = clusters[i] + clusters.pop(j)
    return np.array(merges)


def test_exact_criterion_merges_the_cheapest_pair_at_every_stage():
    rng = np.random.RandomState(3)
    Z = np.vstack([rng.normal(size=(12, 3)) + shift for shift in (0, 4, 8)])
    np.testing.assert_array_equal(vvv_merges(Z, like_mclust=False), _naive_tree(Z))


def test_exact_criterion_departs_from_mclust_only_late_in_faithfuls_raw_tree():
    """mclust keeps only the first row of a merged cluster's factor (see _VVVTree); on these
    data that changes one tree, from stage 208 of 271, below its 9-cluster cut."""
    fixture = _fixture("faithful")
    X = np.array(fixture["data"], dtype=float)
    merges = vvv_merges(X, like_mclust=False)
    differs = np.flatnonzero((merges + 1 != fixture["hc_default"]["merge"]).any(axis=1))
    assert differs[0] == 207
    assert adjusted_rand_score(cut_tree(merges, len(X), [5])[5], fixture["hclass_default"]["5"]) < 1


def test_hc_start_is_mclusts_svd_partition_and_ignores_random_state():
    fixture = _fixture("faithful")
    X = np.array(fixture["data"])
    for seed in (0, 1):
        labels = initial_responsibilities(X, 3, "hc", np.random.RandomState(seed))
        np.testing.assert_array_equal(labels + 1, fixture["hclass_svd"]["3"])


def test_gaussian_mixture_hc_is_deterministic():
    X = np.array(_fixture("iris")["data"])
    fits = [GaussianMixture(3, init_params="hc", random_state=seed).fit(X) for seed in (0, 7)]
    np.testing.assert_array_equal(fits[0].means_, fits[1].means_)
    np.testing.assert_array_equal(fits[0].covariances_, fits[1].covariances_)


def test_hc_start_reaches_mclusts_eee_optimum_on_faithful():
    """faithful_em.json: EEE, G = 3 converges to log-likelihood -1126.3159 from hc."""
    X = np.array(_fixture("faithful")["data"])
    model = GaussianMixture(
        3, covariance_type="tied", init_params="hc", tol=1e-12, max_iter=5000, reg_covar=0
    ).fit(X)
    assert model.lower_bound_ * len(X) == pytest.approx(-1126.3159, abs=1e-4)


def _count_trees(monkeypatch):
    calls = []

    def counted(Z, like_mclust=True):
        calls.append(len(Z))
        return vvv_merges(Z, like_mclust)

    monkeypatch.setattr(hierarchical, "vvv_merges", counted)
    return calls


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_select_builds_one_tree_per_sweep(monkeypatch, n_jobs):
    X = np.array(_fixture("faithful")["data"])
    calls = _count_trees(monkeypatch)
    result = gmmkit.select(
        X,
        n_components=range(1, 7),
        covariance_type=["full", "tied"],
        init_params="hc",
        random_state=0,
        n_jobs=n_jobs,
    )
    assert calls == [len(X)]
    assert result.table["error"].isna().all()


def test_select_with_cv_builds_one_tree_per_training_fold(monkeypatch):
    X = np.array(_fixture("faithful")["data"])
    calls = _count_trees(monkeypatch)
    gmmkit.select(
        X, n_components=range(1, 5), covariance_type="full", cv=3, init_params="hc", random_state=0
    )
    assert len(calls) == 4


def test_select_hc_rows_are_the_gaussian_mixtures_fits():
    X = np.array(_fixture("iris")["data"])
    result = gmmkit.select(
        X, n_components=[1, 2, 3], covariance_type="full", init_params="hc", random_state=0
    )
    table = result.table
    for k in (2, 3):
        if k == result.best_params_["n_components"]:
            continue  # the chosen row is polished further
        model = GaussianMixture(k, init_params="hc", tol=1e-4, random_state=0).fit(X)
        row = table[table["n_components"] == k].iloc[0]
        assert row["bic"] == pytest.approx(model.bic(X), rel=1e-12)


@pytest.fixture(scope="module")
def wide_blobs():
    rng = np.random.RandomState(0)
    centres = np.array([[0, 0], [6, 0], [0, 6]])
    labels = rng.randint(3, size=SUBSET_SIZE + 300)
    return rng.normal(size=(labels.size, 2)) + centres[labels], labels


@pytest.mark.slow
def test_more_rows_than_the_subset_build_the_tree_on_a_seeded_subset(wide_blobs):
    X, truth = wide_blobs
    start = HierarchicalStart(X, random_state=np.random.RandomState(4))
    assert start.rows.size == SUBSET_SIZE
    again = HierarchicalStart(X, random_state=np.random.RandomState(4))
    np.testing.assert_array_equal(start.rows, again.rows)
    other = HierarchicalStart(X, random_state=np.random.RandomState(5))
    assert not np.array_equal(start.rows, other.rows)
    labels = start.labels(3)
    subset = svd_transform(X[start.rows])
    np.testing.assert_array_equal(
        labels[start.rows], cut_tree(vvv_merges(subset), SUBSET_SIZE, [3])[3]
    )
    # the other rows join the cluster of their neighbours
    outside = np.setdiff1d(np.arange(len(X)), start.rows)
    assert adjusted_rand_score(truth[outside], labels[outside]) > 0.95


@pytest.mark.slow
def test_gaussian_mixture_hc_on_many_rows_depends_on_random_state_only(wide_blobs):
    X, _ = wide_blobs
    a, b = (GaussianMixture(3, init_params="hc", random_state=1).fit(X) for _ in range(2))
    np.testing.assert_array_equal(a.means_, b.means_)


def test_hierarchical_partitions_cut_one_tree(monkeypatch):
    X = np.array(_fixture("iris")["data"])
    calls = _count_trees(monkeypatch)
    partitions = hierarchical_partitions(X, [2, 3, 4], use="VARS")
    assert calls == [len(X)]
    fixture = _fixture("iris")
    for k, labels in partitions.items():
        np.testing.assert_array_equal(labels + 1, fixture["hclass_default"][str(k)])


def test_more_clusters_than_rows_is_refused():
    with pytest.raises(ValueError, match="n_components=5"):
        HierarchicalStart(np.random.RandomState(0).normal(size=(4, 2))).labels(5)
