r"""Conditioning a Gaussian mixture on some of its features, in closed form.

Split every row into given features :math:`a` and the rest :math:`b`. For a mixture
:math:`\sum_k \pi_k \mathcal N(x \mid \mu_k, \Sigma_k)`, the conditional density of :math:`x_b`
given :math:`x_a = a` is again a mixture with the same components:

.. math::

    p(x_b \mid a) = \sum_k w_k(a)\, \mathcal N(x_b \mid m_k(a), S_k),\qquad
    w_k(a) \propto \pi_k\, \mathcal N(a \mid \mu_{k,a}, \Sigma_{k,aa}),

    m_k(a) = \mu_{k,b} + \Sigma_{k,ba} \Sigma_{k,aa}^{-1} (a - \mu_{k,a}),\qquad
    S_k = \Sigma_{k,bb} - \Sigma_{k,ba} \Sigma_{k,aa}^{-1} \Sigma_{k,ab}.

With diagonal or spherical covariances the blocks :math:`\Sigma_{k,ba}` vanish: only the weights
change. All components and rows are handled at once with batched linear algebra.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .linalg import LOG_2PI, _lower_inverse

if TYPE_CHECKING:
    from .covariances import CovarianceModel


@dataclass
class Conditional:
    r"""The conditional mixture :math:`p(x_b \mid x_a = a_i)` for a batch of rows ``a_i``.

    Attributes
    ----------
    log_weights : ndarray of shape (n_rows, K)
        :math:`\log w_k(a_i)`, normalised over ``k``.
    means : ndarray of shape (n_rows, K, d_b)
        :math:`m_k(a_i)`.
    covariances : ndarray
        :math:`S_k`, the same for every row, in the layout of the covariance model: full
        ``(K, d_b, d_b)``, tied ``(d_b, d_b)``, diag ``(K, d_b)``, spherical ``(K,)``.
    log_marginal : ndarray of shape (n_rows,)
        :math:`\log p(a_i)`, the mixture density of the given features.
    """

    log_weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    log_marginal: np.ndarray

    def mean(self) -> np.ndarray:
        r""":math:`E[x_b \mid a_i] = \sum_k w_k(a_i)\, m_k(a_i)`, shape ``(n_rows, d_b)``."""
        return np.einsum("nk,nkd->nd", np.exp(self.log_weights), self.means)


def condition(
    model: CovarianceModel,
    weights: np.ndarray,
    means: np.ndarray,
    covariances: np.ndarray,
    given: np.ndarray,
    values: np.ndarray,
) -> Conditional:
    """Condition a mixture on ``x[given] = values`` (one row of ``values`` per conditioning).

    Parameters
    ----------
    model : CovarianceModel
        The covariance model over all ``d`` features; it conditions each component (its
        :meth:`~gmmkit._core.covariances.CovarianceModel.condition_components`).
    weights : ndarray of shape (K,)
    means : ndarray of shape (K, d)
    covariances : ndarray in the model's layout
    given : ndarray of int
        Indices of the given features (the rest, in increasing order, are conditioned).
    values : ndarray of shape (n_rows, len(given))

    Returns
    -------
    Conditional
    """
    # imported here: the command line's --help imports this module and never needs scipy
    from scipy.special import logsumexp

    d = means.shape[1]
    given = np.asarray(given, dtype=np.intp)
    rest = np.setdiff1d(np.arange(d), given)
    values = np.asarray(values, dtype=np.float64)
    diff = values[None, :, :] - means[:, None, given]  # (K, n, d_a)
    log_density, cond_means, cond_cov = model.condition_components(
        covariances, means, given, rest, diff
    )
    with np.errstate(divide="ignore"):
        log_joint = np.log(weights)[:, None] + log_density  # (K, n)
    log_marginal = logsumexp(log_joint, axis=0)
    log_weights = (log_joint - log_marginal).T
    return Conditional(log_weights, cond_means, cond_cov, log_marginal)


def condition_full(
    covariances: np.ndarray,
    means: np.ndarray,
    given: np.ndarray,
    rest: np.ndarray,
    diff: np.ndarray,
    tied: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Components with full covariance matrices (one shared matrix when ``tied``)
    conditioned on the features ``given``: ``(log_density, means, covariances)`` as
    :meth:`~gmmkit._core.covariances.CovarianceModel.condition_components` returns them."""
    stack = covariances[None] if tied else covariances
    cov_aa = stack[:, given[:, None], given]
    cov_ba = stack[:, rest[:, None], given]
    cov_bb = stack[:, rest[:, None], rest]
    chol_inv = _lower_inverse(np.linalg.cholesky(cov_aa))  # L^{-1}, Sigma_aa = L L^T
    whitened = chol_inv @ np.swapaxes(diff, 1, 2)  # (K, d_a, n): L^{-1}(a - mu_a)
    log_det = np.log(np.diagonal(chol_inv, axis1=1, axis2=2)).sum(axis=1)
    log_density = (
        log_det[:, None]
        - 0.5 * len(given) * LOG_2PI
        - 0.5 * np.einsum("kan,kan->kn", whitened, whitened)
    )
    projection = cov_ba @ np.swapaxes(chol_inv, 1, 2)  # Sigma_ba L^{-T}
    cond_means = means[:, None, rest] + np.swapaxes(projection @ whitened, 1, 2)  # (K, n, d_b)
    cond_cov = cov_bb - projection @ np.swapaxes(projection, 1, 2)
    return log_density, np.swapaxes(cond_means, 0, 1), cond_cov[0] if tied else cond_cov


def condition_scaled(
    variances: np.ndarray, means: np.ndarray, given: np.ndarray, rest: np.ndarray, diff: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Components with diagonal covariances (``variances``, ``(K, d)``) conditioned on the
    features ``given``: ``(log_density, means)``; their covariances over ``rest`` are the
    unchanged variances, which the caller keeps in its own layout."""
    given_var = variances[:, given]  # (K, d_a)
    log_density = (
        -0.5 * np.log(given_var).sum(axis=1)[:, None]
        - 0.5 * len(given) * LOG_2PI
        - 0.5 * np.einsum("kna,ka->kn", diff**2, 1.0 / given_var)
    )
    n_rows = diff.shape[1]
    cond_means = np.broadcast_to(means[None, :, rest], (n_rows, means.shape[0], len(rest)))
    return log_density, cond_means
