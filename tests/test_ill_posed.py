"""Ill-posed fits: reported as such, never chosen by a criterion (mclust's rule, made
independent of the features' units)."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

import gmmkit
from gmmkit.cli import main


@pytest.fixture(scope="module")
def digits_pca():
    """The digits reduced by PCA to 99% of their variance (41 dimensions), with labels."""
    X, y = load_digits(return_X_y=True)
    return PCA(0.99, random_state=0).fit_transform(X), y


def test_a_full_component_of_fewer_than_d_plus_one_rows_is_ill_posed(digits_pca):
    Z, y = digits_pca
    threes = Z[y == 3]
    assert threes.shape == (183, 41)
    well = gmmkit.GaussianMixture(1, random_state=0).fit(threes)
    ill = gmmkit.GaussianMixture(4, random_state=0).fit(threes)
    assert well.ill_posed_ is None
    assert ill.ill_posed_ == (
        "component 3 holds 26 rows of responsibility, fewer than the 42 its covariance needs"
    )


def test_select_shows_ill_posed_fits_and_never_chooses_them(digits_pca):
    Z, y = digits_pca
    threes = Z[y == 3]
    result = gmmkit.select(threes, n_components=range(1, 8), covariance_type="full", random_state=0)
    rows = result.records()
    ill = [row for row in rows if row["ill_posed"]]
    assert {row["n_components"] for row in ill} == {4, 5, 6, 7}
    assert all("rows of responsibility" in row["ill_posed_reason"] for row in ill)
    assert all(row["ill_posed_reason"] is None for row in rows if not row["ill_posed"])
    # the trap: their BIC is the lowest of the table, yet the choice is a well-posed fit
    assert min(rows, key=lambda row: row["bic"])["ill_posed"]
    assert result.best_params_ == {"n_components": 1, "covariance_type": "full"}
    assert result.best_estimator_.ill_posed_ is None
    mclust = result.to_mclust()
    assert mclust.loc[[1, 2, 3], "VVV"].notna().all()
    assert mclust.loc[[4, 5, 6, 7], "VVV"].isna().all()


@pytest.mark.parametrize("criterion", ["bic", "aic", "icl", "silhouette"])
def test_no_criterion_chooses_an_ill_posed_fit(digits_pca, criterion):
    Z, y = digits_pca
    result = gmmkit.select(
        Z[y == 3],
        n_components=[1, 2, 5, 7],
        covariance_type="full",
        criterion=criterion,
        random_state=0,
    )
    assert not result.rows[result.best_index_]["ill_posed"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_auto_classifier_on_the_digits_is_as_accurate_as_one_component_per_class(seed):
    """Before, 'auto' chose 7-8 singular components per class: 0.69 against 0.98 held out."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=seed
    )
    pca = PCA(0.99, random_state=0).fit(X_train)
    Z_train, Z_test = pca.transform(X_train), pca.transform(X_test)
    auto = gmmkit.MixtureClassifier(n_components="auto", random_state=0).fit(Z_train, y_train)
    one = gmmkit.MixtureClassifier(n_components=1, random_state=0).fit(Z_train, y_train)
    assert all(mixture.ill_posed_ is None for mixture in auto.mixtures_)
    assert auto.score(Z_test, y_test) >= one.score(Z_test, y_test)


def test_a_covariance_singular_before_reg_covar_is_ill_posed():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2))
    on_a_plane = np.column_stack([X, X.sum(axis=1)])
    full = gmmkit.GaussianMixture(1, random_state=0).fit(on_a_plane)
    diag = gmmkit.GaussianMixture(1, covariance_type="diag", random_state=0).fit(on_a_plane)
    assert "singular before reg_covar" in full.ill_posed_
    assert diag.ill_posed_ is None


def test_the_rule_does_not_depend_on_the_features_units():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3)) * [1e-6, 1.0, 1e6]
    assert gmmkit.GaussianMixture(2, random_state=0).fit(X).ill_posed_ is None


def test_components_on_single_values_of_a_binary_feature_are_ill_posed():
    rng = np.random.RandomState(0)
    binary = np.repeat([0.0, 1.0], 100)
    X = np.column_stack([rng.normal(size=200), binary * 10])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gmmkit.DegenerateComponentWarning)
        fitted = gmmkit.GaussianMixture(2, covariance_type="diag", random_state=0).fit(X)
    assert "singular before reg_covar" in fitted.ill_posed_


def test_a_constant_feature_alone_does_not_make_every_fit_ill_posed():
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.normal(size=(200, 2)), np.full(200, 3.0)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gmmkit.DegenerateComponentWarning)
        fitted = gmmkit.GaussianMixture(1, random_state=0).fit(X)
    assert fitted.ill_posed_ is None


def test_ill_posed_survives_save_and_load(digits_pca, tmp_path):
    Z, y = digits_pca
    model = gmmkit.GaussianMixture(4, random_state=0).fit(Z[y == 3])
    gmmkit.save(model, tmp_path / "m.gmm")
    assert gmmkit.load(tmp_path / "m.gmm").ill_posed_ == model.ill_posed_


def test_auto_classifier_whose_every_candidate_is_ill_posed_fits_one_component_and_warns():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 5))
    y = np.r_[np.zeros(35, int), np.ones(5, int)]
    with pytest.warns(
        gmmkit.IllPosedWarning, match="every configuration scored by 'bic' is ill-posed"
    ):
        model = gmmkit.MixtureClassifier(n_components="auto", random_state=0).fit(X, y)
    assert list(model.n_components_) == [1, 1]


def test_select_whose_every_fit_is_ill_posed_says_so():
    X = np.random.RandomState(0).normal(size=(5, 5))
    with pytest.raises(ValueError, match="every configuration scored by 'bic' is ill-posed"):
        gmmkit.select(X, n_components=[1, 2], covariance_type="full")


def test_cli_select_table_shows_ill_posed_fits(digits_pca, tmp_path, capsys):
    Z, y = digits_pca
    path = tmp_path / "threes.npy"
    np.save(path, Z[y == 3])
    assert (
        main(
            ["select", str(path), "-k", "1:5", "--covariance", "full", "-o", str(tmp_path / "out")]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "ill-posed" in out.splitlines()[0] or "ill-posed" in out
    assert "2 configurations ill-posed, never chosen (e.g. full k=4: component 3 holds" in out
    assert "best by bic: 1 component, full covariance" in out
