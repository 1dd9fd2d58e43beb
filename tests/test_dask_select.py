"""select on Dask input: the in-memory table from a sweep in lockstep, whose passes over the
data are its rounds of EM (plus a few per sweep), not configurations x iterations.

The starts coincide with the in-memory ones for ``random_from_data`` (the same row indices
from the same seed, whatever the chunking) and, with at most 2000 rows, for ``hc`` and
``hc+kmeans`` (the rows are gathered and the in-memory start runs on them); the tables then
agree to rounding (the statistics are summed in another order).
"""

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
from dask.callbacks import Callback

import gmmkit
from gmmkit.selection import dask_sweep

NUMERIC = ("bic", "aic", "icl", "log_likelihood", "silhouette")


def _data(n_per=150, seed=0):
    rng = np.random.RandomState(seed)
    centres = ([0.0, 0.0, 0.0], [5.0, 5.0, 0.0], [0.0, 6.0, 4.0])
    return np.vstack([rng.normal(c, 1.0, (n_per, 3)) for c in centres])


class _Computes(Callback):
    """Counts the computes run on the local scheduler."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def _start(self, dsk):
        self.count += 1


def _assert_same_table(got, expected, polish_iterations=True):
    """Rows equal to rounding; ``polish_iterations=False``: but for the polished row's
    ``n_iter`` (a SQUAREM jump taken or not on a tie to rounding, near a tight optimum)."""
    assert len(got.rows) == len(expected.rows)
    for index, (row, want) in enumerate(zip(got.rows, expected.rows)):
        assert (row["n_components"], row["covariance_type"]) == (
            want["n_components"],
            want["covariance_type"],
        )
        for name in ("n_iter", "converged", "ill_posed", "n_parameters", "error", "start"):
            if name == "n_iter" and not polish_iterations and index == expected.best_index_:
                continue
            assert row[name] == want[name], (name, row, want)
        for name in NUMERIC:
            np.testing.assert_allclose(row[name], want[name], rtol=1e-10, err_msg=name)
    assert got.best_params_ == expected.best_params_
    assert got.best_index_ == expected.best_index_


@pytest.mark.slow
@pytest.mark.parametrize(
    "init_params, weighted",
    [("random_from_data", False), ("random_from_data", True), ("hc+kmeans", False)],
)
def test_the_table_is_the_in_memory_table(init_params, weighted):
    X = _data()
    weight = np.random.RandomState(1).uniform(0.5, 2.0, len(X)) if weighted else None
    options = {
        "n_components": [1, 2, 3, 4],
        "covariance_type": "sklearn",
        "init_params": init_params,
        "random_state": 0,
        "sample_weight": weight,
    }
    expected = gmmkit.select(X, **options)
    got = gmmkit.select(da.from_array(X, chunks=100), **options)
    _assert_same_table(got, expected)
    best, want = got.best_estimator_, expected.best_estimator_
    assert best.n_iter_ == want.n_iter_
    # two starts reaching one optimum tie to rounding, and either may be kept: the same
    # mixture, its components in another order
    order, wanted = np.lexsort(best.means_.T), np.lexsort(want.means_.T)
    np.testing.assert_allclose(best.means_[order], want.means_[wanted], rtol=1e-9)
    np.testing.assert_allclose(best.weights_[order], want.weights_[wanted], rtol=1e-9)
    np.testing.assert_allclose(best.score_samples(X), want.score_samples(X), rtol=1e-9)


def test_a_dask_dataframe_gives_the_table_and_the_feature_names():
    pandas = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    X = _data()
    frame = pandas.DataFrame(X, columns=["a", "b", "c"])
    options = {
        "n_components": [2, 3],
        "covariance_type": ["full", "diag"],
        "init_params": "random_from_data",
        "random_state": 0,
    }
    got = gmmkit.select(dd.from_pandas(frame, npartitions=3), **options)
    _assert_same_table(got, gmmkit.select(X, **options))
    assert got.best_estimator_.feature_names_in_.tolist() == ["a", "b", "c"]


def _counting_rounds(monkeypatch) -> list:
    """Record the rounds of every lockstep call of the Dask sweep: one list per call, the
    number of E-steps of each round."""
    rounds = []
    lockstep = dask_sweep.fit_in_lockstep

    def counting(configurations, on_round=None, **options):
        seen = []

        def each(number, count):
            seen.append(count)
            if on_round is not None:
                on_round(number, count)

        outcome = lockstep(configurations, on_round=each, **options)
        rounds.append(seen)
        return outcome

    monkeypatch.setattr(dask_sweep, "fit_in_lockstep", counting)
    return rounds


def test_the_passes_over_the_data_are_the_rounds_not_configurations_times_iterations(monkeypatch):
    rounds = _counting_rounds(monkeypatch)
    X = da.from_array(_data(), chunks=90)
    with _Computes() as computes:
        result = gmmkit.select(
            X,
            n_components=[1, 2, 3, 4, 5],
            covariance_type=["full", "diag"],
            init_params="random_from_data",
            n_init=2,
            random_state=0,
            silhouette_samples=None,
        )
    sweep, polish = rounds
    # one round per iteration of the longest run; each round answers every run still going
    assert len(sweep) == max(
        row["n_iter"] for row in result.rows if row is not result.rows[result.best_index_]
    )
    assert sweep[0] == 5 * 2 * 2
    # the persist (the one read of the blocks), validation, the first M-steps, the
    # criteria of the sweep, the polish's criteria
    assert computes.count == len(sweep) + len(polish) + 5
    # fitted one by one, the 20 runs would have taken one pass per iteration
    assert sum(sweep) > 3 * len(sweep)


@pytest.mark.parametrize("ks", [[3], [1, 2, 3, 4, 5]])
def test_small_data_are_gathered_once_for_the_starts_of_every_k(monkeypatch, ks):
    rounds = _counting_rounds(monkeypatch)
    X = da.from_array(_data(), chunks=90)
    with _Computes() as computes:
        gmmkit.select(
            X,
            n_components=ks,
            covariance_type=["full", "diag"],
            random_state=0,
            silhouette_samples=None,
        )  # hc+kmeans: both gather every row
    # the persist, validation, the gather, the first M-steps, the sweep's criteria, the
    # polish's
    assert computes.count == sum(len(calls) for calls in rounds) + 6


def test_with_a_prior_the_map_table_is_the_in_memory_one():
    X = _data()
    options = {
        "n_components": [2, 4],
        "covariance_type": "sklearn",
        "prior": "default",
        "init_params": "random_from_data",
        "random_state": 0,
    }
    _assert_same_table(
        gmmkit.select(da.from_array(X, chunks=100), **options), gmmkit.select(X, **options)
    )


def test_the_selector_estimator_fits_and_predicts_on_dask():
    X = _data()
    options = {
        "n_components": [2, 3],
        "covariance_type": ["full", "diag"],
        "init_params": "random_from_data",
        "random_state": 0,
    }
    selector = gmmkit.GaussianMixtureSelector(**options).fit(da.from_array(X, chunks=100))
    expected = gmmkit.GaussianMixtureSelector(**options).fit(X)
    assert selector.best_params_ == expected.best_params_
    assert selector.n_features_in_ == 3
    labels = selector.predict(da.from_array(X, chunks=120))
    assert isinstance(labels, da.Array)
    np.testing.assert_allclose(
        selector.score_samples(da.from_array(X, chunks=120)).compute(),
        expected.score_samples(X),
        rtol=1e-9,
    )
    assert selector.score(da.from_array(X, chunks=50)) == pytest.approx(
        expected.score(X), rel=1e-12
    )


def test_silhouettes_use_the_in_memory_subsample():
    X = _data()
    options = {
        "n_components": [2, 3],
        "covariance_type": "full",
        "init_params": "random_from_data",
        "random_state": 3,
        "silhouette_samples": 100,
        "criterion": "silhouette",
    }
    got = gmmkit.select(da.from_array(X, chunks=200), **options)
    _assert_same_table(got, gmmkit.select(X, **options))


def test_accelerated_sweeps_agree_too():
    X = _data()
    options = {
        "n_components": [2, 3],
        "covariance_type": ["full", "spherical"],
        "init_params": "random_from_data",
        "random_state": 0,
        "accelerate": True,
    }
    _assert_same_table(
        gmmkit.select(da.from_array(X, chunks=100), **options),
        gmmkit.select(X, **options),
        polish_iterations=False,
    )


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("cv", 3, "cv=3"),
        ("warm_start", True, "warm_start=True"),
        ("standardize", True, "standardize=True"),
        ("init_params", "random", "init_params='random'"),
    ],
)
def test_what_dask_input_cannot_do_is_refused_before_any_pass(option, value, message):
    X = da.from_array(_data(), chunks=100)
    with _Computes() as computes, pytest.raises(ValueError, match=message.replace("(", r"\(")):
        gmmkit.select(X, n_components=[1, 2], **{option: value})
    assert computes.count == 0


def test_invalid_dask_data_is_a_clear_error():
    X = _data()
    X[7, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        gmmkit.select(da.from_array(X, chunks=100), n_components=[1, 2])
    with pytest.raises(ValueError, match="exceed n_samples"):
        gmmkit.select(da.from_array(_data(n_per=1), chunks=2), n_components=[1, 5])
