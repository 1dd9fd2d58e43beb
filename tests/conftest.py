"""Shared data sets and helpers for the gmmkit test suite.

Every data set is generated from a fixed seed, so tests are deterministic and need no network;
shared arrays are read-only, so tests cannot depend on the order they run in.
"""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import settings
from sklearn.datasets import make_blobs, make_moons
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture
from threadpoolctl import threadpool_limits

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")

# CI runs the property tests on a fixed sequence of examples so a red run is reproducible;
# local runs draw new examples each time and keep exploring.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _read_only(array):
    """Session-wide data are shared by many tests: a test (or gmmkit) writing into them fails."""
    array.setflags(write=False)
    return array


@pytest.fixture(params=COVARIANCE_TYPES)
def covariance_type(request):
    """Each of the four covariance structures in turn."""
    return request.param


@pytest.fixture(scope="session")
def moons4d():
    """Two noisy half-moons (500 x 2) with two extra standard-normal columns: shape (500, 4)."""
    X, _ = make_moons(500, noise=0.1, random_state=0)
    noise = np.random.RandomState(0).normal(size=(500, 2))
    return _read_only(np.hstack([X, noise]))


@pytest.fixture(scope="session")
def blobs():
    """Three well-separated isotropic blobs, shape (300, 2), with their true labels."""
    X, y = make_blobs(
        n_samples=300,
        centers=[[-6.0, 0.0], [0.0, 6.0], [6.0, 0.0]],
        cluster_std=0.7,
        random_state=0,
    )
    return _read_only(X), _read_only(y)


@pytest.fixture(scope="session")
def sklearn_initial_parameters():
    """``f(X, n_components, covariance_type) -> dict`` of explicit initial parameters.

    The parameters are scikit-learn's own initialisation (``max_iter=0``, k-means, seed 0), as
    ``weights_init``/``means_init``/``precisions_init`` keyword arguments, so two fits started from
    them share their starting point whatever randomness either library uses for initialisation.
    """

    def initial_parameters(X, n_components, covariance_type):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            init = SklearnGaussianMixture(
                n_components, covariance_type=covariance_type, max_iter=0, random_state=0
            ).fit(np.asarray(X, dtype=np.float64))
        return {
            "weights_init": init.weights_,
            "means_init": init.means_,
            "precisions_init": init.precisions_,
        }

    return initial_parameters


@pytest.fixture
def single_blas_thread():
    """Run the test with BLAS and OpenMP limited to one thread.

    scikit-learn's reference fits make many tiny BLAS calls per iteration; on a busy two-core
    machine (``pytest -n 2``) threads contending for them make a 20 ms fit take seconds.
    """
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session")
def quick_tour(tmp_path_factory):
    """``gmmkit tour --quick`` run once per test process, as a user runs it (a subprocess).

    Returns
    -------
    (subprocess.CompletedProcess, pathlib.Path)
        The finished command and its output directory.
    """
    out = tmp_path_factory.mktemp("quick_tour") / "out"
    result = subprocess.run(
        [sys.executable, "-m", "gmmkit", "tour", "-o", str(out), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return result, out


@pytest.fixture(scope="module")
def client():
    """A ``distributed.Client`` of a 2-process ``LocalCluster`` (1 thread each), for one test
    module; not the default scheduler (tests pass it to ``dask.config.set``)."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = distributed.Client(cluster, set_as_default=False)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A headless Chromium for one test module (see ``headless_chromium``)."""
    import headless_chromium

    reason = headless_chromium.missing_browser()
    if reason is not None:
        headless_chromium.skip_or_fail(reason)
    driver = headless_chromium.start_chromium(tmp_path_factory.mktemp("chromium_profile"))
    yield driver
    driver.quit()
