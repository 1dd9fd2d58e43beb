"""Concurrent calls from user threads leave the process's thread pools and interpreter settings
exactly as they found them."""

import sys
import threading
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from threadpoolctl import threadpool_info

import gmmkit
from gmmkit import GaussianMixture, select
from gmmkit._core.threads import one_blas_thread, one_thread


def _process_state():
    return threadpool_info(), sys.getswitchinterval()


def _blas_threads():
    return {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}


@pytest.fixture
def two_blas_threads():
    """Only where BLAS starts on several threads does a leaked one-thread limit show.

    (Setting them here would not do: threadpoolctl then lets only this thread change them
    until the test ends, and the limits of every other thread are ignored.)
    """
    if min(_blas_threads(), default=1) < 2:
        pytest.skip("BLAS runs on one thread here")


@pytest.fixture
def small_blobs():
    X, _ = make_blobs(200, centers=3, n_features=2, random_state=0)
    return X


def _in_threads(n_threads, work):
    """Run ``work(index)`` in ``n_threads`` threads started together; re-raise any failure."""
    barrier = threading.Barrier(n_threads)
    errors = []

    def run(index):
        try:
            barrier.wait()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                work(index)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


@pytest.mark.slow
def test_concurrent_small_fits_leave_blas_threads_unchanged(two_blas_threads, small_blobs):
    before = _process_state()

    def fits(index):
        for seed in range(150):
            GaussianMixture(2, random_state=seed).fit(small_blobs).predict(small_blobs)

    _in_threads(2, fits)
    assert _process_state() == before


def test_concurrent_predictions_on_one_model_leave_blas_threads_unchanged(
    two_blas_threads, small_blobs
):
    model = GaussianMixture(3, random_state=0).fit(small_blobs)
    before = _process_state()
    expected = model.predict_proba(small_blobs)

    def predictions(index):
        for _ in range(100):
            np.testing.assert_array_equal(model.predict_proba(small_blobs), expected)

    _in_threads(8, predictions)
    assert _process_state() == before


def test_concurrent_parallel_sweeps_leave_the_process_unchanged(two_blas_threads, small_blobs):
    before = _process_state()
    tables = {}

    def sweep(index):
        with gmmkit.config_context(parallel_min_work=0):  # workers even for a tiny sweep
            result = select(
                small_blobs,
                range(1, 5),
                ["full", "diag"],
                random_state=0,
                n_jobs=2,
                silhouette_samples=None,
            )
        tables[index] = result.table.drop(columns="fit_seconds")

    _in_threads(2, sweep)
    assert _process_state() == before
    assert tables[0].equals(tables[1])


@pytest.mark.slow
def test_a_mix_of_fits_predictions_and_sweeps_leaves_the_process_unchanged(
    two_blas_threads, small_blobs
):
    model = GaussianMixture(2, covariance_type="diag", random_state=0).fit(small_blobs)
    before = _process_state()

    def mixed(index):
        for seed in range(20):
            if index == 0:
                GaussianMixture(3, covariance_type="tied", random_state=seed).fit(small_blobs)
            elif index == 1:
                model.score_samples(small_blobs)
                model.predict(small_blobs)
            else:
                with gmmkit.config_context(parallel_min_work=0):
                    select(
                        small_blobs,
                        [1, 2],
                        "spherical",
                        random_state=seed,
                        n_jobs=2,
                        silhouette_samples=None,
                        warm_start=True,
                    )

    _in_threads(3, mixed)
    assert _process_state() == before


def test_the_shared_blas_limit_holds_while_any_holder_remains(two_blas_threads):
    before = _blas_threads()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with one_blas_thread():
            first_in.set()
            second_in.wait()
        first_out.set()

    def second():
        first_in.wait()
        with one_blas_thread():
            second_in.set()
            first_out.wait()
            seen["after the first left"] = _blas_threads()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen["after the first left"] == {1}
    assert _blas_threads() == before


def test_limits_are_restored_when_the_limited_code_raises(two_blas_threads):
    before = _process_state()
    with pytest.raises(RuntimeError), one_thread(), one_thread():
        raise RuntimeError("a failing fit restores them too")
    assert _process_state() == before
