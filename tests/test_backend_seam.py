"""The backend seam: a second, deliberately simple feature source, over a list of array chunks,
fits, scores and predicts bit for bit as the in-memory path does."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

import gmmkit
from gmmkit import GaussianMixture
from gmmkit._config import Options
from gmmkit._core import estep
from gmmkit._core.covariances import MStepContext, covariance_model
from gmmkit._core.em import m_step, run_em
from gmmkit._core.init import initial_responsibilities
from gmmkit._core.source import FeatureSource
from gmmkit.backends.numpy import NumpySource

#: 64 rows per chunk: the in-memory source's smallest chunk, which 1 KiB of working memory gives
CHUNK = 64


class ChunkListSource:
    """A feature source over a list of row blocks: no cache, no scratch buffers, no reuse of an
    earlier pass; each method is one loop over the blocks, calling the E-step kernel."""

    def __init__(self, blocks, weights, model, shift):
        self.blocks, self.weights = blocks, weights
        self.model, self.shift = model, np.asarray(shift, dtype=np.float64)
        self.n_samples = sum(len(block) for block in blocks)
        self.sample_weight = None if weights is None else np.concatenate(weights)
        self.total_weight = float(self.n_samples if weights is None else self.sample_weight.sum())

    def _chunks(self):
        for index, block in enumerate(self.blocks):
            w = None if self.weights is None else self.weights[index]
            yield estep.chunk_features(self.model, block, self.shift), w

    def statistics(self, theta, shared_prec_chol, weights_only=False):
        total, stats = 0.0, np.zeros((theta.shape[1], theta.shape[0]))
        for phi_t, w in self._chunks():
            log_prob = estep.weighted_log_prob(phi_t, theta, shared_prec_chol)
            log_norm, chunk_stats, _ = estep.chunk_statistics(
                log_prob, phi_t, w, lambda phi_t=phi_t: np.ascontiguousarray(phi_t.T)
            )
            stats += chunk_stats
            total += log_norm.sum() if w is None else log_norm @ w
        return total, stats

    def responsibility_statistics(self, resp, n_components):
        stats, start = np.zeros((n_components, self.model.n_stats)), 0
        for phi_t, w in self._chunks():
            rows = slice(start, start + phi_t.shape[1])
            start = rows.stop
            stats += estep.chunk_responsibility_statistics(
                resp[rows],
                phi_t,
                w,
                n_components,
                lambda phi_t=phi_t: np.ascontiguousarray(phi_t.T),
            )
        return stats

    def scatter(self):
        scatter = np.zeros((self.model.d, self.model.d))
        for phi_t, w in self._chunks():
            scatter += estep.chunk_scatter(phi_t, self.model.d, w)
        return scatter

    def per_row(self, theta, shared_prec_chol, want):
        parts = []
        for phi_t, _ in self._chunks():
            log_prob = estep.weighted_log_prob(phi_t, theta, shared_prec_chol)
            parts.append(estep.per_sample_from_log_prob(log_prob, want))
        return np.concatenate(parts)

    def kept_rows(self, theta, want):
        return None  # keeps nothing: callers then score with per_row

    def warm_up(self):
        pass


@pytest.fixture
def data():
    X, _ = make_blobs(500, centers=4, n_features=3, cluster_std=2.0, random_state=1)
    weight = np.random.default_rng(0).uniform(0.5, 2.0, len(X))
    return X, weight


def _chunk_list_source(X, weight, covariance_type):
    """The chunk-list source of the data, shifted to its weighted mean as a fit's source is."""
    shift = (weight @ X) / weight.sum()
    starts = range(0, len(X), CHUNK)
    return ChunkListSource(
        [X[s : s + CHUNK] for s in starts],
        [weight[s : s + CHUNK] for s in starts],
        covariance_model(covariance_type, X.shape[1]),
        shift,
    )


def test_both_sources_implement_the_protocol(data):
    X, weight = data
    assert isinstance(_chunk_list_source(X, weight, "full"), FeatureSource)
    model = covariance_model("full", 3)
    assert isinstance(NumpySource(X, X.mean(axis=0), model, 4), FeatureSource)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_a_chunk_list_source_fits_scores_and_predicts_as_the_in_memory_path(data, covariance_type):
    X, weight = data
    k, seed = 4, 0
    with gmmkit.config_context(working_memory=1 / 1024):  # 64-row chunks in memory too
        expected = GaussianMixture(k, covariance_type=covariance_type, random_state=seed)
        expected.fit(X, sample_weight=weight)
        expected_rows = expected._predict_rows(X, "summary")

    source = _chunk_list_source(X, weight, covariance_type)
    model = source.model
    labels = initial_responsibilities(X, k, "kmeans", np.random.RandomState(seed), weight)
    data_terms = model.prepare(source)
    context = MStepContext(
        1e-6, source.total_weight, normalize_weights=False, data_terms=data_terms
    )
    start, _, _ = m_step(model, source.responsibility_statistics(labels, k), context)
    result = run_em(
        source,
        start,
        reg_covar=1e-6,
        tol=1e-3,
        max_iter=100,
        total_weight=source.total_weight,
        data_terms=data_terms,
    )

    fitted = result.params
    np.testing.assert_array_equal(fitted.weights, expected.weights_)
    np.testing.assert_array_equal(fitted.means + source.shift, expected.means_)
    np.testing.assert_array_equal(fitted.covariances, expected.covariances_)
    np.testing.assert_array_equal(fitted.precisions_cholesky, expected.precisions_cholesky_)
    assert result.lower_bounds == expected.lower_bounds_.tolist()
    assert result.n_iter == expected.n_iter_

    # scoring and predicting through the source, with the coefficients of the fitted model
    # about the source's own shift, give the estimator's per-row outputs (its score pass uses
    # another shift, so those agree to rounding)
    theta, shared = model.theta(fitted.weights, fitted.means, fitted.precisions_cholesky)
    in_memory = NumpySource(
        X, source.shift, model, k, sample_weight=weight, options=Options(working_memory=1 / 1024)
    )
    for want in ("log_prob_norm", "resp", "argmax", "summary"):
        np.testing.assert_array_equal(
            source.per_row(theta, shared, want), in_memory.per_row(theta, shared, want)
        )
    np.testing.assert_allclose(
        source.per_row(theta, shared, "summary"), expected_rows, rtol=1e-10, atol=1e-10
    )
    total, stats = source.statistics(theta, shared)
    expected_total, expected_stats = in_memory.statistics(theta, shared)
    assert total == expected_total
    np.testing.assert_array_equal(stats, expected_stats)
