"""The EM loop over additive sufficient statistics, with recovery from collapsing components."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .covariances import CovarianceModel, MixtureParams, MStepContext, count_padding
from .source import FeatureSource

if TYPE_CHECKING:
    from .prior import ResolvedPrior

#: Largest factor by which a collapsed component's regularisation is raised before giving up.
MAX_REGULARIZATION_STEPS = 12
#: A component whose own variance along a feature (its fitted variance less ``reg_covar``) is at
#: most this fraction of the feature's variance sits on one value of it. Rounding in the
#: sufficient statistics is ~1e-16 of that variance (the data are centred), a real cluster of
#: this tightness would have a standard deviation 1e-4 of the feature's.
COLLAPSED_VARIANCE_RATIO = 1e-8


#: One E-step asked of :meth:`FeatureSource.statistics`: ``(source, theta, shared_prec_chol,
#: weights_only)``.
StatisticsRequest = tuple[FeatureSource, np.ndarray, np.ndarray | None, bool]


@dataclass
class EMResult:
    params: MixtureParams
    lower_bounds: list[float] = field(default_factory=list)
    converged: bool = False
    n_iter: int = 0
    #: component index -> largest amount added to its diagonal to recover it
    recovered: dict[int, float] = field(default_factory=dict)
    #: the same for the last M-step alone: what the returned parameters needed
    final_recovered: dict[int, float] = field(default_factory=dict)
    #: why the run ended ill-posed (None: well posed, or the caller did not ask; see
    #: ``fit_mixture``)
    ill_posed: str | None = None
    #: the last M-step gave back the very parameters the last E-step evaluated (their
    #: statistics repeated exactly): that E-step's log-densities are those of ``params``
    final_evaluated: bool = False
    #: the coefficients ``theta`` of that last E-step (see
    #: :meth:`gmmkit._core.source.FeatureSource.kept_rows`)
    final_theta: np.ndarray | None = None

    @property
    def lower_bound(self) -> float:
        return self.lower_bounds[-1] if self.lower_bounds else -np.inf

    def note_recovery(self, components: np.ndarray, added: float, latest: bool = True) -> None:
        """Record the recovery of one M-step; ``latest``: the latest M-step so far (not the
        initialisation's, noted after the run)."""
        if latest:
            self.final_recovered = dict.fromkeys(components.tolist(), added)
        for k in components.tolist():
            self.recovered[k] = max(self.recovered.get(k, 0.0), added)


def _factor(
    model: CovarianceModel, covariances: np.ndarray, floor: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray]:
    """Precision factors and the components that failed or collapsed below the noise floor."""
    try:
        with np.errstate(invalid="ignore", divide="ignore"):
            prec_chol = model.precision_cholesky(covariances)
    except np.linalg.LinAlgError:
        prec_chol = None
    if prec_chol is None or not np.isfinite(prec_chol).all():
        return None, model.failing_components(covariances)
    return prec_chol, model.collapsed_components(prec_chol, floor)


def safe_precision_cholesky(
    model: CovarianceModel, covariances: np.ndarray, reg_covar: float, floor: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Precision Cholesky factors, recovering components whose covariance is singular.

    A component collapses when its covariance is singular up to rounding (all its mass on one
    point or a line, a constant feature with ``reg_covar=0``): a pivot of its Cholesky factor is
    at or below ``floor``, the rounding noise of its variances. Its diagonal is raised, starting
    at ``max(reg_covar, 1e-6 * typical variance)`` and growing tenfold per step, until that is no
    longer so. ``covariances`` is updated in place so the reported covariances match.

    Returns
    -------
    prec_chol : ndarray
    recovered : ndarray of int
        The components that were regularised (empty almost always).
    added : float
        The largest total amount added to one diagonal.
    """
    prec_chol, bad = _factor(model, covariances, floor)
    if bad.size == 0:
        assert prec_chol is not None  # a factor that fails names its failing components
        return prec_chol, bad, 0.0
    recovered = bad
    scale = model.covariance_scale(np.nan_to_num(covariances, nan=0.0, posinf=0.0, neginf=0.0))
    finite_scale = scale[np.isfinite(scale) & (scale > 0)]
    reference = float(np.median(finite_scale)) if finite_scale.size else 1.0
    step = max(reg_covar, 1e-6 * reference, np.finfo(np.float64).tiny)
    added = 0.0
    for _ in range(MAX_REGULARIZATION_STEPS):
        model.regularize(covariances, bad, step)
        added += step
        prec_chol, bad = _factor(model, covariances, floor)
        if bad.size == 0:
            assert prec_chol is not None  # a factor that fails names its failing components
            return prec_chol, recovered, added
        recovered = np.union1d(recovered, bad)
        step *= 10.0
    raise ValueError(
        f"Fitting the mixture failed: the covariance of component(s) {bad.tolist()} stays "
        f"singular even with {added:.3g} added to its diagonal. Reduce n_components, increase "
        f"reg_covar (now {reg_covar:g}), or check the data for duplicated rows or constant columns."
    )


@dataclass
class MStep:
    """One M-step's input statistics and what it returned (see :func:`m_step`)."""

    stats: np.ndarray
    params: MixtureParams
    recovered: np.ndarray
    added: float


def m_step(
    model: CovarianceModel,
    stats: np.ndarray,
    context: MStepContext,
    earlier: MStep | None = None,
) -> tuple[MixtureParams, np.ndarray, float]:
    """Parameters from statistics (``model.m_step(stats, context)``), with collapsed
    components recovered (see above).

    Means, covariances and precision factors are a function of the statistics alone: when
    ``stats`` equal those of an ``earlier`` M-step bit for bit, its are returned as they are
    and only the weights are computed (``earlier`` may normalise them differently).

    Returns ``(params, recovered_components, added)``.
    """
    if earlier is not None and np.array_equal(stats, earlier.stats):
        same = earlier.params
        weights = model.mixing_weights(
            stats, context.total_weight, context.normalize_weights, context.count_padding
        )
        return (
            MixtureParams(weights, same.means, same.covariances, same.precisions_cholesky),
            earlier.recovered,
            earlier.added,
        )
    weights, means, covariances, floor = model.m_step(stats, context)
    prec_chol, recovered, added = safe_precision_cholesky(
        model, covariances, context.reg_covar, floor
    )
    return MixtureParams(weights, means, covariances, prec_chol), recovered, added


def _coefficients(
    model: CovarianceModel,
    params: MixtureParams,
    last_theta: tuple[MixtureParams, np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """``(theta, shared, weights_only)``: ``model.theta`` of ``params``; when ``last_theta``
    (earlier parameters and their coefficients) shares their means and precision factors, only
    the constant row is new, and ``weights_only`` says so."""
    if last_theta is not None:
        earlier, theta = last_theta
        if (
            params.means is earlier.means
            and params.precisions_cholesky is earlier.precisions_cholesky
        ):
            theta = theta.copy()
            theta[0] = model.theta_constant(
                params.weights, params.means, params.precisions_cholesky
            )
            return theta, None, True
    return (*model.theta(params.weights, params.means, params.precisions_cholesky), False)


#: EM as a generator of E-step requests (see :func:`em_iterations`): it yields a
#: :data:`StatisticsRequest`, is sent ``(log_likelihood, stats)`` and returns the result.
EMSteps = Generator[StatisticsRequest, tuple[float, np.ndarray], EMResult]


def degenerate_warning_text(
    model: CovarianceModel, recovered: dict[int, float], reg_covar: float
) -> str:
    """One message for all recoveries of a fit: which components, and how much was added."""
    which = model.describe_components(recovered)
    return (
        f"{which} collapsed to a singular covariance (too few distinct points, duplicated rows "
        f"or a constant feature); gmmkit added up to {max(recovered.values()):.3g} to the "
        f"diagonal to recover (reg_covar={reg_covar:g}). Consider fewer components or a larger "
        "reg_covar."
    )


def collapsed_features(
    model: CovarianceModel, params: MixtureParams, reg_covar: float
) -> dict[int, list[int]]:
    r"""The features along which fitted components sit on a single value, e.g. a 0/1 feature:
    each component takes one of its values, its variance along it is ``reg_covar`` alone, the
    Cholesky factor is fine, and no recovery (:func:`safe_precision_cholesky`) notices.

    The feature's variance comes from the fit by the law of total variance, so no pass over
    the data is needed: :math:`\sum_k \pi_k (\sigma^2_{kj} + (\mu_{kj} - \bar\mu_j)^2)`.

    Returns
    -------
    dict
        Feature index -> the components (with weight) collapsed along it; empty almost always
        (and for a covariance model without per-component variances).
    """
    weights = params.weights
    assert params.covariances is not None  # every M-step, hence every fit, sets them
    try:
        variances = model.component_variances(params.covariances, len(weights))
    except NotImplementedError:
        return {}
    own = np.maximum(variances - reg_covar, 0.0)
    centre = weights @ params.means
    total = weights @ own + weights @ (params.means - centre) ** 2
    collapsed = (own <= COLLAPSED_VARIANCE_RATIO * total) & (weights[:, None] > 0)
    return {
        int(j): np.flatnonzero(collapsed[:, j]).tolist()
        for j in np.flatnonzero(collapsed.any(axis=0))
    }


def collapsed_feature_text(
    feature: str, components: list[int], values: np.ndarray, reg_covar: float
) -> str:
    """The warning for one feature of :func:`collapsed_features`; ``values`` are its distinct
    values in the data."""
    if len(values) == 1:
        return (
            f"feature {feature} is constant ({values[0]:g}): component(s) {components} have "
            f"no variance along it but reg_covar={reg_covar:g}, which alone sets their "
            "densities; drop the feature."
        )
    if len(values) == 2:
        what = f"takes only two values ({values[0]:g} and {values[1]:g})"
    else:
        what = f"has repeated values ({len(values)} distinct)"
    return (
        f"feature {feature} {what}: component(s) {components} collapsed onto single values of "
        f"it, with no variance along it but reg_covar={reg_covar:g}, so their densities there "
        "are spikes set by reg_covar, not by the data. Drop the feature, or fit one model per "
        "value of it (for example a MixtureClassifier with it as the target)."
    )


def run_em(
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
    initial_m_step: MStep | None = None,
    reuse_fixed_points: bool = True,
    prior: ResolvedPrior | None = None,
) -> EMResult:
    r"""Run EM from ``params`` until the mean log-likelihood changes by less than ``tol``.

    Each iteration evaluates :math:`\bar\ell = \sum_i w_i \ell_i / \sum_i w_i` for the current
    parameters (the E-step) and replaces them by the maximiser given the responsibilities (the
    M-step); ``lower_bounds[t]`` is :math:`\bar\ell` of the parameters entering iteration ``t``, as
    in scikit-learn. ``data_terms`` (from ``model.prepare``) and the parameters entering the
    iteration reach every M-step in its :class:`MStepContext`.

    ``initial_m_step``, the M-step that made ``params`` (if it did), lets the first M-step
    reuse its work when the statistics come back unchanged; so does every later one with its
    predecessor's, and the coefficients of the E-step are then recomputed only in their
    constant row (the weights). ``reuse_fixed_points=False`` turns that reuse off (the
    parameters come out the same; every iteration then does all of its work).

    With a ``prior`` (:class:`gmmkit._core.prior.ResolvedPrior`) every M-step gives the
    maximum a posteriori parameters, so EM climbs the log-posterior; ``lower_bounds`` and the
    convergence test stay on the log-likelihood, as mclust's ``me*p`` routines monitor it.

    The iterations are those of :func:`em_iterations`, each E-step answered by
    ``source.statistics``; :mod:`gmmkit._core.lockstep` answers those of many runs together.
    """
    steps = em_iterations(
        source,
        params,
        reg_covar=reg_covar,
        tol=tol,
        max_iter=max_iter,
        total_weight=total_weight,
        data_terms=data_terms,
        initial_lower_bound=initial_lower_bound,
        on_iteration=on_iteration,
        initial_m_step=initial_m_step,
        reuse_fixed_points=reuse_fixed_points,
        prior=prior,
    )
    return drive(steps, lambda request: source.statistics(*request[1:]))


def drive(
    steps: EMSteps, answer: Callable[[StatisticsRequest], tuple[float, np.ndarray]]
) -> EMResult:
    """Run the generator ``steps`` of :func:`em_iterations` to its end, each E-step request
    ``(source, theta, shared_prec_chol, weights_only)`` answered by ``answer(request)``;
    returns its result."""
    try:
        request = next(steps)
        while True:
            request = steps.send(answer(request))
    except StopIteration as stop:
        return stop.value


def em_iterations(
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
    initial_m_step: MStep | None = None,
    reuse_fixed_points: bool = True,
    prior: ResolvedPrior | None = None,
) -> EMSteps:
    """:func:`run_em` as a generator that asks for its E-steps instead of making them.

    Each iteration yields the request ``(source, theta, shared_prec_chol, weights_only)`` of
    :meth:`FeatureSource.statistics` and expects to be sent its answer ``(log_likelihood,
    stats)``; the M-step, the recovery of collapsed components and the convergence test are
    done here. The generator's return value (``StopIteration.value``) is the
    :class:`EMResult`. Whoever answers the requests, the iterates are the same: one run's
    requests answered one by one (:func:`run_em`), or many runs' together, one request of
    each per round, through :func:`gmmkit._core.source.statistics_of_many`.
    """
    model = source.model
    result = EMResult(params=params)
    padding = count_padding(source.total_weight, source.n_samples)
    lower_bound = initial_lower_bound
    last_m_step, last_theta = initial_m_step, None
    for n_iter in range(1, max_iter + 1):
        previous = lower_bound
        theta, shared, weights_only = _coefficients(
            model, params, last_theta if reuse_fixed_points else None
        )
        log_likelihood, stats = yield (source, theta, shared, weights_only)
        last_theta = (params, theta) if shared is None else None
        context = MStepContext(
            reg_covar,
            total_weight,
            previous=params,
            data_terms=data_terms,
            count_padding=padding,
            prior=prior,
        )
        params, recovered, added = m_step(
            model, stats, context, earlier=last_m_step if reuse_fixed_points else None
        )
        # an M-step that gave back its predecessor's parameters left the log-densities of the
        # last E-step those of ``params`` (not after the initialisation's, whose weights are
        # normalised differently)
        result.final_evaluated = (
            n_iter > 1 and last_m_step is not None and params.means is last_m_step.params.means
        )
        result.final_theta = theta if result.final_evaluated else None
        last_m_step = MStep(stats, params, recovered, added)
        result.note_recovery(recovered, added)
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
