"""Is a fitted mixture a maximum of the likelihood, or an artefact of its regularisation?

A Gaussian mixture's likelihood is unbounded: a component that shrinks onto fewer points than
its covariance has parameters drives it to infinity. ``reg_covar`` keeps such a fit finite,
but its likelihood (and so its BIC) then measures the regularisation, not the data, and a
criterion that compares it with well-posed fits rewards it. A fit is *ill-posed* when

* a component holds less responsibility mass than its structure needs
  (:meth:`~gmmkit._core.covariances.CovarianceModel.points_needed`: ``d + 1`` rows for a
  component with its own orientation, 2 for variances alone, ``d + K`` in all for a shared
  covariance), or
* a component's covariance before ``reg_covar`` is added is singular or nearly so: its
  smallest variance, in units of the data's own variance along each feature, is at most
  :data:`SINGULAR_VARIANCE_RATIO` (mclust's test on the reciprocal condition number of the
  Cholesky factor, :math:`\\sqrt{\\varepsilon}` there, made independent of the units), or
* EM had to regularise a covariance beyond ``reg_covar`` to keep it invertible.

Features that are constant in the data are left out of the second test: every fit of such data
is singular along them in the same way, which says nothing about one model against another
(the fit's own :class:`~gmmkit.DegenerateComponentWarning` reports them).
"""

from __future__ import annotations

import numpy as np

from .covariances import CovarianceModel

#: A variance at most this fraction of the data's variance along the same direction is
#: rounding noise of a singular covariance: a standard deviation 1e-5 times the data's is
#: resolved by float64 statistics to only about 1e-6 of itself.
SINGULAR_VARIANCE_RATIO = 1e-10


def ill_posed_reason(
    model: CovarianceModel,
    weights: np.ndarray,
    covariances: np.ndarray,
    *,
    n_samples: float,
    data_variances: np.ndarray,
    reg_covar: float,
    recovered: dict[int, float] | None = None,
    prior: bool = False,
) -> str | None:
    """Why the fitted mixture is ill-posed, in one sentence, or None when it is well posed.

    Parameters
    ----------
    model : CovarianceModel
        The structure of ``covariances``.
    weights : ndarray of shape (K,)
        Mixing weights; ``weights * n_samples`` is each component's responsibility mass.
    covariances : ndarray
        The fitted covariances (with ``reg_covar`` added), in the model's layout.
    n_samples : float
        Rows the mixture was fitted on (with sample weights: their count, each row's weight
        taken relative to the mean weight).
    data_variances : ndarray of shape (d,)
        The (weighted) variance of each feature of the data.
    reg_covar : float
        What the fit added to every variance.
    recovered : dict of int to float, optional
        Components EM regularised beyond ``reg_covar``, with the largest amount added.
    prior : bool, default=False
        Whether the fit had a conjugate prior: its maximum a posteriori estimate exists
        whatever the components' masses and keeps every covariance above the prior's scale,
        so only a recovery makes it ill-posed.
    """
    K = len(weights)
    if recovered:
        which = model.describe_components(sorted(recovered))
        return (
            f"{which} had to be regularised beyond reg_covar (up to "
            f"{max(recovered.values()):.3g} added) to stay invertible"
        )
    if prior:
        return None
    masses = np.asarray(weights, dtype=np.float64) * n_samples
    needed = model.points_needed(masses)
    short = np.flatnonzero(masses < needed)
    if short.size:
        k = int(short[np.argmin(masses[short])])
        return (
            f"component {k} holds {masses[k]:.3g} rows of responsibility, fewer than the "
            f"{needed[k]:.3g} its covariance needs"
        )
    varying = data_variances > 0
    if not varying.any():
        return None
    unregularised = np.array(covariances, dtype=np.float64)
    model.regularize(unregularised, np.arange(K), -reg_covar)
    smallest = model.smallest_scaled_variances(
        unregularised, data_variances[varying], K, np.flatnonzero(varying)
    )
    singular = np.flatnonzero(smallest <= SINGULAR_VARIANCE_RATIO)
    if singular.size:
        k = int(singular[np.argmin(smallest[singular])])
        return (
            f"{model.describe_components([k])}'s covariance is singular before reg_covar "
            f"(smallest variance {max(smallest[k], 0.0):.2g} of the data's)"
        )
    return None


def feature_variances(X: np.ndarray, sample_weight: np.ndarray | None = None) -> np.ndarray:
    """Each feature's variance over the rows of ``X`` (weighted when ``sample_weight`` is
    given), float64, ``(d,)``."""
    X = np.asarray(X, dtype=np.float64)
    if sample_weight is None:
        return X.var(axis=0)
    weight = np.asarray(sample_weight, dtype=np.float64)
    mean = weight @ X / weight.sum()
    return weight @ (X - mean) ** 2 / weight.sum()
