"""EM on Dask arrays through the backend seam (gmmkit.backends.dask): the same fit as the
in-memory path, iteration by iteration, on any chunking and scheduler, one compute per EM
iteration, lazy per-row outputs, validation before EM, recovery from a lost worker, and a
client that never holds the data."""

import concurrent.futures
import os
import signal
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

import gmmkit
from gmmkit import GaussianMixture
from gmmkit._core.covariances import covariance_model
from gmmkit.backends import dask as dask_backend
from gmmkit.backends.dask import DaskSource, check_data
from gmmkit.mixture import feature_source

K = 4
#: one block; uneven blocks; blocks of 3 rows, fewer than the K = 4 components
CHUNKINGS = {"one": (240,), "uneven": (17, 100, 3, 120), "small": (3,) * 80}
MODELS = ("full", "tied", "diag", "spherical", "VVV", "EEV", "VEV")
RTOL = 1e-12
#: Seconds a fit that loses a worker may take (it takes about one here)
FAULT_TIMEOUT = 120


@pytest.fixture(scope="module")
def data():
    X, _ = make_blobs(240, centers=K, n_features=3, cluster_std=1.5, random_state=3)
    weight = np.random.default_rng(0).uniform(0.5, 2.0, len(X))
    X.setflags(write=False)
    weight.setflags(write=False)
    return X, weight


@pytest.fixture
def computes(monkeypatch):
    """Every compute the backend makes, in order: its results (None while it runs, and for
    one that raised)."""
    results = []
    inner = dask_backend._compute

    def recording(*collections):
        results.append(None)
        results[-1] = answer = inner(*collections)
        return answer

    monkeypatch.setattr(dask_backend, "_compute", recording)
    return results


def _start(X, covariance_type):
    """Initial parameters for both paths: those of two in-memory EM iterations."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        early = GaussianMixture(K, covariance_type=covariance_type, max_iter=2, random_state=0).fit(
            X
        )
    return {
        "weights_init": early.weights_,
        "means_init": early.means_,
        "precisions_init": early.precisions_,
    }


def _fit(X, covariance_type, sample_weight=None, **params):
    settings = {"tol": 1e-8, "max_iter": 12, **_start(np.asarray(X), covariance_type), **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return GaussianMixture(K, covariance_type=covariance_type, **settings).fit(
            X, sample_weight=sample_weight
        )


def _assert_same_fit(fitted, expected, rtol=RTOL, parameter_rtol=1e-9):
    assert fitted.n_iter_ == expected.n_iter_
    np.testing.assert_allclose(fitted.lower_bounds_, expected.lower_bounds_, rtol=rtol, atol=0)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        np.testing.assert_allclose(
            getattr(fitted, name),
            getattr(expected, name),
            rtol=parameter_rtol,
            atol=1e-12,
            err_msg=name,
        )
        assert isinstance(getattr(fitted, name), np.ndarray)


def _scheduler(name, client):
    return dask.config.set(scheduler=client if name == "distributed" else "threads")


# ---------------------------------------------------------------------- equivalence
@pytest.mark.parametrize("chunking", CHUNKINGS)
@pytest.mark.parametrize("covariance_type", MODELS)
def test_every_iteration_matches_the_in_memory_fit_threaded(data, covariance_type, chunking):
    X, _ = data
    expected = _fit(X, covariance_type)
    with _scheduler("threads", None):
        fitted = _fit(da.from_array(X, chunks=(CHUNKINGS[chunking], 3)), covariance_type)
    _assert_same_fit(fitted, expected)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("covariance_type", "chunking"),
    [
        ("full", "uneven"),
        ("tied", "uneven"),
        ("diag", "uneven"),
        ("spherical", "uneven"),
        ("EEV", "uneven"),
        ("VEV", "small"),
        ("full", "one"),
    ],
)
def test_every_iteration_matches_the_in_memory_fit_on_a_local_cluster(
    data, client, covariance_type, chunking
):
    X, weight = data
    expected = _fit(X, covariance_type, sample_weight=weight)
    with _scheduler("distributed", client):
        fitted = _fit(
            da.from_array(X, chunks=(CHUNKINGS[chunking], 3)),
            covariance_type,
            sample_weight=da.from_array(weight, chunks=50),
        )
        labels = fitted.predict(da.from_array(X, chunks=60)).compute()
    _assert_same_fit(fitted, expected)
    np.testing.assert_array_equal(labels, expected.predict(X))


def test_sample_weights_as_a_dask_array_match_the_in_memory_weighted_fit(data):
    X, weight = data
    expected = _fit(X, "full", sample_weight=weight)
    fitted = _fit(
        da.from_array(X, chunks=(CHUNKINGS["uneven"], 3)),
        "full",
        sample_weight=da.from_array(weight, chunks=70),
    )  # other chunks: rechunked
    _assert_same_fit(fitted, expected)
    Xd = da.from_array(X, chunks=100)
    assert fitted.score(Xd, sample_weight=da.from_array(weight, chunks=100)) == pytest.approx(
        expected.score(X, sample_weight=weight), rel=RTOL
    )
    assert fitted.bic(Xd, sample_weight=weight) == pytest.approx(
        expected.bic(X, sample_weight=weight), rel=RTOL
    )


def test_a_dask_dataframe_fits_as_its_pandas_frame(data):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, _ = data
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    expected = _fit(frame, "diag")
    fitted = _fit(dd.from_pandas(frame, npartitions=3), "diag")
    _assert_same_fit(fitted, expected)
    assert fitted.feature_names_in_.tolist() == ["a", "b", "c"]
    labels = fitted.predict(dd.from_pandas(frame, npartitions=2))
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), expected.predict(frame))


def test_sample_weights_as_a_dask_series(data):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, weight = data
    expected = _fit(X, "spherical", sample_weight=weight)
    fitted = _fit(
        da.from_array(X, chunks=100),
        "spherical",
        sample_weight=dd.from_pandas(pd.Series(weight), npartitions=4),
    )
    _assert_same_fit(fitted, expected)


def test_a_component_collapsed_on_a_binary_feature_warns_as_in_memory(data):
    from gmmkit import DegenerateComponentWarning

    X = np.column_stack([data[0][:, :2], (data[0][:, 2] > np.median(data[0][:, 2]))])
    with pytest.warns(
        DegenerateComponentWarning, match="feature 2 takes only two values"
    ) as caught:
        GaussianMixture(K, random_state=0).fit(X)
    with pytest.warns(DegenerateComponentWarning, match="feature 2 takes only two values") as seen:
        GaussianMixture(K, random_state=0).fit(da.from_array(X, chunks=70))
    assert [str(w.message) for w in seen] == [str(w.message) for w in caught]


@pytest.mark.parametrize("weighted", [False, True])
def test_the_default_kmeans_start_is_the_in_memory_one_on_small_data(data, weighted):
    X, weight = data
    weight = weight if weighted else None
    expected = GaussianMixture(K, random_state=1, n_init=2).fit(X, sample_weight=weight)
    fitted = GaussianMixture(K, random_state=1, n_init=2).fit(
        da.from_array(X, chunks=50), sample_weight=weight
    )
    _assert_same_fit(fitted, expected)


@pytest.mark.parametrize("init_params", ["random_from_data", "k-means++"])
def test_seeded_starts_are_the_in_memory_ones(data, init_params):
    X, _ = data
    expected = GaussianMixture(K, init_params=init_params, random_state=2).fit(X)
    fitted = GaussianMixture(K, init_params=init_params, random_state=2).fit(
        da.from_array(X, chunks=(CHUNKINGS["uneven"], 3))
    )
    # one row per component: the first covariances are reg_covar alone, the first
    # log-densities ~1e7 per row, and their sum in another order differs by ~1e-9 of it;
    # EM then carries that rounding, to ~1e-8 in a component left nearly flat
    _assert_same_fit(fitted, expected, rtol=1e-8, parameter_rtol=1e-7)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_hc_on_more_than_2000_rows_starts_as_in_memory():
    X, _ = make_blobs(2100, centers=3, n_features=2, random_state=0)
    expected = GaussianMixture(3, init_params="hc", random_state=0, max_iter=3).fit(X)
    fitted = GaussianMixture(3, init_params="hc", random_state=0, max_iter=3).fit(
        da.from_array(X, chunks=700)
    )
    _assert_same_fit(fitted, expected)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_kmeans_on_a_sample_gives_the_same_start_whatever_the_chunking(computes):
    n = dask_backend.KMEANS_SAMPLE_SIZE + 5000
    X, _ = make_blobs(n, centers=3, n_features=2, random_state=0)
    fits = [
        GaussianMixture(3, random_state=0, max_iter=2, tol=0).fit(da.from_array(X, chunks=chunks))
        for chunks in (n, 6000)
    ]
    np.testing.assert_allclose(fits[0].lower_bounds_, fits[1].lower_bounds_, rtol=RTOL)
    largest = max(_nbytes(result) for result in computes)
    assert largest <= dask_backend.KMEANS_SAMPLE_SIZE * 2 * 8 < X.nbytes


def test_random_init_is_refused_for_dask_input(data):
    with pytest.raises(ValueError, match="init_params='random'.*not available for Dask"):
        GaussianMixture(K, init_params="random").fit(da.from_array(data[0], chunks=100))


def test_float32_stays_float32(data):
    X = data[0].astype(np.float32)
    fitted = GaussianMixture(K, random_state=0).fit(da.from_array(X, chunks=100))
    expected = GaussianMixture(K, random_state=0).fit(X)
    assert fitted.means_.dtype == np.float32
    np.testing.assert_allclose(fitted.lower_bounds_, expected.lower_bounds_, rtol=1e-6)
    assert fitted.score_samples(da.from_array(X, chunks=100)).dtype == np.float32


@pytest.mark.parametrize("covariance_type", ["full", "EEV"])
def test_a_prior_fit_matches_the_in_memory_one(data, covariance_type):
    X, weight = data
    expected = _fit(X, covariance_type, sample_weight=weight, prior="default")
    fitted = _fit(
        da.from_array(X, chunks=(CHUNKINGS["uneven"], 3)),
        covariance_type,
        sample_weight=da.from_array(weight, chunks=(CHUNKINGS["uneven"],)),
        prior="default",
    )
    _assert_same_fit(fitted, expected)


def test_accelerated_em_matches_the_in_memory_one(data):
    X, _ = data
    expected = _fit(X, "diag", accelerate=True)
    fitted = _fit(da.from_array(X, chunks=50), "diag", accelerate=True)
    _assert_same_fit(fitted, expected)


def test_a_warm_start_continues_from_the_dask_fit(data):
    X, _ = data
    Xd = da.from_array(X, chunks=60)
    expected = _fit(X, "spherical", max_iter=3, warm_start=True)
    fitted = _fit(Xd, "spherical", max_iter=3, warm_start=True)
    expected.fit(X)
    fitted.fit(Xd)
    _assert_same_fit(fitted, expected)


def test_fit_on_source_gives_lazy_labels_and_the_criteria(data):
    from gmmkit.mixture import fit_on_source

    X, weight = data
    Xd = da.from_array(X, chunks=(CHUNKINGS["uneven"], 3))
    checked = check_data(Xd, weight)
    inits = _start(X, "full")
    expected = GaussianMixture(K, **inits)
    want_labels, want_criteria = fit_on_source(
        expected, X, feature_source(X, weight, "full", K, dask_backend_options()), scores=True
    )
    estimator = GaussianMixture(K, **inits)
    labels, criteria = fit_on_source(estimator, checked.X, checked.source("full"), scores=True)
    assert isinstance(labels, da.Array) and labels.chunks == Xd.chunks[:1]
    np.testing.assert_array_equal(labels.compute(), want_labels)
    for name, value in want_criteria.items():
        assert criteria[name] == pytest.approx(value, rel=1e-11), name


def test_fit_on_source_from_dask_starts_is_the_estimators_fit(data):
    """How a sweep fits on Dask data: one validation pass, starts drawn once, then each
    configuration through fit_on_source."""
    from sklearn.utils import check_random_state

    from gmmkit.backends.dask import dask_starts
    from gmmkit.mixture import fit_on_source

    X, _ = data
    checked = check_data(da.from_array(X, chunks=(CHUNKINGS["uneven"], 3)))
    starts = list(dask_starts(checked, K, "random_from_data", check_random_state(5), 2))
    assert all(isinstance(start, da.Array) for start in starts)
    swept = GaussianMixture(K, covariance_type="diag", n_init=2)
    fit_on_source(swept, checked.X, checked.source("diag"), starts=starts)
    expected = GaussianMixture(
        K, covariance_type="diag", n_init=2, init_params="random_from_data", random_state=5
    ).fit(X)
    _assert_same_fit(swept, expected, rtol=1e-8, parameter_rtol=1e-7)


def test_statistics_of_many_batches_dask_sources_into_one_compute(data, computes):
    from gmmkit._core.source import statistics_of_many

    X, _ = data
    checked = check_data(da.from_array(X, chunks=50))
    requests = []
    for covariance_type in ("diag", "spherical"):
        source = checked.source(covariance_type)
        early = _start(X, covariance_type)
        theta, shared = source.model.theta(
            early["weights_init"],
            early["means_init"] - source.shift,
            source.model.precision_cholesky_from_precisions(early["precisions_init"]),
        )
        requests.append((source, theta, shared, False))
    before = len(computes)
    answers = statistics_of_many(requests)
    assert len(computes) == before + 1
    for (source, theta, shared, _), (total, stats) in zip(requests, answers):
        want_total, want_stats = source.statistics(theta, shared)
        assert total == want_total
        np.testing.assert_array_equal(stats, want_stats)


def test_unknown_row_chunks_column_blocks_and_integers_are_taken_as_in_memory(data):
    X, _ = data
    integers = np.round(X * 10).astype(np.int64)
    expected = _fit(integers.astype(np.float64), "diag")
    Xd = da.from_array(integers, chunks=(50, 2))  # two blocks across the columns
    masked = Xd[Xd[:, 0] > np.iinfo(np.int64).min]  # the same rows, chunk sizes unknown
    assert np.isnan(masked.chunks[0][0])
    fitted = _fit(masked, "diag")
    _assert_same_fit(fitted, expected)
    assert fitted.means_.dtype == np.float64


def test_prediction_on_the_wrong_number_of_features_is_refused(data):
    X, _ = data
    fitted = GaussianMixture(K, random_state=0).fit(da.from_array(X, chunks=100))
    with pytest.raises(ValueError, match="X has 2 features, but GaussianMixture is expecting 3"):
        fitted.predict(da.from_array(X[:, :2], chunks=100))


# ---------------------------------------------------------------------- per-row outputs
def test_per_row_outputs_are_lazy_with_the_input_chunks_and_equal_numpy(data, computes):
    X, _ = data
    expected = _fit(X, "tied")
    fitted = _fit(da.from_array(X, chunks=100), "tied")
    Xd = da.from_array(X, chunks=(CHUNKINGS["uneven"], 3))
    before = len(computes)
    outputs = {
        "predict": fitted.predict(Xd),
        "predict_proba": fitted.predict_proba(Xd),
        "score_samples": fitted.score_samples(Xd),
    }
    assert len(computes) == before  # nothing computed yet
    for name, output in outputs.items():
        assert isinstance(output, da.Array), name
        assert output.chunks[0] == Xd.chunks[0], name
        want = getattr(expected, name)(X)
        if name == "predict":
            np.testing.assert_array_equal(output.compute(), want)
        else:
            np.testing.assert_allclose(output.compute(), want, rtol=1e-10, atol=1e-12)
    assert outputs["predict_proba"].chunks[1] == (K,)
    for criterion in ("score", "bic", "aic", "icl"):
        value = getattr(fitted, criterion)(Xd)
        assert isinstance(value, float)
        assert value == pytest.approx(getattr(expected, criterion)(X), rel=1e-11)


def test_prediction_on_a_block_with_nan_names_the_block(data):
    X = data[0].copy()
    fitted = GaussianMixture(K, random_state=0).fit(X)
    X[130] = np.nan
    labels = fitted.predict(da.from_array(X, chunks=100))
    with pytest.raises(ValueError, match=r"block 1 of X \(rows 100 to 199\)"):
        labels.compute()


# ---------------------------------------------------------------------- inside a block
#: working memory (MiB) small enough that the 240-row block of a 3-feature full model (10
#: statistics) is worked through in chunks of 64 rows
TINY_WORKING_MEMORY = 0.001


@pytest.mark.parametrize("covariance_type", ["full", "diag", "EEV"])
def test_a_block_worked_through_in_chunks_fits_and_predicts_as_in_memory(data, covariance_type):
    X, weight = data
    expected = _fit(X, covariance_type, sample_weight=weight)
    Xd = da.from_array(X, chunks=(CHUNKINGS["one"], 3))
    wd = da.from_array(weight, chunks=(CHUNKINGS["one"],))
    with gmmkit.config_context(working_memory=TINY_WORKING_MEMORY):
        source = check_data(Xd, wd).source(
            covariance_type, options=gmmkit._config.current_options()
        )
        assert source.chunk_bytes < 240 * 10 * 8
        fitted = _fit(Xd, covariance_type, sample_weight=wd)
        outputs = {name: getattr(fitted, name)(Xd) for name in ("predict_proba", "score_samples")}
        labels = fitted.predict(Xd)
    _assert_same_fit(fitted, expected)
    for name, output in outputs.items():
        np.testing.assert_allclose(output.compute(), getattr(expected, name)(X), rtol=1e-10)
    np.testing.assert_array_equal(labels.compute(), expected.predict(X))


def test_a_far_row_in_a_later_chunk_of_a_block_is_named_by_its_place_in_the_block(data):
    X = data[0].copy()
    fitted = GaussianMixture(K, random_state=0).fit(X)
    X[200] = 1e200  # squared distances overflow float64; in the block's second chunk
    with gmmkit.config_context(working_memory=TINY_WORKING_MEMORY):
        labels = fitted.predict(da.from_array(X, chunks=((100, 140), 3)))
    with pytest.raises(ValueError, match=r"block 1 of X \(rows 100 to 239\).*X\[100\]"):
        labels.compute()


def _blas_threads():
    from threadpoolctl import threadpool_info

    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_kernels_hold_blas_to_one_thread_only_where_they_share_the_cores():
    with dask.config.set(scheduler="sync"):
        assert not dask_backend.kernels_share_cores()
    with dask.config.set(scheduler="threads", num_workers=1):
        assert not dask_backend.kernels_share_cores()
    with dask.config.set(scheduler="threads", num_workers=2):
        assert dask_backend.kernels_share_cores()
    with dask.config.set(scheduler="processes", num_workers=2):
        assert dask_backend.kernels_share_cores()

    before = _blas_threads()
    probe = dask_backend._one_blas_thread_each(_blas_threads)
    assert probe(one_blas_thread=False) == before
    assert set(probe(one_blas_thread=True)) <= {1}
    assert _blas_threads() == before


def test_a_threaded_fit_leaves_blas_as_it_found_it(data):
    before = _blas_threads()
    with dask.config.set(scheduler="threads", num_workers=2):
        fitted = _fit(da.from_array(data[0], chunks=(CHUNKINGS["small"], 3)), "full")
        fitted.predict_proba(da.from_array(data[0], chunks=50)).compute()
    assert _blas_threads() == before


# ---------------------------------------------------------------------- one compute
def test_one_compute_per_em_iteration(data, computes):
    X, _ = data
    fitted = _fit(da.from_array(X, chunks=30), "full", tol=0, max_iter=7)
    assert fitted.n_iter_ == 7
    assert len(computes) == 1 + 7  # the validation pass, then one per iteration


def test_batch_statistics_equals_one_by_one_calls_in_one_compute(data, computes):
    X, weight = data
    Xd = da.from_array(X, chunks=(CHUNKINGS["uneven"], 3))
    checked = check_data(Xd, da.from_array(weight, chunks=(CHUNKINGS["uneven"],)))
    rng = np.random.RandomState(0)
    requests = []
    for covariance_type in ("full", "tied", "diag", "full"):
        source = checked.source(covariance_type)
        means = rng.normal(size=(K, 3))
        early = _start(X, covariance_type)
        theta, shared = source.model.theta(
            early["weights_init"],
            means,
            source.model.precision_cholesky_from_precisions(early["precisions_init"]),
        )
        requests.append((source, theta, shared, False))
    one_by_one = [source.statistics(theta, shared) for source, theta, shared, _ in requests]
    before = len(computes)
    batched = DaskSource.batch_statistics(requests)
    assert len(computes) == before + 1
    in_memory = feature_source(X, weight, "full", K, dask_backend_options())
    for (total, stats), (want_total, want_stats) in zip(batched, one_by_one):
        assert total == want_total
        np.testing.assert_array_equal(stats, want_stats)
    full_total, full_stats = in_memory.statistics(requests[0][1], requests[0][2])
    np.testing.assert_allclose(batched[0][0], full_total, rtol=RTOL)
    np.testing.assert_allclose(batched[0][1], full_stats, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_responsibility_statistics_and_scatter_equal_the_in_memory_source(data, covariance_type):
    X, weight = data
    chunks = (CHUNKINGS["uneven"],)
    source = check_data(
        da.from_array(X, chunks=chunks + ((3,),)), da.from_array(weight, chunks=chunks)
    ).source(covariance_type)
    in_memory = feature_source(X, weight, covariance_type, K, dask_backend_options())
    np.testing.assert_allclose(source.shift, in_memory.shift, rtol=1e-13, atol=1e-13)
    rng = np.random.RandomState(0)
    dense = rng.dirichlet(np.ones(K), size=len(X))
    labels = rng.randint(-1, K, size=len(X))
    for resp in (dense, labels):
        want = in_memory.responsibility_statistics(resp, K)
        for given in (resp, da.from_array(resp, chunks=70)):
            np.testing.assert_allclose(
                source.responsibility_statistics(given, K), want, rtol=1e-12, atol=1e-10
            )
    np.testing.assert_allclose(source.scatter(), in_memory.scatter(), rtol=1e-12, atol=1e-10)


def dask_backend_options():
    from gmmkit._config import Options

    return Options()


# ---------------------------------------------------------------------- validation
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_block_with_nan_or_inf_fails_the_fit_before_any_em(data, computes, bad):
    X = data[0].copy()
    X[157, 1] = bad
    with pytest.raises(
        ValueError,
        match=r"block 1 of X \(rows 100 to 199\) contains NaN or "
        r"infinity, first in row 157",
    ):
        GaussianMixture(K).fit(da.from_array(X, chunks=100))
    assert len(computes) == 1  # the validation pass, nothing after it


def test_a_block_of_the_wrong_width_fails_the_fit_naming_it(data, computes):
    X = data[0]
    blocks = [
        da.from_delayed(dask.delayed(np.asarray)(X[:100]), (100, 3), X.dtype),
        da.from_delayed(dask.delayed(np.hstack)([X[100:], X[100:, :1]]), (140, 3), X.dtype),
    ]
    with pytest.raises(
        ValueError,
        match=r"block 1 of X \(rows 100 to 239\) has shape "
        r"\(140, 4\)",
    ):
        GaussianMixture(K).fit(da.concatenate(blocks))
    assert len(computes) == 1


def test_a_negative_weight_fails_the_fit_naming_its_block(data):
    X, weight = data
    weight = weight.copy()
    weight[5] = -1.0
    with pytest.raises(ValueError, match=r"block 0 of sample_weight.*first in row 5"):
        GaussianMixture(K).fit(da.from_array(X, chunks=100), sample_weight=weight)


# ---------------------------------------------------------------------- faults and memory
@pytest.mark.slow
def test_a_worker_lost_mid_fit_does_not_change_the_result(data, monkeypatch):
    """A worker process killed between the second and third iterations, holding persisted
    blocks: Dask recomputes them on the other worker and the fit is the undisturbed one."""
    distributed = pytest.importorskip("distributed")
    X, _ = data
    # a cluster of its own: the killed worker is not replaced
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
        dask.config.set(scheduler=client),
    ):
        Xd = client.persist(da.from_array(X, chunks=40))  # blocks held by the workers
        expected = _fit(Xd, "full", tol=0, max_iter=6)
        calls = []
        inner = dask_backend._compute

        def losing_a_worker(*collections):
            calls.append(1)
            if len(calls) == 4:  # after the validation pass and two iterations
                holding = client.has_what()
                victim = max(holding, key=lambda address: len(holding[address]))
                assert holding[victim]
                os.kill(client.run(os.getpid, workers=[victim])[victim], signal.SIGKILL)
            return inner(*collections)

        monkeypatch.setattr(dask_backend, "_compute", losing_a_worker)
        # bounded: a fit that hangs fails the test, and closing the cluster then ends it
        runner = concurrent.futures.ThreadPoolExecutor(1)
        try:
            fitted = runner.submit(_fit, Xd, "full", tol=0, max_iter=6).result(
                timeout=FAULT_TIMEOUT
            )
        finally:
            runner.shutdown(wait=False)
        assert len(client.scheduler_info()["workers"]) == 1
    assert len(calls) == 1 + 6
    np.testing.assert_array_equal(fitted.lower_bounds_, expected.lower_bounds_)
    np.testing.assert_array_equal(fitted.means_, expected.means_)
    np.testing.assert_array_equal(fitted.covariances_, expected.covariances_)


def _generated_block(block_info=None):
    start, stop = block_info[None]["array-location"][0]
    rng = np.random.default_rng(start)
    centres = np.array([[-4.0, 0.0], [4.0, 0.0]])
    return centres[rng.integers(0, 2, stop - start)] + rng.normal(size=(stop - start, 2))


def _nbytes(value) -> int:
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (list, tuple)):
        return sum(_nbytes(item) for item in value)
    return 8


def test_the_client_never_holds_more_than_the_statistics(computes):
    n = 400_000
    X = da.map_blocks(
        _generated_block, chunks=((40_000,) * 10, (2,)), dtype=np.float64, meta=np.empty((0, 0))
    )
    model = covariance_model("full", 2)
    fitted = GaussianMixture(
        2,
        weights_init=[0.5, 0.5],
        means_init=[[-1.0, 0.0], [1.0, 0.0]],
        precisions_init=np.stack([np.eye(2)] * 2),
        max_iter=5,
    ).fit(X)
    assert abs(abs(fitted.means_[0, 0]) - 4.0) < 0.05
    statistics_bytes = 8 * (2 * model.n_stats + 1)
    assert len(computes) == 1 + fitted.n_iter_
    assert max(_nbytes(result) for result in computes) <= statistics_bytes < n * 2 * 8 / 1000
    labels = fitted.predict(X)
    assert labels.chunks == X.chunks[:1]


@pytest.mark.slow
def test_import_gmmkit_does_not_import_dask():
    code = (
        "import sys, gmmkit, gmmkit.mixture; import numpy as np; "
        "gmmkit.GaussianMixture(2).fit(np.arange(20.0).reshape(10, 2)); "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'dask'], 'dask imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.slow
def test_one_row_or_fewer_rows_than_components_are_refused_as_in_memory(data):
    X = data[0]
    with pytest.raises(ValueError, match="minimum of 2 is required by GaussianMixture"):
        GaussianMixture(1).fit(da.from_array(X[:1], chunks=1))
    with pytest.raises(ValueError, match="Expected n_samples >= n_components"):
        GaussianMixture(5).fit(da.from_array(X[:3], chunks=2))
