"""statistics_of_many: one E-step per request, batched by sources that can batch."""

import numpy as np

from gmmkit._config import current_options
from gmmkit._core.source import statistics_of_many
from gmmkit.mixture import feature_source


class _Batching:
    """A source that answers its requests together and records each batch."""

    batches: list = []

    def __init__(self, inner):
        self.inner = inner

    @classmethod
    def batch_statistics(cls, requests):
        cls.batches.append(len(requests))
        return [
            source.inner.statistics(theta, shared, weights_only)
            for source, theta, shared, weights_only in requests
        ]


def _requests(rng, X, count):
    source = feature_source(X, None, "diag", 3, current_options())
    model = source.model
    requests = []
    for _ in range(count):
        weights = rng.dirichlet(np.ones(3))
        means = rng.normal(size=(3, X.shape[1]))
        precisions_cholesky = np.ones((3, X.shape[1]))
        theta, shared = model.theta(weights, means, precisions_cholesky)
        requests.append((source, theta, shared, False))
    return requests


def test_results_come_back_in_order_and_equal_one_by_one_calls():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    plain = _requests(rng, X, 4)
    expected = [source.statistics(theta, shared, w) for source, theta, shared, w in plain]
    _Batching.batches = []
    mixed = [
        (_Batching(source), theta, shared, w) if i % 2 else (source, theta, shared, w)
        for i, (source, theta, shared, w) in enumerate(plain)
    ]
    answers = statistics_of_many(mixed)
    assert _Batching.batches == [2]
    for (log_likelihood, stats), (want_ll, want_stats) in zip(answers, expected):
        assert log_likelihood == want_ll
        np.testing.assert_array_equal(stats, want_stats)
