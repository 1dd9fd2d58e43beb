r"""SQUAREM-accelerated EM (Varadhan & Roland, 2008) with a monotone safeguard.

EM is a fixed-point iteration. Written on the sufficient statistics, one EM step is
:math:`S \mapsto G(S) = E(M(S))`: the M-step turns statistics into parameters and the E-step of
those parameters gives the next statistics. From two steps,
:math:`r = G(S) - S` and :math:`v = G(G(S)) - 2G(S) + S`, SQUAREM jumps to

.. math:: S' = S - 2\alpha r + \alpha^2 v, \qquad \alpha = \min(-\|r\| / \|v\|, -1),

(:math:`\alpha = -1` gives back :math:`G(G(S))`). The statistics are affine in the
responsibilities, so the total weight is kept exactly; when :math:`M(S')` is not a valid mixture
(a negative count, a covariance that is not positive definite) :math:`\alpha` is halved towards
-1. The jump is kept only when the log-likelihood of :math:`M(S')` is at least that of
:math:`M(G(S))`, the plain EM point, so the accelerated iterates never fall below plain EM's
path from the same start, and every log-likelihood recorded is that of the current point.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import numpy as np

from .covariances import CovarianceModel, MixtureParams, MStepContext, count_padding
from .em import EMResult, EMSteps, StatisticsRequest, drive, m_step
from .source import FeatureSource

if TYPE_CHECKING:
    from .prior import ResolvedPrior

#: How many times a jump that gives an invalid mixture is pulled back towards plain EM.
MAX_BACKTRACKS = 6


def run_squarem(
    source: FeatureSource,
    params: MixtureParams,
    *,
    reg_covar: float,
    tol: float,
    max_iter: int,
    total_weight: float,
    data_terms: Any = None,
    initial_lower_bound: float = -np.inf,
    on_iteration: Callable[[int, float, float], None] | None = None,
    prior: ResolvedPrior | None = None,
) -> EMResult:
    """Accelerated EM with the same inputs and result as :func:`gmmkit._core.em.run_em`.

    ``max_iter`` bounds the number of E-steps (each costs what one EM iteration costs); one
    SQUAREM cycle uses three. ``lower_bounds`` records the mean log-likelihood of the accepted
    point after every cycle; convergence is a change below ``tol`` between cycles. The
    E-steps are those of :func:`squarem_iterations`, answered by ``source.statistics``.
    """
    steps = squarem_iterations(
        source,
        params,
        reg_covar=reg_covar,
        tol=tol,
        max_iter=max_iter,
        total_weight=total_weight,
        data_terms=data_terms,
        initial_lower_bound=initial_lower_bound,
        on_iteration=on_iteration,
        prior=prior,
    )
    return drive(steps, lambda request: source.statistics(*request[1:]))


def squarem_iterations(
    source: FeatureSource,
    params: MixtureParams,
    *,
    reg_covar: float,
    tol: float,
    max_iter: int,
    total_weight: float,
    data_terms: Any = None,
    initial_lower_bound: float = -np.inf,
    on_iteration: Callable[[int, float, float], None] | None = None,
    prior: ResolvedPrior | None = None,
) -> EMSteps:
    """:func:`run_squarem` as a generator of E-step requests, as
    :func:`gmmkit._core.em.em_iterations` is of :func:`~gmmkit._core.em.run_em`: it yields
    ``(source, theta, shared_prec_chol, weights_only)`` and is sent ``(log_likelihood,
    stats)``; its return value is the :class:`EMResult`."""
    model = source.model
    padding = count_padding(source.total_weight, source.n_samples)
    result = EMResult(params=params)
    evaluations = 0

    def evaluate(
        point: MixtureParams,
    ) -> Generator[StatisticsRequest, tuple[float, np.ndarray], tuple[float, np.ndarray]]:
        nonlocal evaluations
        evaluations += 1
        theta, shared = model.theta(point.weights, point.means, point.precisions_cholesky)
        log_likelihood, stats = yield (source, theta, shared, False)
        return log_likelihood / total_weight, stats

    def context(previous: MixtureParams) -> MStepContext:
        return MStepContext(
            reg_covar,
            total_weight,
            previous=previous,
            data_terms=data_terms,
            count_padding=padding,
            prior=prior,
        )

    def em_update(stats: np.ndarray, previous: MixtureParams) -> MixtureParams:
        point, recovered, added = m_step(model, stats, context(previous))
        result.note_recovery(recovered, added)
        return point

    lower_bound, stats = yield from evaluate(params)
    point = params  # the parameters whose E-step gave ``stats``
    previous = initial_lower_bound
    while True:
        result.lower_bounds.append(float(lower_bound))
        change = lower_bound - previous
        if on_iteration is not None:
            on_iteration(len(result.lower_bounds), lower_bound, change)
        if abs(change) < tol:
            result.converged = True
            break
        if evaluations + 3 > max_iter:
            break
        previous = lower_bound
        first = em_update(stats, point)
        _, first_stats = yield from evaluate(first)
        second = em_update(first_stats, first)
        second_bound, second_stats = yield from evaluate(second)
        # an iterative M-step of the jump starts from plain EM's point, the nearest one
        jump = _extrapolate(model, stats, first_stats, second_stats, context(second))
        if jump is not None:
            jump_bound, jump_stats = yield from evaluate(jump)
            if np.isfinite(jump_bound) and jump_bound >= second_bound:
                lower_bound, stats, point = jump_bound, jump_stats, jump
                continue
        lower_bound, stats, point = second_bound, second_stats, second
    result.params = em_update(stats, point)
    result.n_iter = evaluations
    return result


def _extrapolate(
    model: CovarianceModel,
    stats: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    context: MStepContext,
) -> MixtureParams | None:
    """Parameters of the SQUAREM jump, or None when no valid jump beyond plain EM exists."""
    r = first - stats
    v = second - 2.0 * first + stats
    r_norm, v_norm = np.linalg.norm(r), np.linalg.norm(v)
    if not (np.isfinite(r_norm) and np.isfinite(v_norm)) or v_norm == 0.0:
        return None
    alpha = min(-r_norm / v_norm, -1.0)
    for _ in range(MAX_BACKTRACKS):
        if alpha >= -1.0 + 1e-12:
            return None
        jumped = stats - 2.0 * alpha * r + alpha**2 * v
        point = _valid_parameters(model, jumped, context)
        if point is not None:
            return point
        alpha = (alpha - 1.0) / 2.0
    return None


def _valid_parameters(
    model: CovarianceModel, stats: np.ndarray, context: MStepContext
) -> MixtureParams | None:
    """``M(stats)`` when it is a proper mixture without any regularisation beyond reg_covar."""
    if not np.isfinite(stats).all() or (stats[:, 0] <= 0).any():
        return None
    try:
        # an iterative M-step (EVE's orientation) can fail to converge on jumped statistics
        weights, means, covariances, floor = model.m_step(stats, context)
        with np.errstate(invalid="ignore", divide="ignore"):
            prec_chol = model.precision_cholesky(covariances)
    except np.linalg.LinAlgError:
        return None
    if not np.isfinite(prec_chol).all() or model.collapsed_components(prec_chol, floor).size:
        return None
    return MixtureParams(weights, means, covariances, prec_chol)
