"""Standardized fits answering in the original units: the change of units of a fitted mixture,
``select(standardize=True)``, the report's scale warning and standardized view, and
``--standardize`` on the command line."""

import io

import numpy as np
import pytest

import gmmkit
from gmmkit import GaussianMixture, select
from gmmkit._core.covariances import MCLUST_ONE_FEATURE, CovarianceModel, covariance_types
from gmmkit.cli import main
from gmmkit.report import run_data_report
from gmmkit.standardizing import (
    Standardization,
    fit_standardized,
    standardization,
    to_original_units,
)
from gmmkit.studies import datasets


def _penguin_like(n=240, seed=0):
    """Two groups in features of very different units: grams, millimetres, a small ratio."""
    rng = np.random.RandomState(seed)
    group = rng.randint(2, size=n)
    mass = np.where(group, 5000.0, 3700.0) + rng.normal(0, 400, n)
    length = np.where(group, 47.0, 39.0) + rng.normal(0, 2.5, n)
    ratio = np.where(group, 0.30, 0.45) + rng.normal(0, 0.03, n)
    return np.column_stack([mass, length, ratio])


@pytest.fixture(scope="module")
def penguins():
    X = _penguin_like()
    X.setflags(write=False)
    return X


# ---------------------------------------------------------------------- change of units
@pytest.mark.parametrize(
    "covariance_type", [name for name in covariance_types() if name not in MCLUST_ONE_FEATURE]
)
def test_mixture_fitted_on_z_answers_the_same_in_original_units(penguins, covariance_type):
    standardized = standardization(penguins)
    Z = standardized.transform(penguins)
    on_z = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(Z)
    on_x = to_original_units(on_z, standardized)
    np.testing.assert_array_equal(on_x.predict(penguins), on_z.predict(Z))
    np.testing.assert_allclose(
        on_x.predict_proba(penguins), on_z.predict_proba(Z), rtol=0, atol=1e-10
    )
    np.testing.assert_allclose(
        on_z.score_samples(Z) - on_x.score_samples(penguins),
        np.log(standardized.scale).sum(),
        rtol=0,
        atol=1e-10,
    )
    assert on_x.lower_bound_ == pytest.approx(on_z.lower_bound_ - standardized.log_scale, abs=1e-12)
    assert (on_x.n_iter_, on_x.converged_) == (on_z.n_iter_, on_z.converged_)


def test_spherical_mixture_comes_back_diagonal_in_original_units(penguins):
    standardized = standardization(penguins)
    on_z = GaussianMixture(2, covariance_type="spherical", random_state=0).fit(
        standardized.transform(penguins)
    )
    on_x = to_original_units(on_z, standardized)
    assert on_x.covariance_type == "diag"
    np.testing.assert_allclose(
        on_x.covariances_, np.outer(on_z.covariances_, standardized.scale**2)
    )


def test_rescaling_a_model_without_rescaled_names_the_structure():
    class Bare(CovarianceModel):
        name = "bare"

    with pytest.raises(ValueError, match="'bare'.*rescaled"):
        Bare(2).rescaled(np.ones((1, 2)), np.ones(2))


def test_model_in_original_units_survives_save_and_load(penguins, tmp_path):
    model = fit_standardized(GaussianMixture(2, covariance_type="diag", random_state=0), penguins)
    gmmkit.save(model, tmp_path / "m.gmm")
    loaded = gmmkit.load(tmp_path / "m.gmm")
    np.testing.assert_array_equal(loaded.score_samples(penguins), model.score_samples(penguins))


# ---------------------------------------------------------------------- standardization
def test_standardization_is_weighted_by_sample_weight():
    X = np.array([[0.0], [1.0], [2.0]])
    weights = np.array([1.0, 1.0, 2.0])
    repeated = np.array([[0.0], [1.0], [2.0], [2.0]])
    got, expected = standardization(X, weights), standardization(repeated)
    np.testing.assert_allclose(got.mean, expected.mean)
    np.testing.assert_allclose(got.scale, expected.scale)


def test_constant_feature_gets_scale_one_and_stays_constant():
    X = np.column_stack([np.arange(10.0), np.full(10, 1e6)])
    standardized = standardization(X)
    assert standardized.scale[1] == 1.0
    assert np.ptp(standardized.transform(X)[:, 1]) == 0.0


def test_standardization_is_a_mean_and_a_scale():
    result = standardization(np.array([[1.0, 10.0], [3.0, 30.0]]))
    assert isinstance(result, Standardization)
    np.testing.assert_allclose(result.mean, [2.0, 20.0])
    np.testing.assert_allclose(result.scale, [1.0, 10.0])


# ---------------------------------------------------------------------- select
def test_select_standardized_sweeps_z_and_reports_criteria_in_original_units(penguins):
    standardized = standardization(penguins)
    arguments = {
        "n_components": [1, 2, 3],
        "covariance_type": ["full", "diag"],
        "cv": 3,
        "random_state": 0,
    }
    on_x = select(penguins, standardize=True, **arguments).records()
    on_z = select(standardized.transform(penguins), **arguments).records()
    shift = 2 * len(penguins) * standardized.log_scale
    for got, expected in zip(on_x, on_z):
        assert got["silhouette"] == pytest.approx(expected["silhouette"], nan_ok=True)
        assert got["bic"] == pytest.approx(expected["bic"] + shift, rel=1e-12)
        assert got["icl"] == pytest.approx(expected["icl"] + shift, rel=1e-12)
        assert got["log_likelihood"] == pytest.approx(
            expected["log_likelihood"] - standardized.log_scale, rel=1e-12
        )
        assert got["cv_mean"] == pytest.approx(
            expected["cv_mean"] - standardized.log_scale, rel=1e-12
        )


def test_select_standardized_best_estimator_scores_the_tables_bic_on_raw_rows(penguins):
    weights = np.random.RandomState(1).uniform(0.5, 2.0, len(penguins))
    result = select(
        penguins,
        n_components=[1, 2, 3],
        covariance_type=["full", "diag"],
        sample_weight=weights,
        standardize=True,
        random_state=0,
    )
    best = result.best_estimator_
    assert best.bic(penguins, sample_weight=weights) == pytest.approx(
        result.rows[result.best_index_]["bic"], rel=1e-10
    )
    assert np.abs(best.means_[:, 0] - penguins[:, 0].mean()).max() > 100  # grams, not z


def test_select_standardized_spherical_best_comes_back_diag_with_a_warning(penguins):
    with pytest.warns(UserWarning, match="spherical in standardized units, is diag"):
        result = select(
            penguins,
            n_components=[2, 3],
            covariance_type="spherical",
            standardize=True,
            random_state=0,
        )
    assert result.best_params_["covariance_type"] == "spherical"
    assert result.best_estimator_.covariance_type == "diag"


def test_selector_takes_standardize(penguins):
    selector = gmmkit.GaussianMixtureSelector(
        [1, 2], covariance_type="diag", standardize=True, random_state=0
    ).fit(penguins)
    assert selector.best_estimator_.means_[:, 0].min() > 1000  # grams, not standardized
    with pytest.raises(ValueError, match="standardize"):
        select(penguins, standardize="yes")


# ---------------------------------------------------------------------- report
@pytest.fixture(scope="module")
def raw_penguin_report(penguins, tmp_path_factory):
    """A report on features in grams, millimetres and a ratio, without --standardize."""
    out = tmp_path_factory.mktemp("raw_report") / "out"
    stream = io.StringIO()
    metrics = run_data_report(penguins, out, n_components=[1, 2], cv=None, stream=stream)
    return metrics, (out / "report.html").read_text(), stream.getvalue()


@pytest.mark.slow
def test_report_warns_when_feature_scales_differ_by_more_than_100x(raw_penguin_report):
    metrics, page, text = raw_penguin_report
    assert "standard deviations differ by" in metrics["settings"]["scale warning"]
    assert "consider --standardize" in page
    assert any(
        line.startswith("warning: ") and "--standardize" in line for line in text.splitlines()
    )


@pytest.mark.slow
def test_report_draws_the_pca_view_on_standardized_features(raw_penguin_report):
    _, page, _ = raw_penguin_report
    assert "principal components of the standardized features show" in page


@pytest.mark.slow
def test_report_on_comparable_scales_has_no_scale_warning(tmp_path):
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(0, 1, (60, 3)), rng.normal(4, 2, (60, 3))]
    stream = io.StringIO()
    metrics = run_data_report(X, tmp_path, n_components=[1, 2], cv=None, stream=stream)
    assert "scale warning" not in metrics["settings"]
    assert "warning:" not in stream.getvalue()
    assert "standardized features" not in (tmp_path / "report.html").read_text()


@pytest.mark.slow
def test_report_standardize_sweeps_through_select_standardize(penguins, tmp_path):
    metrics = run_data_report(
        penguins, tmp_path, n_components=[1, 2], cv=None, standardize=True, stream=io.StringIO()
    )
    split = datasets.split("your data", penguins, None, feature_names=["x1", "x2", "x3"], seed=0)
    expected = select(split.X_train, n_components=[1, 2], cv=None, random_state=0, standardize=True)
    chosen = metrics["sections"]["selection"]["metrics"]["chosen"]
    assert metrics["settings"]["standardized"] == "yes"
    assert chosen["bic"] == pytest.approx(expected.rows[expected.best_index_]["bic"])
    assert chosen["train_log_likelihood"] == pytest.approx(
        expected.best_estimator_.score(split.X_train)
    )


# ---------------------------------------------------------------------- classifier
def test_classifier_standardize_matches_the_standardized_fit_in_original_units(penguins):
    y = (penguins[:, 0] > 4300).astype(int)
    standardized = standardization(penguins)
    on_z = gmmkit.MixtureClassifier(2, covariance_type="spherical", random_state=0).fit(
        standardized.transform(penguins), y
    )
    on_x = gmmkit.MixtureClassifier(
        2, covariance_type="spherical", standardize=True, random_state=0
    ).fit(penguins, y)
    np.testing.assert_allclose(
        on_x.predict_proba(penguins),
        on_z.predict_proba(standardized.transform(penguins)),
        atol=1e-10,
    )
    assert [m.covariance_type for m in on_x.mixtures_] == ["diag", "diag"]
    assert on_x.n_parameters_ == on_z.n_parameters_


# ---------------------------------------------------------------------- command line
@pytest.fixture
def penguin_csv(penguins, tmp_path):
    path = tmp_path / "penguins.csv"
    labels = np.where(penguins[:, 0] > 4300, "gentoo", "adelie")
    lines = ["mass,length,ratio,species"] + [
        f"{a!r},{b!r},{c!r},{label}" for (a, b, c), label in zip(penguins.tolist(), labels)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cli_fit_standardize_saves_a_model_that_predicts_raw_rows(penguins, penguin_csv, tmp_path):
    model_path, labels_path = tmp_path / "m.gmm", tmp_path / "labels.csv"
    assert (
        main(
            [
                "fit",
                str(penguin_csv),
                "--columns",
                "mass,length,ratio",
                "-k",
                "2",
                "--covariance",
                "diag",
                "--standardize",
                "-o",
                str(model_path),
            ]
        )
        == 0
    )
    expected = fit_standardized(
        GaussianMixture(2, covariance_type="diag", random_state=0), penguins
    )
    model = gmmkit.load(model_path)
    np.testing.assert_allclose(model.means_, expected.means_, rtol=1e-12)
    assert main(["predict", str(model_path), str(penguin_csv), "-o", str(labels_path)]) == 0
    predicted = np.loadtxt(labels_path, delimiter=",", skiprows=1, usecols=-1)
    np.testing.assert_array_equal(predicted, expected.predict(penguins))


def test_cli_select_standardize_saves_the_best_model_in_original_units(
    penguins, penguin_csv, tmp_path
):
    out = tmp_path / "sweep"
    assert (
        main(
            [
                "select",
                str(penguin_csv),
                "--columns",
                "mass,length,ratio",
                "-k",
                "1:3",
                "--covariance",
                "full,diag",
                "--standardize",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    expected = select(
        penguins,
        n_components=range(1, 4),
        covariance_type=["full", "diag"],
        random_state=0,
        standardize=True,
    ).best_estimator_
    saved = gmmkit.load(out / "best.gmm")
    assert saved.covariance_type == expected.covariance_type
    np.testing.assert_allclose(saved.means_, expected.means_, rtol=1e-12)
    np.testing.assert_allclose(saved.covariances_, expected.covariances_, rtol=1e-12)


def test_cli_classify_standardize_fits_the_standardized_classifier(penguin_csv, tmp_path):
    model_path = tmp_path / "clf.gmm"
    assert (
        main(
            [
                "classify",
                str(penguin_csv),
                "--target",
                "species",
                "--cv",
                "0",
                "--standardize",
                "-o",
                str(model_path),
            ]
        )
        == 0
    )
    assert gmmkit.load(model_path).standardize is True


def test_cli_report_passes_standardize(penguin_csv, tmp_path, monkeypatch):
    import gmmkit.report

    calls = []
    monkeypatch.setattr(
        gmmkit.report, "run_data_report", lambda X, out_dir, **kwargs: calls.append(kwargs)
    )
    assert (
        main(
            [
                "report",
                str(penguin_csv),
                "--columns",
                "mass,length,ratio",
                "--standardize",
                "-o",
                str(tmp_path / "report"),
            ]
        )
        == 0
    )
    assert [call["standardize"] for call in calls] == [True]
