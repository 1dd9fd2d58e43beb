"""gmmkit.evaluation: two-sample tests, label fidelity, memorisation and per-feature KS tests.

Every sample comes from a fixed seed. Where a test asserts that a same-distribution sample is
accepted, the seed's p-value is far from the threshold (around 0.5), so the test checks the
statistic, not the luck of the seed.
"""

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from scipy.spatial.distance import cdist, pdist
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from gmmkit import evaluation
from gmmkit.evaluation import (
    classifier_two_sample_test,
    energy_distance,
    ks_per_feature,
    label_fidelity,
    memorisation,
    mmd,
)

# The data are small: threads only contend for them on a busy two-core machine.
pytestmark = pytest.mark.usefixtures("single_blas_thread")


def normal(seed, n_samples, n_features=5, shift=0.0):
    return np.random.RandomState(seed).normal(size=(n_samples, n_features)) + shift


@pytest.fixture(scope="module")
def same():
    """Two samples of 200 rows from one 5-D standard normal."""
    return normal(4, 200), normal(5, 200)


@pytest.fixture(scope="module")
def shifted():
    """A standard normal sample and one shifted by 0.5 in every coordinate."""
    return normal(4, 200), normal(5, 200, shift=0.5)


@pytest.fixture(scope="module")
def tiny():
    """Unequal, tiny samples for comparisons with direct computations."""
    rng = np.random.RandomState(3)
    return rng.normal(size=(7, 3)), rng.normal(0.5, 1.5, size=(5, 3))


def naive_mmd2(X, Y, sigma):
    def k(a, b):
        return np.exp(-np.sum((a - b) ** 2) / (2 * sigma**2))

    m, n = len(X), len(Y)
    xx = sum(k(X[i], X[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(Y[i], Y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x, y) for x in X for y in Y) / (m * n)
    return xx + yy - 2 * xy


def naive_energy(X, Y):
    return 2 * cdist(X, Y).mean() - cdist(X, X).mean() - cdist(Y, Y).mean()


# ---------------------------------------------------------------------- mmd
def test_mmd_accepts_two_samples_of_one_distribution(same):
    assert mmd(*same, random_state=0).p_value > 0.1


def test_mmd_rejects_a_shifted_sample(shifted):
    assert mmd(*shifted, random_state=0).p_value <= 0.01


def test_unbiased_mmd2_of_one_distribution_is_near_zero_and_can_be_negative(same, shifted):
    statistic = mmd(*same, random_state=0).statistic
    assert -0.001 < statistic < 0
    assert mmd(*shifted, random_state=0).statistic > 0.05


def test_mmd2_equals_the_direct_unbiased_sum(tiny):
    X, Y = tiny
    result = mmd(X, Y, bandwidth=1.3, n_permutations=0)
    assert result.statistic == pytest.approx(naive_mmd2(X, Y, 1.3), rel=1e-10, abs=1e-14)


def test_median_bandwidth_is_the_median_pairwise_distance_of_the_pooled_rows(tiny):
    X, Y = tiny
    result = mmd(X, Y, n_permutations=0)
    assert result.bandwidth == pytest.approx(np.median(pdist(np.vstack([X, Y]))), rel=1e-10)
    assert result.statistic == pytest.approx(naive_mmd2(X, Y, result.bandwidth), rel=1e-10)


def test_mmd_p_value_is_reproducible_with_a_seed(same):
    first = mmd(*same, n_permutations=50, random_state=7)
    assert mmd(*same, n_permutations=50, random_state=7) == first
    assert 0 < first.p_value <= 1
    assert (first.p_value * 51) == pytest.approx(round(first.p_value * 51))


def test_mmd_without_permutations_has_no_p_value(same):
    assert mmd(*same, n_permutations=0).p_value is None


def test_mmd_test_rejects_one_distribution_at_most_at_its_level():
    p_values = [
        mmd(
            normal(2 * s, 15, 2), normal(2 * s + 1, 15, 2), n_permutations=99, random_state=s
        ).p_value
        for s in range(100)
    ]
    # Valid at level 0.1: about 10 of 100 rejections; more than 20 has probability < 0.001.
    assert np.sum(np.array(p_values) <= 0.1) <= 20


def test_mmd_refuses_more_pooled_rows_than_the_limit(same, monkeypatch):
    monkeypatch.setattr(evaluation, "MAX_POOLED_SAMPLES", 300)
    with pytest.raises(ValueError, match="400 rows together, more than MAX_POOLED_SAMPLES=300"):
        mmd(*same)


# ---------------------------------------------------------------------- energy distance
def test_energy_distance_accepts_two_samples_of_one_distribution(same):
    assert energy_distance(*same, random_state=0).p_value > 0.1


def test_energy_distance_rejects_a_shifted_sample(shifted):
    assert energy_distance(*shifted, random_state=0).p_value <= 0.01


def test_energy_distance_equals_the_direct_v_statistic(tiny):
    X, Y = tiny
    result = energy_distance(X, Y, n_permutations=0)
    assert result.statistic == pytest.approx(naive_energy(X, Y), rel=1e-10)


def test_energy_distance_in_one_dimension_is_scipys_squared():
    x, y = normal(0, 40, 1), normal(1, 30, 1, shift=0.3)
    expected = scipy.stats.energy_distance(x[:, 0], y[:, 0]) ** 2
    assert energy_distance(x, y, n_permutations=0).statistic == pytest.approx(expected, rel=1e-10)


def test_energy_distance_of_a_sample_with_itself_is_zero_with_p_value_one(same):
    X = same[0]
    result = energy_distance(X, X.copy(), n_permutations=50, random_state=0)
    assert result.statistic == pytest.approx(0.0, abs=1e-12)
    assert result.p_value == 1.0


def test_energy_distance_p_value_is_reproducible_with_a_seed(same):
    first = energy_distance(*same, n_permutations=50, random_state=7)
    assert energy_distance(*same, n_permutations=50, random_state=7) == first
    assert 0 < first.p_value <= 1


def test_energy_test_rejects_one_distribution_at_most_at_its_level():
    p_values = [
        energy_distance(
            normal(2 * s, 15, 2), normal(2 * s + 1, 15, 2), n_permutations=99, random_state=s
        ).p_value
        for s in range(100)
    ]
    assert np.sum(np.array(p_values) <= 0.1) <= 20


# ---------------------------------------------------------------------- classifier test
@pytest.fixture(scope="module")
def c2st_same():
    # Module fixtures are set up before the single_blas_thread fixture applies.
    with threadpool_limits(limits=1):
        return classifier_two_sample_test(normal(0, 300, 4), normal(1, 300, 4), random_state=0)


@pytest.mark.slow
def test_c2st_accuracy_is_near_chance_for_one_distribution(c2st_same):
    assert abs(c2st_same.accuracy - 0.5) < 0.06
    assert c2st_same.ci_low < 0.5 < c2st_same.ci_high
    assert c2st_same.p_value > 0.1


def test_c2st_accuracy_is_near_one_for_well_separated_samples():
    result = classifier_two_sample_test(
        normal(0, 300, 4), normal(1, 300, 4, shift=3.0), random_state=0
    )
    assert result.accuracy > 0.95
    assert result.p_value <= 0.01


def test_c2st_interval_is_the_wilson_interval(c2st_same):
    n = 2 * c2st_same.n_per_sample
    k = round(c2st_same.accuracy * n)
    z = scipy.stats.norm.ppf(0.975)
    centre = (k + z**2 / 2) / (n + z**2)
    half = z / (n + z**2) * np.sqrt(k * (n - k) / n + z**2 / 4)
    assert (c2st_same.ci_low, c2st_same.ci_high) == pytest.approx((centre - half, centre + half))


def test_c2st_balances_unequal_samples_to_the_smaller_size():
    result = classifier_two_sample_test(
        normal(0, 120, 2), normal(1, 50, 2), classifier=LogisticRegression(), random_state=0
    )
    assert result.n_per_sample == 50
    assert result.n_folds == 5


def test_c2st_fits_clones_and_leaves_the_given_classifier_unfitted():
    classifier = LogisticRegression()
    classifier_two_sample_test(
        normal(0, 60, 2), normal(1, 60, 2), classifier=classifier, random_state=0
    )
    with pytest.raises(NotFittedError):
        check_is_fitted(classifier)


def test_c2st_is_reproducible_with_a_seed(c2st_same):
    assert (
        classifier_two_sample_test(normal(0, 300, 4), normal(1, 300, 4), random_state=0)
        == c2st_same
    )


# ---------------------------------------------------------------------- label fidelity
@pytest.fixture(scope="module")
def fresh_blobs():
    """New rows from the three blobs of the ``blobs`` fixture."""
    from sklearn.datasets import make_blobs

    return make_blobs(
        n_samples=150,
        centers=[[-6.0, 0.0], [0.0, 6.0], [6.0, 0.0]],
        cluster_std=0.7,
        random_state=1,
    )


def test_label_fidelity_is_high_for_fresh_samples_of_each_class(blobs, fresh_blobs):
    result = label_fidelity(*blobs, *fresh_blobs, random_state=0)
    assert result.real_accuracy > 0.95
    assert result.generated_accuracy > 0.95


def test_label_fidelity_is_low_when_the_generated_labels_are_wrong(blobs, fresh_blobs):
    X_generated, y_generated = fresh_blobs
    result = label_fidelity(*blobs, X_generated, (y_generated + 1) % 3, random_state=0)
    assert result.generated_accuracy < 0.1
    # Intended class c is predicted as c - 1: the mass sits just below the diagonal's shift.
    assert np.trace(np.roll(result.confusion_matrix, 1, axis=1)) > 0.9 * len(y_generated)


def test_label_fidelity_confusion_matrix_rows_are_intended_classes_in_sorted_order(
    blobs, fresh_blobs
):
    names = np.array(["setosa", "alpha", "zeta"])
    X_generated, y_generated = fresh_blobs
    keep = np.r_[np.flatnonzero(y_generated == 0), np.flatnonzero(y_generated == 1)[:10]]
    result = label_fidelity(
        blobs[0], names[blobs[1]], X_generated[keep], names[y_generated[keep]], random_state=0
    )
    assert result.classes.tolist() == ["alpha", "setosa", "zeta"]
    assert result.confusion_matrix.shape == (3, 3)
    assert result.confusion_matrix.sum(axis=1).tolist() == [10, 50, 0]


def test_label_fidelity_rejects_generated_classes_missing_from_the_real_labels(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match=r"y_generated has classes not in y_real: \[7\]"):
        label_fidelity(X, y, X[:5], np.full(5, 7))


def test_label_fidelity_rejects_a_real_class_with_one_row(blobs):
    X, y = blobs
    y = y.copy()
    y[0] = 9
    with pytest.raises(ValueError, match="class 9 has 1"):
        label_fidelity(X, y, X[:5], y[1:6])


# ---------------------------------------------------------------------- memorisation
@pytest.fixture(scope="module")
def real_split():
    """Training and holdout rows of one 5-D normal."""
    return normal(10, 500), normal(11, 500)


def test_memorisation_flags_training_rows_jittered_by_1e_9(real_split):
    train, holdout = real_split
    rng = np.random.RandomState(0)
    copies = train[rng.randint(len(train), size=300)] + rng.normal(scale=1e-9, size=(300, 5))
    result = memorisation(train, copies, holdout)
    assert result.flagged
    assert result.copy_fraction == 1.0
    assert result.distance_ratio < 1e-6


def test_memorisation_flags_a_generator_copying_a_quarter_of_its_rows(real_split):
    train, holdout = real_split
    generated = np.vstack([train[:75], normal(12, 225)])
    result = memorisation(train, generated, holdout)
    assert result.flagged
    assert result.copy_fraction == pytest.approx(0.25)


def test_memorisation_does_not_flag_fresh_samples_of_the_distribution(real_split):
    result = memorisation(*real_split[:1], normal(12, 300), real_split[1])
    assert not result.flagged
    assert 0.8 < result.distance_ratio < 1.25
    assert result.copy_fraction == 0.0


def test_memorisation_threshold_is_the_holdout_quantile(real_split):
    train, holdout = real_split
    result = memorisation(train, normal(12, 50), holdout, quantile=0.1)
    distances = cdist(holdout, train).min(axis=1)
    assert result.threshold == pytest.approx(np.quantile(distances, 0.1))
    assert result.median_holdout == pytest.approx(np.median(distances))


# ---------------------------------------------------------------------- per-feature KS
@pytest.fixture(scope="module")
def one_feature_shifted():
    Y = normal(21, 400, 4)
    Y[:, 2] += 0.5
    return normal(20, 400, 4), Y


def test_ks_per_feature_flags_the_shifted_feature_only(one_feature_shifted):
    result = ks_per_feature(*one_feature_shifted)
    assert result.n_different == 1
    assert np.flatnonzero(result.adjusted_p_values <= 0.05).tolist() == [2]


def test_ks_per_feature_statistics_are_scipys(one_feature_shifted):
    X, Y = one_feature_shifted
    result = ks_per_feature(X, Y)
    expected = [scipy.stats.ks_2samp(X[:, f], Y[:, f]) for f in range(4)]
    assert result.statistics == pytest.approx([e.statistic for e in expected])
    assert result.p_values == pytest.approx([e.pvalue for e in expected])


def test_ks_per_feature_holm_adjustment_is_the_step_down_maximum(one_feature_shifted):
    result = ks_per_feature(*one_feature_shifted)
    p = result.p_values
    order = np.argsort(p)
    k = len(p)
    expected = np.empty(k)
    for i, feature in enumerate(order):
        expected[feature] = min(1.0, max((k - j) * p[order[j]] for j in range(i + 1)))
    assert result.adjusted_p_values == pytest.approx(expected)


def test_ks_per_feature_bh_adjustment_is_benjamini_hochberg(one_feature_shifted):
    result = ks_per_feature(*one_feature_shifted, method="bh")
    expected = scipy.stats.false_discovery_control(result.p_values)
    assert result.adjusted_p_values == pytest.approx(expected)


def test_ks_per_feature_names_the_columns_of_a_dataframe(one_feature_shifted):
    X, Y = one_feature_shifted
    columns = ["a", "b", "c", "d"]
    result = ks_per_feature(pd.DataFrame(X, columns=columns), pd.DataFrame(Y, columns=columns))
    assert result.features.tolist() == columns


# ---------------------------------------------------------------------- results
def test_results_are_frozen_with_read_only_arrays(one_feature_shifted, same):
    result = ks_per_feature(*one_feature_shifted)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.n_different = 0
    with pytest.raises(ValueError, match="read-only"):
        result.p_values[0] = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        mmd(*same, n_permutations=0).statistic = 1.0


def test_result_repr_shows_each_field_with_four_significant_digits(shifted):
    text = repr(mmd(*shifted, random_state=0))
    assert text.startswith("MMDResult(statistic=")
    assert "p_value=0.004975, n_permutations=200, bandwidth=" in text


# ---------------------------------------------------------------------- bad input
TWO_SAMPLE_CALLS = {
    "mmd": (lambda X, Y: mmd(X, Y, n_permutations=0), "Y"),
    "energy_distance": (lambda X, Y: energy_distance(X, Y, n_permutations=0), "Y"),
    "classifier_two_sample_test": (
        lambda X, Y: classifier_two_sample_test(
            X, Y, classifier=LogisticRegression(), random_state=0
        ),
        "X_generated",
    ),
    # (a holdout equal to the training rows is refused: its distances are all 0)
    "memorisation": (lambda X, Y: memorisation(X, Y, Y), "X_generated"),
    "ks_per_feature": (ks_per_feature, "Y"),
}


@pytest.fixture(params=sorted(TWO_SAMPLE_CALLS))
def two_sample_call(request):
    """``(call(X, Y), name of Y's argument)`` for each function taking two samples."""
    return TWO_SAMPLE_CALLS[request.param]


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_infinity_is_rejected_naming_the_argument(two_sample_call, bad):
    call, name = two_sample_call
    Y = normal(1, 20, 2)
    Y[3, 1] = bad
    with pytest.raises(ValueError, match=f"{name} contains NaN or infinity"):
        call(normal(0, 20, 2), Y)


def test_feature_count_mismatch_is_rejected(two_sample_call):
    call, name = two_sample_call
    with pytest.raises(ValueError, match=f"{name} has 3 features but .* has 2"):
        call(normal(0, 20, 2), normal(1, 20, 3))


def test_one_dimensional_sample_is_rejected(two_sample_call):
    call, name = two_sample_call
    with pytest.raises(ValueError, match=rf"{name} must be 2-D.*got shape \(20,\)"):
        call(normal(0, 20, 2), normal(1, 20, 1)[:, 0])


def test_non_numeric_sample_is_rejected(two_sample_call):
    call, name = two_sample_call
    with pytest.raises(TypeError, match=f"{name} must be a numeric array"):
        call(normal(0, 20, 2), [["a", "b"]] * 20)


def test_dataframes_give_the_same_result_as_arrays(two_sample_call):
    call, _ = two_sample_call
    X, Y = normal(0, 20, 2), normal(1, 20, 2)
    assert repr(call(pd.DataFrame(X), pd.DataFrame(Y))) == repr(call(X, Y))


@pytest.mark.parametrize("function", [mmd, energy_distance, ks_per_feature])
def test_a_sample_of_one_row_is_rejected(function):
    with pytest.raises(ValueError, match=r"X must have at least 2 rows, got 1"):
        function(normal(0, 1, 2), normal(1, 20, 2))


@pytest.mark.parametrize("value, error", [(-1, ValueError), (2.5, TypeError), (True, TypeError)])
@pytest.mark.parametrize("function", [mmd, energy_distance])
def test_bad_n_permutations_is_rejected(function, value, error, same):
    with pytest.raises(error, match="n_permutations must be"):
        function(*same, n_permutations=value)


@pytest.mark.parametrize(
    "value, error",
    [
        (0.0, ValueError),
        (-1.0, ValueError),
        (np.nan, ValueError),
        ("mean", ValueError),
        ([1.0], TypeError),
    ],
)
def test_bad_bandwidth_is_rejected(value, error, same):
    with pytest.raises(error, match="bandwidth must be"):
        mmd(*same, bandwidth=value)


def test_c2st_needs_cv_rows_in_each_sample():
    with pytest.raises(ValueError, match="X_generated must have at least 5 rows, got 4"):
        classifier_two_sample_test(normal(0, 20, 2), normal(1, 4, 2))


def test_c2st_rejects_fewer_than_two_folds():
    with pytest.raises(ValueError, match="cv must be >= 2, got 1"):
        classifier_two_sample_test(normal(0, 20, 2), normal(1, 20, 2), cv=1)


def test_a_classifier_without_predict_is_rejected():
    with pytest.raises(TypeError, match="classifier must be a scikit-learn classifier"):
        classifier_two_sample_test(normal(0, 20, 2), normal(1, 20, 2), classifier=object())


def test_label_fidelity_rejects_labels_of_the_wrong_length(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match=r"y_generated must have shape \(5,\)"):
        label_fidelity(X, y, X[:5], y[:4])


@pytest.mark.parametrize("value", [0.0, 1.0, 1.5])
def test_label_fidelity_rejects_a_test_size_outside_zero_one(blobs, value):
    X, y = blobs
    with pytest.raises(ValueError, match="test_size must lie strictly between 0 and 1"):
        label_fidelity(X, y, X[:5], y[:5], test_size=value)


def test_memorisation_rejects_a_max_ratio_below_one(real_split):
    train, holdout = real_split
    with pytest.raises(ValueError, match="max_ratio must be a finite number >= 1.0, got 0.5"):
        memorisation(train, holdout, holdout, max_ratio=0.5)


def test_ks_per_feature_rejects_an_unknown_adjustment(one_feature_shifted):
    with pytest.raises(ValueError, match="method must be one of"):
        ks_per_feature(*one_feature_shifted, method="bonferroni")


# ---------------------------------------------------------------------- extreme scales
@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_two_sample_tests_give_the_same_answer_at_extreme_scales(scale):
    X, Y = normal(0, 60, 3), normal(1, 60, 3)
    for test in (mmd, energy_distance):
        at_one = test(X, Y, n_permutations=49, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            scaled = test(X * scale, Y * scale, n_permutations=49, random_state=0)
        # mmd's statistic has no units; energy distance has those of the data
        unit = 1.0 if test is mmd else scale
        assert scaled.statistic / unit == pytest.approx(at_one.statistic, rel=1e-12)
        assert scaled.p_value == at_one.p_value


def test_complex_samples_are_rejected():
    with pytest.raises(TypeError, match="X is complex"):
        mmd(normal(0, 20, 2) + 1j, normal(1, 20, 2))


def test_memorisation_refuses_data_whose_holdout_duplicates_the_training_rows():
    constant = np.ones((30, 2))
    with pytest.raises(ValueError, match="copies cannot be told from fresh samples"):
        memorisation(constant, constant.copy(), constant.copy())
