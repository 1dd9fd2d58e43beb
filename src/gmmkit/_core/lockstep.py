r"""EM in lockstep: many fits advanced one iteration at a time, all their E-steps together.

A sweep over configurations (values of ``n_components``, covariance types, starts) fitted one
after another reads the data once per iteration *of each configuration*. When reading the data
is what costs (blocks of a Dask array on disk or on a cluster), the E-steps of every
configuration still running can instead be answered from one read of each block: a round asks
every active run for its next E-step request ``(source, theta, shared_prec_chol,
weights_only)``, answers them all through :func:`gmmkit._core.source.statistics_of_many` (one
pass for a Dask source, one call per request for the others) and sends each run its
``(log_likelihood, stats)``. A sweep then costs as many passes as its longest run has
iterations, not the sum of all runs' iterations.

Every run is the generator of :func:`gmmkit._core.fitting.start_run` (EM or SQUAREM, with the
same M-steps, recovery of collapsed components, prior and convergence test as
:func:`gmmkit._core.fitting.fit_mixture`), so a configuration fitted in lockstep follows exactly
the iterates it would follow alone; a run that has converged (or reached ``max_iter``) leaves
the later rounds. Each configuration keeps its best start as :func:`fit_mixture` does (well
posed before ill-posed, then the higher final lower bound, the first of equals).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from .em import EMResult, EMSteps, StatisticsRequest
from .fitting import (
    EMSettings,
    FitResult,
    Recovery,
    Start,
    finish_run,
    needs_statistics,
    ranks_above,
    start_run,
)
from .source import FeatureSource, responsibility_statistics_of_many, statistics_of_many


@dataclass
class Configuration:
    """One fit of a lockstep sweep: its data, its starts and its settings.

    ``ill_posed`` says why a run's result is ill-posed (see :func:`fit_mixture`);
    ``on_iteration(start_index, n_iter, lower_bound, change)`` is called after each
    iteration of each of its runs.
    """

    source: FeatureSource
    starts: Sequence[Start]
    settings: EMSettings
    ill_posed: Callable[[EMResult], str | None] | None = None
    on_iteration: Callable[[int, int, float, float], None] | None = None
    #: the runs' results, in the order of ``starts`` (filled by :func:`fit_in_lockstep`)
    runs: list[EMResult] = field(default_factory=list)


@dataclass
class _Run:
    configuration: int
    start: int
    steps: EMSteps
    recovery: Recovery
    request: StatisticsRequest | None = None


def fit_in_lockstep(
    configurations: Sequence[Configuration],
    on_round: Callable[[int, int], None] | None = None,
    responsibility_statistics: Callable[[list[tuple[Any, ...]]], list[np.ndarray]] | None = None,
) -> list[FitResult | Exception]:
    """Fit every configuration from each of its starts, all runs in lockstep.

    Before the first round, the statistics of every start given as responsibilities (the
    input of its first M-step) are asked for together, as one more round.

    Parameters
    ----------
    configurations : sequence of Configuration
        Several may share a source (one per covariance type serves every ``n_components``).
    on_round : callable, optional
        Called after each round with ``(round_index, n_requests)``: the round's number from 1
        and how many E-steps it answered together.
    responsibility_statistics : callable, optional
        Answers a list of requests ``(source, resp, n_components)`` with their statistics, in
        order; :func:`gmmkit._core.source.responsibility_statistics_of_many` by default.

    Returns
    -------
    list of FitResult or Exception
        Per configuration, in order: its kept run (``rows`` is None: score the parameters
        with :func:`gmmkit._core.fitting.score_rows`), or the exception that ended it (an
        initial M-step or a recovery that failed; the other configurations go on).
    """
    outcomes: list[FitResult | Exception | None] = [None] * len(configurations)
    # per configuration and start: (result, recovery), filled as each run ends
    results: list[list[Any]] = [[None] * len(config.starts) for config in configurations]
    initial = _initial_statistics(configurations, responsibility_statistics)
    active: list[_Run] = []
    prepared: dict[int, Any] = {}
    for index, config in enumerate(configurations):
        if outcomes[index] is not None:
            continue
        try:
            key = id(config.source)
            if key not in prepared:
                prepared[key] = config.source.model.prepare(config.source)
            for number, start in enumerate(config.starts):
                steps, recovery = start_run(
                    config.source,
                    start,
                    config.settings,
                    prepared[key],
                    _callback(config, number),
                    initial.get((index, number)),
                )
                active.append(_Run(index, number, steps, recovery))
        except Exception as exc:  # this configuration alone fails
            outcomes[index] = exc
            active = [run for run in active if run.configuration != index]
    for run in active:
        _advance(run, None, outcomes, results)
    active = [run for run in active if run.request is not None]
    rounds = 0
    while active:
        answers = statistics_of_many([run.request for run in active if run.request is not None])
        rounds += 1
        for run, answer in zip(active, answers):
            if outcomes[run.configuration] is None:
                _advance(run, answer, outcomes, results)
        if on_round is not None:
            on_round(rounds, len(active))
        active = [
            run for run in active if run.request is not None and outcomes[run.configuration] is None
        ]
    for index, config in enumerate(configurations):
        if outcomes[index] is not None:
            continue
        best = None
        for run, recovery in results[index]:
            finish_run(run, recovery, None, config.ill_posed)
            config.runs.append(run)
            if best is None or ranks_above(run, best):
                best = run
        outcomes[index] = (
            ValueError("a lockstep configuration needs at least one start")
            if best is None
            else FitResult(best)
        )
    # every configuration has its outcome by now
    return cast(list[FitResult | Exception], outcomes)


def _initial_statistics(
    configurations: Sequence[Configuration],
    answer: Callable[[list[tuple[Any, ...]]], list[np.ndarray]] | None,
) -> dict[tuple[int, int], np.ndarray]:
    """``{(configuration, start): stats}`` of every start given as responsibilities, asked
    for in one call of ``answer``; should it fail, the starts' own M-steps ask one by one
    and report their errors per configuration."""
    asked = [
        (index, number)
        for index, config in enumerate(configurations)
        for number, start in enumerate(config.starts)
        if needs_statistics(start)
    ]
    if not asked:
        return {}
    requests = [
        (
            configurations[i].source,
            configurations[i].starts[j].responsibilities,
            configurations[i].settings.n_components,
        )
        for i, j in asked
    ]
    try:
        answers = (responsibility_statistics_of_many if answer is None else answer)(requests)
    except Exception:
        return {}
    return dict(zip(asked, answers))


def _advance(
    run: _Run,
    answer: tuple[float, np.ndarray] | None,
    outcomes: list[FitResult | Exception | None],
    results: list[list[Any]],
) -> None:
    """Send ``run`` its answer (None: start it) and keep its next request, or its result."""
    try:
        run.request = next(run.steps) if answer is None else run.steps.send(answer)
    except StopIteration as stop:
        run.request = None
        results[run.configuration][run.start] = (stop.value, run.recovery)
    except Exception as exc:
        run.request = None
        outcomes[run.configuration] = exc


def _callback(config: Configuration, number: int) -> Callable[[int, float, float], None] | None:
    on_iteration = config.on_iteration
    if on_iteration is None:
        return None
    return lambda n_iter, lower_bound, change: on_iteration(number, n_iter, lower_bound, change)
