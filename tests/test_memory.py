"""Peak memory of a fit is bounded by chunk-sized temporaries, not by n_samples * K * d."""

import tracemalloc
import warnings

import numpy as np
import pytest

import gmmkit
from gmmkit import GaussianMixture


@pytest.mark.slow
@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_fit_peak_memory_stays_chunk_bounded(covariance_type):
    n_samples, n_features, n_components = 30_000, 8, 40
    X = np.random.RandomState(0).standard_normal((n_samples, n_features))
    model = GaussianMixture(
        n_components,
        covariance_type=covariance_type,
        max_iter=3,
        tol=0,
        init_params="random_from_data",
        random_state=0,
    )
    tracemalloc.start()
    # Small chunks and no feature cache make the bound visible at a test-sized n.
    with warnings.catch_warnings(), gmmkit.config_context(working_memory=1, feature_cache_memory=0):
        warnings.simplefilter("ignore")
        model.fit(X)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    naive = n_samples * n_components * n_features * 8
    # O(n) vectors (labels, log-likelihoods) plus a few 1 MiB chunk temporaries
    assert peak < 12 * 2**20
    assert peak < naive / 8
