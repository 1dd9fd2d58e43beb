"""The batched triangular inverse behind every full and tied precision factor."""

import numpy as np
import pytest

from gmmkit._core.covariances import _lower_inverse


@pytest.mark.parametrize(
    "shape", [(5, 1, 1), (3, 2, 2), (4, 16, 16), (4, 17, 17), (7, 41, 41), (2, 64, 64), (33, 33)]
)
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
    np.testing.assert_allclose(
        _lower_inverse(chol[None])[0], expected, rtol=1e-6, atol=1e-9 * np.abs(expected).max()
    )
