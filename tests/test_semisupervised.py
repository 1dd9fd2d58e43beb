"""Specification of semi-supervised ``MixtureClassifier`` fits (:mod:`gmmkit.semisupervised`)."""

import json
import os
import warnings

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.datasets import make_blobs

import gmmkit
from gmmkit import GaussianMixture, IllPosedWarning, MixtureClassifier
from gmmkit.semisupervised import semisupervised_em

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "mclust")


def _read_only(*arrays):
    for array in arrays:
        array.setflags(write=False)
    return arrays


def _two_gaussians(n, random_state):
    """Two overlapping, elongated Gaussian classes in 2-d, crossing at an angle: one full
    component per class is the true model, so unlabelled rows carry real information."""
    rng = np.random.RandomState(random_state)
    half = n // 2
    first = rng.normal(size=(half, 2)) @ np.array([[2.5, 0.0], [0.0, 0.4]])
    second = rng.normal(size=(n - half, 2)) @ np.array([[0.4, 0.0], [0.0, 2.5]])
    X = np.r_[first + [0.0, -1.0], second + [1.5, 0.5]]
    y = np.repeat([0, 1], [half, n - half])
    return X, y


def _hide_labels(y, per_class, random_state=0):
    """``y`` with ``per_class`` random rows of every class labelled, the rest -1."""
    rng = np.random.RandomState(random_state)
    partial = np.full(y.shape, -1, dtype=y.dtype)
    for label in np.unique(y):
        rows = rng.choice(np.flatnonzero(y == label), per_class, replace=False)
        partial[rows] = y[rows]
    return partial


@pytest.fixture(scope="module")
def crossing():
    """1000 training rows of :func:`_two_gaussians` with 3 labels per class, and 2000
    held-out rows."""
    X, y = _two_gaussians(1000, 0)
    X_test, y_test = _two_gaussians(2000, 1)
    return _read_only(X, y, _hide_labels(y, 3), X_test, y_test)


@pytest.fixture(scope="module")
def blobs3():
    """Three overlapping blobs in 3-d (600 rows) with 15 labels per class."""
    rng = np.random.RandomState(3)
    centres = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 1.0], [0.0, 3.0, -1.0]])
    X = np.concatenate([rng.normal(c, 1.0, (200, 3)) for c in centres])
    y = np.repeat([0, 1, 2], 200)
    return _read_only(X, y, _hide_labels(y, 15, random_state=1))


def _quiet_fit(estimator, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(X, y, **kwargs)


def _observed_log_likelihood(clf, X, y_partial):
    r""":math:`\sum_{L} \log \pi_{y_i} p(x_i | y_i) + \sum_{U} \log \sum_c \pi_c p(x_i | c)`,
    from the classifier's public predictions."""
    joint = np.column_stack([m.score_samples(X) for m in clf.mixtures_]) + np.log(clf.class_prior_)
    labelled = y_partial != -1
    index = np.searchsorted(clf.classes_, y_partial[labelled])
    return joint[labelled, index].sum() + logsumexp(joint[~labelled], axis=1).sum()


# ---------------------------------------------------------------------- the EM
#: Not EVV, EVE and VVE: on these data their supervised start from 15 rows per class has a
#: component on one or two rows, which EVV and EVE regularise beyond reg_covar (the M-step's
#: output is then no maximiser) and whose zero scatter VVE's orientation step does not ascend
#: from; EM promises an ascent only for M-steps that maximise.
@pytest.mark.parametrize(
    "covariance_type",
    ["full", "tied", "diag", "spherical", "EII", "EEI", "EVI", "EEV", "VEI", "VEV", "VEE"],
)
def test_em_never_decreases_the_observed_log_likelihood(blobs3, covariance_type):
    X, _, y_partial = blobs3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = MixtureClassifier(
            2, covariance_type=covariance_type, tol=1e-8, max_iter=60, random_state=0
        ).fit(X, y_partial)
    assert not [w for w in caught if "collapsed to a singular covariance" in str(w.message)]
    bounds = clf.lower_bounds_
    assert bounds.size > 3
    assert (np.diff(bounds) >= -1e-10 * np.abs(bounds[:-1])).all()


def test_lower_bounds_are_the_observed_data_log_likelihood_per_row(blobs3):
    X, _, y_partial = blobs3
    # the supervised start runs with the classifier's settings, max_iter included
    labelled = y_partial != -1
    start = _quiet_fit(
        MixtureClassifier(2, random_state=0, max_iter=1), X[labelled], y_partial[labelled]
    )
    clf = _quiet_fit(MixtureClassifier(2, random_state=0, max_iter=1), X, y_partial)
    # the first bound is that of the parameters entering the first iteration: the start's
    expected = _observed_log_likelihood(start, X, y_partial) / len(X)
    np.testing.assert_allclose(clf.lower_bounds_[0], expected, rtol=1e-12)


def test_the_fitted_parameters_score_at_least_the_last_bound(blobs3):
    X, _, y_partial = blobs3
    clf = MixtureClassifier(2, tol=1e-6, max_iter=500, random_state=0).fit(X, y_partial)
    assert clf.converged_
    final = _observed_log_likelihood(clf, X, y_partial) / len(X)
    assert final >= clf.lower_bounds_[-1] - 1e-12
    assert final - clf.lower_bounds_[-1] < 1e-6


def test_all_rows_labelled_leaves_the_supervised_fit_unchanged(blobs3):
    X, y, _ = blobs3
    supervised = MixtureClassifier(1, random_state=0).fit(X, y)
    result = semisupervised_em(
        X, y, supervised.mixtures_, supervised.class_prior_, tol=1e-12, max_iter=5
    )
    assert result.converged and result.n_iter <= 2
    np.testing.assert_allclose(result.class_prior, supervised.class_prior_, rtol=1e-12)
    for ours, theirs in zip(result.mixtures, supervised.mixtures_):
        np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.covariances_, theirs.covariances_, rtol=1e-10)


def test_all_rows_labelled_continues_each_class_fit_with_several_components(blobs3):
    X, y, _ = blobs3
    settings = {"tol": 1e-10, "max_iter": 2000, "random_state": 0}
    supervised = MixtureClassifier(2, **settings).fit(X, y)
    result = semisupervised_em(
        X, y, supervised.mixtures_, supervised.class_prior_, tol=1e-10, max_iter=2000
    )
    for ours, theirs in zip(result.mixtures, supervised.mixtures_):
        np.testing.assert_allclose(ours.means_, theirs.means_, atol=1e-3)
        np.testing.assert_allclose(ours.weights_, theirs.weights_, atol=1e-3)


@pytest.mark.filterwarnings("ignore:Semi-supervised EM did not converge")
def test_labelled_rows_belong_to_their_class_alone(blobs3):
    X, _, y_partial = blobs3
    start = MixtureClassifier(2, random_state=0).fit(X[y_partial != -1], y_partial[y_partial != -1])
    result = semisupervised_em(X, y_partial, start.mixtures_, start.class_prior_, max_iter=3)
    resp = result.resp.reshape(len(X), 3, 2)  # rows, classes, components per class
    labelled = np.flatnonzero(y_partial != -1)
    own_class = np.eye(3, dtype=bool)[y_partial[labelled]]
    assert (resp[labelled][~own_class] == 0).all()
    np.testing.assert_allclose(resp[labelled].sum(axis=2)[own_class], 1.0, rtol=1e-15)
    own = resp[labelled, y_partial[labelled]]
    assert ((own > 0) & (own < 1)).any()  # soft among their class's components
    unlabelled = resp[y_partial == -1].sum(axis=2)
    np.testing.assert_allclose(unlabelled.sum(axis=1), 1.0, rtol=1e-12)
    assert (unlabelled.max(axis=1) < 1).any()


@pytest.mark.filterwarnings("ignore:Semi-supervised EM did not converge")
def test_one_component_per_class_gives_labelled_rows_one_hot_responsibilities(crossing):
    X, _, y_partial, _, _ = crossing
    start = MixtureClassifier(1).fit(X[y_partial != -1], y_partial[y_partial != -1])
    result = semisupervised_em(X, y_partial, start.mixtures_, start.class_prior_, max_iter=2)
    labelled = y_partial != -1
    np.testing.assert_array_equal(result.resp[labelled], np.eye(2)[y_partial[labelled]])


def test_unlabelled_rows_beat_the_labelled_rows_alone(crossing):
    X, y, _, X_test, y_test = crossing
    oracle = MixtureClassifier(1).fit(X, y).score(X_test, y_test)
    supervised, semi = [], []
    for seed in range(4):
        y_partial = _hide_labels(y, 3, random_state=seed)
        labelled = y_partial != -1
        supervised.append(
            MixtureClassifier(1).fit(X[labelled], y_partial[labelled]).score(X_test, y_test)
        )
        semi.append(MixtureClassifier(1).fit(X, y_partial).score(X_test, y_test))
    # with 3 labels per class the supervised fit is often far off; the unlabelled rows
    # bring every semi-supervised fit to the fit with every label
    assert np.mean(semi) > np.mean(supervised) + 0.05
    assert min(semi) > oracle - 0.01


def test_a_tied_structure_is_shared_within_a_class_not_across_classes(blobs3):
    X, _, y_partial = blobs3
    # one tied component is a full covariance of its own: the tied M-step's scatter must be
    # that of the rows weighted by their membership of the class, which moves with EM
    tied = MixtureClassifier(1, covariance_type="tied", tol=1e-10, max_iter=500).fit(X, y_partial)
    full = MixtureClassifier(1, covariance_type="full", tol=1e-10, max_iter=500).fit(X, y_partial)
    for a, b in zip(tied.mixtures_, full.mixtures_):
        np.testing.assert_allclose(a.covariances_, b.covariances_[0], rtol=1e-8)
    assert not np.allclose(tied.mixtures_[0].covariances_, tied.mixtures_[1].covariances_)


def test_class_priors_are_estimated_from_all_rows(crossing):
    X, _, y_partial, _, _ = crossing
    # 4 labels of class 0 and 40 of class 1: the labelled frequencies say 1/11 and 10/11
    y_skewed = y_partial.copy()
    y_skewed[np.flatnonzero((y_partial == -1) & (np.arange(len(X)) >= 500))[:36]] = 1
    clf = MixtureClassifier(1).fit(X, y_skewed)
    np.testing.assert_allclose(clf.class_prior_, [0.5, 0.5], atol=0.05)


def test_fixed_priors_are_kept(crossing):
    X, _, y_partial, _, _ = crossing
    clf = MixtureClassifier(1, priors=[0.3, 0.7]).fit(X, y_partial)
    np.testing.assert_allclose(clf.class_prior_, [0.3, 0.7], rtol=1e-15)


def test_reproducible_from_random_state(blobs3):
    X, _, y_partial = blobs3
    first = MixtureClassifier(2, random_state=5).fit(X, y_partial)
    second = MixtureClassifier(2, random_state=5).fit(X, y_partial)
    for a, b in zip(first.mixtures_, second.mixtures_):
        np.testing.assert_array_equal(a.means_, b.means_)
        np.testing.assert_array_equal(a.covariances_, b.covariances_)
    np.testing.assert_array_equal(first.lower_bounds_, second.lower_bounds_)


# ---------------------------------------------------------------------- options
def test_integer_sample_weights_equal_repeated_rows(blobs3):
    X, _, y_partial = blobs3
    weight = np.random.RandomState(0).randint(1, 4, len(X))
    weight[y_partial != -1] = 1  # the supervised start then sees the same labelled rows
    weighted = MixtureClassifier(1, tol=1e-10, max_iter=500).fit(X, y_partial, sample_weight=weight)
    repeated = MixtureClassifier(1, tol=1e-10, max_iter=500).fit(
        np.repeat(X, weight, axis=0), np.repeat(y_partial, weight)
    )
    np.testing.assert_allclose(weighted.class_prior_, repeated.class_prior_, rtol=1e-8)
    for a, b in zip(weighted.mixtures_, repeated.mixtures_):
        np.testing.assert_allclose(a.means_, b.means_, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=1e-7, atol=1e-9)


def test_unlabelled_rows_of_weight_zero_are_left_out(crossing):
    X, _, y_partial, _, _ = crossing
    weight = np.ones(len(X))
    dropped = np.flatnonzero(y_partial == -1)[::3]
    weight[dropped] = 0.0
    kept = np.setdiff1d(np.arange(len(X)), dropped)
    weighted = MixtureClassifier(1, tol=1e-10, max_iter=500).fit(X, y_partial, sample_weight=weight)
    subset = MixtureClassifier(1, tol=1e-10, max_iter=500).fit(X[kept], y_partial[kept])
    np.testing.assert_allclose(weighted.class_prior_, subset.class_prior_, rtol=1e-9)
    for a, b in zip(weighted.mixtures_, subset.mixtures_):
        np.testing.assert_allclose(a.means_, b.means_, rtol=1e-8, atol=1e-10)


def test_standardize_answers_in_the_original_units(crossing):
    X, _, y_partial, X_test, _ = crossing
    scale = np.array([1000.0, 0.01])
    raw = MixtureClassifier(1, reg_covar=0.0, tol=1e-10, max_iter=500).fit(X, y_partial)
    scaled = MixtureClassifier(1, reg_covar=0.0, tol=1e-10, max_iter=500, standardize=True).fit(
        X * scale, y_partial
    )
    np.testing.assert_allclose(
        scaled.predict_proba(X_test * scale), raw.predict_proba(X_test), atol=1e-6
    )
    np.testing.assert_allclose(
        scaled.mixtures_[0].means_, raw.mixtures_[0].means_ * scale, rtol=1e-6
    )


def test_conjugate_prior_fits_every_class(blobs3):
    X, y, y_partial = blobs3
    clf = MixtureClassifier(2, prior="default", random_state=0).fit(X, y_partial)
    ml = MixtureClassifier(2, random_state=0).fit(X, y_partial)
    assert not np.allclose(clf.mixtures_[0].covariances_, ml.mixtures_[0].covariances_)
    assert clf.score(X, y) > 0.8


def test_float32_stays_float32(crossing):
    X, y, y_partial, _, _ = crossing
    clf = MixtureClassifier(1).fit(X.astype(np.float32), y_partial)
    assert clf.mixtures_[0].means_.dtype == np.float32
    assert clf.score(X, y) > 0.9


# ---------------------------------------------------------------------- labels and attributes
def test_fitted_attributes_are_those_of_a_supervised_fit(blobs3, tmp_path):
    X, _, y_partial = blobs3
    clf = MixtureClassifier(2, random_state=0).fit(X, y_partial)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    np.testing.assert_array_equal(clf.n_components_, [2, 2, 2])
    assert clf.n_iter_.shape == (3,) and (clf.n_iter_ == clf.lower_bounds_.size).all()
    assert isinstance(clf.converged_, bool)
    assert clf.n_parameters_ == 3 * (1 + 2 * 3 + 2 * 6) + 2
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0, rtol=1e-12)
    path = tmp_path / "ssc.gmmkit"
    gmmkit.save(clf, path)
    loaded = gmmkit.load(path)
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    np.testing.assert_array_equal(loaded.score_samples(X), clf.score_samples(X))


def test_object_labels_use_minus_one_and_string_labels_are_all_labelled(crossing):
    X, _, y_partial, _, _ = crossing
    names = np.array(["left", "right"], dtype=object)
    y_object = np.where(y_partial == -1, -1, names[np.maximum(y_partial, 0)]).astype(object)
    clf = MixtureClassifier(1).fit(X, y_object)
    assert clf.classes_.tolist() == ["left", "right"]
    assert clf.lower_bounds_.size > 1
    np.testing.assert_array_equal(
        clf.predict(X), names[MixtureClassifier(1).fit(X, y_partial).predict(X)]
    )
    # in a string array "-1" is a label like any other
    strings = np.where(y_partial == -1, "-1", "x").astype(str)
    supervised = MixtureClassifier(1).fit(X, strings)
    assert supervised.classes_.tolist() == ["-1", "x"]
    assert not hasattr(supervised, "lower_bounds_")


def test_a_supervised_refit_drops_the_semi_supervised_bounds(crossing):
    X, y, y_partial, _, _ = crossing
    clf = MixtureClassifier(1).fit(X, y_partial)
    assert clf.lower_bounds_.size > 1
    clf.fit(X, y)
    assert not hasattr(clf, "lower_bounds_")


def test_unlabeled_marker_can_be_changed(crossing):
    X, _, y_partial, _, _ = crossing
    marked = np.where(y_partial == -1, 99, y_partial)
    ours = MixtureClassifier(1, unlabeled=99).fit(X, marked)
    default = MixtureClassifier(1).fit(X, y_partial)
    np.testing.assert_array_equal(ours.classes_, [0, 1])
    np.testing.assert_allclose(ours.mixtures_[1].means_, default.mixtures_[1].means_, rtol=1e-12)


# ---------------------------------------------------------------------- errors
def test_all_rows_unlabelled_is_an_error(crossing):
    X = crossing[0]
    with pytest.raises(ValueError, match="y has no labelled rows.*-1"):
        MixtureClassifier(1).fit(X, np.full(len(X), -1))


def test_a_class_without_labelled_rows_is_an_error(blobs3):
    X, _, y_partial = blobs3
    y_two = np.where(y_partial == 2, -1, y_partial)
    with pytest.raises(ValueError, match=r"names label\(s\) \[2\].*labelled rows"):
        MixtureClassifier({0: 1, 1: 1, 2: 1}).fit(X, y_two)


def test_a_class_with_one_labelled_row_is_an_error(blobs3):
    X, _, y_partial = blobs3
    y_one = y_partial.copy()
    y_one[np.flatnonzero(y_partial == 2)[1:]] = -1
    with pytest.raises(ValueError, match="class 2 has 1 sample"):
        MixtureClassifier(1).fit(X, y_one)


def test_auto_components_with_unlabelled_rows_is_an_error(blobs3):
    X, _, y_partial = blobs3
    with pytest.raises(
        ValueError, match="n_components='auto' is not supported with unlabelled rows"
    ):
        MixtureClassifier("auto").fit(X, y_partial)


# ---------------------------------------------------------------------- mclust
def _mclust_start(X, y_index, n_classes, covariance_type):
    """MclustSSC's start: one M-step with every labelled row in its class and every
    unlabelled row spread evenly over the classes, as one-component mixtures."""
    z = np.full((len(X), n_classes), 1.0 / n_classes)
    labelled = y_index >= 0
    z[labelled] = np.eye(n_classes)[y_index[labelled]]
    mixtures = []
    for c in range(n_classes):
        w = z[:, c]
        mean = w @ X / w.sum()
        cov = ((X - mean).T * w) @ (X - mean) / w.sum()
        precision = {
            "full": np.linalg.inv(cov)[None],
            "diag": 1.0 / np.diag(cov)[None],
            "spherical": np.array([X.shape[1] / np.trace(cov)]),
        }[covariance_type]
        mixtures.append(
            GaussianMixture(
                1,
                covariance_type=covariance_type,
                reg_covar=0.0,
                max_iter=0,
                weights_init=[1.0],
                means_init=mean[None],
                precisions_init=precision,
            ).fit(X)
        )
    return mixtures, z.mean(axis=0)


@pytest.mark.parametrize(
    "model, covariance_type", [("VVV", "full"), ("VVI", "diag"), ("VII", "spherical")]
)
def test_matches_mclust_from_mclusts_start(model, covariance_type):
    with open(os.path.join(FIXTURES, "iris_ssc.json")) as f:
        fixture = json.load(f)
    X = np.array(fixture["data"])
    y_index = np.array([-1 if c is None else c - 1 for c in fixture["class"]])
    expected = fixture["fits"][model]
    mixtures, pro = _mclust_start(X, y_index, 3, covariance_type)
    result = semisupervised_em(X, y_index, mixtures, pro, tol=1e-14, max_iter=10000, reg_covar=0.0)
    assert result.converged
    np.testing.assert_allclose(result.class_prior, expected["pro"], atol=1e-7)
    means = np.array([m.means_[0] for m in result.mixtures])
    np.testing.assert_allclose(means, np.array(expected["mean"]).T, atol=1e-7)
    covariances = np.array(
        [
            np.diag(m.covariances_[0])
            if covariance_type == "diag"
            else m.covariances_[0] * np.eye(4)
            if covariance_type == "spherical"
            else m.covariances_[0]
            for m in result.mixtures
        ]
    )
    np.testing.assert_allclose(covariances, np.array(expected["sigma"]), atol=1e-7)
    # both stop EM at a change of about 1e-13: parameters agree to its square root
    np.testing.assert_allclose(result.lower_bounds[-1] * len(X), expected["loglik"], rtol=1e-12)


def test_the_supervised_start_climbs_at_least_as_high_as_mclusts_on_iris():
    with open(os.path.join(FIXTURES, "iris_ssc.json")) as f:
        fixture = json.load(f)
    X = np.array(fixture["data"])
    y = np.array([-1 if c is None else c for c in fixture["class"]])
    clf = MixtureClassifier(1, reg_covar=0.0, tol=1e-12, max_iter=10000).fit(X, y)
    ours = _observed_log_likelihood(clf, X, y)
    assert ours >= fixture["fits"]["VVV"]["loglik"] - 1e-6


def test_an_ill_posed_semi_supervised_fit_warns_and_a_prior_repairs_it():
    """Three blobs with 2 labels for one class: EM pulls that class's full covariance onto
    about d + 1 rows. The fit says so instead of answering quietly; the conjugate prior keeps
    every class well posed."""
    X, y = make_blobs(600, centers=[[0, 0], [4, 0], [0, 4]], cluster_std=1.0, random_state=1)
    y_few = np.full_like(y, -1)
    y_few[:15] = y[:15]
    assert np.bincount(y[:15]).tolist() == [7, 6, 2]
    with pytest.warns(IllPosedWarning, match="class 2: component 0 holds"):
        clf = MixtureClassifier(1, covariance_type="full", random_state=0).fit(X, y_few)
    assert clf.mixtures_[2].ill_posed_ is not None
    with warnings.catch_warnings():
        warnings.simplefilter("error", IllPosedWarning)
        repaired = MixtureClassifier(
            1, covariance_type="full", prior="default", random_state=0
        ).fit(X, y_few)
    assert all(m.ill_posed_ is None for m in repaired.mixtures_)
    assert repaired.score(X, y) > 0.95 > 0.7 > clf.score(X, y)
