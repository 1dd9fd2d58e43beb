"""SQUAREM-accelerated EM (``accelerate=True``): never below plain EM, monotone, and faster on
slowly converging fits."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning

from gmmkit import GaussianMixture, select


@pytest.fixture(scope="module")
def overlapping_blobs():
    """Six heavily overlapping clusters: plain EM crawls here."""
    X, _ = make_blobs(1500, centers=6, cluster_std=2.5, random_state=0)
    return X


def _fit(X, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return GaussianMixture(random_state=0, **options).fit(X)


@pytest.mark.slow
@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("n_components", [3, 8])
def test_accelerated_em_reaches_at_least_the_plain_em_likelihood(
    overlapping_blobs, covariance_type, n_components
):
    options = dict(
        n_components=n_components, covariance_type=covariance_type, tol=1e-7, max_iter=3000
    )
    plain = _fit(overlapping_blobs, **options)
    accelerated = _fit(overlapping_blobs, accelerate=True, **options)
    assert accelerated.converged_
    assert accelerated.lower_bound_ >= plain.lower_bound_ - 1e-7


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_accelerated_lower_bounds_never_decrease(overlapping_blobs, covariance_type):
    model = _fit(
        overlapping_blobs,
        n_components=5,
        covariance_type=covariance_type,
        reg_covar=0.0,
        tol=1e-8,
        max_iter=600,
        accelerate=True,
    )
    steps = np.diff(model.lower_bounds_)
    assert (steps >= -1e-10 * np.abs(model.lower_bounds_[1:])).all()


def test_accelerated_em_needs_fewer_e_steps_on_a_slow_fit(overlapping_blobs):
    options = dict(n_components=5, covariance_type="spherical", tol=1e-7, max_iter=3000)
    plain = _fit(overlapping_blobs, **options)
    accelerated = _fit(overlapping_blobs, accelerate=True, **options)
    assert accelerated.n_iter_ < plain.n_iter_ / 2


def test_one_step_budget_is_one_plain_em_step(overlapping_blobs):
    options = dict(n_components=4, max_iter=1, tol=0.0)
    plain = _fit(overlapping_blobs, **options)
    accelerated = _fit(overlapping_blobs, accelerate=True, **options)
    np.testing.assert_array_equal(accelerated.means_, plain.means_)
    assert accelerated.n_iter_ == plain.n_iter_ == 1


def test_accelerate_must_be_a_bool(overlapping_blobs):
    with pytest.raises(
        TypeError, match="'accelerate' parameter of GaussianMixture must be an instance of 'bool'"
    ):
        GaussianMixture(2, accelerate="yes").fit(overlapping_blobs)


@pytest.mark.slow
def test_select_passes_accelerate_through(overlapping_blobs):
    plain = select(overlapping_blobs, [3, 6], "diag", random_state=0, tol=1e-6).table
    fast = select(
        overlapping_blobs, [3, 6], "diag", random_state=0, tol=1e-6, accelerate=True
    ).table
    assert (fast.log_likelihood >= plain.log_likelihood - 1e-6).all()


def test_a_jump_whose_m_step_fails_is_no_jump():
    """An iterative M-step can fail on extrapolated statistics (EVE's orientation SVD did not
    converge in the bootstrap LRT's refits): the jump is refused, not the fit."""
    from gmmkit._core.squarem import _valid_parameters

    class FailingModel:
        def m_step(self, stats, context):
            raise np.linalg.LinAlgError("SVD did not converge")

    assert _valid_parameters(FailingModel(), np.ones((2, 3)), context=None) is None


def test_accelerated_eve_fits_where_plain_em_does(overlapping_blobs):
    X = overlapping_blobs
    plain = GaussianMixture(3, covariance_type="EVE", random_state=0, tol=1e-8, max_iter=300).fit(X)
    fast = GaussianMixture(
        3, covariance_type="EVE", random_state=0, tol=1e-8, max_iter=300, accelerate=True
    ).fit(X)
    assert fast.lower_bound_ >= plain.lower_bound_ - 1e-6
