"""Discriminant analysis on mclust's models: EDDA, MclustDA and cvMclustDA.

The reference figures come from ``reference/mclust/discriminant.R`` (mclust 6.0.0), stored in
``tests/fixtures/mclust/{iris,banknote}_da.json``; BIC there has mclust's sign (higher is
better) and mclust 6.1's parameter count, which includes the class proportions.
"""

import csv
import json
import pathlib
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.utils.estimator_checks import parametrize_with_checks

import gmmkit
from gmmkit.classification import IllPosedWarning, MixtureClassifier
from gmmkit.discriminant import (
    CrossValidation,
    balanced_folds,
    brier_score,
    cross_validate,
    fit_edda,
)

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "mclust"


def _load(name):
    fixture = json.loads((FIXTURES / f"{name}_da.json").read_text())
    X = np.array(fixture["data"], dtype=np.float64)
    X.setflags(write=False)
    return fixture, X, np.array(fixture["class"])


@pytest.fixture(scope="module")
def iris():
    return _load("iris")


@pytest.fixture(scope="module")
def banknote():
    return _load("banknote")


@pytest.fixture(scope="module")
def iris_edda(iris):
    _, X, y = iris
    return MixtureClassifier(mode="edda", covariance_type="all").fit(X, y)


@pytest.fixture(scope="module")
def banknote_mclustda(banknote):
    _, X, y = banknote
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MixtureClassifier(
            covariance_type="all",
            n_components="auto",
            max_components=5,
            init_params="hc+kmeans",
            random_state=0,
        ).fit(X, y)


def _rows(table):
    return {row["covariance_type"]: row for row in table}


# ---------------------------------------------------------------------- EDDA against mclust
def test_edda_on_iris_chooses_mclusts_model_with_its_likelihood_and_bic(iris, iris_edda):
    fixture, X, _ = iris
    reference = fixture["edda"]
    assert iris_edda.covariance_type_ == reference["model"] == "VEV"
    chosen = _rows(iris_edda.model_table_)["VEV"]
    assert chosen["log_likelihood"] == pytest.approx(reference["loglik"], abs=1e-3)
    assert chosen["n_parameters"] == reference["df"] == iris_edda.n_parameters_
    assert chosen["bic"] == pytest.approx(-reference["bic"], abs=0.01)
    assert -reference["bic"] == pytest.approx(565.8236, abs=1e-4)  # mclust 6.1's vignette
    assert iris_edda.bic(X) == pytest.approx(chosen["bic"], rel=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["iris", "banknote"])
def test_edda_table_matches_mclust_for_every_model(name):
    """Every model's BIC matches mclust's (its M-step's inner iterations run to convergence)
    to 0.01, except where gmmkit's M-step reaches a higher complete-data likelihood than
    mclust's (VVE, whose inner iterations mclust ends at another point): what the M-step
    maximises is never lower than mclust's."""
    fixture, X, y = _load(name)
    ours = _rows(
        MixtureClassifier(mode="edda", covariance_type="all", reg_covar=0.0).fit(X, y).model_table_
    )
    assert list(ours) == [row["model"] for row in fixture["edda"]["models"]]
    for reference in fixture["edda"]["models"]:
        row = ours[reference["model"]]
        assert row["n_parameters"] == reference["df"]
        assert row["ill_posed"] is None
        one = MixtureClassifier(mode="edda", covariance_type=reference["model"], reg_covar=0.0).fit(
            X, y
        )
        complete, _ = one._log_likelihood(X, y, None)
        assert complete >= reference["complete_loglik_converged"] - 1e-6, reference["model"]
        if complete < reference["complete_loglik_converged"] + 1e-3:
            assert row["bic"] == pytest.approx(-reference["bic_converged"], abs=0.01)
        else:
            assert reference["model"] == "VVE"


def test_edda_parameters_are_mclusts(iris, iris_edda):
    fixture, _, _ = iris
    means = np.array(fixture["edda"]["means"])
    for j, mixture in enumerate(iris_edda.mixtures_):
        assert mixture.n_components == 1
        assert mixture.covariance_type == "VEV"
        np.testing.assert_allclose(mixture.means_[0], means[j], rtol=1e-10)
        np.testing.assert_allclose(
            mixture.covariances_[0], fixture["edda"]["sigma"][j], rtol=1e-4, atol=2e-6
        )


def test_edda_on_banknote_chooses_eve_with_mclusts_converged_bic(banknote):
    """mclust's own figure (-1720.514) stops EVE's inner iterations 0.021 short in
    log-likelihood; run to convergence its M-step gives gmmkit's."""
    fixture, X, y = banknote
    clf = MixtureClassifier(mode="edda", covariance_type="all").fit(X, y)
    assert clf.covariance_type_ == fixture["edda"]["model"] == "EVE"
    eve = _rows([{"covariance_type": m["model"], **m} for m in fixture["edda"]["models"]])
    assert clf.bic(X) == pytest.approx(-eve["EVE"]["bic_converged"], abs=0.01)
    assert clf.bic(X) == pytest.approx(-fixture["edda"]["bic"], abs=0.05)


# ---------------------------------------------------------------------- EDDA's structure
def test_edda_eee_is_linear_discriminant_analysis(iris):
    _, X, y = iris
    edda = MixtureClassifier(mode="edda", covariance_type="EEE", reg_covar=0.0).fit(X, y)
    lda = LinearDiscriminantAnalysis(solver="lsqr").fit(X, y)
    np.testing.assert_allclose(edda.predict_proba(X), lda.predict_proba(X), atol=1e-8)


def test_edda_vvv_is_one_full_gaussian_per_class(iris):
    _, X, y = iris
    edda = MixtureClassifier(mode="edda", covariance_type="VVV", reg_covar=0.0).fit(X, y)
    qda = MixtureClassifier(n_components=1, covariance_type="full", reg_covar=0.0).fit(X, y)
    np.testing.assert_allclose(edda.predict_log_proba(X), qda.predict_log_proba(X), atol=1e-8)


def _dense(covariances, d):
    """One class's covariance from its one-component mixture's layout."""
    covariances = np.asarray(covariances)
    if covariances.shape == (d, d):
        return covariances
    if covariances.shape == (1, d, d):
        return covariances[0]
    if covariances.shape == (1, d):
        return np.diag(covariances[0])
    return covariances[0] * np.eye(d)


@pytest.mark.parametrize(
    "model, equal",
    [
        ("EII", "VAD"),
        ("EEI", "VAD"),
        ("VEI", "AD"),
        ("EVI", "VD"),
        ("EEE", "VAD"),
        ("VEE", "AD"),
        ("EVE", "VD"),
        ("VVE", "D"),
        ("EEV", "VA"),
        ("VEV", "A"),
        ("EVV", "V"),
    ],
)
def test_edda_classes_share_what_the_models_letters_make_equal(iris, model, equal):
    """V: volume det(S)^(1/d), A: shape (eigenvalues over the volume), D: orientation (one
    basis diagonalises every class's covariance); each shared part is equal across classes."""
    _, X, y = iris
    clf = MixtureClassifier(mode="edda", covariance_type=model, reg_covar=0.0).fit(X, y)
    covariances = [_dense(m.covariances_, 4) for m in clf.mixtures_]
    eigenvalues = [np.linalg.eigvalsh(c) for c in covariances]
    volumes = np.array([np.exp(np.log(v).mean()) for v in eigenvalues])
    shapes = np.array([v / volume for v, volume in zip(eigenvalues, volumes)])
    _, basis = np.linalg.eigh(covariances[0])
    rotated = [basis.T @ c @ basis for c in covariances]
    off_diagonal = max(np.abs(r - np.diag(np.diag(r))).max() / np.abs(r).max() for r in rotated)
    assert ("V" in equal) == bool(np.allclose(volumes, volumes[0], rtol=1e-6))
    assert ("A" in equal) == bool(np.allclose(shapes, shapes[0], rtol=1e-6))
    assert ("D" in equal) == bool(off_diagonal < 1e-6)


def test_edda_never_chooses_an_ill_posed_model():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 1, (40, 5)), rng.normal(3, 1, (4, 5))])
    y = np.repeat([0, 1], [40, 4])
    clf = MixtureClassifier(mode="edda", covariance_type=["VVV", "EEE"]).fit(X, y)
    table = _rows(clf.model_table_)
    assert "fewer than" in table["VVV"]["ill_posed"]
    assert table["VVV"]["bic"] < table["EEE"]["bic"]  # it would win on BIC alone
    assert clf.covariance_type_ == "EEE"


def test_edda_keeps_an_ill_posed_model_with_a_warning_when_it_is_the_only_one():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 1, (40, 5)), rng.normal(3, 1, (4, 5))])
    y = np.repeat([0, 1], [40, 4])
    with pytest.warns(IllPosedWarning, match="VVV"):
        clf = MixtureClassifier(mode="edda", covariance_type="VVV").fit(X, y)
    assert clf.mixtures_[1].ill_posed_ is not None


def test_edda_chooses_by_the_criterion(iris):
    _, X, y = iris
    aic = MixtureClassifier(mode="edda", covariance_type="all", criterion="aic").fit(X, y)
    rows = _rows(aic.model_table_)
    assert aic.covariance_type_ == min(rows, key=lambda name: rows[name]["aic"])
    bic = MixtureClassifier(mode="edda", covariance_type="all", criterion="bic").fit(X, y)
    assert bic.covariance_type_ == min(rows, key=lambda name: rows[name]["bic"])
    assert rows["VVV"]["bic"] > rows["VEV"]["bic"]


def test_edda_integer_weights_equal_repeated_rows(iris):
    _, X, y = iris
    weight = np.random.RandomState(1).randint(1, 4, size=len(y))
    weighted = MixtureClassifier(mode="edda", covariance_type="EVE").fit(X, y, sample_weight=weight)
    repeated = MixtureClassifier(mode="edda", covariance_type="EVE").fit(
        np.repeat(X, weight, axis=0), np.repeat(y, weight)
    )
    np.testing.assert_allclose(
        weighted.predict_log_proba(X), repeated.predict_log_proba(X), atol=1e-6
    )
    assert weighted.model_table_[0]["bic"] == pytest.approx(
        repeated.model_table_[0]["bic"], rel=1e-8
    )


def test_edda_standardized_affine_invariant_model_is_unchanged(iris):
    _, X, y = iris
    raw = MixtureClassifier(mode="edda", covariance_type=["EEE", "VVV"], reg_covar=0.0).fit(X, y)
    scaled = MixtureClassifier(
        mode="edda", covariance_type=["EEE", "VVV"], standardize=True, reg_covar=0.0
    ).fit(X, y)
    assert scaled.covariance_type_ == raw.covariance_type_
    np.testing.assert_allclose(scaled.predict_proba(X), raw.predict_proba(X), atol=1e-5)
    chosen = _rows(scaled.model_table_)[scaled.covariance_type_]
    assert chosen["bic"] == pytest.approx(scaled.bic(X), rel=1e-6)


def test_edda_with_fixed_priors_counts_no_prior_parameters(iris):
    _, X, y = iris
    clf = MixtureClassifier(mode="edda", covariance_type="VEV", priors="uniform").fit(X, y)
    assert clf.n_parameters_ == 38 - 2
    assert clf.model_table_[0]["bic"] == pytest.approx(clf.bic(X), rel=1e-12)


def test_edda_with_mclusts_prior_sweeps_only_models_that_have_one(iris):
    _, X, y = iris
    clf = MixtureClassifier(mode="edda", covariance_type="all", prior="default").fit(X, y)
    names = [row["covariance_type"] for row in clf.model_table_]
    assert "EVE" not in names and "VVE" not in names and "VEV" in names


def test_edda_survives_save_and_load(iris_edda, iris, tmp_path):
    _, X, _ = iris
    path = tmp_path / "edda.gmmkit"
    gmmkit.save(iris_edda, path)
    loaded = gmmkit.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), iris_edda.predict_proba(X))
    assert loaded.covariance_type_ == "VEV"
    assert loaded.model_table_ == iris_edda.model_table_


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"n_components": 2}, "n_components must be 1"),
        ({"n_components": "auto"}, "n_components must be 1"),
        ({"covariance_type": {"setosa": "EEE"}}, "not a dict"),
    ],
)
def test_edda_refuses_what_it_cannot_fit(iris, settings, message):
    _, X, y = iris
    with pytest.raises(ValueError, match=message):
        MixtureClassifier(mode="edda", **settings).fit(X, y)


def test_mode_is_validated(iris):
    _, X, y = iris
    with pytest.raises(ValueError, match="'mode' parameter of MixtureClassifier"):
        MixtureClassifier(mode="lda").fit(X, y)


def test_fit_edda_reports_iterations_of_iterative_models(banknote):
    _, X, y = banknote
    _, index = np.unique(y, return_inverse=True)
    prior = np.bincount(index) / len(y)
    closed = fit_edda(X, index, 2, "EEE", class_prior=prior)
    iterative = fit_edda(X, index, 2, "EVE", class_prior=prior)
    assert closed.converged and iterative.converged
    assert closed.n_iter == 2  # the second M-step gives the same covariances back
    assert iterative.n_iter > 10


@parametrize_with_checks(
    [MixtureClassifier(mode="edda", covariance_type=["EEE", "VEV"], unlabeled=None)]
)
def test_edda_passes_sklearn_estimator_checks(estimator, check):
    """With no unlabelled marker, so that the check's label -1 is a class."""
    check(estimator)


def test_edda_refuses_unlabelled_rows(iris):
    _, X, y = iris
    y = y.astype(object)
    y[:5] = -1
    with pytest.raises(ValueError, match="mode='edda' is supervised: y has 5 rows marked"):
        MixtureClassifier(mode="edda").fit(X, y)


# ---------------------------------------------------------------------- MclustDA
@pytest.mark.slow
def test_mclustda_on_banknote_matches_mclust(banknote, banknote_mclustda):
    fixture, X, _ = banknote
    reference = fixture["mclustda"]
    clf = banknote_mclustda
    by_class = dict(zip(clf.classes_, zip(clf.covariance_types_, clf.n_components_)))
    assert by_class["counterfeit"] == ("EVE", 2)
    assert by_class["genuine"][1] == 1  # mclust's XXX: one full covariance, whichever model
    assert clf.mixtures_[1].n_parameters_ == 6 + 21
    assert clf.n_parameters_ == reference["df"] == 67
    assert clf.bic(X) == pytest.approx(-reference["bic"], abs=0.01)
    assert -reference["bic"] == pytest.approx(1647.147, abs=1e-3)  # mclust 6.1's vignette


@pytest.mark.slow
def test_mclustda_on_iris_matches_mclust(iris):
    fixture, X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = MixtureClassifier(
            covariance_type="all",
            n_components="auto",
            max_components=5,
            init_params="hc+kmeans",
            random_state=0,
        ).fit(X, y)
    for j, reference in enumerate(fixture["mclustda"]["classes"]):
        assert clf.n_components_[j] == reference["G"]
        if reference["G"] > 1:
            assert clf.covariance_types_[j] == reference["model"]
    assert clf.bic(X) == pytest.approx(-fixture["mclustda"]["bic"], abs=0.01)


@pytest.mark.slow
def test_mclustda_gives_a_class_with_fewer_rows_than_features_a_well_posed_model():
    """mclust keeps only the diagonal models for such a class; here the ill-posed fits of
    the others are never chosen."""
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 1, (60, 6)), rng.normal(4, 1, (5, 6))])
    y = np.repeat(["many", "few"], [60, 5])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = MixtureClassifier("auto", covariance_type="all", max_components=3).fit(X, y)
    few = list(clf.classes_).index("few")
    assert clf.mixtures_[few].ill_posed_ is None
    assert clf.covariance_types_[few] in ("EII", "VII", "EEI", "VEI", "EVI", "VVI")


def test_covariance_sweep_with_fixed_components_chooses_per_class(iris):
    _, X, y = iris
    clf = MixtureClassifier(n_components=1, covariance_type=["VII", "VVV"]).fit(X, y)
    assert clf.covariance_types_ == ["VVV"] * 3
    assert clf.n_components_.tolist() == [1, 1, 1]


def test_covariance_type_dict_gives_each_class_its_own(iris):
    _, X, y = iris
    settings = {"setosa": "EEE", "versicolor": "diag", "virginica": "VII"}
    clf = MixtureClassifier(
        n_components={"setosa": 2, "versicolor": 1, "virginica": 1},
        covariance_type=settings,
        random_state=0,
    ).fit(X, y)
    assert clf.covariance_types_ == ["EEE", "diag", "VII"]
    assert clf.n_components_.tolist() == [2, 1, 1]


def test_per_class_settings_survive_save_and_load(iris, tmp_path):
    _, X, y = iris
    clf = MixtureClassifier(
        n_components={"setosa": 2, "versicolor": 1, "virginica": 1},
        covariance_type={"setosa": "EEE", "versicolor": "all", "virginica": ["VII", "EVE"]},
        random_state=0,
    ).fit(X, y)
    path = tmp_path / "per_class.gmmkit"
    gmmkit.save(clf, path)
    loaded = gmmkit.load(path)
    assert loaded.covariance_type == clf.covariance_type
    assert loaded.covariance_types_ == clf.covariance_types_
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize(
    "settings, error, message",
    [
        ({"setosa": "EEE", "versicolor": "EEE"}, ValueError, "no entry for class 'virginica'"),
        (
            {"setosa": "EEE", "versicolor": "EEE", "virginica": "EEE", "rosa": "EEE"},
            ValueError,
            r"names label\(s\) \['rosa'\]",
        ),
        (
            {"setosa": "XYZ", "versicolor": "EEE", "virginica": "EEE"},
            ValueError,
            "each value of covariance_type must be a registered covariance model",
        ),
    ],
)
def test_covariance_type_dict_is_checked(iris, settings, error, message):
    _, X, y = iris
    with pytest.raises(error, match=message):
        MixtureClassifier(covariance_type=settings).fit(X, y)


# ---------------------------------------------------------------------- cvMclustDA
def test_cross_validated_edda_error_on_iris_matches_mclust(iris):
    fixture, X, y = iris
    cv = cross_validate(
        MixtureClassifier(mode="edda", covariance_type="all"), X, y, n_folds=10, random_state=0
    )
    reference = fixture["cv_edda"]
    assert reference["ce"] == pytest.approx(0.0267, abs=1e-4)  # mclust 6.1's vignette
    assert abs(cv.error - reference["ce"]) <= max(cv.error_se, reference["se_ce"])
    assert abs(cv.brier - reference["brier"]) <= max(cv.brier_se, reference["se_brier"])
    assert cv.fold_sizes.tolist() == [15] * 10
    assert cv.proba.shape == (150, 3)
    np.testing.assert_allclose(cv.proba.sum(axis=1), 1.0)
    assert cv.error == pytest.approx(np.mean(cv.predictions != y))


@pytest.mark.slow
def test_cross_validated_mclustda_error_on_banknote_matches_mclust(banknote):
    fixture, X, y = banknote
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cv = cross_validate(
            MixtureClassifier(
                covariance_type="all",
                n_components="auto",
                max_components=5,
                init_params="hc+kmeans",
                random_state=0,
            ),
            X,
            y,
            n_folds=10,
            random_state=0,
        )
    reference = fixture["cv_mclustda"]
    assert reference["ce"] == pytest.approx(0.005, abs=1e-4)
    assert abs(cv.error - reference["ce"]) <= max(cv.error_se, reference["se_ce"])


def test_cross_validation_standard_error_with_equal_folds_is_that_of_the_mean(iris):
    _, X, y = iris
    cv = cross_validate(
        MixtureClassifier(mode="edda", covariance_type="VVI"), X, y, n_folds=10, random_state=3
    )
    assert cv.error_se == pytest.approx(np.std(cv.fold_errors, ddof=1) / np.sqrt(10))
    assert cv.brier_se == pytest.approx(np.std(cv.fold_briers, ddof=1) / np.sqrt(10))
    assert cv.error == pytest.approx(cv.fold_errors.mean())


def test_cross_validation_refits_chosen_configuration_or_settings(iris):
    _, X, y = iris
    clf = MixtureClassifier(mode="edda", covariance_type="all")
    chosen = cross_validate(clf, X, y, n_folds=5, random_state=0)
    searched = cross_validate(clf, X, y, n_folds=5, random_state=0, refit="settings")
    assert isinstance(chosen, CrossValidation)
    assert chosen.folds[0].tolist() == searched.folds[0].tolist()
    with pytest.raises(ValueError, match="refit must be 'chosen' or 'settings', got 'all'"):
        cross_validate(clf, X, y, refit="all")


def test_cross_validation_of_any_scikit_learn_classifier(iris):
    _, X, y = iris
    cv = cross_validate(LinearDiscriminantAnalysis(), X, y, n_folds=5, random_state=0)
    assert 0 <= cv.error < 0.1


def test_leave_one_out_has_one_fold_per_row(iris):
    _, X, y = iris
    cv = cross_validate(
        MixtureClassifier(mode="edda", covariance_type="EEE"), X[::5], y[::5], n_folds=30
    )
    assert len(cv.folds) == 30 and cv.fold_sizes.tolist() == [1] * 30


@pytest.mark.parametrize("n_folds", [1, 2.5, True])
def test_cross_validation_refuses_a_bad_number_of_folds(iris, n_folds):
    _, X, y = iris
    with pytest.raises(ValueError, match="n_folds must be an int >= 2"):
        cross_validate(LinearDiscriminantAnalysis(), X, y, n_folds=n_folds)


def test_balanced_folds_partition_the_rows_with_every_class_spread_evenly():
    y = np.repeat(["a", "b", "c"], [23, 7, 40])
    folds = balanced_folds(y, 10, random_state=0)
    assert len(folds) == 10
    assert sorted(np.concatenate(folds).tolist()) == list(range(len(y)))
    for label in "abc":
        counts = [np.count_nonzero(y[fold] == label) for fold in folds]
        assert max(counts) - min(counts) <= 1
    assert [f.tolist() for f in balanced_folds(y, 10, random_state=0)] == [
        f.tolist() for f in folds
    ]
    assert len(balanced_folds(np.repeat([0, 1], [3, 4]), 10, random_state=0)) == 4


def test_brier_score_is_mclusts():
    assert brier_score(np.eye(3), [0, 1, 2]) == 0.0
    assert brier_score(np.eye(2)[::-1], [0, 1]) == 1.0
    assert brier_score(np.full((4, 2), 0.5), [0, 1, 1, 0]) == pytest.approx(0.25)


# ---------------------------------------------------------------------- command line
def _cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "gmmkit", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def iris_csv(iris, tmp_path_factory):
    _, X, y = iris
    path = tmp_path_factory.mktemp("cli") / "iris.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sl", "sw", "pl", "pw", "species"])
        writer.writerows([*map(repr, row.tolist()), label] for row, label in zip(X, y))
    return path


@pytest.mark.slow
def test_cli_classify_mode_edda_chooses_and_saves_the_model(iris_csv, tmp_path):
    out = tmp_path / "edda.gmm"
    result = _cli(
        "classify",
        iris_csv,
        "--target",
        "species",
        "--mode",
        "edda",
        "--covariance",
        "all",
        "--cv",
        0,
        "-o",
        out,
    )
    assert result.returncode == 0, result.stderr
    assert "EDDA model: VEV (BIC 565.82" in result.stdout
    assert "EII 904.56" in result.stdout
    model = gmmkit.load(out)
    assert model.mode == "edda" and model.covariance_type_ == "VEV"


@pytest.mark.slow
def test_cli_classify_covariance_all_chooses_each_classs_model(iris_csv, tmp_path):
    out = tmp_path / "mclustda.gmm"
    result = _cli(
        "classify",
        iris_csv,
        "--target",
        "species",
        "-k",
        "1:3",
        "--covariance",
        "all",
        "--cv",
        0,
        "-o",
        out,
    )
    assert result.returncode == 0, result.stderr
    model = gmmkit.load(out)
    assert model.covariance_type == "all"
    shown = ", ".join(
        f"{label}: {k} ({name})"
        for label, k, name in zip(model.classes_, model.n_components_, model.covariance_types_)
    )
    assert f"components per class: {shown}" in result.stdout


@pytest.mark.slow
def test_cli_classify_mode_edda_with_several_components_is_a_usage_error(iris_csv, tmp_path):
    result = _cli(
        "classify",
        iris_csv,
        "--target",
        "species",
        "--mode",
        "edda",
        "-k",
        2,
        "-o",
        tmp_path / "m.gmm",
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1].endswith(
        "--mode edda fits one Gaussian per class: -k must be 1, got 2"
    )
    assert not result.stdout
