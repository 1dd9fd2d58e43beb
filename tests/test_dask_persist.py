"""Dask input persisted for a call (the ``dask_persist`` option): blocks read from their source
once rather than once per EM pass when the data fit in the workers' memory, read every pass
when they do not or when told not to, the same fit either way, and nothing left on the workers
once the call returns."""

import gc
import threading
import time
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

import gmmkit
from gmmkit import GaussianMixture
from gmmkit.backends import dask as dask_backend

BLOCK_ROWS = 60
N_BLOCKS = 5
CENTRES = np.array([[-5.0, 0.0], [0.0, 5.0], [5.0, 0.0]])


class BlockReads:
    """A Dask array whose blocks are made by a function that counts its calls: each call is
    one read of the block from its source, as from a file."""

    def __init__(self):
        self.X, _ = make_blobs(BLOCK_ROWS * N_BLOCKS, centers=CENTRES, random_state=4)
        self.calls = 0
        self._lock = threading.Lock()

    def _block(self, block_info=None):
        with self._lock:
            self.calls += 1
        start, stop = block_info[None]["array-location"][0]
        return self.X[start:stop].copy()

    def array(self):
        return da.map_blocks(
            self._block,
            chunks=((BLOCK_ROWS,) * N_BLOCKS, (2,)),
            dtype=np.float64,
            meta=np.empty((0, 0)),
        )


def _fit(X, sample_weight=None, **params):
    settings = {
        "weights_init": [1 / 3] * 3,
        "means_init": CENTRES + 0.5,
        "tol": 0,
        "max_iter": 6,
        "random_state": 0,
        **params,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return GaussianMixture(3, **settings).fit(X, sample_weight=sample_weight)


@pytest.fixture
def passes(monkeypatch):
    """Counts the computes (passes over the data) the backend makes."""
    counted = []
    inner = dask_backend._compute

    def counting(*collections):
        counted.append(1)
        return inner(*collections)

    monkeypatch.setattr(dask_backend, "_compute", counting)
    return counted


@pytest.mark.parametrize("setting", ["auto", True])
def test_persisted_blocks_are_read_once_per_fit(setting, passes):
    source = BlockReads()
    with gmmkit.config_context(dask_persist=setting), dask.config.set(scheduler="threads"):
        fitted = _fit(source.array())
    assert fitted.n_iter_ == 6
    assert len(passes) > fitted.n_iter_
    assert source.calls == N_BLOCKS


def test_blocks_not_persisted_are_read_every_pass(passes):
    source = BlockReads()
    with gmmkit.config_context(dask_persist=False), dask.config.set(scheduler="threads"):
        fitted = _fit(source.array())
    assert len(passes) > fitted.n_iter_
    assert source.calls == N_BLOCKS * len(passes)


def test_data_larger_than_the_free_memory_are_not_persisted(monkeypatch, passes):
    monkeypatch.setattr(dask_backend, "memory_for_data", lambda: 1000.0)
    source = BlockReads()
    with dask.config.set(scheduler="threads"):
        _fit(source.array())
    assert source.calls == N_BLOCKS * len(passes)


def test_a_persisted_fit_is_the_fit_read_every_pass():
    with gmmkit.config_context(dask_persist=True):
        persisted = _fit(BlockReads().array())
    with gmmkit.config_context(dask_persist=False):
        read = _fit(BlockReads().array())
    np.testing.assert_array_equal(persisted.lower_bounds_, read.lower_bounds_)
    np.testing.assert_array_equal(persisted.covariances_, read.covariances_)


def test_select_persists_once_for_the_whole_sweep():
    source = BlockReads()
    with dask.config.set(scheduler="threads"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = gmmkit.select(
            source.array(), n_components=[2, 3, 4], covariance_type=["full", "diag"], n_init=1
        )
    assert result.best_estimator_.n_components == 3
    assert source.calls == N_BLOCKS


@pytest.mark.parametrize(
    "setting, nbytes, free, expected",
    [
        (True, 10**12, 1.0, True),
        (False, 1, 10.0**12, False),
        ("auto", 500, 1000.0, True),
        ("auto", 501, 1000.0, False),
    ],
)
def test_should_persist_follows_the_setting_and_the_free_memory(
    monkeypatch, setting, nbytes, free, expected
):
    monkeypatch.setattr(dask_backend, "memory_for_data", lambda: free)
    with dask.config.set(scheduler="threads"):
        assert dask_backend.should_persist(setting, nbytes) is expected


def test_auto_never_persists_for_the_multiprocessing_scheduler():
    with dask.config.set(scheduler="processes"):
        assert not dask_backend.should_persist("auto", 1)
        assert dask_backend.should_persist(True, 1)


@pytest.mark.parametrize("value", ["yes", None, 1, "AUTO"])
def test_dask_persist_takes_auto_true_or_false_only(value):
    with pytest.raises(ValueError, match='dask_persist must be "auto", True or False'):
        with gmmkit.config_context(dask_persist=value):
            pass


@pytest.mark.slow
def test_on_a_cluster_the_free_memory_is_the_workers_and_nothing_stays_after_the_fit(client):
    info = client.scheduler_info()["workers"].values()
    with dask.config.set(scheduler=client):
        free = dask_backend.memory_for_data()
        assert 0 < free <= sum(w["memory_limit"] for w in info)
        held_before = {key for keys in client.has_what().values() for key in keys}
        X, _ = make_blobs(400, centers=CENTRES, random_state=4)
        Xd = da.from_array(X, chunks=80)
        persisted = _fit(Xd)
        with gmmkit.config_context(dask_persist=False):
            read = _fit(Xd)
        gc.collect()
        deadline = time.monotonic() + 30
        while {key for keys in client.has_what().values() for key in keys} - held_before:
            assert time.monotonic() < deadline, "persisted blocks left on the workers"
            time.sleep(0.1)
    np.testing.assert_array_equal(persisted.lower_bounds_, read.lower_bounds_)
    np.testing.assert_array_equal(persisted.means_, read.means_)


@pytest.mark.parametrize(
    "n_blocks, threads, expected",
    [
        (8, {"a": 1, "b": 1}, {"a": 4, "b": 4}),
        (7, {"a": 1, "b": 1}, {"a": 4, "b": 3}),
        (9, {"a": 2, "b": 1}, {"a": 6, "b": 3}),
        (1, {"a": 1, "b": 4}, {"b": 1}),
    ],
)
def test_blocks_are_spread_over_the_workers_in_proportion_to_their_threads(
    n_blocks, threads, expected
):
    owners = dask_backend.spread_blocks(n_blocks, threads)
    assert len(owners) == n_blocks
    assert {a: owners.count(a) for a in set(owners)} == expected


@pytest.mark.slow
def test_on_a_cluster_every_worker_holds_its_share_of_the_blocks(client):
    X, _ = make_blobs(800, centers=CENTRES, random_state=4)
    weight = np.random.default_rng(0).uniform(0.5, 2.0, len(X))
    with dask.config.set(scheduler=client):
        for _ in range(3):  # left to the scheduler, the split varies from call to call
            Xd, wd = da.from_array(X, chunks=100), da.from_array(weight, chunks=100)
            rows, weights = dask_backend.persist(Xd, wd)
            np.testing.assert_array_equal(rows.compute(), X)  # waits for the persist
            np.testing.assert_array_equal(weights.compute(), weight)
            counts = [
                sorted(str(key[0]) for key in keys if key[0] in (Xd.name, wd.name))
                for keys in client.has_what().values()
            ]
            # 4 row blocks and their 4 weight blocks each
            assert counts == [sorted([Xd.name] * 4 + [wd.name] * 4)] * 2, counts
            del rows, weights
            gc.collect()
            deadline = time.monotonic() + 30
            while any(client.has_what().values()):
                assert time.monotonic() < deadline
                time.sleep(0.05)
        fitted = _fit(da.from_array(X, chunks=100), da.from_array(weight, chunks=100))
    expected = _fit(X, weight)
    np.testing.assert_allclose(fitted.lower_bounds_, expected.lower_bounds_, rtol=1e-12)
