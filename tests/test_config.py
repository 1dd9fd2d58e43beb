"""The configuration is per thread, read once per call and handed explicitly to worker threads."""

import threading
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs

import gmmkit
from gmmkit import GaussianMixture, config_context, get_config, select, set_config
from gmmkit.backends.numpy import NumpySource

DEFAULTS = {
    "working_memory": 16,
    "feature_cache_memory": 256,
    "reuse_fixed_points": True,
    "parallel_min_work": 5e7,
    "on_iteration": None,
    "dask_persist": "auto",
}


@pytest.fixture
def blobs():
    X, _ = make_blobs(300, centers=4, n_features=3, random_state=0)
    return X


@pytest.fixture
def source_options(monkeypatch):
    """The options every feature source is built with, and the thread that built it."""
    seen = []
    real_init = NumpySource.__init__

    def recording_init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        seen.append((kwargs.get("options"), threading.current_thread()))

    monkeypatch.setattr(NumpySource, "__init__", recording_init)
    return seen


def test_defaults_and_context_restore():
    assert get_config() == DEFAULTS
    with config_context(working_memory=4) as options:
        assert options.working_memory == 4 and options.chunk_bytes == 4 * 2**20
        with config_context(reuse_fixed_points=False):
            assert get_config() == {**DEFAULTS, "working_memory": 4, "reuse_fixed_points": False}
        assert get_config()["reuse_fixed_points"] is True
    assert get_config() == DEFAULTS
    with pytest.raises(RuntimeError), config_context(working_memory=1):
        raise RuntimeError("an error inside restores it too")
    assert get_config() == DEFAULTS


def test_set_config_changes_only_the_calling_thread():
    seen = {}

    def other():
        set_config(working_memory=2)
        seen["other"] = get_config()["working_memory"]

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen["other"] == 2
    assert get_config() == DEFAULTS


def test_a_context_in_one_thread_is_not_seen_in_another():
    inside, checked = threading.Event(), threading.Event()
    seen = {}

    def other():
        inside.wait()
        seen["other"] = get_config()["working_memory"]
        checked.set()

    thread = threading.Thread(target=other)
    thread.start()
    with config_context(working_memory=3):
        inside.set()
        checked.wait()
    thread.join()
    assert seen["other"] == DEFAULTS["working_memory"]


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"chunk_bytes": 1}, TypeError, "unknown gmmkit option 'chunk_bytes'"),
        ({"working_memory": -1}, ValueError, "working_memory must be a finite number >= 0"),
        ({"working_memory": float("nan")}, ValueError, "working_memory"),
        ({"feature_cache_memory": "big"}, TypeError, "feature_cache_memory must be a number"),
        ({"reuse_fixed_points": 1}, TypeError, "reuse_fixed_points must be True or False"),
    ],
)
def test_bad_options_are_refused_and_change_nothing(changes, error, match):
    with pytest.raises(error, match=match), config_context(**changes):
        pass
    with pytest.raises(error, match=match):
        set_config(**changes)
    assert get_config() == DEFAULTS


def test_a_fit_uses_the_configuration_of_its_call(blobs, source_options):
    with config_context(working_memory=1, feature_cache_memory=0):
        model = GaussianMixture(4, random_state=0).fit(blobs)
    assert source_options  # the fit's source and its final labelling pass
    assert {options.working_memory for options, _ in source_options} == {1}
    assert model.score(blobs) == GaussianMixture(4, random_state=0).fit(blobs).score(blobs)


@pytest.mark.slow
def test_sweep_workers_compute_with_the_callers_configuration(blobs, source_options):
    with warnings.catch_warnings(), config_context(parallel_min_work=0, working_memory=2):
        warnings.simplefilter("ignore")
        select(
            blobs, range(1, 5), ["full", "diag"], cv=2, random_state=0, n_jobs=2, warm_start=True
        )
    threads = [thread for _, thread in source_options]
    # the workers build the sweep's sources; only the final polish of the chosen model
    # builds one in the caller's thread
    assert threads.count(threading.current_thread()) == 1
    assert {options.working_memory for options, _ in source_options} == {2}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fixed_point_reuse_off_gives_the_same_fit(monkeypatch):
    centres = np.random.default_rng(3).normal(scale=1000.0, size=(20, 2))
    X = np.repeat(centres, 15, axis=0) + np.random.default_rng(4).normal(size=(300, 2))
    asked = []
    real = NumpySource.log_prob_after_weight_change
    monkeypatch.setattr(
        NumpySource,
        "log_prob_after_weight_change",
        lambda self, theta: asked.append(1) or real(self, theta),
    )
    reused = GaussianMixture(20, random_state=0, tol=0, max_iter=5).fit(X)
    assert asked
    asked.clear()
    with gmmkit.config_context(reuse_fixed_points=False):
        computed = GaussianMixture(20, random_state=0, tol=0, max_iter=5).fit(X)
    assert asked == []
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        np.testing.assert_array_equal(getattr(reused, name), getattr(computed, name))


def test_on_iteration_sees_every_em_iteration_of_a_fit_and_changes_nothing():
    import numpy as np

    from gmmkit import GaussianMixture

    X = np.random.RandomState(0).normal(size=(200, 2))
    seen = []
    with gmmkit.config_context(on_iteration=lambda *step: seen.append(step)):
        watched = GaussianMixture(2, n_init=2, random_state=0).fit(X)
    plain = GaussianMixture(2, n_init=2, random_state=0).fit(X)
    assert gmmkit.get_config()["on_iteration"] is None
    np.testing.assert_array_equal(watched.means_, plain.means_)
    assert len(seen) >= watched.n_iter_ > 0
    n_iter, lower_bound, change = seen[-1]
    assert isinstance(n_iter, int) and np.isfinite(lower_bound)


def test_on_iteration_must_be_callable():
    with pytest.raises(TypeError, match="on_iteration must be a callable or None"):
        gmmkit.set_config(on_iteration=3)
