"""The E-step kernel's two paths: dense, and sparse when almost every responsibility is
negligible. Both must give the statistics and log-normalisers of the exact computation."""

import threading

import numpy as np
import pytest
from scipy.special import logsumexp

from gmmkit._core import estep
from gmmkit.backends.numpy import NumpySource


def _exact(log_prob, phi_t, w):
    log_norm = logsumexp(log_prob, axis=0)
    resp = np.exp(log_prob - log_norm)
    if w is not None:
        resp = resp * w
    return log_norm, resp @ phi_t.T


def _separated_log_prob(rng, n_components, n_rows, spread):
    """Log-densities where each row has one or two likely components and the rest lie
    ``spread`` nats or more below them (so that the sparse path is taken when spread is large)."""
    log_prob = rng.uniform(-3 * spread, -spread, size=(n_components, n_rows))
    best = rng.integers(n_components, size=n_rows)
    second = (best + 1 + rng.integers(n_components - 1, size=n_rows)) % n_components
    columns = np.arange(n_rows)
    log_prob[best, columns] = rng.normal(size=n_rows)
    log_prob[second, columns] = rng.normal(size=n_rows) - rng.uniform(0, 30, size=n_rows)
    return log_prob + rng.normal(scale=50.0, size=n_rows)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("spread", [3.0, 200.0])
def test_chunk_statistics_match_exact_responsibilities(weighted, spread):
    rng = np.random.default_rng(0)
    n_components, n_rows, n_stats = 40, 300, 7
    log_prob = _separated_log_prob(rng, n_components, n_rows, spread)
    phi_t = rng.normal(size=(n_stats, n_rows))
    w = rng.uniform(0.5, 2.0, size=n_rows) if weighted else None
    expected_norm, expected_stats = _exact(log_prob, phi_t, w)

    sparse = estep._live_entries(log_prob, log_prob.max(axis=0)) is not None
    assert sparse == (spread > 100)
    original = log_prob.copy()
    log_norm, stats, intact = estep.chunk_statistics(
        log_prob, phi_t, w, lambda: np.ascontiguousarray(phi_t.T)
    )
    assert intact == sparse == np.array_equal(log_prob, original)
    np.testing.assert_allclose(log_norm, expected_norm, rtol=1e-14)
    np.testing.assert_allclose(stats, expected_stats, rtol=1e-12, atol=1e-12)


def test_sparse_path_keeps_every_entry_that_changes_a_count_or_a_normaliser():
    # a component whose responsibilities are all tiny but not negligible (about exp(-45) of
    # each row's best) keeps them exactly; entries below the documented cutoff are dropped
    rng = np.random.default_rng(1)
    n_components, n_rows = 50, 200
    log_prob = _separated_log_prob(rng, n_components, n_rows, 500.0)
    cutoff = estep.NEGLIGIBLE_MARGIN + np.log(n_components * n_rows)
    weak = 7
    log_prob[weak] = -np.inf
    peak = log_prob.max(axis=0)
    log_prob[weak] = peak - 45.0
    live = estep._live_entries(log_prob, peak)
    assert live is not None
    components = live // n_rows
    assert np.count_nonzero(components == weak) == n_rows  # 45 < cutoff: all kept
    assert cutoff > 45.0
    phi_t = np.ones((1, n_rows))
    _, stats, _ = estep.chunk_statistics(
        log_prob.copy(), phi_t, None, lambda: np.ascontiguousarray(phi_t.T)
    )
    _, expected = _exact(log_prob, phi_t, None)
    np.testing.assert_allclose(stats[weak], expected[weak], rtol=1e-13)
    # what the sparse path leaves out weighs at most exp(-40) / K per component, under the
    # 10 eps every count is padded with
    resp = np.exp(log_prob - logsumexp(log_prob, axis=0))
    dropped = np.ones(resp.shape, dtype=bool)
    dropped.flat[live] = False
    dropped_mass = np.where(dropped, resp, 0.0).sum(axis=1)
    assert dropped_mass.max() > 0
    assert dropped_mass.max() <= np.exp(-estep.NEGLIGIBLE_MARGIN) / n_components
    assert np.exp(-estep.NEGLIGIBLE_MARGIN) < 10 * np.finfo(np.float64).eps


@pytest.mark.parametrize("spread", [3.0, 200.0])
def test_log_norm_and_entropy_match_exact_computation(spread):
    rng = np.random.default_rng(2)
    log_prob = _separated_log_prob(rng, 30, 250, spread)
    expected_norm = logsumexp(log_prob, axis=0)
    resp = np.exp(log_prob - expected_norm)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected_entropy = -np.where(resp > 0, resp * np.log(resp), 0.0).sum(axis=0)
    log_norm, entropy = estep._log_norm_and_entropy(log_prob.copy(), log_prob.max(axis=0), True)
    np.testing.assert_allclose(log_norm, expected_norm, rtol=1e-14)
    # the entropy is log S - sum(e s) / S: absolute rounding of about eps * log S
    np.testing.assert_allclose(entropy, expected_entropy, rtol=1e-9, atol=1e-13)


def test_one_source_serves_several_threads_at_once():
    # sweep workers share one FeatureSource; each thread must get its own scratch buffer
    from gmmkit._core.covariances import covariance_model

    rng = np.random.default_rng(3)
    X = rng.normal(size=(500, 4))
    model = covariance_model("full", 4)
    source = NumpySource(X, X.mean(axis=0), model, n_components=12)
    weights = np.full(12, 1 / 12)
    thetas = [
        model.theta(
            weights, rng.normal(size=(12, 4)), np.broadcast_to(np.eye(4) * s, (12, 4, 4)).copy()
        )[0]
        for s in (0.5, 1.0, 2.0, 4.0)
    ]
    expected = [source.statistics(theta, None) for theta in thetas]
    results = {}

    def run(index):
        for _ in range(20):
            results[index] = source.statistics(thetas[index], None)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(thetas))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index, (total, stats) in enumerate(expected):
        assert results[index][0] == total
        np.testing.assert_array_equal(results[index][1], stats)


def test_prepared_row_major_features_are_the_cached_chunks_transposed():
    from gmmkit._core.covariances import covariance_model

    X = np.random.default_rng(4).normal(size=(300, 3))
    source = NumpySource(X, X.mean(axis=0), covariance_model("full", 3), n_components=2)
    source.warm_up()
    for rows, phi_t in source:
        row_major = source.sample_major(rows, phi_t)
        assert row_major.flags.c_contiguous
        np.testing.assert_array_equal(row_major, phi_t.T)
        assert source.sample_major(rows, phi_t) is row_major  # built once, then reused


def test_kept_rows_are_the_last_sparse_e_steps_and_are_read_once():
    from gmmkit._core.covariances import covariance_model

    rng = np.random.default_rng(5)
    centres = rng.normal(scale=100.0, size=(30, 2))
    X = np.repeat(centres, 10, axis=0) + rng.normal(scale=0.1, size=(300, 2))
    model = covariance_model("spherical", 2)
    source = NumpySource(X, X.mean(axis=0), model, n_components=30)
    theta, _ = model.theta(np.full(30, 1 / 30), centres - X.mean(axis=0), np.full(30, 10.0))
    source.statistics(
        theta, None
    )  # one live component per row of 30: the sparse path, log_prob kept
    expected = estep.per_sample_from_log_prob(
        estep.weighted_log_prob(next(iter(source))[1], theta, None), "summary"
    )
    np.testing.assert_array_equal(source.kept_rows(theta, "summary"), expected)
    assert source.kept_rows(theta, "summary") is None  # once
    source.statistics(theta, None)
    assert source.kept_rows(theta.copy(), "summary") is None  # only for the very coefficients
    source.statistics(theta, None)
    source.per_row(theta, None, "argmax")  # any later use of the buffer ends it
    assert source.kept_rows(theta, "summary") is None


def test_a_change_of_weights_alone_updates_the_kept_log_probabilities(monkeypatch):
    from gmmkit._core.covariances import covariance_model

    rng = np.random.default_rng(6)
    centres = rng.normal(scale=100.0, size=(30, 2))
    X = np.repeat(centres, 10, axis=0) + rng.normal(scale=0.1, size=(300, 2))
    model = covariance_model("spherical", 2)
    source = NumpySource(X, X.mean(axis=0), model, n_components=30)
    means, precision = centres - X.mean(axis=0), np.full(30, 10.0)
    theta, _ = model.theta(np.full(30, 1 / 30), means, precision)
    source.statistics(theta, None)
    new_weights = rng.dirichlet(np.ones(30))
    new_theta, _ = model.theta(new_weights, means, precision)
    fresh = NumpySource(X, X.mean(axis=0), model, n_components=30)
    expected_total, expected_stats = fresh.statistics(new_theta, None)

    updates = []
    real = NumpySource.log_prob_after_weight_change

    def spy(self, theta):
        log_prob = real(self, theta)
        updates.append(log_prob is not None)
        return log_prob

    monkeypatch.setattr(NumpySource, "log_prob_after_weight_change", spy)
    total, stats = source.statistics(new_theta, None, weights_only=True)
    other_means, _ = model.theta(new_weights, means + 1.0, precision)
    # said to be a change of weights, but the means changed too: checked, the full product
    source.statistics(other_means, None, weights_only=True)
    assert updates == [True, False]
    assert total == pytest.approx(expected_total, rel=1e-13)
    np.testing.assert_allclose(stats, expected_stats, rtol=1e-12, atol=1e-9)


def test_an_m_step_on_unchanged_statistics_reuses_the_earlier_one_exactly():
    from gmmkit._core.covariances import MStepContext, covariance_model
    from gmmkit._core.em import MStep, m_step

    rng = np.random.default_rng(7)
    model = covariance_model("full", 3)
    X = rng.normal(size=(200, 3))
    source = NumpySource(X, X.mean(axis=0), model, n_components=4)
    stats = source.responsibility_statistics(rng.integers(4, size=200), 4)
    first, recovered, added = m_step(
        model, stats, MStepContext(1e-6, 200.0, normalize_weights=False)
    )
    earlier = MStep(stats, first, recovered, added)
    again, _, _ = m_step(model, stats.copy(), MStepContext(1e-6, 200.0), earlier=earlier)
    fresh, _, _ = m_step(model, stats.copy(), MStepContext(1e-6, 200.0))
    assert again.means is first.means and again.precisions_cholesky is first.precisions_cholesky
    for name in ("weights", "means", "covariances", "precisions_cholesky"):
        np.testing.assert_array_equal(getattr(again, name), getattr(fresh, name))
    changed = stats.copy()
    changed[0, 1] += 1.0
    moved, _, _ = m_step(model, changed, MStepContext(1e-6, 200.0), earlier=earlier)
    assert moved.means is not first.means
    np.testing.assert_array_equal(
        moved.means, m_step(model, changed, MStepContext(1e-6, 200.0))[0].means
    )


def test_em_with_reused_steps_ends_where_plain_em_does():
    from gmmkit._core.covariances import MStepContext, covariance_model
    from gmmkit._core.em import MStep, m_step, run_em

    rng = np.random.default_rng(8)
    centres = rng.normal(scale=1000.0, size=(30, 2))
    X = np.repeat(centres, 10, axis=0) + rng.normal(scale=0.5, size=(300, 2))
    labels = np.repeat(np.arange(30), 10)
    model = covariance_model("full", 2)
    results = []
    for reuse in (True, False):
        source = NumpySource(X, X.mean(axis=0), model, n_components=30)
        stats = source.responsibility_statistics(labels, 30)
        params, recovered, added = m_step(
            model, stats, MStepContext(1e-6, 300.0, normalize_weights=False)
        )
        initial = MStep(stats, params, recovered, added) if reuse else None
        results.append(
            run_em(
                source,
                params,
                reg_covar=1e-6,
                tol=1e-3,
                max_iter=10,
                total_weight=300.0,
                initial_m_step=initial,
            )
        )
    reused, plain = results
    assert reused.n_iter == plain.n_iter == 2 and reused.converged and reused.final_evaluated
    for name in ("weights", "means", "covariances", "precisions_cholesky"):
        np.testing.assert_array_equal(getattr(reused.params, name), getattr(plain.params, name))
    np.testing.assert_allclose(reused.lower_bounds, plain.lower_bounds, rtol=1e-14)


def test_with_fixed_point_reuse_off_every_step_is_computed_and_ends_alike(monkeypatch):
    from gmmkit._core.covariances import MStepContext, covariance_model
    from gmmkit._core.em import MStep, m_step, run_em

    rng = np.random.default_rng(9)
    centres = rng.normal(scale=1000.0, size=(30, 2))
    X = np.repeat(centres, 10, axis=0) + rng.normal(scale=0.5, size=(300, 2))
    model = covariance_model("full", 2)
    updates = []
    real = NumpySource.log_prob_after_weight_change
    monkeypatch.setattr(
        NumpySource,
        "log_prob_after_weight_change",
        lambda self, theta: updates.append(1) or real(self, theta),
    )
    results = []
    for reuse in (True, False):
        source = NumpySource(X, X.mean(axis=0), model, n_components=30)
        stats = source.responsibility_statistics(np.repeat(np.arange(30), 10), 30)
        params, recovered, added = m_step(
            model, stats, MStepContext(1e-6, 300.0, normalize_weights=False)
        )
        results.append(
            run_em(
                source,
                params,
                reg_covar=1e-6,
                tol=0.0,
                max_iter=4,
                total_weight=300.0,
                initial_m_step=MStep(stats, params, recovered, added),
                reuse_fixed_points=reuse,
            )
        )
        if reuse:
            assert updates  # reuse on: each E-step asks whether only the weights changed
            updates.clear()
    assert updates == []  # reuse off: never asked
    reused, computed = results
    assert reused.params.means is not computed.params.means
    for name in ("weights", "means", "covariances", "precisions_cholesky"):
        np.testing.assert_array_equal(getattr(reused.params, name), getattr(computed.params, name))
    np.testing.assert_allclose(reused.lower_bounds, computed.lower_bounds, rtol=1e-14)


def test_scratch_reuses_one_array_per_name_for_any_shape_that_fits():
    from gmmkit._core.estep import Scratch

    scratch = Scratch()
    first = scratch.array("features", (7, 100))
    again = scratch.array("features", (7, 40))  # a last, shorter chunk
    assert again.shape == (7, 40) and again.flags.c_contiguous
    assert np.shares_memory(first, again)
    other = scratch.array("log_prob", (3, 100))
    assert not np.shares_memory(first, other)
    larger = scratch.array("features", (7, 200))
    assert not np.shares_memory(first, larger) and larger.shape == (7, 200)
    mask = scratch.array("live", (3, 100), np.bool_)
    assert mask.dtype == np.bool_
    assert scratch.array("live", (3, 100)).dtype == np.float64  # another dtype: a new array


def test_features_and_statistics_in_scratch_arrays_are_those_without():
    from gmmkit._core.covariances import covariance_model
    from gmmkit._core.estep import Scratch, chunk_features, chunk_statistics, weighted_log_prob

    rng = np.random.default_rng(0)
    model = covariance_model("full", 3)
    theta = rng.normal(size=(model.n_stats, 4))
    scratch = Scratch()
    for rows in (50, 20, 50):  # reused, shorter, reused again
        X = rng.normal(size=(rows, 3))
        phi = chunk_features(model, X, np.zeros(3))
        kept = chunk_features(model, X, np.zeros(3), scratch)
        np.testing.assert_array_equal(kept, phi)
        expected = chunk_statistics(
            weighted_log_prob(phi, theta, None), phi, None, lambda phi=phi: phi.T
        )
        out = scratch.array("log_prob", (4, rows))
        got = chunk_statistics(
            weighted_log_prob(kept, theta, None, out=out),
            kept,
            None,
            lambda kept=kept: kept.T,
            scratch,
        )
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])
