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
posed before ill-posed, then the higher final lower bound, the first of equals), and with
``short_runs`` pauses and resumes its later starts as that does
(:func:`gmmkit._core.fitting.next_to_resume`), so it keeps the same run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from .em import EMResult, StatisticsRequest
from .fitting import (
    EMSettings,
    FitResult,
    PausedRun,
    Start,
    begin,
    finish_run,
    kept_run,
    needs_statistics,
    next_to_resume,
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
    # per configuration: its ended runs by start index, and its runs paused after short runs
    finished: list[dict[int, EMResult]] = [{} for _ in configurations]
    paused: list[list[PausedRun]] = [[] for _ in configurations]
    initial = _initial_statistics(configurations, responsibility_statistics)
    active: list[tuple[int, PausedRun]] = []
    prepared: dict[int, Any] = {}
    for index, config in enumerate(configurations):
        try:
            key = id(config.source)
            if key not in prepared:
                prepared[key] = config.source.model.prepare(config.source)
            runs = []
            for number, start in enumerate(config.starts):
                steps, recovery = start_run(
                    config.source,
                    start,
                    config.settings,
                    prepared[key],
                    _callback(config, number),
                    initial.get((index, number)),
                )
                runs.append(begin(number, steps, recovery))
        except Exception as exc:  # this configuration alone fails
            outcomes[index] = exc
            continue
        for run in runs:
            if run.result is not None:
                _end(config, run, finished[index])
            else:
                active.append((index, run))
    rounds = 0
    while active:
        answers = statistics_of_many([cast(StatisticsRequest, run.request) for _, run in active])
        rounds += 1
        going: list[tuple[int, PausedRun]] = []
        for (index, run), answer in zip(active, answers):
            if outcomes[index] is not None:
                continue
            config = configurations[index]
            try:
                run.send(answer, config.source.total_weight)
            except Exception as exc:  # an M-step or a recovery failed: the configuration ends
                outcomes[index] = exc
                continue
            short = config.settings.short_runs
            if run.result is not None:
                _end(config, run, finished[index])
            elif short > 0 and run.index > 0 and run.answered >= short:
                paused[index].append(run)
            else:
                going.append((index, run))
        busy = {index for index, _ in going}
        for index in range(len(configurations)):
            if outcomes[index] is None and index not in busy and paused[index]:
                resumed = next_to_resume(finished[index], paused[index])
                if resumed is not None:
                    paused[index].remove(resumed)
                    going.append((index, resumed))
        if on_round is not None:
            on_round(rounds, len(active))
        active = [(index, run) for index, run in going if outcomes[index] is None]
    for index, config in enumerate(configurations):
        for run in paused[index]:
            run.steps.close()
        if outcomes[index] is not None:
            continue
        config.runs.extend(result for _, result in sorted(finished[index].items()))
        best = kept_run(finished[index])
        outcomes[index] = (
            ValueError("a lockstep configuration needs at least one start")
            if best is None
            else FitResult(best)
        )
    # every configuration has its outcome by now
    return cast(list[FitResult | Exception], outcomes)


def _end(config: Configuration, run: PausedRun, finished: dict[int, EMResult]) -> None:
    """Record the ended ``run`` of ``config`` (its initial recovery and posedness noted)."""
    assert run.result is not None  # only ended runs are recorded
    finish_run(run.result, run.recovery, None, config.ill_posed)
    finished[run.index] = run.result


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


def _callback(config: Configuration, number: int) -> Callable[[int, float, float], None] | None:
    on_iteration = config.on_iteration
    if on_iteration is None:
        return None
    return lambda n_iter, lower_bound, change: on_iteration(number, n_iter, lower_bound, change)
