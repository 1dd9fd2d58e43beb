"""The batched triangular inverse behind every full and tied precision factor."""

import numpy as np
import pytest

from gmmkit._core.covariances import _lower_inverse


@pytest.mark.parametrize("shape", [(5, 1, 1), (3, 2, 2), (4, 16, 16), (4, 17, 17), (7, 41, 41),
                                   (2, 64, 64), (33, 33)])
def test_lower_inverse_is_exact_lower_triangular_inverse(shape):
    rng = np.random.default_rng(0)
    d = shape[-1]
    A = rng.normal(size=shape[:-1] + (2 * d,))
    chol = np.linalg.cholesky(A @ np.swapaxes(A, -1, -2) + np.eye(d))
    inverse = _lower_inverse(chol)
    assert inverse.shape == chol.shape
    np.testing.assert_array_equal(np.triu(inverse, 1), 0.0)
    np.testing.assert_allclose(inverse @ chol, np.broadcast_to(np.eye(d), chol.shape), atol=1e-12)


def test_lower_inverse_of_ill_conditioned_factor_matches_lapack():
    # variances spanning 1e-8..1e4: the kind of factor a nearly collapsed component has
    rng = np.random.default_rng(1)
    d = 41
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    cov = (Q * np.logspace(-8, 4, d)) @ Q.T
    chol = np.linalg.cholesky(cov)
    expected = np.linalg.inv(chol)
    np.testing.assert_allclose(_lower_inverse(chol[None])[0], expected,
                               rtol=1e-6, atol=1e-9 * np.abs(expected).max())


def _full_model_inputs(n_components, d, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n_components, d, 2 * d))
    covariances = A @ np.swapaxes(A, -1, -2) / (2 * d) + 1e-3 * np.eye(d)
    weights = rng.dirichlet(np.ones(n_components))
    means = rng.normal(size=(n_components, d))
    return covariances, weights, means


@pytest.mark.parametrize("threads", [2, 3, 8])
def test_component_blocks_on_threads_give_the_same_bits_as_one_batch(threads):
    from gmmkit._core.covariances import covariance_model

    covariances, weights, means = _full_model_inputs(101, 9)
    model = covariance_model("full", 9)
    serial_prec_chol = model.precision_cholesky(covariances)
    serial_theta, _ = model.theta(weights, means, serial_prec_chol)
    model.threads = threads
    prec_chol = model.precision_cholesky(covariances)
    theta, shared = model.theta(weights, means, prec_chol)
    assert shared is None
    np.testing.assert_array_equal(prec_chol, serial_prec_chol)
    np.testing.assert_array_equal(theta, serial_theta)


def test_tied_precision_factor_is_never_split_into_blocks():
    from gmmkit._core.covariances import covariance_model

    covariances, _, _ = _full_model_inputs(1, 40)
    model = covariance_model("tied", 40)
    model.threads = 4
    prec_chol = model.precision_cholesky(covariances[0])
    np.testing.assert_allclose(prec_chol @ prec_chol.T, np.linalg.inv(covariances[0]),
                               rtol=1e-8, atol=1e-10)


def test_linalg_threads_follow_problem_size_and_blas_limits():
    from threadpoolctl import threadpool_limits

    from gmmkit._core.threads import linalg_threads

    assert linalg_threads(4, 3) == 1
    with threadpool_limits(limits=1, user_api="blas"):
        assert linalg_threads(600, 41) == 1
    with threadpool_limits(limits=2, user_api="blas"):
        assert linalg_threads(600, 41) in (1, 2)  # 1 only on a single-core machine


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_large_full_fit_is_identical_with_and_without_component_threads(monkeypatch):
    import gmmkit.mixture
    from gmmkit import GaussianMixture
    from gmmkit._core import threads

    X = np.random.default_rng(3).normal(size=(400, 6))
    kwargs = dict(n_components=40, reg_covar=1e-3, max_iter=5, tol=0.0, random_state=0)
    monkeypatch.setattr(gmmkit.mixture, "linalg_threads", lambda k, d: 1)
    serial = GaussianMixture(**kwargs).fit(X)
    monkeypatch.setattr(gmmkit.mixture, "linalg_threads", lambda k, d: 3)
    monkeypatch.setattr(threads, "MIN_BLOCK_COMPONENTS", 4)
    pool_uses, pool = [], threads._pool
    monkeypatch.setattr(threads, "_pool", lambda: pool_uses.append(1) or pool())
    parallel = GaussianMixture(**kwargs).fit(X)
    assert len(pool_uses) >= 2 * 5  # a precision factor and a theta per EM iteration at least
    np.testing.assert_array_equal(parallel.precisions_cholesky_, serial.precisions_cholesky_)
    np.testing.assert_array_equal(parallel.lower_bounds_, serial.lower_bounds_)
    np.testing.assert_array_equal(parallel.predict_proba(X), serial.predict_proba(X))
