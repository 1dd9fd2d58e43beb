"""Model selection: gmmkit.select, GaussianMixtureSelector and the GridSearchCV scorers."""

import dataclasses
import inspect
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import gmmkit
from gmmkit import GaussianMixture, GaussianMixtureSelector, aic_scorer, bic_scorer, select
from gmmkit.selection import TABLE_COLUMNS, SweepSettings


@pytest.fixture(scope="module")
def three_blobs():
    X, _ = make_blobs(n_samples=300, centers=3, cluster_std=0.6, random_state=0)
    return X


@pytest.fixture(scope="module")
def sweep(three_blobs):
    # k-means starts, as a scikit-learn loop's, for the tests that compare with one
    return select(three_blobs, range(1, 6), random_state=0, init_params="kmeans", tol=1e-3)


def test_bic_picks_three_components_on_three_separated_blobs(sweep):
    assert sweep.best_params_["n_components"] == 3


def test_table_has_a_row_for_every_configuration(sweep):
    table = sweep.table
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == list(TABLE_COLUMNS)
    pairs = set(zip(table.n_components, table.covariance_type))
    assert pairs == {(k, t) for k in range(1, 6) for t in ("full", "tied", "diag", "spherical")}
    assert table.error.isna().all()


def test_best_estimator_is_the_best_rows_fitted_mixture(sweep, three_blobs):
    row = sweep.table.iloc[sweep.best_index_]
    assert row.bic == sweep.table.bic.min()
    best = sweep.best_estimator_
    assert best.n_components == row.n_components
    assert best.covariance_type == row.covariance_type
    assert best.bic(three_blobs) == pytest.approx(row.bic, rel=1e-12)


def test_each_configuration_matches_the_scikit_learn_fit_with_the_same_seed(sweep, three_blobs):
    for k, covariance_type in [(2, "full"), (4, "diag"), (3, "tied")]:
        row = sweep.table.query("n_components == @k and covariance_type == @covariance_type")
        reference = SklearnGaussianMixture(k, covariance_type=covariance_type, random_state=0)
        reference.fit(three_blobs)
        assert row.bic.item() == pytest.approx(reference.bic(three_blobs), rel=1e-8)


def test_table_scores_agree_with_the_fitted_model_definitions(sweep, three_blobs):
    row = sweep.table.iloc[sweep.best_index_]
    best = sweep.best_estimator_
    assert row.log_likelihood == pytest.approx(best.score(three_blobs), rel=1e-12)
    assert row.aic == pytest.approx(best.aic(three_blobs), rel=1e-12)
    assert row.icl == pytest.approx(best.icl(three_blobs), rel=1e-12)
    assert row.n_parameters == best.n_parameters_


@pytest.mark.slow
def test_scores_read_from_the_last_e_step_match_the_fitted_models(monkeypatch):
    # far-apart clusters: every row belongs to one component, EM reaches a fixed point, and
    # the scoring pass reads the last E-step's log-densities instead of recomputing them
    X, _ = make_blobs(
        n_samples=600,
        centers=30,
        n_features=3,
        cluster_std=0.2,
        center_box=(-100, 100),
        random_state=2,
    )
    reads = []
    real_read = gmmkit.backends.numpy.per_sample_from_log_prob

    def counting(log_prob, want):
        reads.append(want)
        return real_read(log_prob, want)

    monkeypatch.setattr(gmmkit.backends.numpy, "per_sample_from_log_prob", counting)
    result = select(X, [20, 25, 30], "full", random_state=0)
    # one read per configuration, and one for the polish of the chosen one
    assert len(reads) == 4 and set(reads) == {"summary"}
    models = {k: SklearnGaussianMixture(k, random_state=0).fit(X) for k in (20, 25, 30)}
    for row in result.records():
        reference = models[row["n_components"]]
        assert row["bic"] == pytest.approx(reference.bic(X), rel=1e-10)
    # the fit's own parameters against the stored ones (shifted back): equal to rounding
    best, row = result.best_estimator_, result.table.iloc[result.best_index_]
    criteria = best.criteria(X)
    for name in ("bic", "aic", "icl", "log_likelihood"):
        assert row[name] == pytest.approx(criteria[name], rel=1e-10)
    from sklearn.metrics import silhouette_score

    assert row.silhouette == pytest.approx(silhouette_score(X, best.predict(X)), rel=1e-6)


def test_table_silhouettes_match_scikit_learn_on_the_predicted_labels(sweep, three_blobs):
    from sklearn.metrics import silhouette_score

    # the sweep keeps its distances in float32; its silhouettes stay within 1e-6
    for row in sweep.table[sweep.table.n_components > 1].itertuples():
        model = GaussianMixture(
            row.n_components, covariance_type=row.covariance_type, random_state=0
        ).fit(three_blobs)
        expected = silhouette_score(three_blobs, model.predict(three_blobs))
        assert row.silhouette == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_silhouette_is_undefined_for_one_component_and_defined_otherwise(sweep):
    table = sweep.table
    assert table.loc[table.n_components == 1, "silhouette"].isna().all()
    assert table.loc[table.n_components > 1, "silhouette"].between(-1, 1).all()


def test_cross_validation_adds_held_out_log_likelihood(three_blobs):
    result = select(three_blobs, range(1, 5), ["full", "diag"], cv=3, random_state=0)
    table = result.table
    assert table.cv_mean.notna().all() and (table.cv_std >= 0).all()
    # held-out likelihood is lower than in-sample for the same model, on average
    assert (table.cv_mean < table.log_likelihood + 0.1).all()


def test_criterion_cv_picks_the_highest_held_out_likelihood(three_blobs):
    result = select(three_blobs, range(1, 6), "full", criterion="cv", cv=3, random_state=0)
    assert result.best_index_ == int(result.table.cv_mean.to_numpy().argmax())
    assert result.best_params_["n_components"] == 3


def test_silhouette_and_icl_criteria_are_honoured(three_blobs):
    by_silhouette = select(three_blobs, range(1, 6), "full", criterion="silhouette", random_state=0)
    assert by_silhouette.best_index_ == int(np.nanargmax(by_silhouette.table.silhouette))
    by_icl = select(three_blobs, range(1, 6), "full", criterion="icl", random_state=0)
    assert by_icl.best_index_ == int(by_icl.table.icl.to_numpy().argmin())


@pytest.mark.slow
def test_tables_are_identical_for_one_and_two_jobs(three_blobs):
    one = select(three_blobs, range(1, 5), cv=3, random_state=0, n_jobs=1).table
    with gmmkit.config_context(parallel_min_work=0):  # parallel even when tiny
        two = select(three_blobs, range(1, 5), cv=3, random_state=0, n_jobs=2).table
    pd.testing.assert_frame_equal(
        one.drop(columns="fit_seconds"), two.drop(columns="fit_seconds"), check_exact=True
    )


def test_a_failing_configuration_becomes_a_nan_row_and_the_sweep_goes_on(three_blobs, monkeypatch):
    real_fit = GaussianMixture._fit

    def fit_failing_at_four(self, *args, **kwargs):
        if self.n_components == 4 and self.covariance_type == "diag":
            raise ValueError("covariance of component(s) [2] stays singular")
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(GaussianMixture, "_fit", fit_failing_at_four)
    table = select(three_blobs, range(1, 6), ["full", "diag"], random_state=0).table
    failed = table[(table.n_components == 4) & (table.covariance_type == "diag")].iloc[0]
    assert "stays singular" in failed.error
    assert np.isnan([failed.bic, failed.aic, failed.icl, failed.log_likelihood]).all()
    assert table.drop(failed.name).error.isna().all()
    assert len(table) == 10


def test_cv_fold_smaller_than_k_marks_only_the_cv_scores(three_blobs):
    X = three_blobs[:12]
    table = select(X, [2, 10], "spherical", cv=2, random_state=0).table
    small, large = table.iloc[0], table.iloc[1]
    assert pd.isna(small.error) and np.isfinite(small.cv_mean)
    assert "fewer than 10 components" in large.error
    assert np.isnan(large.cv_mean) and np.isfinite(large.bic)


def test_mclust_table_is_the_negated_bic_with_models_as_columns(sweep):
    mclust = sweep.to_mclust()
    for row in sweep.records():
        name = {"full": "VVV", "tied": "EEE", "diag": "VVI", "spherical": "VII"}[
            row["covariance_type"]
        ]
        assert mclust.loc[row["n_components"], name] == pytest.approx(-row["bic"])
        assert sweep.to_mclust("icl").loc[row["n_components"], name] == pytest.approx(-row["icl"])
    best = sweep.best_params_
    assert mclust.stack().idxmax()[0] == best["n_components"]


def test_records_work_without_pandas(sweep):
    records = sweep.records()
    assert len(records) == len(sweep.table)
    assert set(records[0]) == set(TABLE_COLUMNS)


def test_sample_weight_enters_fits_and_scores(three_blobs):
    weight = np.random.RandomState(1).randint(1, 4, size=len(three_blobs)).astype(float)
    weighted = select(three_blobs, [3], "full", random_state=0, sample_weight=weight)
    row = weighted.table.iloc[0]
    model = weighted.best_estimator_
    assert row.log_likelihood == pytest.approx(model.score(three_blobs, sample_weight=weight))
    assert row.bic == pytest.approx(model.bic(three_blobs, sample_weight=weight))


def test_text_progress_reports_each_value_of_k(three_blobs, capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    select(three_blobs, [1, 2, 3], "full", random_state=0, progress=True)
    assert "3/3 values of n_components" in capsys.readouterr().err


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_components": []}, "empty"),
        ({"n_components": [2, 500]}, r"exceed n_samples=300"),
        ({"n_components": [0, 2]}, r"'n_components' parameter of select must be .*Got \[0, 2\]"),
        ({"criterion": "likelihood"}, "'criterion' parameter of select must be"),
        ({"covariance_type": "banded"}, "'covariance_type' parameter of select must be.*'banded'"),
        ({"covariance_type": ["full", "toeplitz"]}, "toeplitz"),
        ({"criterion": "cv"}, "needs cv"),
        ({"cv": 301}, "exceed n_samples=300"),
        ({"cv": 1}, r"'cv' parameter of select must be an int in the range \[2, inf\)"),
        ({"init_params": "magic"}, "'init_params' parameter of select must be"),
    ],
)
def test_bad_arguments_fail_before_any_fitting(three_blobs, kwargs, message, monkeypatch):
    def never_fit(*args, **kwargs):
        raise AssertionError("a fit started before the arguments were checked")

    monkeypatch.setattr(GaussianMixture, "_fit", never_fit)
    with pytest.raises(ValueError, match=message):
        select(three_blobs, **{"n_components": range(1, 4), **kwargs})


def test_nan_in_data_is_refused(three_blobs):
    X = three_blobs.copy()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        select(X, [1, 2])


# ---------------------------------------------------------------------- estimator form
def test_selector_behaves_like_its_best_mixture(three_blobs):
    selector = GaussianMixtureSelector(range(1, 5), random_state=0).fit(three_blobs)
    best = selector.best_estimator_
    np.testing.assert_array_equal(selector.predict(three_blobs), best.predict(three_blobs))
    np.testing.assert_array_equal(
        selector.score_samples(three_blobs), best.score_samples(three_blobs)
    )
    assert selector.bic(three_blobs) == best.bic(three_blobs)
    draws, labels = selector.sample(10, random_state=0)
    assert draws.shape == (10, 2) and labels.shape == (10,)
    assert selector.best_params_["n_components"] == 3
    assert len(selector.table_) == 16


def test_selector_works_inside_a_pipeline(three_blobs):
    pipeline = make_pipeline(StandardScaler(), GaussianMixtureSelector(range(1, 5), random_state=0))
    labels = pipeline.fit(three_blobs).predict(three_blobs)
    assert np.unique(labels).size == 3
    assert np.isfinite(pipeline.score(three_blobs))


def test_select_the_selector_and_the_sweep_settings_name_the_same_parameters():
    settings = {field.name: field.default for field in dataclasses.fields(SweepSettings)}
    select_defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(select).parameters.items()
        if name not in ("X", "sample_weight")
    }
    assert settings == select_defaults
    assert set(GaussianMixtureSelector().get_params()) == set(settings)


@pytest.mark.slow
def test_the_selector_sweeps_exactly_what_select_sweeps(three_blobs):
    arguments = dict(
        n_components=[1, 2, 3],
        covariance_type=["full", "diag"],
        cv=3,
        random_state=0,
        warm_start=True,
    )
    selector = GaussianMixtureSelector(**arguments).fit(three_blobs)
    table = select(three_blobs, **arguments).table
    pd.testing.assert_frame_equal(
        selector.table_.drop(columns="fit_seconds"),
        table.drop(columns="fit_seconds"),
        check_exact=True,
    )


@parametrize_with_checks(
    [
        GaussianMixtureSelector(
            n_components=range(1, 4), covariance_type=["full", "diag"], random_state=0
        )
    ]
)
def test_selector_passes_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)


# ---------------------------------------------------------------------- GridSearchCV scorers
def test_scorers_are_negated_criteria(three_blobs):
    model = GaussianMixture(3, random_state=0).fit(three_blobs)
    assert bic_scorer(model, three_blobs) == -model.bic(three_blobs)
    assert aic_scorer(model, three_blobs) == -model.aic(three_blobs)


def test_bic_scorer_drives_grid_search(three_blobs):
    search = GridSearchCV(
        GaussianMixture(random_state=0),
        {"n_components": [1, 2, 3, 4], "covariance_type": ["full"]},
        scoring=gmmkit.bic_scorer,
        cv=3,
    )
    search.fit(three_blobs)
    assert search.best_params_["n_components"] == 3


@pytest.mark.parametrize("n_clusters", [2, 7, 40])
def test_silhouette_matches_scikit_learn(n_clusters):
    from sklearn.metrics import pairwise_distances, silhouette_score

    from gmmkit.selection.silhouette import _silhouette

    X = np.random.RandomState(n_clusters).normal(size=(120, 3))
    labels = np.random.RandomState(0).randint(0, n_clusters, size=120)
    labels[:3] = [0, 1, n_clusters - 1]
    rows = np.arange(120)
    expected = silhouette_score(X, labels)
    assert _silhouette(labels, rows, pairwise_distances(X)) == pytest.approx(expected, rel=1e-12)


def test_silhouettes_of_several_labellings_in_one_pass_match_scikit_learn():
    from sklearn.metrics import pairwise_distances, silhouette_score

    from gmmkit.selection.silhouette import _silhouettes

    X = np.random.RandomState(5).normal(size=(150, 3))
    rng = np.random.RandomState(1)
    label_sets = [
        rng.randint(0, 4, size=150),
        np.zeros(150, dtype=int),
        rng.randint(0, 30, size=150),
        np.arange(150),
    ]
    scores = _silhouettes(label_sets, np.arange(150), pairwise_distances(X).astype(np.float32))
    assert scores[0] == pytest.approx(silhouette_score(X, label_sets[0]), rel=1e-6)
    assert np.isnan(scores[1]) and np.isnan(scores[3])  # one cluster; every point its own
    assert scores[2] == pytest.approx(silhouette_score(X, label_sets[2]), rel=1e-6)


def test_a_failing_silhouette_leaves_the_fits_and_says_why(three_blobs, monkeypatch):
    def failing(self, label_sets):
        raise MemoryError("no room for the distances")

    monkeypatch.setattr(gmmkit.selection.silhouette.SilhouetteSample, "scores", failing)
    table = select(three_blobs, range(1, 4), ["full", "diag"], random_state=0).table
    assert table.silhouette.isna().all()
    assert table.error.str.contains("silhouette failed: MemoryError").all()
    assert np.isfinite(table.bic).all()


def test_silhouette_distances_are_scikit_learns_in_float32():
    from sklearn.metrics import pairwise_distances

    from gmmkit.selection.silhouette import DISTANCE_BLOCK_ROWS, _float32_distances

    X = np.random.RandomState(0).normal(size=(2 * DISTANCE_BLOCK_ROWS + 7, 5)) + 100.0
    distances = _float32_distances(X)
    assert distances.dtype == np.float32
    np.testing.assert_array_equal(np.diagonal(distances), 0.0)
    np.testing.assert_allclose(
        distances, pairwise_distances(X).astype(np.float32), rtol=1e-6, atol=1e-5
    )


def test_shared_features_that_fail_to_build_fail_only_their_rows(three_blobs, monkeypatch):
    # the shared features are built by tasks of their own; a failure there must not stop a sweep,
    # and the configurations that need those features report it in their rows
    real_source = gmmkit.selection.running.feature_source

    def failing_for_diag(X, weight, covariance_type, n_components, options):
        if covariance_type == "diag":
            raise MemoryError("no room for the diag features")
        return real_source(X, weight, covariance_type, n_components, options)

    monkeypatch.setattr(gmmkit.selection.running, "feature_source", failing_for_diag)
    with gmmkit.config_context(parallel_min_work=0):
        table = select(three_blobs, range(1, 5), ["full", "diag"], random_state=0, n_jobs=2).table
    diag = table[table.covariance_type == "diag"]
    assert diag.error.str.contains("no room for the diag features").all()
    assert table[table.covariance_type == "full"].error.isna().all()
    assert np.isfinite(table[table.covariance_type == "full"].bic).all()


@pytest.mark.parametrize("criterion", ["bic", "silhouette"])
def test_best_estimator_matches_best_row_when_scores_tie(three_blobs, criterion):
    # k=1 full and k=1 tied are the same model (same BIC), and silhouettes often tie exactly;
    # the parallel path must pick the same configuration as the table's first best row.
    with gmmkit.config_context(parallel_min_work=0):
        result = select(three_blobs, [1, 2, 3, 4], criterion=criterion, random_state=0, n_jobs=2)
    row = result.table.iloc[result.best_index_]
    assert (result.best_estimator_.n_components, result.best_estimator_.covariance_type) == (
        row.n_components,
        row.covariance_type,
    )


def test_selector_saves_and_loads_with_identical_predictions(three_blobs, tmp_path):
    selector = GaussianMixtureSelector(
        (1, 2, 3, 4), covariance_type=["full", "diag"], random_state=0
    ).fit(three_blobs)
    gmmkit.save(selector, tmp_path / "selector.gmm")
    loaded = gmmkit.load(tmp_path / "selector.gmm")
    np.testing.assert_array_equal(
        loaded.predict_proba(three_blobs), selector.predict_proba(three_blobs)
    )
    assert loaded.best_params_ == selector.best_params_
    pd.testing.assert_frame_equal(loaded.table_, selector.table_)
    assert isinstance(loaded.best_estimator_, GaussianMixture)


def test_best_estimator_keeps_the_column_names_of_a_dataframe():
    pd = pytest.importorskip("pandas")
    X, _ = make_blobs(n_samples=200, centers=2, random_state=0)
    frame = pd.DataFrame(X, columns=["height", "weight"])
    best = gmmkit.select(
        frame, n_components=[1, 2], covariance_type="full", random_state=0
    ).best_estimator_
    assert best.feature_names_in_.tolist() == ["height", "weight"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        best.predict(frame)


# ---------------------------------------------------------------------- warm starts along k
@pytest.fixture(scope="module")
def many_blobs():
    X, _ = make_blobs(n_samples=900, centers=12, n_features=3, cluster_std=1.0, random_state=4)
    return X


def test_warm_start_never_lowers_a_rows_likelihood_and_marks_the_rows_it_changed(many_blobs):
    ks = [2, 4, 6, 8, 10, 12, 14]
    plain = gmmkit.select(
        many_blobs,
        n_components=ks,
        covariance_type=["full", "diag"],
        random_state=0,
        init_params="kmeans",
    ).records()
    warm = gmmkit.select(
        many_blobs,
        n_components=ks,
        covariance_type=["full", "diag"],
        random_state=0,
        init_params="kmeans",
        warm_start=True,
    ).records()
    changed = 0
    for before, after in zip(plain, warm):
        assert (before["n_components"], before["covariance_type"]) == (
            after["n_components"],
            after["covariance_type"],
        )
        assert after["log_likelihood"] >= before["log_likelihood"]
        if after["start"] == "kmeans":
            assert {**after, "fit_seconds": 0} == {**before, "fit_seconds": 0}
        else:
            changed += 1
            assert after["start"] == f"split k={ks[ks.index(after['n_components']) - 1]}"
            assert after["log_likelihood"] > before["log_likelihood"]
            assert after["bic"] < before["bic"]
    assert changed > 0
    assert min(row["bic"] for row in warm) <= min(row["bic"] for row in plain)


def test_warm_start_best_estimator_is_the_best_rows_model(many_blobs):
    result = gmmkit.select(
        many_blobs,
        n_components=[3, 6, 9, 12],
        covariance_type="full",
        random_state=1,
        warm_start=True,
    )
    table = result.records()
    best = table[result.best_index_]
    assert result.best_estimator_.n_components == best["n_components"]
    assert result.best_estimator_.bic(many_blobs) == pytest.approx(best["bic"], rel=1e-9)


@pytest.mark.slow
def test_warm_start_table_is_the_same_for_any_n_jobs(many_blobs):
    kwargs = dict(
        n_components=[2, 5, 8, 11],
        covariance_type=["full", "spherical"],
        random_state=0,
        warm_start=True,
    )
    one = gmmkit.select(many_blobs, n_jobs=1, **kwargs).records()
    two = gmmkit.select(many_blobs, n_jobs=2, **kwargs).records()
    for a, b in zip(one, two):
        a.pop("fit_seconds"), b.pop("fit_seconds")
        assert a == b


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("target", [5, 9])
def test_splitting_keeps_weight_and_first_moment_and_grows_to_the_target(covariance_type, target):
    from gmmkit._core.split import split_components

    gm = GaussianMixture(4, covariance_type=covariance_type, random_state=0).fit(
        make_blobs(n_samples=300, centers=4, n_features=3, random_state=0)[0]
    )
    weights, means, covariances = split_components(
        covariance_type, gm.weights_, gm.means_, gm.covariances_, target
    )
    assert weights.shape == (target,) and means.shape == (target, 3)
    expected_shape = {
        "full": (target, 3, 3),
        "tied": (3, 3),
        "diag": (target, 3),
        "spherical": (target,),
    }[covariance_type]
    assert covariances.shape == expected_shape
    np.testing.assert_allclose(weights.sum(), 1.0)
    np.testing.assert_allclose(weights @ means, gm.weights_ @ gm.means_, atol=1e-12)
    assert len({tuple(row) for row in np.round(means, 12)}) == target


# ---------------------------------------------------------------------- the package's shape
def test_every_module_of_the_selection_package_stays_small():
    # split by job from one 950-line module: a module that outgrows this holds a second job
    # (450 in ruff's format, which puts a long call's arguments one per line)
    package = Path(gmmkit.selection.__file__).parent
    lengths = {
        path.name: len(path.read_text("utf-8").splitlines()) for path in package.glob("*.py")
    }
    assert max(lengths.values()) <= 450, lengths
