"""Sample weights that differ by a constant factor give the same fit: the soft counts are padded
relative to the mean weight (issue: a uniform but tiny sample_weight ruined the fit silently)."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gmmkit import GaussianMixture


@pytest.fixture(scope="module")
def two_blobs():
    rng = np.random.default_rng(0)
    return np.r_[rng.normal(0, 1, (100, 3)), rng.normal(6, 1, (100, 3))]


def _fit(X, weight, covariance_type="full"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(
            X, sample_weight=weight
        )


def test_tiny_uniform_sample_weight_fits_the_two_blobs(two_blobs):
    # the case: with weights of 1e-18 every count was below the 10 eps padding and
    # both means collapsed to the same point, with converged_=True
    tiny = _fit(two_blobs, np.full(200, 1e-18))
    unit = _fit(two_blobs, np.ones(200))
    assert np.abs(tiny.means_[0] - tiny.means_[1]).min() > 4.0
    np.testing.assert_allclose(tiny.means_, unit.means_, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(
        tiny.score_samples(two_blobs), unit.score_samples(two_blobs), rtol=1e-10
    )


@settings(max_examples=25, deadline=None)
@given(
    exponent=st.integers(-30, 30),
    covariance_type=st.sampled_from(["full", "tied", "diag", "spherical"]),
)
def test_weights_scaled_by_a_constant_give_the_same_fit(two_blobs, exponent, covariance_type):
    base_weight = np.random.default_rng(1).uniform(0.5, 2.0, len(two_blobs))
    base = _fit(two_blobs, base_weight, covariance_type)
    scaled = _fit(two_blobs, base_weight * 10.0**exponent, covariance_type)
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(
            getattr(scaled, name), getattr(base, name), rtol=1e-9, atol=1e-12
        )
    assert scaled.n_iter_ == base.n_iter_
    np.testing.assert_allclose(scaled.lower_bounds_, base.lower_bounds_, rtol=1e-9)
