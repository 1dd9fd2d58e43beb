"""Short runs first (EMSettings.short_runs): the first start runs to its end, later starts
get a few iterations and are carried on only when already more likely than every ended run
(or when none of those is well posed); alone (fit_mixture) and in lockstep alike."""

import numpy as np
import pytest

from gmmkit._config import current_options
from gmmkit._core.fitting import EMSettings, Start, fit_mixture
from gmmkit._core.lockstep import Configuration, fit_in_lockstep
from gmmkit.mixture import feature_source

SHORT = 3


def _data():
    rng = np.random.RandomState(0)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    return np.vstack([rng.normal(c, 1.0, (80, 2)) for c in centres])


def _good_labels(X):
    """The three clusters as generated."""
    return np.repeat(np.arange(3), 80)


def _poor_labels(X):
    """Two clusters merged, the third split in two: EM from here climbs slowly at first."""
    labels = np.repeat([0, 0, 1], 80)
    labels[160:][X[160:, 0] > 0.0] = 2
    return labels


class _Counting:
    """A source that counts its E-steps."""

    def __init__(self, inner):
        self.inner, self.calls = inner, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def statistics(self, theta, shared, weights_only=False):
        self.calls += 1
        return self.inner.statistics(theta, shared, weights_only)


def _alone(X, labels):
    source = feature_source(X, None, "full", 3, current_options())
    return fit_mixture(source, [Start(labels)], EMSettings(3, tol=1e-8, max_iter=300)).run


def _both(X, first, second, ill_posed=None):
    source = _Counting(feature_source(X, None, "full", 3, current_options()))
    settings = EMSettings(3, tol=1e-8, max_iter=300, short_runs=SHORT)
    fitted = fit_mixture(source, [Start(first), Start(second)], settings, ill_posed=ill_posed)
    return fitted.run, source.calls


def test_a_later_start_behind_after_its_short_run_is_dropped():
    X = _data()
    good, poor = _alone(X, _good_labels(X)), _alone(X, _poor_labels(X))
    # the case: after its short run the poor start is below where the good one ends
    assert poor.lower_bounds[SHORT - 1] < good.lower_bound
    run, calls = _both(X, _good_labels(X), _poor_labels(X))
    assert run.lower_bounds == good.lower_bounds
    assert calls == good.n_iter + SHORT  # the poor start cost its short run alone


def test_the_first_start_always_runs_to_its_end():
    X = _data()
    good, poor = _alone(X, _good_labels(X)), _alone(X, _poor_labels(X))
    run, calls = _both(X, _poor_labels(X), _good_labels(X))
    # the good start, ahead of the poor one's end after its short run, is carried on and kept
    assert good.lower_bounds[SHORT - 1] > poor.lower_bound
    assert run.lower_bounds == good.lower_bounds
    assert calls == poor.n_iter + good.n_iter


def test_an_ill_posed_first_run_hands_over_to_the_paused_one():
    X = _data()
    good, poor = _alone(X, _good_labels(X)), _alone(X, _poor_labels(X))
    first_bound = good.lower_bounds[0]

    def ill_posed(run):  # the good start's run is declared ill-posed
        return "flagged" if run.lower_bounds[0] == first_bound else None

    run, calls = _both(X, _good_labels(X), _poor_labels(X), ill_posed=ill_posed)
    assert run.ill_posed is None
    assert run.lower_bounds == poor.lower_bounds
    assert calls == good.n_iter + poor.n_iter


def test_without_short_runs_every_start_runs_to_its_end():
    X = _data()
    good, poor = _alone(X, _good_labels(X)), _alone(X, _poor_labels(X))
    source = _Counting(feature_source(X, None, "full", 3, current_options()))
    settings = EMSettings(3, tol=1e-8, max_iter=300)
    fit_mixture(source, [Start(_good_labels(X)), Start(_poor_labels(X))], settings)
    assert source.calls == good.n_iter + poor.n_iter


@pytest.mark.parametrize("order", [(0, 1, 2), (1, 0, 2), (2, 1, 0)])
def test_lockstep_keeps_the_run_fit_mixture_keeps(order):
    X = _data()
    rng = np.random.RandomState(1)
    labellings = [_good_labels(X), _poor_labels(X), rng.randint(3, size=len(X))]
    starts = [Start(labellings[i]) for i in order]
    settings = EMSettings(3, tol=1e-8, max_iter=300, short_runs=SHORT)
    source = feature_source(X, None, "full", 3, current_options())
    want = fit_mixture(source, starts, settings).run
    config = Configuration(source, starts, settings)
    rounds = []
    (outcome,) = fit_in_lockstep([config], on_round=lambda n, count: rounds.append(count))
    np.testing.assert_allclose(outcome.run.lower_bounds, want.lower_bounds, rtol=1e-12)
    # some start was left after its short run, and the E-steps answered are those of the runs
    # that ended plus the short runs of the others
    assert len(config.runs) < len(starts)
    ended = sum(run.n_iter for run in config.runs)
    assert sum(rounds) == ended + (len(starts) - len(config.runs)) * SHORT
