r"""The functional core of a fit: (feature source, starts, settings) -> result, no estimator.

``GaussianMixture.fit``, model selection and the classifiers all fit through
:func:`fit_mixture`; it runs EM (or SQUAREM) from each start, keeps the run with the highest
final mean log-likelihood and, when asked, the per-row outputs of its last E-step, so that a
caller scoring the fitted parameters on the same data need not pass over it again.

A start is one of (see :class:`Start`):

* initial responsibilities (hard labels or dense), whose M-step gives the first parameters,
  with any of the weights, means and precisions then replaced by given ones;
* complete parameters (all three given, or a warm start from an earlier fit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .covariances import MixtureParams, MStepContext, count_padding
from .em import EMResult, EMSteps, MStep, StatisticsRequest, drive, em_iterations, m_step
from .source import FeatureSource
from .squarem import squarem_iterations

if TYPE_CHECKING:
    from .prior import ResolvedPrior

#: The recovery of a run's initial M-step: ``(components, added)`` (see
#: :func:`gmmkit._core.em.safe_precision_cholesky`).
Recovery = tuple[np.ndarray, float]


@dataclass(frozen=True)
class EMSettings:
    """What a fit needs besides its data and starts (scikit-learn's names and meanings)."""

    n_components: int
    reg_covar: float = 1e-6
    tol: float = 1e-3
    max_iter: int = 100
    #: SQUAREM-accelerated EM (:mod:`gmmkit._core.squarem`)
    accelerate: bool = False
    #: reuse work where EM's statistics repeat exactly (see :func:`gmmkit._core.em.run_em`)
    reuse_fixed_points: bool = True
    #: mclust's conjugate prior in the source's shifted coordinates
    #: (:class:`gmmkit._core.prior.ResolvedPrior`), or None for maximum likelihood
    prior: ResolvedPrior | None = None
    #: with several starts, the first runs to its end and every other this many iterations
    #: first, carried on only when more likely than the runs ended so far
    #: (:func:`next_to_resume`); 0 runs every start to its end
    short_runs: int = 0


@dataclass(frozen=True)
class Start:
    """One initialisation of EM, in the source's shifted coordinates.

    Give either ``responsibilities`` (``(n_samples,)`` hard labels with ``-1`` for unassigned
    rows, or dense ``(n_samples, K)``), optionally with ``weights`` / ``means`` /
    ``precisions`` that replace those of the first M-step, or ``params`` (complete parameters,
    with ``lower_bound`` the mean log-likelihood they had, for a warm start).
    """

    responsibilities: np.ndarray | None = None
    weights: np.ndarray | None = None
    means: np.ndarray | None = None
    precisions: np.ndarray | None = None
    params: MixtureParams | None = None
    lower_bound: float = -np.inf


@dataclass
class FitResult:
    """The kept run of :func:`fit_mixture`.

    ``run`` is its :class:`~gmmkit._core.em.EMResult` (parameters, lower bounds, convergence,
    recovered components); ``rows`` the requested per-row outputs of the fitted parameters on
    the source's data, when its last E-step evaluated exactly them and the source kept that
    pass's log-densities (else None: score the parameters with :func:`score_rows`).
    """

    run: EMResult
    rows: np.ndarray | None = None


def needs_statistics(start: Start) -> bool:
    """Whether ``start`` begins with an M-step on the statistics of its responsibilities
    (:meth:`FeatureSource.responsibility_statistics`), i.e. is not complete parameters."""
    return start.params is None and (
        start.weights is None or start.means is None or start.precisions is None
    )


def initial_parameters(
    source: FeatureSource,
    start: Start,
    settings: EMSettings,
    data_terms: Any = None,
    stats: np.ndarray | None = None,
) -> tuple[MixtureParams, Recovery, MStep | None]:
    """Parameters to start EM from, with the first M-step's recovery ``(components, added)``
    and, when nothing replaced its output, that M-step (which EM may reuse). ``stats``: the
    statistics of the start's responsibilities when the caller computed them already (with
    those of other starts, in one pass); else they are computed here."""
    model = source.model
    no_recovery: Recovery = (np.empty(0, dtype=int), 0.0)
    if start.params is not None:
        return start.params, no_recovery, None
    if start.weights is not None and start.means is not None and start.precisions is not None:
        prec_chol = model.precision_cholesky_from_precisions(start.precisions)
        covariances = model.invert(model.precisions(prec_chol))
        return MixtureParams(start.weights, start.means, covariances, prec_chol), no_recovery, None
    if stats is None:
        assert start.responsibilities is not None  # a Start gives them or complete parameters
        stats = source.responsibility_statistics(start.responsibilities, settings.n_components)
    context = MStepContext(
        settings.reg_covar,
        source.total_weight,
        normalize_weights=False,
        data_terms=data_terms,
        prior=settings.prior,
        count_padding=count_padding(source.total_weight, source.n_samples),
    )
    params, recovered, added = m_step(model, stats, context)
    replaced = start.weights is not None or start.means is not None or start.precisions is not None
    initial = None if replaced else MStep(stats, params, recovered, added)
    if start.weights is not None:
        params.weights = start.weights
    if start.means is not None:
        params.means = start.means
    if start.precisions is not None:
        params.precisions_cholesky = model.precision_cholesky_from_precisions(start.precisions)
        params.covariances = model.invert(model.precisions(params.precisions_cholesky))
    return params, (recovered, added), initial


def fit_mixture(
    source: FeatureSource,
    starts: Iterable[Start],
    settings: EMSettings,
    *,
    rows: str | None = None,
    on_run_start: Callable[[int], Callable[[int, float, float], None] | None] | None = None,
    on_run_end: Callable[[EMResult], None] | None = None,
    ill_posed: Callable[[EMResult], str | None] | None = None,
) -> FitResult:
    """Run EM from every start and keep the run with the highest final lower bound (the first
    of equals), a well-posed run before any ill-posed one when ``ill_posed`` says which are.
    With ``settings.short_runs``, starts after the first are run that many iterations and
    carried on only as :func:`next_to_resume` says.

    Parameters
    ----------
    source : FeatureSource
    starts : iterable of Start
        Consumed one at a time, so a start drawn at random is drawn just before its run.
    settings : EMSettings
    rows : {'log_prob_norm', 'resp', 'argmax', 'summary'} or None
        Per-row outputs to return with the result when the kept run's last E-step evaluated
        exactly its final parameters (see :attr:`FitResult.rows`).
    on_run_start : callable, optional
        Called with each run's index before it starts; may return a per-iteration callback
        ``(n_iter, lower_bound, change)`` for that run.
    on_run_end : callable, optional
        Called with each run's result.
    ill_posed : callable, optional
        Why a run's result is ill-posed, or None (see :mod:`gmmkit._core.posedness`): its higher
        likelihood then measures the regularisation, so it never beats a well-posed run.
    """
    data_terms = source.model.prepare(source)

    def answer(request: StatisticsRequest) -> tuple[float, np.ndarray]:
        return source.statistics(*request[1:])

    finished: dict[int, EMResult] = {}
    paused: list[PausedRun] = []
    last: EMResult | None = None
    for index, start in enumerate(starts):
        on_iteration = on_run_start(index) if on_run_start is not None else None
        steps, recovery = start_run(source, start, settings, data_terms, on_iteration)
        if settings.short_runs > 0 and index > 0:
            run = begin(index, steps, recovery)
            advance(run, answer, settings.short_runs)
            if run.result is None:
                paused.append(run)
                continue
            last = run.result
        else:
            last = drive(steps, answer)
        finish_run(last, recovery, on_run_end, ill_posed)
        finished[index] = last
    while (resumed := next_to_resume(finished, paused)) is not None:
        paused.remove(resumed)
        advance(resumed, answer)
        assert resumed.result is not None  # advanced without a limit, the run ended
        last = resumed.result
        finish_run(last, resumed.recovery, on_run_end, ill_posed)
        finished[resumed.index] = last
    for run in paused:
        run.steps.close()
    best = kept_run(finished)
    if best is None:
        raise ValueError("fit_mixture needs at least one start")
    final_rows = None
    if rows is not None and best is last and best.final_evaluated and best.final_theta is not None:
        # the last E-step's coefficients are the fitted parameters': a source that kept that
        # pass's log-densities gives their per-row outputs without another pass
        final_rows = source.kept_rows(best.final_theta, rows)
    return FitResult(best, final_rows)


def start_run(
    source: FeatureSource,
    start: Start,
    settings: EMSettings,
    data_terms: Any,
    on_iteration: Callable[[int, float, float], None] | None = None,
    stats: np.ndarray | None = None,
) -> tuple[EMSteps, Recovery]:
    """The run of EM (or SQUAREM) from ``start`` as a generator of E-step requests (see
    :func:`gmmkit._core.em.em_iterations`), with the recovery ``(components, added)`` of
    its initial M-step, which :func:`finish_run` records (``stats``: see
    :func:`initial_parameters`)."""
    params, recovery, initial = initial_parameters(source, start, settings, data_terms, stats)
    options: dict[str, Any] = {
        "reg_covar": settings.reg_covar,
        "tol": settings.tol,
        "max_iter": settings.max_iter,
        "total_weight": source.total_weight,
        "data_terms": data_terms,
        "initial_lower_bound": start.lower_bound,
        "on_iteration": on_iteration,
        "prior": settings.prior,
    }
    if settings.accelerate:
        return squarem_iterations(source, params, **options), recovery
    return em_iterations(
        source,
        params,
        initial_m_step=initial,
        reuse_fixed_points=settings.reuse_fixed_points,
        **options,
    ), recovery


def finish_run(
    run: EMResult,
    recovery: Recovery,
    on_run_end: Callable[[EMResult], None] | None = None,
    ill_posed: Callable[[EMResult], str | None] | None = None,
) -> None:
    """Complete the result of a run of :func:`start_run`: its initial recovery noted, then
    ``on_run_end`` called and ``run.ill_posed`` set by ``ill_posed`` (see
    :func:`fit_mixture`)."""
    run.note_recovery(*recovery, latest=False)
    if on_run_end is not None:
        on_run_end(run)
    if ill_posed is not None:
        run.ill_posed = ill_posed(run)


def score_rows(source: FeatureSource, params: MixtureParams, want: str) -> np.ndarray:
    """Per-row outputs (see :meth:`FeatureSource.per_row`) of ``params``, in the source's
    shifted coordinates, on its data."""
    theta, shared = source.model.theta(params.weights, params.means, params.precisions_cholesky)
    return source.per_row(theta, shared, want)


@dataclass
class PausedRun:
    """A run of :func:`start_run` advanced by hand: its next E-step request (None once it
    ended, its result then set) and the mean log-likelihood of the parameters its last
    answered E-step evaluated."""

    index: int
    steps: EMSteps
    recovery: Recovery
    request: StatisticsRequest | None
    lower_bound: float = -np.inf
    result: EMResult | None = None
    #: how many of its requests were answered
    answered: int = 0

    def send(self, reply: tuple[float, np.ndarray], total_weight: float) -> None:
        """Answer the pending request with ``reply`` and keep the next one (or the result)."""
        self.lower_bound = reply[0] / total_weight
        self.answered += 1
        try:
            self.request = self.steps.send(reply)
        except StopIteration as stop:
            self.request, self.result = None, stop.value


def begin(index: int, steps: EMSteps, recovery: Recovery) -> PausedRun:
    """Start the run ``steps`` (number ``index``) up to its first E-step request."""
    run = PausedRun(index, steps, recovery, None)
    try:
        run.request = next(steps)
    except StopIteration as stop:  # max_iter=0: the run ends before any E-step
        run.result = stop.value
    return run


def advance(
    run: PausedRun,
    answer: Callable[[StatisticsRequest], tuple[float, np.ndarray]],
    iterations: int | None = None,
) -> None:
    """Answer ``run``'s requests with ``answer``, ``iterations`` of them (None: to its end)."""
    done = 0
    while run.request is not None and (iterations is None or done < iterations):
        run.send(answer(run.request), run.request[0].total_weight)
        done += 1


def next_to_resume(finished: dict[int, EMResult], paused: list[PausedRun]) -> PausedRun | None:
    r"""The paused run to carry on after the short runs (:attr:`EMSettings.short_runs`), or
    None when the kept run is settled.

    A variant of the *short runs first* strategy of Biernacki, Celeux & Govaert (2003,
    "Choosing starting values for the EM algorithm", CSDA 41), which gives every start a few
    iterations and runs only the most likely to convergence: here the first start (a sweep's
    hierarchical one, mclust's own) always runs to its end, since a start that climbs slowly
    at first can still end highest, and another start is carried on only when after its short
    run it is already more likely than every run that ended (EM only climbs, so it would end
    higher still) or when none of those is well posed. The most likely paused run is resumed
    first; one that ends ill-posed hands over to the next, and well posed still ranks before
    ill-posed (:func:`ranks_above`). ``finished``: the ended runs by start index.
    """
    if not paused:
        return None
    candidate = max(paused, key=lambda run: (run.lower_bound, -run.index))
    best = kept_run(finished)
    if best is None or best.ill_posed is not None or candidate.lower_bound > best.lower_bound:
        return candidate
    return None


def kept_run(runs: dict[int, EMResult]) -> EMResult | None:
    """The run a fit keeps of ``runs`` (by start index; :func:`ranks_above`, the first start
    of equals), None when there are none."""
    best = None
    for _, run in sorted(runs.items()):
        if best is None or ranks_above(run, best):
            best = run
    return best


def ranks_above(run: EMResult, best: EMResult) -> bool:
    """Whether ``run`` replaces the best run so far: well posed before ill-posed, then the
    higher lower bound."""
    if (run.ill_posed is None) != (best.ill_posed is None):
        return run.ill_posed is None
    return run.lower_bound > best.lower_bound
