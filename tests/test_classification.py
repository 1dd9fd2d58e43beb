"""Specification of ``gmmkit.MixtureClassifier`` and ``gmmkit.ComponentClassifier``."""

import itertools
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from sklearn.base import clone
from sklearn.datasets import make_blobs, make_moons
from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis
from sklearn.exceptions import ConvergenceWarning

import gmmkit
from gmmkit import (
    ComponentClassifier,
    GaussianMixture,
    MixtureClassifier,
    SmallClassWarning,
)

#: Hypothesis settings for the properties: no deadline (fits vary in time), few examples (every
#: example fits several mixtures), no example database written into the repository. Anything
#: not set here (``derandomize`` under CI) comes from the profile conftest loads.
PROPERTY_SETTINGS = settings(deadline=None, max_examples=15, database=None)


def _read_only(*arrays):
    for array in arrays:
        array.setflags(write=False)
    return arrays


@pytest.fixture(scope="module")
def moons():
    """Two overlapping half-moons, shape (200, 2): classes that are not Gaussian."""
    X, y = make_moons(200, noise=0.2, random_state=0)
    return _read_only(X, y)


@pytest.fixture(scope="module")
def unbalanced():
    """Two overlapping Gaussian classes of 150 and 50 rows, so the priors matter."""
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(0.0, 1.0, (150, 2)), rng.normal(1.5, 1.0, (50, 2))]
    y = np.r_[np.zeros(150, dtype=int), np.ones(50, dtype=int)]
    return _read_only(X, y)


@pytest.fixture(scope="module")
def fitted_moons(moons):
    X, y = moons
    return MixtureClassifier(3, random_state=0).fit(X, y)


def _few_labels(y, per_class):
    """``y`` with only the first ``per_class`` rows of every class labelled, the rest -1."""
    partial = np.full(y.shape, -1, dtype=y.dtype)
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)[:per_class]
        partial[rows] = y[rows]
    return partial


def _n_free_parameters_full(n_components, n_features):
    """Free parameters of a full-covariance mixture: weights, means and covariances."""
    per_component = n_features + n_features * (n_features + 1) // 2
    return n_components * per_component + n_components - 1


# ====================================================================== MixtureClassifier
# ---------------------------------------------------------------------- probabilities
def test_predict_proba_rows_sum_to_one_and_equal_exp_of_predict_log_proba(fitted_moons, moons):
    X, _ = moons
    proba = fitted_moons.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(proba, np.exp(fitted_moons.predict_log_proba(X)), rtol=1e-12)


def test_predict_log_proba_is_bayes_rule_over_the_class_mixtures(fitted_moons, moons):
    X, _ = moons
    joint = np.column_stack(
        [
            np.log(prior) + mixture.score_samples(X)
            for prior, mixture in zip(fitted_moons.class_prior_, fitted_moons.mixtures_)
        ]
    )
    expected = joint - logsumexp(joint, axis=1, keepdims=True)
    np.testing.assert_allclose(fitted_moons.predict_log_proba(X), expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(
        fitted_moons.predict(X), fitted_moons.classes_[expected.argmax(axis=1)]
    )


def test_one_full_component_per_class_is_quadratic_discriminant_analysis():
    """Without regularisation, one full Gaussian per class with empirical priors is QDA: both
    use the maximum-likelihood class means and covariances."""
    rng = np.random.RandomState(0)
    X = np.r_[
        rng.multivariate_normal([0, 0], [[1.0, 0.6], [0.6, 1.0]], 80),
        rng.multivariate_normal([2, 1], [[2.0, -0.5], [-0.5, 0.5]], 50),
        rng.multivariate_normal([0, 3], [[0.5, 0.0], [0.0, 1.5]], 70),
    ]
    y = np.repeat([0, 1, 2], [80, 50, 70])
    ours = MixtureClassifier(1, covariance_type="full", reg_covar=0.0, random_state=0).fit(X, y)
    qda = QuadraticDiscriminantAnalysis(reg_param=0.0).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), qda.predict_proba(X), rtol=0, atol=1e-10)
    np.testing.assert_allclose(
        ours.predict_log_proba(X), qda.predict_log_proba(X), rtol=1e-10, atol=1e-10
    )
    np.testing.assert_array_equal(ours.predict(X), qda.predict(X))


def test_more_components_per_class_model_non_gaussian_classes(moons):
    X, y = moons
    one = MixtureClassifier(1, random_state=0).fit(X, y).score(X, y)
    several = MixtureClassifier(4, random_state=0).fit(X, y).score(X, y)
    assert several > one + 0.03


# ---------------------------------------------------------------------- priors
def test_empirical_priors_are_the_class_frequencies(unbalanced):
    X, y = unbalanced
    clf = MixtureClassifier(random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.class_prior_, [0.75, 0.25], rtol=1e-15)


def test_uniform_priors_are_equal(unbalanced):
    X, y = unbalanced
    clf = MixtureClassifier(priors="uniform", random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.class_prior_, [0.5, 0.5])


@pytest.mark.parametrize("priors", [[0.1, 0.9], {0: 0.1, 1: 0.9}, np.array([0.1, 0.9])])
def test_given_priors_shift_the_log_odds_by_their_log_ratio(unbalanced, priors):
    """The class mixtures do not depend on the priors, so changing the priors from uniform to
    ``(p0, p1)`` adds exactly ``log(p1 / p0)`` to every row's log-odds of class 1."""
    X, y = unbalanced
    uniform = MixtureClassifier(priors="uniform", random_state=0).fit(X, y)
    given_ = MixtureClassifier(priors=priors, random_state=0).fit(X, y)
    np.testing.assert_allclose(given_.class_prior_, [0.1, 0.9])

    def log_odds(clf):
        log_proba = clf.predict_log_proba(X)
        return log_proba[:, 1] - log_proba[:, 0]

    np.testing.assert_allclose(log_odds(given_) - log_odds(uniform), np.log(9.0), rtol=1e-9)
    assert (given_.predict(X) == 1).sum() > (uniform.predict(X) == 1).sum()


def test_a_class_with_prior_zero_is_never_predicted(unbalanced):
    X, y = unbalanced
    clf = MixtureClassifier(priors=[0.0, 1.0], random_state=0).fit(X, y)
    assert (clf.predict(X) == 1).all()
    np.testing.assert_array_equal(clf.predict_proba(X)[:, 0], 0.0)
    assert np.isneginf(clf.predict_log_proba(X)[:, 0]).all()


@pytest.mark.parametrize(
    ("priors", "error", "message"),
    [
        ([0.5, 0.3, 0.2], ValueError, r"one entry per class \(2"),
        ([[0.5, 0.5]], ValueError, "one entry per class"),
        ([1.2, -0.2], ValueError, "non-negative"),
        ([np.nan, 1.0], ValueError, "finite"),
        ([0.3, 0.3], ValueError, "sum to 1, but they sum to 0.6"),
        (
            "bayes",
            ValueError,
            "'priors' parameter of MixtureClassifier must be a str among "
            r"\{'empirical', 'uniform'\}.*Got 'bayes' instead",
        ),
        ({0: 1.0}, ValueError, r"no entry for class\(es\) \[1\]"),
        (["a", "b"], TypeError, "priors must be numeric"),
    ],
    ids=[
        "wrong-length",
        "two-dimensional",
        "negative",
        "nan",
        "not-summing-to-one",
        "unknown-string",
        "dict-missing-a-class",
        "not-numeric",
    ],
)
def test_invalid_priors_are_rejected_naming_the_problem(unbalanced, priors, error, message):
    X, y = unbalanced
    with pytest.raises(error, match=message):
        MixtureClassifier(priors=priors).fit(X, y)


# ---------------------------------------------------------------------- n_components
def test_n_components_dict_gives_each_class_its_own_number(blobs):
    X, y = blobs
    clf = MixtureClassifier({2: 1, 0: 3, 1: 2}, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.n_components_, [3, 2, 1])
    assert [len(mixture.weights_) for mixture in clf.mixtures_] == [3, 2, 1]


def test_n_components_dict_missing_a_class_is_rejected(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="n_components has no entry for class"):
        MixtureClassifier({0: 1, 1: 2}).fit(X, y)


@pytest.mark.parametrize(
    ("n_components", "error", "message"),
    [
        (0, ValueError, r"must be an int in the range \[1, inf\).*Got 0 instead"),
        (2.0, TypeError, "'n_components' parameter of MixtureClassifier must be"),
        (True, TypeError, "'n_components' parameter of MixtureClassifier must be"),
        ("Auto", TypeError, "'n_components' parameter of MixtureClassifier must be"),
        ({0: 1, 1: 0, 2: 1}, ValueError, "each value of n_components must be >= 1"),
    ],
)
def test_invalid_n_components_are_rejected(blobs, n_components, error, message):
    X, y = blobs
    with pytest.raises(error, match=message):
        MixtureClassifier(n_components).fit(X, y)


def test_auto_picks_two_components_for_a_class_made_of_two_blobs():
    two, _ = make_blobs(120, centers=[[-8.0, 0.0], [8.0, 0.0]], cluster_std=1.0, random_state=0)
    one, _ = make_blobs(60, centers=[[0.0, 8.0]], cluster_std=1.0, random_state=1)
    X = np.r_[two, one]
    y = np.repeat(["two blobs", "one blob"], [120, 60])
    clf = MixtureClassifier("auto", max_components=4, random_state=0).fit(X, y)
    assert clf.classes_.tolist() == ["one blob", "two blobs"]
    np.testing.assert_array_equal(clf.n_components_, [1, 2])


# ---------------------------------------------------------------------- labels and input
@pytest.mark.parametrize(
    "labels",
    [
        np.array([0, 1, 2]),
        np.array([-7, -1, 3]),
        np.array(["cat", "dog", "eel"]),
        np.array(["cat", "dog", "eel"], dtype=object),
        np.array([0.0, 1.0, 2.0]),
    ],
    ids=["ints", "negative-ints", "strings", "object-strings", "integral-floats"],
)
def test_predict_returns_the_original_labels(blobs, labels):
    X, y = blobs
    reference = MixtureClassifier(2, random_state=0).fit(X, y)
    # unlabeled=None: -1 is a class here, not the mark of an unlabelled row
    clf = MixtureClassifier(2, random_state=0, unlabeled=None).fit(X, labels[y])
    np.testing.assert_array_equal(clf.classes_, np.sort(labels))
    predicted = clf.predict(X)
    np.testing.assert_array_equal(predicted, labels[reference.predict(X)])
    assert clf.score(X, labels[y]) == reference.score(X, y) > 0.99


@pytest.mark.parametrize(
    "estimator",
    [MixtureClassifier(2, random_state=0), ComponentClassifier(3, random_state=0)],
    ids=["MixtureClassifier", "ComponentClassifier"],
)
def test_dataframe_input_records_feature_names_and_checks_the_feature_count(blobs, estimator):
    pd = pytest.importorskip("pandas")
    X, y = blobs
    frame = pd.DataFrame(X, columns=["length", "width"])
    clf = clone(estimator).fit(frame, pd.Series(y))
    np.testing.assert_array_equal(clf.feature_names_in_, ["length", "width"])
    from_arrays = clone(estimator).fit(X, y)
    assert not hasattr(from_arrays, "feature_names_in_")
    np.testing.assert_array_equal(clf.predict_proba(frame), from_arrays.predict_proba(X))
    with pytest.raises(ValueError, match="X has 3 features, but .* is expecting 2 features"):
        from_arrays.predict(np.c_[X, X[:, 0]])
    with pytest.raises(ValueError, match="X has 3 features"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "X does not have valid feature names"
        clf.predict(np.c_[X, X[:, 0]])


# ---------------------------------------------------------------------- small and bad classes
def test_class_smaller_than_n_components_gets_one_component_per_sample(blobs):
    X, y = blobs
    X = np.r_[X[y != 2], X[y == 2][:3]]
    y = np.r_[y[y != 2], [2, 2, 2]]
    with pytest.warns(SmallClassWarning, match="class .*2.* has 3 samples") as caught:
        clf = MixtureClassifier(5, random_state=0).fit(X, y)
    assert caught[0].filename == __file__
    np.testing.assert_array_equal(clf.n_components_, [5, 5, 3])
    assert np.isfinite(clf.predict_log_proba(X)).all()


def test_class_with_a_single_sample_is_rejected(blobs):
    X, y = blobs
    y = y.copy()
    y[0] = 9
    with pytest.raises(ValueError, match=r"class .*9.* has 1 sample"):
        MixtureClassifier().fit(X, y)


def test_a_single_class_is_rejected(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="at least 2 classes"):
        MixtureClassifier().fit(X, np.zeros(len(X), dtype=int))


def test_class_with_zero_total_weight_is_rejected(blobs):
    X, y = blobs
    weight = np.where(y == 1, 0.0, 1.0)
    with pytest.raises(ValueError, match=r"class .*1.* has zero total sample_weight"):
        MixtureClassifier().fit(X, y, sample_weight=weight)


# ---------------------------------------------------------------------- sample_weight
def test_integer_sample_weights_equal_repeated_rows(unbalanced):
    X, y = unbalanced
    weight = np.random.RandomState(0).randint(0, 4, len(X))
    weighted = MixtureClassifier(1, random_state=0).fit(X, y, sample_weight=weight)
    repeated = MixtureClassifier(1, random_state=0).fit(
        np.repeat(X, weight, axis=0), np.repeat(y, weight)
    )
    np.testing.assert_allclose(weighted.class_prior_, repeated.class_prior_, rtol=1e-14)
    assert not np.allclose(weighted.class_prior_, [0.75, 0.25])
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-8, atol=1e-10
    )
    np.testing.assert_allclose(
        weighted.bic(X, y, sample_weight=weight),
        repeated.bic(np.repeat(X, weight, axis=0), np.repeat(y, weight)),
        rtol=1e-10,
    )


# ---------------------------------------------------------------------- density and criteria
def _joint(clf, X):
    return np.column_stack(
        [
            np.log(prior) + mixture.score_samples(X)
            for prior, mixture in zip(clf.class_prior_, clf.mixtures_)
        ]
    )


def test_score_samples_is_the_log_of_the_prior_weighted_class_densities(fitted_moons, moons):
    X, _ = moons
    np.testing.assert_allclose(
        fitted_moons.score_samples(X), logsumexp(_joint(fitted_moons, X), axis=1), rtol=1e-10
    )


def test_score_samples_is_a_normalised_density():
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(-2.0, 0.5, (40, 1)), rng.normal(1.0, 1.0, (60, 1))]
    y = np.repeat(["left", "right"], [40, 60])
    clf = MixtureClassifier(2, random_state=0).fit(X, y)
    grid = np.linspace(-12.0, 12.0, 20001)
    density = np.exp(clf.score_samples(grid[:, None]))
    np.testing.assert_allclose(np.trapezoid(density, grid), 1.0, rtol=1e-6)


@pytest.mark.parametrize(
    ("priors", "prior_parameters"), [("empirical", 2), ("uniform", 0), ([0.2, 0.3, 0.5], 0)]
)
def test_n_parameters_counts_the_priors_only_when_they_are_estimated(
    blobs, priors, prior_parameters
):
    X, y = blobs
    clf = MixtureClassifier({0: 1, 1: 2, 2: 3}, priors=priors, random_state=0).fit(X, y)
    mixtures = sum(_n_free_parameters_full(k, 2) for k in (1, 2, 3))
    assert clf.n_parameters_ == mixtures + prior_parameters


@pytest.mark.parametrize("priors", ["empirical", "uniform"])
def test_bic_and_aic_without_y_use_the_marginal_likelihood_of_X(moons, priors):
    X, y = moons
    clf = MixtureClassifier(3, priors=priors, random_state=0).fit(X, y)
    log_likelihood = logsumexp(_joint(clf, X), axis=1).sum()
    p = 2 * _n_free_parameters_full(3, 2) + (1 if priors == "empirical" else 0)
    np.testing.assert_allclose(clf.bic(X), -2 * log_likelihood + p * np.log(len(X)), rtol=1e-10)
    np.testing.assert_allclose(clf.aic(X), -2 * log_likelihood + 2 * p, rtol=1e-10)


@pytest.mark.parametrize("priors", ["empirical", "uniform"])
def test_bic_and_aic_with_y_use_the_joint_likelihood_of_X_and_y(moons, priors):
    X, y = moons
    clf = MixtureClassifier(3, priors=priors, random_state=0).fit(X, y)
    log_likelihood = _joint(clf, X)[np.arange(len(X)), y].sum()
    p = 2 * _n_free_parameters_full(3, 2) + (1 if priors == "empirical" else 0)
    np.testing.assert_allclose(clf.bic(X, y), -2 * log_likelihood + p * np.log(len(X)), rtol=1e-10)
    np.testing.assert_allclose(clf.aic(X, y), -2 * log_likelihood + 2 * p, rtol=1e-10)
    assert clf.bic(X, y) > clf.bic(X)


def test_bic_with_sample_weight_weights_the_log_likelihood_and_the_sample_size(fitted_moons, moons):
    X, y = moons
    weight = np.linspace(0.5, 2.0, len(X))
    joint = _joint(fitted_moons, X)
    log_likelihood = weight @ joint[np.arange(len(X)), y]
    expected = -2 * log_likelihood + fitted_moons.n_parameters_ * np.log(weight.sum())
    np.testing.assert_allclose(fitted_moons.bic(X, y, sample_weight=weight), expected, rtol=1e-10)


def test_bic_rejects_labels_not_seen_in_fit(fitted_moons, moons):
    X, y = moons
    with pytest.raises(ValueError, match=r"does not know: \[7\]"):
        fitted_moons.bic(X, np.where(y == 0, 7, y))


# ---------------------------------------------------------------------- sample
@pytest.fixture(scope="module")
def fitted_blobs(blobs):
    X, y = blobs
    labels = np.array(["east", "north", "west"])[np.array([2, 1, 0])[y]]
    return (
        MixtureClassifier(2, priors={"west": 0.2, "north": 0.3, "east": 0.5}, random_state=0).fit(
            X, labels
        ),
        X,
        labels,
    )


def test_sample_returns_rows_and_known_labels(fitted_blobs):
    clf, _, _ = fitted_blobs
    X, y = clf.sample(50, random_state=0)
    assert X.shape == (50, 2) and y.shape == (50,)
    assert set(y) <= set(clf.classes_)


def test_sample_without_y_draws_classes_from_the_priors(fitted_blobs):
    clf, _, _ = fitted_blobs
    _, y = clf.sample(4000, random_state=0)
    frequencies = [(y == label).mean() for label in clf.classes_]
    np.testing.assert_allclose(frequencies, clf.class_prior_, atol=0.03)


def test_sample_with_one_label_draws_only_that_class_near_its_data(fitted_blobs):
    clf, X, labels = fitted_blobs
    drawn, y = clf.sample(300, y="north", random_state=0)
    assert (y == "north").all()
    np.testing.assert_allclose(drawn.mean(axis=0), X[labels == "north"].mean(axis=0), atol=0.2)
    assert (clf.predict(drawn) == "north").mean() > 0.99


def test_sample_with_a_label_array_draws_each_row_from_its_class(fitted_blobs):
    clf, _, _ = fitted_blobs
    wanted = np.array(["west", "east", "east", "north", "west"] * 20)
    drawn, y = clf.sample(len(wanted), y=wanted, random_state=0)
    np.testing.assert_array_equal(y, wanted)
    assert (clf.predict(drawn) == wanted).mean() > 0.95


@pytest.mark.parametrize("y", ["south", ["west", "south", "east"]], ids=["label", "array"])
def test_sample_rejects_unknown_labels(fitted_blobs, y):
    clf, _, _ = fitted_blobs
    with pytest.raises(ValueError, match=r"labels the classifier does not know: \['south'\]"):
        clf.sample(3, y=y)


def test_sample_rejects_an_unknown_label_that_extends_a_known_one(fitted_blobs):
    clf, _, _ = fitted_blobs
    with pytest.raises(ValueError, match="does not know"):
        clf.sample(3, y="northeast")


@pytest.mark.parametrize("label", [0.5, "x"])
def test_sample_rejects_a_label_of_another_type_for_integer_classes(blobs, label):
    X, y = blobs
    clf = MixtureClassifier(random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="does not know"):
        clf.sample(3, y=label)


def test_class_messages_show_plain_labels(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match=r"got 1 class \(0\)"):
        MixtureClassifier().fit(X, np.zeros_like(y))


@pytest.mark.parametrize("option", ["priors", "n_components"])
def test_dicts_naming_labels_that_are_not_classes_are_refused(blobs, option):
    X, y = blobs
    classes = np.unique(y).tolist()
    value = (
        {c: 1.0 / (len(classes) + 1) for c in classes + [99]}
        if option == "priors"
        else dict.fromkeys(classes + [99], 1)
    )
    if option == "priors":
        value[99] = 0.0
        value = {c: (1.0 / len(classes) if c != 99 else 0.0) for c in value}
    with pytest.raises(ValueError, match=r"\[99\] that are not classes"):
        MixtureClassifier(**{option: value}).fit(X, y)


def test_component_classifier_refuses_a_class_with_zero_labelled_weight(blobs):
    X, y = blobs
    weight = (y != y.max()).astype(float)
    with pytest.raises(ValueError, match="zero total sample_weight among the labelled rows"):
        ComponentClassifier(n_components=3, random_state=0).fit(X, y, sample_weight=weight)


def test_sample_is_reproducible_with_a_seed_and_fresh_without(fitted_blobs):
    clf, _, _ = fitted_blobs
    first, second = clf.sample(20, random_state=3), clf.sample(20, random_state=3)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(clf.sample(20)[0], clf.sample(20)[0])


def test_fit_is_reproducible_with_a_seed(moons):
    X, y = moons
    first = MixtureClassifier(4, n_init=1, random_state=7).fit(X, y)
    second = MixtureClassifier(4, n_init=1, random_state=7).fit(X, y)
    for a, b in zip(first.mixtures_, second.mixtures_):
        np.testing.assert_array_equal(a.means_, b.means_)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))


def test_fitted_attributes_describe_every_class_fit(fitted_moons):
    assert fitted_moons.n_iter_.shape == (2,) and (fitted_moons.n_iter_ >= 1).all()
    assert fitted_moons.converged_ is True
    np.testing.assert_array_equal(fitted_moons.n_components_, [3, 3])
    assert all(isinstance(m, GaussianMixture) for m in fitted_moons.mixtures_)


# ====================================================================== ComponentClassifier
@pytest.fixture(scope="module")
def labelled_moons(moons):
    """Moons with every row labelled, and unequal sample weights."""
    X, y = moons
    weight = np.linspace(0.5, 2.0, len(X))
    return X, y, weight


def _label_counts(clf, X, y, weight):
    """:math:`n_{kc} = sum_{i: y_i = c} w_i P(k | x_i)` over the rows of X (all labelled)."""
    resp = clf.mixture_.predict_proba(X)
    return np.column_stack(
        [(resp * weight[:, None])[y == label].sum(axis=0) for label in clf.classes_]
    )


def test_soft_map_is_the_smoothed_labelled_responsibility_mass(labelled_moons):
    X, y, weight = labelled_moons
    clf = ComponentClassifier(4, smoothing=2.5, random_state=0).fit(X, y, sample_weight=weight)
    counts = _label_counts(clf, X, y, weight)
    prior = np.array([weight[y == 0].sum(), weight[y == 1].sum()]) / weight.sum()
    np.testing.assert_allclose(clf.class_prior_, prior, rtol=1e-12)
    expected = (counts + 2.5 * prior) / (counts.sum(axis=1, keepdims=True) + 2.5)
    np.testing.assert_allclose(clf.component_class_proba_, expected, rtol=1e-10)
    np.testing.assert_allclose(clf.component_labelled_mass_, counts.sum(axis=1), rtol=1e-10)
    np.testing.assert_allclose(clf.component_class_proba_.sum(axis=1), 1.0, rtol=1e-12)


def test_predict_proba_mixes_the_map_by_the_component_responsibilities(labelled_moons):
    X, y, _ = labelled_moons
    clf = ComponentClassifier(4, random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(
        proba, clf.mixture_.predict_proba(X) @ clf.component_class_proba_, rtol=1e-10
    )
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


def test_majority_map_sends_each_component_to_its_most_frequent_class(labelled_moons):
    X, y, weight = labelled_moons
    clf = ComponentClassifier(4, mapping="majority", random_state=0).fit(X, y, sample_weight=weight)
    expected = np.eye(2)[_label_counts(clf, X, y, weight).argmax(axis=1)]
    np.testing.assert_array_equal(clf.component_class_proba_, expected)


@pytest.fixture(scope="module")
def mislabelled_blobs(blobs):
    """Three blobs whose middle blob is labelled 60% class 0, 40% class 1: by majority two
    components map to class 0, one-to-one the middle blob must take class 1."""
    X, y = blobs
    labels = y.copy()
    middle = np.flatnonzero(y == 1)
    labels[middle[: int(0.6 * middle.size)]] = 0
    return X, labels


def test_hungarian_map_is_the_best_one_to_one_assignment(mislabelled_blobs):
    X, y = mislabelled_blobs
    majority = ComponentClassifier(3, mapping="majority", random_state=0).fit(X, y)
    assert majority.component_class_proba_[:, 1].sum() == 0  # class 1 is nobody's majority
    clf = ComponentClassifier(3, mapping="hungarian", random_state=0).fit(X, y)
    M = clf.component_class_proba_
    np.testing.assert_array_equal(M.sum(axis=0), 1.0)
    np.testing.assert_array_equal(M.sum(axis=1), 1.0)
    assert set(np.unique(M)) == {0.0, 1.0}
    counts = _label_counts(clf, X, y, np.ones(len(y)))
    best = max(
        itertools.permutations(range(3)),
        key=lambda perm: sum(counts[k, c] for k, c in enumerate(perm)),
    )
    np.testing.assert_array_equal(M, np.eye(3)[list(best)])


def test_hungarian_needs_as_many_components_as_classes(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match=r"hungarian.*number of classes \(3\), got 4"):
        ComponentClassifier(4, mapping="hungarian").fit(X, y)


# ---------------------------------------------------------------------- semi-supervised
def test_five_percent_of_the_labels_classify_separated_blobs(blobs):
    X, y = blobs
    few = _few_labels(y, per_class=5)
    assert (few != -1).mean() == 0.05
    clf = ComponentClassifier(3, random_state=0).fit(X, few)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.score(X, y) > 0.9


def test_unlabelled_rows_shape_the_mixture_but_not_the_map(blobs):
    X, y = blobs
    few = _few_labels(y, per_class=5)
    labelled = few != -1
    clf = ComponentClassifier(3, smoothing=1.0, random_state=0).fit(X, few)
    # The mixture is fitted to all 300 rows: its means are the means of the whole blobs ...
    blob_means = np.array([X[y == c].mean(axis=0) for c in range(3)])
    labelled_means = np.array([X[labelled & (y == c)].mean(axis=0) for c in range(3)])
    fitted_means = clf.mixture_.means_[np.argsort(clf.mixture_.predict(blob_means))]
    np.testing.assert_allclose(fitted_means, blob_means, atol=1e-6)
    assert np.abs(fitted_means - labelled_means).max() > 0.05
    # ... while the map only counts the 15 labelled rows.
    np.testing.assert_allclose(clf.component_labelled_mass_.sum(), 15.0, rtol=1e-12)
    counts = _label_counts(clf, X[labelled], few[labelled], np.ones(15))
    expected = (counts + np.full(3, 1 / 3)) / (counts.sum(axis=1, keepdims=True) + 1.0)
    np.testing.assert_allclose(clf.component_class_proba_, expected, rtol=1e-10)


@pytest.mark.parametrize(
    ("mapping", "smoothing"), [("soft", 1.0), ("soft", 0.0), ("majority", 1.0), ("hungarian", 1.0)]
)
def test_component_without_labelled_rows_maps_to_the_class_prior(blobs, mapping, smoothing):
    """Blob 2 has no labelled row: its component falls back to the labelled class frequencies,
    and so do the class probabilities of its rows."""
    X, y = blobs
    labels = np.full(len(y), -1)
    first, second = np.flatnonzero(y == 0)[:5], np.flatnonzero(y == 1)[:8]
    labels[first], labels[second[:5]], labels[second[5:]] = 0, 1, 2
    clf = ComponentClassifier(3, mapping=mapping, smoothing=smoothing, random_state=0).fit(
        X, labels
    )
    np.testing.assert_allclose(clf.class_prior_, [5 / 13, 5 / 13, 3 / 13], rtol=1e-12)
    empty = int(clf.mixture_.predict(X[y == 2][:1])[0])
    assert clf.component_labelled_mass_[empty] < 1e-8
    np.testing.assert_array_equal(clf.component_class_proba_[empty], clf.class_prior_)
    np.testing.assert_allclose(
        clf.predict_proba(X[y == 2]), np.tile(clf.class_prior_, ((y == 2).sum(), 1)), atol=1e-8
    )


def test_all_rows_unlabelled_is_rejected(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="no labelled rows"):
        ComponentClassifier(3).fit(X, np.full(len(y), -1))


def test_labelled_rows_of_a_single_class_are_rejected(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="at least 2 classes, got 1 class"):
        ComponentClassifier(3).fit(X, np.where(_few_labels(y, 5) == -1, -1, 0))


@pytest.mark.parametrize(
    ("marker", "dtype"),
    [("?", str), (None, object), ("unknown", object)],
    ids=["question-mark-in-strings", "None-in-objects", "string-in-objects"],
)
def test_unlabeled_marker_can_be_any_label_value(blobs, marker, dtype):
    X, y = blobs
    labels = np.array(["cat", "dog", "eel"], dtype=object)[y]
    partial = labels.copy()
    partial[_few_labels(y, per_class=5) == -1] = marker
    partial = partial.astype(dtype)
    clf = ComponentClassifier(3, unlabeled=marker, random_state=0).fit(X, partial)
    np.testing.assert_array_equal(clf.classes_, ["cat", "dog", "eel"])
    np.testing.assert_allclose(clf.component_labelled_mass_.sum(), 15.0, rtol=1e-12)
    assert clf.score(X, labels) > 0.9
    assert set(clf.predict(X)) <= {"cat", "dog", "eel"}


@pytest.mark.parametrize("as_frame", [False, True], ids=["array", "DataFrame"])
def test_score_skips_unlabelled_rows(blobs, as_frame):
    X, y = blobs
    few = _few_labels(y, per_class=5)
    clf = ComponentClassifier(3, random_state=0).fit(X, few)
    labelled = few != -1
    expected = (clf.predict(X[labelled]) == y[labelled]).mean()
    assert expected == 1.0
    data = pytest.importorskip("pandas").DataFrame(X) if as_frame else X
    assert clf.score(data, few) == expected
    with pytest.raises(ValueError, match="no labelled rows"):
        clf.score(X, np.full(len(y), -1))


# ====================================================================== persistence
def _names(y):
    return np.array(["cat", "dog", "eel"])[y]


#: (estimator, relabel): relabel turns the blobs' labels 0, 1, 2 into the labels it is fitted on.
ROUND_TRIP_CASES = {
    "mixture-int-keyed-dicts": (
        MixtureClassifier({0: 1, 1: 2, 2: 3}, priors={0: 0.2, 1: 0.3, 2: 0.5}, random_state=0),
        lambda y: y,
    ),
    "mixture-negative-int-keyed-dicts": (
        MixtureClassifier(
            {-5: 1, -4: 2, -3: 1}, priors={-5: 0.2, -4: 0.3, -3: 0.5}, random_state=0
        ),
        lambda y: y - 5,
    ),
    "mixture-string-labels": (
        MixtureClassifier(
            {"cat": 2, "dog": 1, "eel": 2},
            priors={"cat": 0.2, "dog": 0.3, "eel": 0.5},
            covariance_type="diag",
            random_state=0,
        ),
        _names,
    ),
    "mixture-auto-object-labels": (
        MixtureClassifier("auto", max_components=3, random_state=0),
        lambda y: _names(y).astype(object),
    ),
    "component-soft-semi-supervised": (
        ComponentClassifier(3, random_state=0),
        lambda y: _few_labels(y, per_class=5),
    ),
    "component-hungarian-string-labels": (
        ComponentClassifier(3, mapping="hungarian", unlabeled="?", random_state=0),
        lambda y: np.where(_few_labels(y, per_class=5) == -1, "?", _names(y)),
    ),
}


@pytest.mark.parametrize("case", ROUND_TRIP_CASES)
def test_save_load_round_trip_gives_identical_predictions(blobs, tmp_path, case):
    estimator, relabel = ROUND_TRIP_CASES[case]
    X, y = blobs
    labels = relabel(y)
    original = clone(estimator).fit(X, labels)
    path = tmp_path / "classifier.gmm"
    gmmkit.save(original, path)
    loaded = gmmkit.load(path)
    assert type(loaded) is type(original)
    assert loaded.get_params() == original.get_params()
    assert loaded.classes_.dtype == original.classes_.dtype
    np.testing.assert_array_equal(loaded.classes_, original.classes_)
    np.testing.assert_array_equal(loaded.predict_proba(X), original.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), original.predict(X))
    np.testing.assert_array_equal(loaded.score_samples(X), original.score_samples(X))
    if isinstance(original, MixtureClassifier):
        for got, expected in zip(
            loaded.sample(5, random_state=0), original.sample(5, random_state=0)
        ):
            np.testing.assert_array_equal(got, expected)
        # the loaded dict parameters still address the classes
        loaded.fit(X, labels)
        np.testing.assert_array_equal(loaded.n_components_, original.n_components_)


# ====================================================================== properties
@st.composite
def labelled_data(draw):
    """2-3 classes of 4-20 rows each, 1-3 features: floats in [-10, 10] plus standard-normal
    jitter (so hypothesis' repeated values do not make duplicated rows)."""
    sizes = draw(st.lists(st.integers(4, 20), min_size=2, max_size=3))
    n_features = draw(st.integers(1, 3))
    n_samples = sum(sizes)
    base = draw(
        hnp.arrays(
            np.float64,
            (n_samples, n_features),
            elements=st.floats(-10.0, 10.0, allow_nan=False, allow_infinity=False),
        )
    )
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.RandomState(seed)
    X = base + rng.normal(size=base.shape)
    y = np.repeat(np.arange(len(sizes)), sizes)
    return X, y, rng


def _assert_probabilities(proba, n_samples, n_classes):
    assert proba.shape == (n_samples, n_classes)
    assert ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-10)


@PROPERTY_SETTINGS
@given(
    data=labelled_data(),
    n_components=st.integers(1, 3),
    covariance_type=st.sampled_from(["full", "tied", "diag", "spherical"]),
    priors=st.sampled_from(["empirical", "uniform"]),
)
def test_mixture_classifier_probabilities_are_distributions(
    data, n_components, covariance_type, priors
):
    X, y, rng = data
    clf = MixtureClassifier(
        n_components, covariance_type=covariance_type, priors=priors, max_iter=20, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    probe = np.r_[X, rng.uniform(-30.0, 30.0, (10, X.shape[1]))]
    _assert_probabilities(clf.predict_proba(probe), len(probe), len(clf.classes_))


@PROPERTY_SETTINGS
@given(
    data=labelled_data(),
    n_components=st.integers(1, 4),
    mapping=st.sampled_from(["soft", "majority"]),
    labelled_fraction=st.floats(0.2, 1.0),
)
def test_component_classifier_probabilities_are_distributions(
    data, n_components, mapping, labelled_fraction
):
    X, y, rng = data
    y = np.where(rng.uniform(size=len(y)) < labelled_fraction, y, -1)
    y[:2], y[-2:] = 0, 1  # at least two labelled classes
    clf = ComponentClassifier(n_components, mapping=mapping, max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    probe = np.r_[X, rng.uniform(-30.0, 30.0, (10, X.shape[1]))]
    _assert_probabilities(clf.predict_proba(probe), len(probe), len(clf.classes_))
    np.testing.assert_allclose(clf.component_class_proba_.sum(axis=1), 1.0, rtol=1e-10)
