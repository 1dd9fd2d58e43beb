r"""Fitting on standardized features and answering in the original units.

Standardizing maps every row to :math:`z = (x - m) / s`, with :math:`m` and :math:`s` the
(weighted) mean and standard deviation of each feature. A mixture fitted on ``z`` is exactly
a mixture in ``x``: with :math:`S = \operatorname{diag}(s)`, component
:math:`\mathcal N(\mu_k, \Sigma_k)` in ``z`` is :math:`\mathcal N(m + S\mu_k, S\Sigma_k S)` in
``x``, the weights are unchanged, and every log-density differs by the log-Jacobian,

.. math:: \log p_x(x) = \log p_z(z) - \sum_j \log s_j,

so labels and responsibilities are the same. :func:`to_original_units` makes that mixture;
the covariance structure says how its covariances rescale
(:meth:`gmmkit._core.covariances.CovarianceModel.rescaled`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from sklearn.utils.validation import _get_feature_names, check_array

from ._core.covariances import covariance_model

#: A standard deviation at most this many rounding errors of the feature's mean is zero: the
#: feature is constant.
CONSTANT_MARGIN = 16.0

#: Feature scales (standard deviations) further apart than this ratio get a warning.
SCALE_RATIO_WARNING = 100.0


class Standardization(NamedTuple):
    """Per-feature ``mean`` and ``scale`` (standard deviation, 1 for a constant feature)."""

    mean: np.ndarray
    scale: np.ndarray

    @property
    def log_scale(self) -> float:
        r""":math:`\sum_j \log s_j`, what every log-density in ``z`` exceeds the one in ``x``."""
        return float(np.log(self.scale).sum())

    def transform(self, X) -> np.ndarray:
        """:math:`(X - m) / s`, in ``X``'s float dtype."""
        X = np.asarray(X)
        return ((X - self.mean) / self.scale).astype(X.dtype, copy=False)


def standardization(X, sample_weight=None) -> Standardization:
    r"""The mean :math:`m_j = \sum_i w_i x_{ij} / \sum_i w_i` and standard deviation
    :math:`s_j = \sqrt{\sum_i w_i (x_{ij} - m_j)^2 / \sum_i w_i}` of every feature of ``X``
    (unit weights when ``sample_weight`` is None).

    A constant feature (``s_j`` within :data:`CONSTANT_MARGIN` rounding errors of ``m_j``) gets
    scale 1, so it stays constant and the fit's handling of degenerate variances applies.
    """
    X = np.asarray(X, dtype=np.float64)
    weight = (
        np.ones(X.shape[0])
        if sample_weight is None
        else np.asarray(sample_weight, dtype=np.float64)
    )
    total = weight.sum()
    mean = weight @ X / total
    scale = np.sqrt(weight @ (X - mean) ** 2 / total)
    constant = scale <= CONSTANT_MARGIN * np.finfo(np.float64).eps * np.abs(mean)
    scale[constant | (scale == 0)] = 1.0
    return Standardization(mean, scale)


def scale_ratio(X) -> float:
    """Largest over smallest standard deviation of the non-constant features of ``X`` (1 when
    fewer than two vary): above :data:`SCALE_RATIO_WARNING`, fits in raw units are dominated
    by the widest features."""
    spread = np.asarray(X, dtype=np.float64).std(axis=0)
    spread = spread[spread > 0]
    return float(spread.max() / spread.min()) if spread.size > 1 else 1.0


def to_original_units(mixture, standardized: Standardization):
    r"""A new fitted :class:`~gmmkit.GaussianMixture` in the units of ``x`` from ``mixture``,
    fitted on :math:`z = (x - m) / s`.

    Means :math:`m + s\mu_k`, covariances :math:`S\Sigma_k S` (precisions and their Cholesky
    factors recomputed from them), weights, ``n_iter_``, ``converged_`` and
    ``feature_names_in_`` kept, and ``lower_bound_`` and ``lower_bounds_`` (mean
    log-likelihoods per row) shifted by :math:`-\sum_j \log s_j`. ``predict`` and
    ``predict_proba`` on ``x`` then equal those of ``mixture`` on ``z``, and ``score_samples``
    differs by exactly :math:`-\sum_j \log s_j`.

    A ``spherical`` mixture comes back ``diag``: :math:`\sigma_k^2 S^2` is no longer a multiple
    of the identity when the scales differ (see
    :meth:`~gmmkit._core.covariances.CovarianceModel.rescaled`), so its ``covariance_type``
    and ``n_parameters_`` are those of ``diag``. The initial parameters (``weights_init``,
    ``means_init``, ``precisions_init``) were in standardized units and are dropped.

    Raises
    ------
    ValueError
        For a registered covariance model that does not define ``rescaled``.
    """
    mean, scale = standardized
    d = len(scale)
    model = covariance_model(mixture.covariance_type, d)
    new_type, covariances = model.rescaled(np.asarray(mixture.covariances_, np.float64), scale)
    new_model = covariance_model(new_type, d)
    prec_chol = new_model.precision_cholesky(covariances)
    dtype = np.asarray(mixture.means_).dtype

    def cast(array):
        return np.ascontiguousarray(array, dtype=dtype)

    params = dict(
        mixture.get_params(deep=False),
        covariance_type=new_type,
        weights_init=None,
        means_init=None,
        precisions_init=None,
    )
    attributes = {
        "weights_": cast(mixture.weights_),
        "means_": cast(mean + scale * np.asarray(mixture.means_, np.float64)),
        "covariances_": cast(covariances),
        "precisions_cholesky_": cast(prec_chol),
        "precisions_": cast(new_model.precisions(prec_chol)),
        "converged_": bool(mixture.converged_),
        "n_iter_": int(mixture.n_iter_),
        "lower_bounds_": np.asarray(mixture.lower_bounds_, np.float64) - standardized.log_scale,
        "lower_bound_": float(mixture.lower_bound_) - standardized.log_scale,
        # posedness does not depend on the units
        "ill_posed_": getattr(mixture, "ill_posed_", None),
    }
    names = getattr(mixture, "feature_names_in_", None)
    if names is not None:
        attributes["feature_names_in_"] = names
    return type(mixture)._from_fitted_attributes(params, attributes)


def fit_standardized(estimator, X, sample_weight=None):
    """Fit ``estimator`` (an unfitted :class:`~gmmkit.GaussianMixture`) on the standardized
    ``X`` and return the fitted mixture in the units of ``X`` (see
    :func:`to_original_units`; a new estimator, ``estimator`` holds the standardized fit).

    The standardization is weighted by ``sample_weight``; the feature names of a DataFrame
    ``X`` are kept.
    """
    from .mixture import _check_sample_weight

    names = _get_feature_names(X)
    X = check_array(X, dtype=[np.float64, np.float32])
    standardized = standardization(X, _check_sample_weight(sample_weight, X.shape[0]))
    estimator.fit(standardized.transform(X), sample_weight=sample_weight)
    mixture = to_original_units(estimator, standardized)
    if names is not None:
        mixture.feature_names_in_ = names
    return mixture
