"""The EM loop over additive sufficient statistics, with recovery from collapsing components."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .covariances import CovarianceModel, DegenerateComponentWarning, MixtureParams
from .estep import FeatureSource, e_step

#: Largest factor by which a collapsed component's regularisation is raised before giving up.
MAX_REGULARIZATION_STEPS = 12


@dataclass
class EMResult:
    params: MixtureParams
    lower_bounds: list[float] = field(default_factory=list)
    converged: bool = False
    n_iter: int = 0

    @property
    def lower_bound(self) -> float:
        return self.lower_bounds[-1] if self.lower_bounds else -np.inf


def safe_precision_cholesky(model: CovarianceModel, covariances: np.ndarray, reg_covar: float):
    """Precision Cholesky factors, recovering components whose covariance is singular.

    A component that collapsed (onto one point, a line, a constant feature with ``reg_covar=0``)
    has its diagonal raised, in steps of ten starting at ``max(reg_covar, 1e-6 * scale)``, until its
    factorisation succeeds; a :class:`DegenerateComponentWarning` says which components and by how
    much. ``covariances`` is updated in place so the reported covariances match the precisions.
    """
    try:
        with np.errstate(invalid="ignore", divide="ignore"):
            prec_chol = model.precision_cholesky(covariances)
        if np.isfinite(prec_chol).all():
            return prec_chol
    except np.linalg.LinAlgError:
        pass
    failing = model.failing_components(covariances)
    scale = model.covariance_scale(np.nan_to_num(covariances, nan=0.0, posinf=0.0, neginf=0.0))
    finite_scale = scale[np.isfinite(scale) & (scale > 0)]
    reference = float(np.median(finite_scale)) if finite_scale.size else 1.0
    amount = max(reg_covar, 1e-6 * reference, np.finfo(np.float64).tiny)
    added = 0.0
    bad = failing
    for _ in range(MAX_REGULARIZATION_STEPS):
        if bad.size == 0:
            break
        model.regularize(covariances, bad, amount - added)
        added = amount
        amount *= 10.0
        bad = model.failing_components(covariances)
    try:
        prec_chol = model.precision_cholesky(covariances)
    except np.linalg.LinAlgError:
        prec_chol = None
    if bad.size or prec_chol is None or not np.isfinite(prec_chol).all():
        raise ValueError(
            "Fitting the mixture failed: the covariance of components "
            f"{failing.tolist()} stays singular even with {added:.3g} added to its diagonal. "
            "Reduce n_components, increase reg_covar, or check the data for duplicated or "
            "constant columns."
        )
    which = "the tied covariance" if model.name == "tied" else f"component(s) {failing.tolist()}"
    warnings.warn(
        f"{which} collapsed to a singular covariance (too few distinct points); "
        f"gmmkit added {added:.3g} to the diagonal to recover (reg_covar={reg_covar:g}).",
        DegenerateComponentWarning,
        stacklevel=4,
    )
    return prec_chol


def m_step(model, stats, reg_covar, total_weight, total_scatter, normalize_weights=True):
    """Parameters from statistics, with collapsed components recovered (see above)."""
    weights, means, covariances = model.m_step(
        stats, reg_covar, total_weight, total_scatter, normalize_weights
    )
    prec_chol = safe_precision_cholesky(model, covariances, reg_covar)
    return MixtureParams(weights, means, covariances, prec_chol)


def run_em(
    source: FeatureSource,
    params: MixtureParams,
    *,
    reg_covar: float,
    tol: float,
    max_iter: int,
    sample_weight: np.ndarray | None,
    total_weight: float,
    total_scatter: np.ndarray | None,
    initial_lower_bound: float = -np.inf,
    on_iteration: Callable[[int, float, float], None] | None = None,
) -> EMResult:
    r"""Run EM from ``params`` until the mean log-likelihood changes by less than ``tol``.

    Each iteration evaluates :math:`\bar\ell = \sum_i w_i \ell_i / \sum_i w_i` for the current
    parameters (the E-step) and replaces them by the maximiser given the responsibilities (the
    M-step); ``lower_bounds[t]`` is :math:`\bar\ell` of the parameters entering iteration ``t``, as
    in scikit-learn.
    """
    model = source.model
    result = EMResult(params=params)
    lower_bound = initial_lower_bound
    for n_iter in range(1, max_iter + 1):
        previous = lower_bound
        theta, shared = model.theta(params.weights, params.means, params.precisions_cholesky)
        log_likelihood, stats = e_step(source, theta, shared, sample_weight)
        params = m_step(model, stats, reg_covar, total_weight, total_scatter)
        lower_bound = log_likelihood / total_weight
        result.lower_bounds.append(float(lower_bound))
        result.params = params
        result.n_iter = n_iter
        change = lower_bound - previous
        if on_iteration is not None:
            on_iteration(n_iter, lower_bound, change)
        if abs(change) < tol:
            result.converged = True
            break
    return result
