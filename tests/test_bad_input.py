"""Invalid input is rejected with an error whose message names the problem."""

import re

import numpy as np
import pytest
import scipy.sparse
from sklearn.exceptions import NotFittedError

from gmmkit import GaussianMixture


@pytest.fixture(scope="module")
def X():
    return np.random.RandomState(0).normal(size=(20, 2))


@pytest.fixture(scope="module")
def fitted(X):
    return GaussianMixture(2, random_state=0).fit(X)


# ---------------------------------------------------------------------- X
def test_nan_in_X_is_rejected(X):
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        GaussianMixture(2).fit(bad)


def test_infinity_in_X_is_rejected(X):
    bad = X.copy()
    bad[3, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        GaussianMixture(2).fit(bad)


def test_one_dimensional_X_is_rejected(X):
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        GaussianMixture(2).fit(X[:, 0])


def test_three_dimensional_X_is_rejected(X):
    with pytest.raises(ValueError, match="dim 3"):
        GaussianMixture(2).fit(X[None])


def test_single_sample_is_rejected(X):
    with pytest.raises(ValueError, match="minimum of 2 is required"):
        GaussianMixture(1).fit(X[:1])


def test_fewer_samples_than_components_is_rejected(X):
    expected = r"n_samples >= n_components.*n_samples=20.*n_components=30"
    with pytest.raises(ValueError, match=expected):
        GaussianMixture(30).fit(X)


def test_complex_X_is_rejected(X):
    with pytest.raises(ValueError, match="Complex data not supported"):
        GaussianMixture(2).fit(X + 1j)


def test_sparse_X_is_rejected(X):
    with pytest.raises(TypeError, match="dense data is required"):
        GaussianMixture(2).fit(scipy.sparse.csr_matrix(X))


def test_nan_in_X_is_rejected_at_predict(fitted, X):
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fitted.predict(bad)


# ---------------------------------------------------------------------- sample_weight
def test_negative_sample_weights_are_rejected(X):
    weights = np.ones(len(X))
    weights[4] = -1.0
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        GaussianMixture(2).fit(X, sample_weight=weights)


def test_all_zero_sample_weights_are_rejected(X):
    with pytest.raises(ValueError, match="sample_weight must not be all zero"):
        GaussianMixture(2).fit(X, sample_weight=np.zeros(len(X)))


def test_sample_weights_of_wrong_length_are_rejected(X):
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(20,\).*got \(19,\)"):
        GaussianMixture(2).fit(X, sample_weight=np.ones(19))


def test_nan_sample_weights_are_rejected(X):
    weights = np.ones(len(X))
    weights[0] = np.nan
    with pytest.raises(ValueError, match="sample_weight contains NaN"):
        GaussianMixture(2).fit(X, sample_weight=weights)


def test_non_numeric_sample_weights_are_rejected(X):
    with pytest.raises(TypeError, match="sample_weight must be numeric"):
        GaussianMixture(2).fit(X, sample_weight=["heavy"] * len(X))


@pytest.mark.parametrize("method", ["score", "bic", "aic", "icl"])
def test_negative_sample_weights_are_rejected_when_scoring(fitted, X, method):
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        getattr(fitted, method)(X, sample_weight=-np.ones(len(X)))


# ---------------------------------------------------------------------- hyperparameters
def test_unknown_covariance_type_is_rejected(X):
    with pytest.raises(
        ValueError,
        match="'covariance_type' parameter of GaussianMixture must "
        "be a str among .*Got 'fulll' instead",
    ):
        GaussianMixture(2, covariance_type="fulll").fit(X)


def test_unknown_init_params_is_rejected(X):
    with pytest.raises(
        ValueError,
        match="'init_params' parameter of GaussianMixture must be a "
        "str among .*Got 'kmeans\\+' instead",
    ):
        GaussianMixture(2, init_params="kmeans+").fit(X)


def test_zero_components_is_rejected(X):
    with pytest.raises(
        ValueError,
        match=r"'n_components' parameter of GaussianMixture must be "
        r"an int in the range \[1, inf\)\. Got 0 instead",
    ):
        GaussianMixture(0).fit(X)


def test_non_integer_components_is_rejected(X):
    with pytest.raises(
        TypeError,
        match=r"'n_components' parameter of GaussianMixture must be "
        r"an int in the range \[1, inf\)\. Got 2\.5 instead",
    ):
        GaussianMixture(2.5).fit(X)


@pytest.mark.parametrize(
    "name, value",
    [("tol", -1.0), ("reg_covar", -1e-6), ("max_iter", -1), ("n_init", 0), ("tol", np.nan)],
)
def test_out_of_range_hyperparameters_are_rejected(X, name, value):
    with pytest.raises(ValueError, match=f"'{name}' parameter of GaussianMixture must be"):
        GaussianMixture(2, **{name: value}).fit(X)


# ---------------------------------------------------------------------- fitted state
def test_predict_with_different_number_of_features_is_rejected(fitted):
    with pytest.raises(ValueError, match="X has 3 features, but GaussianMixture is expecting 2"):
        fitted.predict(np.ones((4, 3)))


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "score_samples", "score", "bic", "aic", "icl"]
)
def test_inference_before_fit_raises_not_fitted(X, method):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(GaussianMixture(2), method)(X)


def test_sample_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        GaussianMixture(2).sample(3)


def test_sample_of_zero_rows_is_rejected(fitted):
    message = "Invalid value for 'n_samples': 0 . The sampling requires at least one sample."
    with pytest.raises(ValueError, match=re.escape(message)):
        fitted.sample(0)


# ---------------------------------------------------------------------- initial parameters
def test_weights_init_of_wrong_shape_is_rejected(X):
    with pytest.raises(
        ValueError,
        match=r"The parameter 'weights' should have the shape of "
        r"\(2,\), but got \(3,\)",
    ):
        GaussianMixture(2, weights_init=[0.2, 0.3, 0.5]).fit(X)


def test_weights_init_not_summing_to_one_is_rejected(X):
    with pytest.raises(
        ValueError,
        match=r"The parameter 'weights' should be normalized, but "
        r"got sum\(weights\) = 0\.6",
    ):
        GaussianMixture(2, weights_init=[0.3, 0.3]).fit(X)


def test_weights_init_outside_unit_interval_is_rejected(X):
    with pytest.raises(
        ValueError, match=r"The parameter 'weights' should be in the range \[0, 1\]"
    ):
        GaussianMixture(2, weights_init=[1.5, -0.5]).fit(X)


def test_means_init_of_wrong_shape_is_rejected(X):
    with pytest.raises(
        ValueError,
        match=r"The parameter 'means' should have the shape of "
        r"\(2, 2\), but got \(2, 3\)",
    ):
        GaussianMixture(2, means_init=np.zeros((2, 3))).fit(X)


def test_precisions_init_not_positive_definite_is_rejected(X):
    precisions = np.array([np.eye(2), [[1.0, 2.0], [2.0, 1.0]]])  # eigenvalues 3 and -1
    with pytest.raises(ValueError, match="precisions_init must be positive definite"):
        GaussianMixture(2, precisions_init=precisions).fit(X)


def test_precisions_init_not_symmetric_is_rejected(X):
    precisions = np.array([np.eye(2), [[1.0, 0.5], [0.0, 1.0]]])
    with pytest.raises(ValueError, match="precisions_init must be symmetric"):
        GaussianMixture(2, precisions_init=precisions).fit(X)


@pytest.mark.parametrize(
    "covariance_type, shape",
    [("full", (2, 3, 3)), ("tied", (2, 2, 2)), ("diag", (2,)), ("spherical", (2, 2))],
)
def test_precisions_init_of_wrong_shape_is_rejected(X, covariance_type, shape):
    with pytest.raises(ValueError, match="precisions_init must have shape"):
        GaussianMixture(2, covariance_type=covariance_type, precisions_init=np.ones(shape)).fit(X)


@pytest.mark.parametrize(
    "covariance_type, precisions",
    [("diag", [[1.0, 1.0], [1.0, -1.0]]), ("spherical", [1.0, 0.0])],
)
def test_non_positive_diagonal_precisions_init_is_rejected(X, covariance_type, precisions):
    with pytest.raises(ValueError, match="precisions_init must be positive"):
        GaussianMixture(2, covariance_type=covariance_type, precisions_init=precisions).fit(X)
