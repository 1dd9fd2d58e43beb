"""The public API of ``gmmkit.GaussianMixture``: scikit-learn's, plus gmmkit's additions."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

from gmmkit import GaussianMixture

pytestmark = pytest.mark.usefixtures("single_blas_thread")

K = 3


def _covariance_shapes(n_components, n_features):
    K, d = n_components, n_features
    return {"full": (K, d, d), "tied": (d, d), "diag": (K, d), "spherical": (K,)}


def _dense_covariances(gm):
    """The ``(K, d, d)`` covariance matrices of a fitted model, whatever its covariance type."""
    n_components, d = gm.means_.shape
    covariances = np.asarray(gm.covariances_, dtype=np.float64)
    if gm.covariance_type == "full":
        return covariances
    if gm.covariance_type == "tied":
        return np.broadcast_to(covariances, (n_components, d, d))
    if gm.covariance_type == "diag":
        return covariances[:, :, None] * np.eye(d)
    return covariances[:, None, None] * np.eye(d)


def _fit_quietly(estimator, X, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, **fit_params)


def _entropy(resp):
    """Classification entropy ``-sum_k r_ik log r_ik`` of each row (with ``0 log 0 = 0``)."""
    safe = np.where(resp > 0, resp, 1.0)
    return -(resp * np.log(safe)).sum(axis=1)


# ---------------------------------------------------------------------- fitted attributes
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_fitted_attributes_have_sklearn_names_shapes_and_dtypes(blobs, covariance_type, dtype):
    X = blobs[0].astype(dtype)
    gm = GaussianMixture(K, covariance_type=covariance_type, random_state=0).fit(X)
    d = X.shape[1]
    cov_shape = _covariance_shapes(K, d)[covariance_type]

    assert gm.weights_.shape == (K,) and gm.weights_.dtype == dtype
    assert gm.means_.shape == (K, d) and gm.means_.dtype == dtype
    for name in ("covariances_", "precisions_", "precisions_cholesky_"):
        value = getattr(gm, name)
        assert value.shape == cov_shape, name
        assert value.dtype == dtype, name
    assert isinstance(gm.converged_, bool)
    assert isinstance(gm.n_iter_, int)
    assert isinstance(gm.lower_bound_, float)
    assert isinstance(gm.lower_bounds_, np.ndarray) and gm.lower_bounds_.shape == (gm.n_iter_,)
    assert isinstance(gm.n_parameters_, int)
    assert gm.n_features_in_ == d
    assert not hasattr(gm, "feature_names_in_")


def test_weights_are_a_probability_vector(blobs, covariance_type):
    gm = GaussianMixture(K, covariance_type=covariance_type, random_state=0).fit(blobs[0])
    assert (gm.weights_ > 0).all()
    np.testing.assert_allclose(gm.weights_.sum(), 1.0, rtol=1e-12)


def test_precisions_are_inverse_covariances_and_cholesky_squares(moons4d, covariance_type):
    gm = _fit_quietly(
        GaussianMixture(4, covariance_type=covariance_type, random_state=0, max_iter=20), moons4d
    )
    if covariance_type in ("full", "tied"):
        chol = gm.precisions_cholesky_
        np.testing.assert_allclose(chol @ np.swapaxes(chol, -1, -2), gm.precisions_, rtol=1e-10)
        identity = np.broadcast_to(np.eye(moons4d.shape[1]), gm.covariances_.shape)
        np.testing.assert_allclose(gm.precisions_ @ gm.covariances_, identity, atol=1e-9)
    else:
        np.testing.assert_allclose(gm.precisions_cholesky_**2, gm.precisions_, rtol=1e-12)
        np.testing.assert_allclose(gm.precisions_ * gm.covariances_, 1.0, rtol=1e-10)


@pytest.mark.parametrize(
    "covariance_type, expected",
    [
        # K = 3 components, d = 4 features
        ("full", 3 * 4 * 5 // 2 + 3 * 4 + 2),
        ("tied", 4 * 5 // 2 + 3 * 4 + 2),
        ("diag", 3 * 4 + 3 * 4 + 2),
        ("spherical", 3 + 3 * 4 + 2),
    ],
)
def test_n_parameters_counts_free_parameters(moons4d, covariance_type, expected):
    gm = _fit_quietly(
        GaussianMixture(K, covariance_type=covariance_type, random_state=0, max_iter=5), moons4d
    )
    assert gm.n_parameters_ == expected
    reference = SklearnGaussianMixture(K, covariance_type=covariance_type, max_iter=0)
    reference.fit(moons4d)
    assert gm.n_parameters_ == reference._n_parameters()


def test_lower_bounds_has_one_entry_per_iteration_ending_at_lower_bound(moons4d, covariance_type):
    gm = GaussianMixture(K, covariance_type=covariance_type, random_state=0).fit(moons4d)
    assert len(gm.lower_bounds_) == gm.n_iter_
    assert gm.lower_bounds_[-1] == gm.lower_bound_


def test_converged_on_well_separated_blobs(blobs, covariance_type):
    gm = GaussianMixture(K, covariance_type=covariance_type, random_state=0).fit(blobs[0])
    assert gm.converged_
    assert gm.n_iter_ < gm.max_iter


def test_convergence_warning_when_max_iter_is_reached(moons4d):
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        gm = GaussianMixture(5, max_iter=1, random_state=0).fit(moons4d)
    assert not gm.converged_
    assert gm.n_iter_ == 1


def test_max_iter_zero_keeps_initial_parameters_without_warning(moons4d, covariance_type):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        gm = GaussianMixture(K, covariance_type=covariance_type, max_iter=0, random_state=0).fit(
            moons4d
        )
    reference = SklearnGaussianMixture(
        K, covariance_type=covariance_type, max_iter=0, random_state=0
    ).fit(moons4d)
    assert gm.n_iter_ == 0
    assert len(gm.lower_bounds_) == 0
    np.testing.assert_allclose(gm.means_, reference.means_, rtol=1e-10)


# ---------------------------------------------------------------------- inference
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_outputs_keep_the_input_dtype(blobs, covariance_type, dtype):
    X = blobs[0].astype(dtype)
    gm = GaussianMixture(K, covariance_type=covariance_type, random_state=0).fit(X)
    assert gm.score_samples(X).dtype == dtype
    assert gm.predict_proba(X).dtype == dtype
    assert gm.sample(10, random_state=0)[0].dtype == dtype
    assert np.issubdtype(gm.predict(X).dtype, np.integer)


def test_predict_proba_rows_sum_to_one(moons4d, covariance_type):
    gm = _fit_quietly(
        GaussianMixture(5, covariance_type=covariance_type, random_state=0, max_iter=20), moons4d
    )
    proba = gm.predict_proba(moons4d)
    assert proba.shape == (len(moons4d), 5)
    assert (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


def test_predict_is_argmax_of_predict_proba(moons4d, covariance_type):
    gm = _fit_quietly(
        GaussianMixture(5, covariance_type=covariance_type, random_state=0, max_iter=20), moons4d
    )
    np.testing.assert_array_equal(gm.predict(moons4d), gm.predict_proba(moons4d).argmax(axis=1))


@pytest.mark.parametrize("max_iter", [1, 100])
def test_fit_predict_equals_fit_then_predict(moons4d, covariance_type, max_iter):
    options = dict(covariance_type=covariance_type, random_state=0, max_iter=max_iter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = GaussianMixture(5, **options).fit_predict(moons4d)
        fitted = GaussianMixture(5, **options).fit(moons4d)
    np.testing.assert_array_equal(labels, fitted.predict(moons4d))


def test_score_is_mean_of_score_samples(moons4d, covariance_type):
    gm = _fit_quietly(
        GaussianMixture(K, covariance_type=covariance_type, random_state=0, max_iter=20), moons4d
    )
    np.testing.assert_allclose(gm.score(moons4d), gm.score_samples(moons4d).mean(), rtol=1e-12)


# ---------------------------------------------------------------------- sampling
@pytest.fixture(scope="module")
def blobs_model(blobs):
    return GaussianMixture(K, random_state=0).fit(blobs[0])


def test_sample_returns_rows_in_random_order(blobs_model):
    X, labels = blobs_model.sample(300, random_state=0)
    assert X.shape == (300, 2) and labels.shape == (300,)
    assert (np.diff(labels) < 0).any(), "labels come out grouped by component"


def test_sample_is_reproducible_with_integer_random_state(blobs_model):
    first_X, first_labels = blobs_model.sample(50, random_state=7)
    second_X, second_labels = blobs_model.sample(50, random_state=7)
    np.testing.assert_array_equal(first_X, second_X)
    np.testing.assert_array_equal(first_labels, second_labels)


def test_sample_draws_fresh_values_at_every_call_without_random_state(blobs_model):
    first_X, _ = blobs_model.sample(50)
    second_X, _ = blobs_model.sample(50)
    assert not np.array_equal(first_X, second_X)


def test_sample_does_not_depend_on_the_estimator_random_state():
    """A fixed constructor ``random_state`` controls fitting, not every later ``sample`` call."""
    X = np.random.RandomState(0).normal(size=(100, 2))
    gm = GaussianMixture(2, random_state=0).fit(X)
    assert not np.array_equal(gm.sample(20)[0], gm.sample(20)[0])


def test_sample_label_frequencies_match_weights(blobs_model):
    n = 20_000
    _, labels = blobs_model.sample(n, random_state=0)
    frequencies = np.bincount(labels, minlength=K) / n
    # binomial standard deviation is at most 0.5 / sqrt(n) ~ 0.0035
    np.testing.assert_allclose(frequencies, blobs_model.weights_, atol=0.02)


def test_sample_component_means_and_covariances_match_model(moons4d, covariance_type):
    gm = _fit_quietly(
        GaussianMixture(K, covariance_type=covariance_type, random_state=0, max_iter=20), moons4d
    )
    X, labels = gm.sample(30_000, random_state=0)
    full_covariances = _dense_covariances(gm)
    for k in range(K):
        rows = X[labels == k]
        scale = np.sqrt(np.diag(full_covariances[k]))
        # 6 standard errors of the mean
        np.testing.assert_allclose(
            rows.mean(axis=0), gm.means_[k], atol=float(6 * scale.max() / np.sqrt(len(rows)))
        )
        np.testing.assert_allclose(
            np.cov(rows.T), full_covariances[k], atol=float(0.1 * scale.max() ** 2)
        )


# ---------------------------------------------------------------------- sample weights
@pytest.fixture(scope="module")
def weighted_data(moons4d):
    """``(X, integer weights in 0..3)``: the first 200 rows of the moons data."""
    X = moons4d[:200]
    weights = np.random.RandomState(3).randint(0, 4, size=len(X))
    return X, weights


def test_integer_sample_weights_equal_repeated_rows(
    weighted_data, covariance_type, sklearn_initial_parameters
):
    X, weights = weighted_data
    weights = np.maximum(weights, 1)
    init = sklearn_initial_parameters(X, K, covariance_type)
    options = dict(covariance_type=covariance_type, max_iter=30, tol=0.0, **init)
    weighted = _fit_quietly(GaussianMixture(K, **options), X, sample_weight=weights)
    repeated = _fit_quietly(GaussianMixture(K, **options), np.repeat(X, weights, axis=0))

    np.testing.assert_allclose(weighted.lower_bounds_, repeated.lower_bounds_, rtol=1e-10)
    np.testing.assert_allclose(weighted.lower_bound_, repeated.lower_bound_, rtol=1e-10)
    np.testing.assert_allclose(weighted.weights_, repeated.weights_, rtol=1e-10)
    np.testing.assert_allclose(weighted.means_, repeated.means_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weighted.covariances_, repeated.covariances_, rtol=1e-10, atol=1e-12)


def test_zero_sample_weights_equal_dropping_rows(
    weighted_data, covariance_type, sklearn_initial_parameters
):
    X, weights = weighted_data
    keep = weights > 0
    init = sklearn_initial_parameters(X[keep], K, covariance_type)
    options = dict(covariance_type=covariance_type, max_iter=30, tol=0.0, **init)
    weighted = _fit_quietly(GaussianMixture(K, **options), X, sample_weight=keep.astype(float))
    dropped = _fit_quietly(GaussianMixture(K, **options), X[keep])

    np.testing.assert_allclose(weighted.lower_bounds_, dropped.lower_bounds_, rtol=1e-10)
    np.testing.assert_allclose(weighted.means_, dropped.means_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weighted.covariances_, dropped.covariances_, rtol=1e-10, atol=1e-12)


def test_scaling_all_sample_weights_changes_nothing(weighted_data, sklearn_initial_parameters):
    X, weights = weighted_data
    weights = weights + 0.5
    init = sklearn_initial_parameters(X, K, "full")
    options = dict(max_iter=30, tol=0.0, **init)
    base = _fit_quietly(GaussianMixture(K, **options), X, sample_weight=weights)
    scaled = _fit_quietly(GaussianMixture(K, **options), X, sample_weight=1000.0 * weights)
    np.testing.assert_allclose(scaled.lower_bounds_, base.lower_bounds_, rtol=1e-10)
    np.testing.assert_allclose(scaled.means_, base.means_, rtol=1e-10, atol=1e-12)


def test_unit_sample_weights_equal_no_weights(moons4d, covariance_type):
    options = dict(covariance_type=covariance_type, random_state=0, max_iter=20)
    weighted = _fit_quietly(
        GaussianMixture(K, **options), moons4d, sample_weight=np.ones(len(moons4d))
    )
    plain = _fit_quietly(GaussianMixture(K, **options), moons4d)
    np.testing.assert_allclose(weighted.lower_bounds_, plain.lower_bounds_, rtol=1e-12)
    np.testing.assert_allclose(weighted.means_, plain.means_, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("criterion", ["score", "bic", "aic", "icl"])
def test_weighted_criteria_equal_repeated_rows(weighted_data, criterion):
    X, weights = weighted_data
    gm = GaussianMixture(K, random_state=0).fit(X)
    method = getattr(gm, criterion)
    np.testing.assert_allclose(
        method(X, sample_weight=weights), method(np.repeat(X, weights, axis=0)), rtol=1e-10
    )


# ---------------------------------------------------------------------- criteria
def _sklearn_copy(fitted):
    """A scikit-learn estimator carrying ``fitted``'s parameters, for scoring comparisons."""
    reference = SklearnGaussianMixture(fitted.n_components, covariance_type=fitted.covariance_type)
    for name in (
        "weights_",
        "means_",
        "covariances_",
        "precisions_",
        "precisions_cholesky_",
        "converged_",
        "n_iter_",
        "lower_bound_",
        "n_features_in_",
    ):
        setattr(reference, name, getattr(fitted, name))
    return reference


@pytest.mark.parametrize("criterion", ["score", "bic", "aic"])
def test_criteria_equal_sklearn_for_same_parameters(moons4d, covariance_type, criterion):
    gm = _fit_quietly(
        GaussianMixture(4, covariance_type=covariance_type, random_state=0, max_iter=20), moons4d
    )
    reference = _sklearn_copy(gm)
    np.testing.assert_allclose(
        getattr(gm, criterion)(moons4d), getattr(reference, criterion)(moons4d), rtol=1e-10
    )


def test_icl_is_bic_plus_twice_classification_entropy(moons4d, covariance_type):
    gm = _fit_quietly(
        GaussianMixture(4, covariance_type=covariance_type, random_state=0, max_iter=20), moons4d
    )
    entropy = _entropy(gm.predict_proba(moons4d)).sum()
    np.testing.assert_allclose(gm.icl(moons4d), gm.bic(moons4d) + 2 * entropy, rtol=1e-9)


def test_icl_is_at_least_bic(moons4d, covariance_type):
    gm = _fit_quietly(
        GaussianMixture(4, covariance_type=covariance_type, random_state=0, max_iter=20), moons4d
    )
    assert gm.icl(moons4d) >= gm.bic(moons4d)


def test_weighted_icl_uses_weighted_entropy(weighted_data):
    X, weights = weighted_data
    gm = GaussianMixture(K, random_state=0).fit(X)
    entropy = _entropy(gm.predict_proba(X)) @ weights
    np.testing.assert_allclose(
        gm.icl(X, sample_weight=weights),
        gm.bic(X, sample_weight=weights) + 2 * entropy,
        rtol=1e-9,
    )


def test_bic_prefers_the_true_number_of_components(blobs):
    X = blobs[0]
    bics = [GaussianMixture(k, random_state=0).fit(X).bic(X) for k in (1, 2, 3, 4, 5)]
    assert int(np.argmin(bics)) + 1 == 3


# ---------------------------------------------------------------------- warm start
def test_warm_start_continues_from_previous_fit(moons4d):
    gm = GaussianMixture(5, warm_start=True, max_iter=5, tol=0.0, random_state=0)
    _fit_quietly(gm, moons4d)
    first = gm.lower_bounds_.copy()
    _fit_quietly(gm, moons4d)
    assert gm.n_iter_ == 5
    assert gm.lower_bounds_[0] >= first[-1] - 1e-12


def test_warm_started_fits_chain_into_one_longer_fit(moons4d, covariance_type):
    options = dict(covariance_type=covariance_type, tol=0.0, random_state=0)
    chained = GaussianMixture(5, warm_start=True, max_iter=5, **options)
    _fit_quietly(chained, moons4d)
    first = chained.lower_bounds_.copy()
    _fit_quietly(chained, moons4d)
    single = _fit_quietly(GaussianMixture(5, max_iter=10, **options), moons4d)

    np.testing.assert_allclose(
        np.concatenate([first, chained.lower_bounds_]), single.lower_bounds_, rtol=1e-10
    )
    np.testing.assert_allclose(chained.means_, single.means_, rtol=1e-8, atol=1e-10)


def test_warm_start_iteration_count_and_bounds_match_sklearn(moons4d):
    options = dict(warm_start=True, max_iter=4, tol=0.0, random_state=0)
    fitted = GaussianMixture(5, **options)
    reference = SklearnGaussianMixture(5, **options)
    for _ in range(2):
        _fit_quietly(fitted, moons4d)
        _fit_quietly(reference, moons4d)
        assert fitted.n_iter_ == reference.n_iter_
        np.testing.assert_allclose(fitted.lower_bounds_, reference.lower_bounds_, rtol=1e-8)


def test_warm_start_converges_on_second_fit_when_already_converged(blobs):
    gm = GaussianMixture(K, warm_start=True, random_state=0).fit(blobs[0])
    gm.fit(blobs[0])
    assert gm.converged_
    assert gm.n_iter_ <= 2


# ---------------------------------------------------------------------- containers
def test_dataframe_input_sets_feature_names(blobs):
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame(blobs[0], columns=["height", "width"])
    gm = GaussianMixture(K, random_state=0).fit(frame)
    np.testing.assert_array_equal(gm.feature_names_in_, ["height", "width"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X does not have valid feature names" warning
        np.testing.assert_array_equal(gm.predict(frame), gm.fit_predict(frame))


def test_list_input_is_accepted(blobs):
    X = blobs[0][:50]
    gm = GaussianMixture(2, random_state=0).fit(X.tolist())
    np.testing.assert_allclose(gm.score_samples(X.tolist()), gm.score_samples(X))


def test_fit_returns_self(blobs):
    gm = GaussianMixture(K, random_state=0)
    assert gm.fit(blobs[0]) is gm


def test_n_init_keeps_the_best_initialisation(moons4d):
    """The first of ``n_init`` runs is the single run with the same seed; the best is kept."""
    options = dict(random_state=0, max_iter=30)
    single = _fit_quietly(GaussianMixture(5, **options), moons4d)
    best = _fit_quietly(GaussianMixture(5, n_init=4, **options), moons4d)
    assert best.lower_bound_ >= single.lower_bound_


def test_verbose_prints_initialisations_and_iterations(blobs, capsys):
    GaussianMixture(K, verbose=2, verbose_interval=1, random_state=0).fit(blobs[0])
    output = capsys.readouterr().out
    assert "Initialization 0" in output
    assert "Iteration 1" in output
    assert "Initialization converged" in output


def test_scores_and_entropy_of_many_separated_components_match_direct_computation():
    # 60 far-apart clusters: almost every responsibility underflows, so the scoring pass takes
    # its sparse path; it must give scikit-learn's log-densities and the entropy of predict_proba
    X, _ = make_blobs(
        n_samples=1200,
        centers=60,
        n_features=3,
        cluster_std=0.3,
        center_box=(-200, 200),
        random_state=0,
    )
    gm = _fit_quietly(GaussianMixture(60, random_state=0, max_iter=20), X)
    reference = _sklearn_copy(gm)
    np.testing.assert_allclose(gm.score_samples(X), reference.score_samples(X), rtol=1e-10)
    entropy = _entropy(gm.predict_proba(X)).sum()
    np.testing.assert_allclose(gm.icl(X), gm.bic(X) + 2 * entropy, rtol=1e-10, atol=1e-8)
    np.testing.assert_array_equal(gm.predict(X), reference.predict(X))
