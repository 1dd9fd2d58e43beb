"""EM in lockstep (gmmkit._core.lockstep): many fits, one round of E-steps at a time, each
following exactly the iterates it follows alone."""

import numpy as np
import pytest

from gmmkit._config import current_options
from gmmkit._core.covariances import covariance_model
from gmmkit._core.fitting import EMSettings, Start, fit_mixture
from gmmkit._core.init import initial_responsibilities
from gmmkit._core.lockstep import Configuration, fit_in_lockstep
from gmmkit._core.posedness import feature_variances, ill_posed_reason
from gmmkit._core.prior import resolve_prior
from gmmkit.mixture import feature_source

TYPES = ("full", "tied", "diag", "spherical")


def _data():
    rng = np.random.RandomState(3)
    centres = np.array([[0.0, 0.0, 0.0], [5.0, 5.0, 0.0], [0.0, 6.0, 4.0]])
    X = np.vstack([rng.normal(c, 1.0, (60, 3)) for c in centres])
    return X, rng.uniform(0.5, 2.0, len(X))


def _ill_posed(source, X, weight):
    variances = feature_variances(X, weight)

    def reason(run):
        return ill_posed_reason(
            source.model,
            run.params.weights,
            run.params.covariances,
            n_samples=X.shape[0],
            data_variances=variances,
            reg_covar=1e-6,
            recovered=run.final_recovered if run.n_iter else run.recovered,
        )

    return reason


def _configurations(X, weight, *, shared_sources, accelerate=False, prior=None, ks=(1, 2, 3, 4)):
    """``(configuration, expected FitResult)`` pairs over ks x TYPES, two starts each."""
    sources = {}
    pairs = []
    for covariance_type in TYPES:
        for k in ks:
            if shared_sources:
                source = sources.setdefault(
                    covariance_type,
                    feature_source(X, weight, covariance_type, max(ks), current_options()),
                )
            else:
                source = feature_source(X, weight, covariance_type, k, current_options())
            alone = feature_source(X, weight, covariance_type, k, current_options())
            rng = np.random.RandomState(k)
            starts = [
                Start(initial_responsibilities(X, k, method, rng, weight))
                for method in ("random_from_data", "kmeans")
            ]
            resolved = None
            if prior is not None:
                resolved = resolve_prior(
                    prior, X, weight, k, covariance_model(covariance_type, X.shape[1])
                )
            settings = EMSettings(
                k,
                tol=1e-6,
                max_iter=200,
                accelerate=accelerate,
                prior=None if resolved is None else resolved.shifted(source.shift),
            )
            alone_settings = EMSettings(
                k,
                tol=1e-6,
                max_iter=200,
                accelerate=accelerate,
                prior=None if resolved is None else resolved.shifted(alone.shift),
            )
            expected = fit_mixture(
                alone, starts, alone_settings, ill_posed=_ill_posed(alone, X, weight)
            )
            pairs.append(
                (
                    Configuration(
                        source, starts, settings, ill_posed=_ill_posed(source, X, weight)
                    ),
                    expected,
                )
            )
    return pairs


def _assert_same_fit(got, expected, exact=True):
    run, want = got.run, expected.run
    assert run.n_iter == want.n_iter
    assert run.converged == want.converged
    assert run.ill_posed == want.ill_posed
    assert run.recovered == want.recovered
    if exact:
        assert run.lower_bounds == want.lower_bounds
        np.testing.assert_array_equal(run.params.means, want.params.means)
        np.testing.assert_array_equal(run.params.covariances, want.params.covariances)
    else:
        np.testing.assert_allclose(run.lower_bounds, want.lower_bounds, rtol=1e-12)
        np.testing.assert_allclose(run.params.means, want.params.means, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("accelerate", [False, True])
def test_every_configuration_follows_the_iterates_it_follows_alone(accelerate):
    X, weight = _data()
    pairs = _configurations(X, weight, shared_sources=False, accelerate=accelerate)
    outcomes = fit_in_lockstep([config for config, _ in pairs])
    for outcome, (_, expected) in zip(outcomes, pairs):
        _assert_same_fit(outcome, expected)


def test_configurations_sharing_a_source_agree_to_rounding():
    # a shared in-memory source cannot update the log-densities of one configuration in place
    # after another's E-step, so it recomputes them: the same numbers up to rounding
    X, weight = _data()
    pairs = _configurations(X, weight, shared_sources=True)
    outcomes = fit_in_lockstep([config for config, _ in pairs])
    for outcome, (_, expected) in zip(outcomes, pairs):
        _assert_same_fit(outcome, expected, exact=False)


def test_with_a_prior_the_map_iterates_are_those_of_the_fit_alone():
    X, weight = _data()
    pairs = _configurations(X, weight, shared_sources=False, prior="default", ks=(2, 5))
    outcomes = fit_in_lockstep([config for config, _ in pairs])
    for outcome, (_, expected) in zip(outcomes, pairs):
        _assert_same_fit(outcome, expected)


def test_a_round_answers_only_the_runs_still_going():
    X, weight = _data()
    pairs = _configurations(X, weight, shared_sources=False, ks=(1, 3))
    rounds = []
    outcomes = fit_in_lockstep(
        [config for config, _ in pairs], on_round=lambda number, count: rounds.append(count)
    )
    runs = [run for config, _ in pairs for run in config.runs]
    longest = max(run.n_iter for run in runs)
    assert len(rounds) == longest
    # every E-step of every run was answered once, converged runs dropping out
    assert sum(rounds) == sum(run.n_iter for run in runs)
    assert rounds == sorted(rounds, reverse=True) and rounds[-1] < rounds[0]
    for outcome in outcomes:
        assert outcome.run.n_iter < longest or outcome.run.n_iter == longest


def test_collapsed_components_are_recovered_as_the_fit_alone_recovers_them():
    # 5 distinct points repeated: a 4-component full fit puts components on single points
    rng = np.random.RandomState(0)
    X = np.repeat(rng.normal(size=(5, 2)), 20, axis=0)
    labels = np.repeat(np.arange(4), 25)
    starts = [Start(labels)]
    settings = EMSettings(4, reg_covar=0.0, tol=1e-6, max_iter=50)
    alone = fit_mixture(feature_source(X, None, "full", 4, current_options()), starts, settings)
    assert alone.run.recovered  # the case recovers
    source = feature_source(X, None, "full", 4, current_options())
    (outcome,) = fit_in_lockstep([Configuration(source, starts, settings)])
    _assert_same_fit(outcome, alone)


class _Breaking:
    """A source whose E-steps turn to NaN after ``after`` calls (a fit that breaks midway)."""

    def __init__(self, inner, after):
        self.inner, self.after, self.calls = inner, after, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def statistics(self, theta, shared, weights_only=False):
        self.calls += 1
        log_likelihood, stats = self.inner.statistics(theta, shared, weights_only)
        return (
            (log_likelihood, stats * np.nan) if self.calls > self.after else (log_likelihood, stats)
        )


def test_a_failing_configuration_is_reported_and_the_others_go_on():
    X, weight = _data()
    source = feature_source(X, weight, "full", 2, current_options())
    starts = [Start(initial_responsibilities(X, 2, "kmeans", np.random.RandomState(0), weight))]
    settings = EMSettings(2, tol=1e-9)
    unstartable = Configuration(source, [Start(np.zeros((len(X), 7)))], settings)
    breaking = Configuration(_Breaking(source, after=1), starts, settings)
    fine = Configuration(source, starts, settings)
    rounds = []
    failed, broke, outcome = fit_in_lockstep(
        [unstartable, breaking, fine], on_round=lambda n, count: rounds.append(count)
    )
    assert isinstance(failed, Exception) and isinstance(broke, Exception)
    _assert_same_fit(outcome, fit_mixture(source, starts, settings), exact=False)
    # the broken run leaves after its second E-step, the fine one goes on alone
    assert rounds == [2, 2] + [1] * (outcome.run.n_iter - 2)


def test_on_iteration_reports_each_start_of_a_configuration():
    X, weight = _data()
    ((config, _),) = _configurations(X, weight, shared_sources=False, ks=(2,))[:1]
    seen = {}
    config.on_iteration = lambda start, n_iter, bound, change: seen.setdefault(start, []).append(
        bound
    )
    fit_in_lockstep([config])
    assert sorted(seen) == [0, 1]
    assert [seen[i] for i in (0, 1)] == [run.lower_bounds for run in config.runs]


def test_the_first_m_steps_of_every_start_are_asked_for_in_one_call():
    X, weight = _data()
    pairs = _configurations(X, weight, shared_sources=False, ks=(2, 3))
    calls = []

    def answer(requests):
        calls.append(len(requests))
        return [source.responsibility_statistics(resp, k) for source, resp, k in requests]

    outcomes = fit_in_lockstep([config for config, _ in pairs], responsibility_statistics=answer)
    assert calls == [sum(len(config.starts) for config, _ in pairs)]
    for outcome, (_, expected) in zip(outcomes, pairs):
        _assert_same_fit(outcome, expected)
