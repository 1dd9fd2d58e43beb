"""Rows too large for float64 at predict time give a clear error or the right value, never NaN
(issue: predict_proba(X * 1e300) was NaN and predict returned labels built from NaN)."""

import warnings

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from gmmkit import GaussianMixture
from gmmkit._core import estep


@pytest.fixture(scope="module")
def fitted():
    X = np.random.default_rng(0).normal(size=(100, 2))
    return X, GaussianMixture(2, random_state=0).fit(X)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score_samples", "score"])
@pytest.mark.parametrize("scale", [1e155, 1e300])
def test_rows_whose_squares_overflow_raise_a_clear_error(fitted, method, scale):
    X, model = fitted
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning on the way to the error
        with pytest.raises(ValueError, match=r"X\[\d+\] has values too large for float64"):
            getattr(model, method)(X * scale)


def test_far_rows_that_do_not_overflow_are_scored_right(fitted):
    X, model = fitted
    far = X[:5] * 1e100
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = model.score_samples(far)
    # each row's density is dominated by its nearest component, as closed form says
    expected = np.max(
        [
            np.log(w) + multivariate_normal(m, c).logpdf(far)
            for w, m, c in zip(model.weights_, model.means_, model.covariances_)
        ],
        axis=0,
    )
    assert np.isfinite(scores).all()
    np.testing.assert_allclose(scores, expected, rtol=1e-9)


def test_rows_every_density_underflows_for_have_log_density_minus_infinity():
    log_prob = np.array([[-1.0, -np.inf], [-2.0, -np.inf]])  # K=2 components, 2 rows
    out = estep.per_sample_output("log_prob_norm", 2, 2)
    estep.fill_per_sample(log_prob.copy(), "log_prob_norm", out, slice(0, 2))
    assert out[1] == -np.inf and np.isfinite(out[0])
    for want in ("resp", "argmax", "summary"):
        with pytest.raises(ValueError, match=r"X\[1\] is so far from every component"):
            estep.fill_per_sample(
                log_prob.copy(), want, estep.per_sample_output(want, 2, 2), slice(0, 2)
            )
