"""Degenerate data is fitted, not refused: collapsing components are recovered with a warning.

scikit-learn stops such fits with "ill-defined empirical covariance"; gmmkit raises the collapsed
components' regularisation and says so with a :class:`gmmkit.DegenerateComponentWarning`.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

from gmmkit import DegenerateComponentWarning, GaussianMixture

#: What the warning must say was done about the collapse.
RECOVERY_MESSAGE = r"collapsed to a singular covariance.*added .* to the diagonal"


@pytest.fixture(scope="module")
def duplicated_points():
    """30 exact copies of each of 5 distinct points in 3-D: shape (150, 3)."""
    points = 5.0 * np.random.RandomState(0).normal(size=(5, 3))
    return np.repeat(points, 30, axis=0)


@pytest.fixture(scope="module")
def constant_feature():
    """100 rows whose first two features are Gaussian noise and whose third is always 3."""
    noise = np.random.RandomState(1).normal(size=(100, 2))
    return np.c_[noise, np.full(100, 3.0)]


def _assert_finite_fit(gm, X):
    assert np.isfinite(gm.lower_bound_)
    assert np.isfinite(gm.lower_bounds_).all()
    for name in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"):
        assert np.isfinite(getattr(gm, name)).all(), name
    assert np.isfinite(gm.score_samples(X)).all()
    np.testing.assert_allclose(gm.predict_proba(X).sum(axis=1), 1.0, rtol=1e-6)


def _fit_ignoring_warnings(estimator, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateComponentWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X)


# ---------------------------------------------------------------------- duplicated points
def test_duplicated_points_fit_with_default_regularisation(duplicated_points, covariance_type):
    gm = _fit_ignoring_warnings(
        GaussianMixture(5, covariance_type=covariance_type, random_state=0), duplicated_points
    )
    _assert_finite_fit(gm, duplicated_points)


def test_duplicated_points_without_regularisation_warn_and_recover(
    duplicated_points, covariance_type
):
    gm = GaussianMixture(5, covariance_type=covariance_type, reg_covar=0.0, random_state=0)
    with pytest.warns(DegenerateComponentWarning, match=RECOVERY_MESSAGE):
        gm.fit(duplicated_points)
    _assert_finite_fit(gm, duplicated_points)


def test_recovery_warning_names_components_and_reg_covar(duplicated_points):
    gm = GaussianMixture(5, reg_covar=0.0, random_state=0)
    with pytest.warns(DegenerateComponentWarning, match=r"component\(s\) \[.*\].*reg_covar=0"):
        gm.fit(duplicated_points)


def test_recovered_covariances_match_reported_precisions(duplicated_points):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateComponentWarning)
        gm = GaussianMixture(5, reg_covar=0.0, random_state=0).fit(duplicated_points)
    identity = np.broadcast_to(np.eye(3), gm.covariances_.shape)
    np.testing.assert_allclose(gm.precisions_ @ gm.covariances_, identity, atol=1e-6)


def test_duplicated_points_recover_each_point_as_a_component(duplicated_points):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateComponentWarning)
        gm = GaussianMixture(5, reg_covar=0.0, random_state=0).fit(duplicated_points)
    distinct = np.unique(duplicated_points, axis=0)
    found = np.sort(gm.means_, axis=0)
    np.testing.assert_allclose(found, np.sort(distinct, axis=0), atol=1e-8)
    np.testing.assert_allclose(gm.weights_, 0.2, rtol=1e-8)


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
def test_sklearn_raises_on_duplicated_points_without_regularisation(
    duplicated_points, covariance_type
):
    """The same fit that gmmkit recovers is an error in scikit-learn."""
    reference = SklearnGaussianMixture(
        5, covariance_type=covariance_type, reg_covar=0.0, random_state=0
    )
    with pytest.raises(ValueError, match="ill-defined empirical covariance"):
        reference.fit(duplicated_points)


# ---------------------------------------------------------------------- constant feature
def test_constant_feature_fits_with_default_regularisation(constant_feature, covariance_type):
    gm = _fit_ignoring_warnings(
        GaussianMixture(3, covariance_type=covariance_type, random_state=0), constant_feature
    )
    _assert_finite_fit(gm, constant_feature)
    np.testing.assert_allclose(gm.means_[:, 2], 3.0, rtol=1e-12)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag"])
def test_constant_feature_without_regularisation_warns_and_recovers(
    constant_feature, covariance_type
):
    gm = GaussianMixture(3, covariance_type=covariance_type, reg_covar=0.0, random_state=0)
    with pytest.warns(DegenerateComponentWarning, match=RECOVERY_MESSAGE):
        gm.fit(constant_feature)
    _assert_finite_fit(gm, constant_feature)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag"])
def test_sklearn_raises_on_constant_feature_without_regularisation(
    constant_feature, covariance_type
):
    reference = SklearnGaussianMixture(
        3, covariance_type=covariance_type, reg_covar=0.0, random_state=0
    )
    with pytest.raises(ValueError, match="ill-defined empirical covariance"):
        reference.fit(constant_feature)


def test_non_degenerate_data_emits_no_degenerate_warning(moons4d, covariance_type):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateComponentWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        GaussianMixture(5, covariance_type=covariance_type, random_state=0).fit(moons4d)


# ---------------------------------------------------------------------- few samples per component
@pytest.mark.parametrize("reg_covar", [1e-6, 0.0], ids=["default_reg", "no_reg"])
def test_components_nearly_as_many_as_samples_fit(covariance_type, reg_covar):
    X = np.random.RandomState(2).normal(size=(12, 3))
    gm = _fit_ignoring_warnings(
        GaussianMixture(10, covariance_type=covariance_type, reg_covar=reg_covar, random_state=0),
        X,
    )
    _assert_finite_fit(gm, X)


def test_one_component_per_sample_fits_without_regularisation(covariance_type):
    X = np.random.RandomState(3).normal(size=(12, 3))
    gm = _fit_ignoring_warnings(
        GaussianMixture(12, covariance_type=covariance_type, reg_covar=0.0, random_state=0), X
    )
    _assert_finite_fit(gm, X)


# ---------------------------------------------------------------------- float32, many components
@pytest.mark.slow
def test_float32_with_many_components_stays_finite_and_float32(covariance_type):
    """400 digits (64 features, several always zero) in float32 with 40 components."""
    X = load_digits().data[:400].astype(np.float32)
    gm = _fit_ignoring_warnings(
        GaussianMixture(
            40,
            covariance_type=covariance_type,
            init_params="k-means++",
            max_iter=10,
            random_state=0,
        ),
        X,
    )
    _assert_finite_fit(gm, X)
    assert gm.means_.dtype == np.float32
    assert gm.covariances_.dtype == np.float32
    assert gm.score_samples(X).dtype == np.float32


# ---------------------------------------------------------------------- how recovery is reported
def _recorded_degenerate_warnings(estimator, X):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator.fit(X)
    return [w for w in caught if issubclass(w.category, DegenerateComponentWarning)]


def test_recovery_is_reported_once_per_fit_not_per_iteration(constant_feature):
    caught = _recorded_degenerate_warnings(
        GaussianMixture(2, covariance_type="diag", reg_covar=0, max_iter=20, tol=0, random_state=0),
        constant_feature,
    )
    assert len(caught) == 1


def test_recovery_warning_points_at_the_callers_line(constant_feature):
    caught = _recorded_degenerate_warnings(
        GaussianMixture(2, covariance_type="full", reg_covar=0, random_state=0), constant_feature
    )
    assert caught[0].filename == __file__


@pytest.mark.parametrize("covariance_type", ["diag", "spherical"])
def test_variance_at_rounding_noise_counts_as_collapsed(covariance_type):
    # One component owns three copies of a single point: its variance is zero up to rounding.
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(size=(60, 2)), np.tile([[8.0, 8.0]], (3, 1))]
    caught = _recorded_degenerate_warnings(
        GaussianMixture(
            2,
            covariance_type=covariance_type,
            reg_covar=0,
            max_iter=5,
            means_init=[[0.0, 0.0], [8.0, 8.0]],
            random_state=0,
        ),
        X,
    )
    assert len(caught) == 1
    assert "component(s) [1]" in str(caught[0].message)


def test_one_dimensional_full_collapse_is_detected():
    X = np.r_[np.random.RandomState(0).normal(size=(40, 1)), np.full((4, 1), 9.0)]
    caught = _recorded_degenerate_warnings(
        GaussianMixture(2, reg_covar=0, max_iter=5, means_init=[[0.0], [9.0]], random_state=0), X
    )
    assert len(caught) == 1
