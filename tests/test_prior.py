"""mclust's conjugate prior (``prior="default"`` or a ConjugatePrior): MAP estimates as
mclust's ``me*p`` Fortran computes them, checked against mclust 6.0.0 on Old Faithful."""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from gmmkit import (
    ConjugatePrior,
    DegenerateComponentWarning,
    GaussianMixture,
    MixtureClassifier,
    register_covariance_model,
    select,
    unregister_covariance_model,
)
from gmmkit._core.covariances import DiagCovariance, covariance_model, covariance_model_class
from gmmkit._core.prior import models_with_prior, resolve_prior

FIXTURE = json.loads(
    (Path(__file__).parent / "fixtures" / "mclust" / "faithful_prior.json").read_text()
)
FAITHFUL = np.array(FIXTURE["data"], dtype=np.float64)
#: mclust's models with a conjugate prior (``covariance_type`` takes their names)
PRIOR_MODELS = ("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "EEV", "VEV", "VVV")
MAP_FITS = [fit for fit in FIXTURE["map_fits"] if fit["loglik"] is not None]
#: the models mclust's me() refused with a prior ("... model is not available with prior")
NO_PRIOR_FITS = [fit for fit in FIXTURE["map_fits"] if fit["loglik"] is None and fit["G"] == 2]


def _map_fit(covariance_type, n_components, prior="default"):
    """Our MAP fit started, as mclust's ``me`` was, from the M-step of hc's partition."""
    labels = np.array(FIXTURE["partitions"][str(n_components)]) - 1
    mixture = GaussianMixture(
        n_components,
        covariance_type=covariance_type,
        reg_covar=0.0,
        tol=1e-13,
        max_iter=5000,
        prior=prior,
    )
    mixture._fit(FAITHFUL, None, responsibilities=[np.eye(n_components)[labels]], predict=False)
    return mixture


def _dense(mixture):
    return covariance_model(mixture.covariance_type, mixture.n_features_in_).marginal_covariances(
        mixture.covariances_, mixture.n_components, np.arange(mixture.n_features_in_)
    )


# ------------------------------------------------------------------ the prior itself
def test_default_prior_is_mclusts_defaultPrior_for_an_ellipsoidal_model():
    expected = FIXTURE["defaultPrior"]  # defaultPrior(faithful, G = 3, modelName = 'VVV')
    prior = resolve_prior("default", FAITHFUL, None, 3, covariance_model("full", 2))
    assert prior.shrinkage == expected["shrinkage"]
    assert prior.dof == expected["dof"]
    np.testing.assert_allclose(prior.mean, expected["mean"], rtol=1e-14)
    np.testing.assert_allclose(prior.scale, expected["scale"], rtol=1e-13)


def test_default_prior_scale_is_one_number_for_the_spherical_and_diagonal_models():
    expected = FIXTURE["defaultPrior_EII"]
    for covariance_type in ("spherical", "diag"):
        prior = resolve_prior("default", FAITHFUL, None, 3, covariance_model(covariance_type, 2))
        assert prior.scale.shape == ()
        np.testing.assert_allclose(prior.scale, expected["scale"], rtol=1e-13)
        assert prior.dof == expected["dof"]


def test_given_fields_replace_the_defaults():
    given = ConjugatePrior(shrinkage=0.5, mean=[1.0, 2.0], dof=7, scale=[[2.0, 0.0], [0.0, 3.0]])
    prior = resolve_prior(given, FAITHFUL, None, 2, covariance_model("full", 2))
    assert (prior.shrinkage, prior.dof) == (0.5, 7.0)
    np.testing.assert_array_equal(prior.mean, [1.0, 2.0])
    np.testing.assert_array_equal(prior.scale, np.diag([2.0, 3.0]))


@pytest.mark.parametrize(
    "given, match",
    [
        (ConjugatePrior(mean=[1.0]), "mean must have shape"),
        (ConjugatePrior(dof=0.5), "dof must exceed"),
        (ConjugatePrior(scale=[[1.0, 2.0], [2.0, 1.0]]), "positive definite"),
    ],
)
def test_a_bad_prior_field_is_a_value_error_naming_it(given, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixture(2, prior=given).fit(FAITHFUL)


def test_a_negative_shrinkage_is_refused_when_the_prior_is_made():
    with pytest.raises(ValueError, match="shrinkage must be a finite number >= 0"):
        ConjugatePrior(shrinkage=-1)


def test_prior_must_be_none_default_or_a_conjugate_prior():
    with pytest.raises(ValueError, match="'prior' parameter of GaussianMixture"):
        GaussianMixture(prior="flat").fit(FAITHFUL)


def test_a_model_without_a_conjugate_prior_raises_naming_it():
    class NoPrior(DiagCovariance):
        name = "diag_without_prior"
        mclust_name = None
        prior_scale = None

    register_covariance_model(NoPrior)
    try:
        with pytest.raises(ValueError, match="'diag_without_prior' has no conjugate prior"):
            GaussianMixture(2, covariance_type="diag_without_prior", prior="default").fit(FAITHFUL)
        assert "diag_without_prior" not in models_with_prior()
        with pytest.raises(ValueError, match="diag_without_prior"):
            select(FAITHFUL, [1, 2], ["diag", "diag_without_prior"], prior="default")
    finally:
        unregister_covariance_model("diag_without_prior")


def test_a_subclass_has_a_prior_only_if_it_declares_one():
    class Inherits(DiagCovariance):  # its own M-step may not be the parent's MAP one
        name = "diag_inheriting"
        mclust_name = None

    register_covariance_model(Inherits)
    try:
        assert "diag_inheriting" not in models_with_prior()
        with pytest.raises(ValueError, match="'diag_inheriting' has no conjugate prior"):
            GaussianMixture(2, covariance_type="diag_inheriting", prior="default").fit(FAITHFUL)
    finally:
        unregister_covariance_model("diag_inheriting")


# ------------------------------------------------------------------ MAP fits against mclust
def test_the_models_with_a_prior_are_mclusts():
    names = {covariance_model_class(name).mclust_name for name in models_with_prior()}
    assert sorted(names - {"E", "V"}) == sorted(PRIOR_MODELS)
    assert {fit["model"] for fit in MAP_FITS} == set(PRIOR_MODELS)


@pytest.mark.parametrize("fit", NO_PRIOR_FITS, ids=[f["model"] for f in NO_PRIOR_FITS])
def test_a_prior_for_a_model_mclust_has_none_for_raises_naming_it(fit):
    assert fit["reason"] == f"{fit['model']} model is not available with prior"
    with pytest.raises(ValueError, match=f"'{fit['model']}'.* has no conjugate prior"):
        GaussianMixture(2, covariance_type=fit["model"], prior="default").fit(FAITHFUL)
    with pytest.raises(ValueError, match=fit["model"]):
        select(FAITHFUL, [1, 2], ["VVV", fit["model"]], prior="default")


@pytest.mark.parametrize("fit", MAP_FITS, ids=[f"{f['model']}-G{f['G']}" for f in MAP_FITS])
def test_map_fit_from_mclusts_partition_matches_mclusts_log_likelihood(fit):
    mixture = _map_fit(fit["model"], fit["G"])
    log_likelihood = mixture.score(FAITHFUL) * len(FAITHFUL)
    assert log_likelihood == pytest.approx(fit["loglik"], rel=1e-6)


@pytest.mark.parametrize("fit", MAP_FITS, ids=[f"{f['model']}-G{f['G']}" for f in MAP_FITS])
def test_map_fit_from_mclusts_partition_matches_mclusts_parameters(fit):
    mixture = _map_fit(fit["model"], fit["G"])
    np.testing.assert_allclose(mixture.weights_, fit["pro"], atol=1e-4)
    means = np.array(fit["mean"], dtype=np.float64).T
    # EVI at G=3 takes 531 iterations: its likelihood is flat, the means agree to 1e-4
    np.testing.assert_allclose(mixture.means_, means, rtol=2e-4)
    sigma = np.array(fit["variance"]["sigma"], dtype=np.float64)
    np.testing.assert_allclose(_dense(mixture), sigma, rtol=1e-4, atol=1e-6 * np.abs(sigma).max())


@pytest.mark.slow
@pytest.mark.parametrize("fit", MAP_FITS, ids=[f"{f['model']}-G{f['G']}" for f in MAP_FITS])
def test_bic_is_mclusts_with_the_log_likelihood_at_the_map_estimate(fit):
    mixture = _map_fit(fit["model"], fit["G"])
    assert mixture.n_parameters_ == fit["npar"]
    # mclust's BIC is 2 loglik - npar log n; ours is its negative
    assert -mixture.bic(FAITHFUL) == pytest.approx(fit["bic"], rel=1e-6)


@pytest.mark.slow
def test_select_with_the_default_prior_picks_mclusts_model():
    expected = FIXTURE["mclust_prior"]
    result = select(
        FAITHFUL,
        range(1, 5),
        list(PRIOR_MODELS),
        prior="default",
        reg_covar=0.0,
        tol=1e-10,
        max_iter=2000,
        random_state=0,
        silhouette_samples=None,
    )
    best = result.best_params_
    assert (best["covariance_type"], best["n_components"]) == (
        expected["best_model"],
        expected["best_G"],
    )
    assert -result.best_estimator_.bic(FAITHFUL) == pytest.approx(expected["best_bic"], rel=1e-4)
    # one component: no start to differ on; but mclust's table fits one component with
    # mvnXII, mvnXXI or mvnXXX whatever the model (EII's entry is VII's, EEI's is VVI's), so
    # only the entries equal to me()'s fit of the model itself can be ours
    table = expected["bic_table"]
    own = {fit["model"]: fit["bic"] for fit in MAP_FITS if fit["G"] == 1}
    compared = 0
    for row in result.records():
        model = row["covariance_type"]
        entry = table["bic"][0][table["models"].index(model)]
        if row["n_components"] == 1 and entry == pytest.approx(own[model], rel=1e-12):
            assert -row["bic"] == pytest.approx(entry, rel=1e-12)
            compared += 1
    assert compared >= 5


def test_select_all_with_a_prior_sweeps_mclusts_models_with_a_prior():
    result = select(
        FAITHFUL, [1, 2, 3], "all", prior="default", silhouette_samples=None, random_state=0
    )
    swept = [row["covariance_type"] for row in result.records() if row["n_components"] == 1]
    assert swept == FIXTURE["mclust_prior"]["bic_table"]["models"]


# ------------------------------------------------------------------ EM with a prior
def test_lower_bounds_track_the_log_likelihood_not_the_posterior():
    mixture = _map_fit("full", 3)
    assert mixture.lower_bounds_[-1] == pytest.approx(mixture.score(FAITHFUL), rel=1e-12)


def test_zero_shrinkage_leaves_the_means_at_their_weighted_averages():
    mixture = GaussianMixture(
        3, reg_covar=0.0, random_state=0, prior=ConjugatePrior(shrinkage=0)
    ).fit(FAITHFUL)
    resp = mixture.predict_proba(FAITHFUL)
    # the means of the last M-step are the responsibilities' averages to EM's tolerance
    np.testing.assert_allclose(
        mixture.means_, resp.T @ FAITHFUL / resp.sum(axis=0)[:, None], rtol=1e-3
    )


def _log_prior_full(mixture, prior):
    """log NIW density of the full covariances, up to a constant (mclust's VVV prior)."""
    total = 0.0
    d = mixture.n_features_in_
    for mean, cov in zip(mixture.means_, mixture.covariances_):
        precision = np.linalg.inv(cov)
        diff = mean - prior.mean
        total += (
            -(prior.dof + d + 2) / 2 * np.linalg.slogdet(cov)[1]
            - prior.shrinkage / 2 * diff @ precision @ diff
            - np.trace(prior.scale @ precision) / 2
        )
    return total


def test_em_with_a_prior_never_lowers_the_log_posterior():
    prior = resolve_prior("default", FAITHFUL, None, 3, covariance_model("full", 2))
    labels = np.array(FIXTURE["partitions"]["3"]) - 1
    posteriors = []
    for steps in range(1, 40):
        mixture = GaussianMixture(3, reg_covar=0.0, tol=0.0, max_iter=steps, prior="default")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mixture._fit(FAITHFUL, None, responsibilities=[np.eye(3)[labels]], predict=False)
        posteriors.append(mixture.score(FAITHFUL) * len(FAITHFUL) + _log_prior_full(mixture, prior))
    assert np.all(np.diff(posteriors) >= -1e-9 * np.abs(posteriors[:-1]))


# ------------------------------------------------------------------ many components per class
@pytest.fixture(scope="module")
def digits_pca():
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    pca = PCA(0.99, random_state=0).fit(X_train)
    assert pca.n_components_ == 41
    return pca.transform(X_train), pca.transform(X_test), y_train, y_test


def test_digits_with_eight_components_per_class_do_not_collapse_with_a_prior(digits_pca):
    X_train, _, y_train, _ = digits_pca
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateComponentWarning)
        classifier = MixtureClassifier(
            n_components=8, covariance_type="full", prior="default", random_state=0
        ).fit(X_train, y_train)
    for label, mixture in zip(classifier.classes_, classifier.mixtures_):
        assert mixture.ill_posed_ is None
        rows = X_train[y_train == label]
        prior = resolve_prior("default", rows, None, 8, covariance_model("full", 41))
        smallest = np.linalg.eigvalsh(mixture.covariances_)[:, 0]
        # Sigma_k >= Lambda / (nu + n_k + d + 2): bounded away from singular by the prior
        counts = mixture.weights_ * len(rows)
        bound = np.linalg.eigvalsh(prior.scale)[0] / (prior.dof + counts + 41 + 2)
        assert np.all(smallest >= bound)
        assert np.all(smallest > 10 * mixture.reg_covar)


@pytest.mark.slow
def test_digits_with_a_prior_classify_far_better_than_without_and_near_one_per_class(digits_pca):
    X_train, X_test, y_train, y_test = digits_pca

    def accuracy(n_components, prior):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return (
                MixtureClassifier(
                    n_components=n_components, covariance_type="full", prior=prior, random_state=0
                )
                .fit(X_train, y_train)
                .score(X_test, y_test)
            )

    with_prior, without = accuracy(8, "default"), accuracy(8, None)
    one_per_class = accuracy(1, None)
    assert with_prior > without + 0.1  # 0.974 against 0.748: without, components collapse
    assert with_prior >= one_per_class - 0.01  # 0.974 against 0.980 (QDA)


def test_a_mixture_with_a_prior_object_saves_and_loads(tmp_path):
    from gmmkit import load, save

    prior = ConjugatePrior(shrinkage=0.1, mean=[3.0, 70.0], scale=[[0.5, 0.0], [0.0, 60.0]])
    mixture = GaussianMixture(2, random_state=0, prior=prior).fit(FAITHFUL)
    save(mixture, tmp_path / "model.gmm")
    loaded = load(tmp_path / "model.gmm")
    assert repr(loaded.prior) == repr(prior)
    np.testing.assert_array_equal(loaded.predict_proba(FAITHFUL), mixture.predict_proba(FAITHFUL))
    refitted = loaded.fit(FAITHFUL)
    np.testing.assert_allclose(refitted.means_, mixture.means_)


def test_the_command_line_fits_with_the_default_prior(tmp_path):
    from gmmkit import load
    from gmmkit.cli import main

    data = tmp_path / "faithful.csv"
    data.write_text("eruptions,waiting\n" + "\n".join(f"{a},{b}" for a, b in FAITHFUL) + "\n")
    assert main(["fit", str(data), "-k", "3", "--prior", "-o", str(tmp_path / "m.gmm")]) == 0
    assert load(tmp_path / "m.gmm").prior == "default"


def test_accelerated_em_reaches_the_same_map_estimate():
    labels = np.array(FIXTURE["partitions"]["3"]) - 1
    fits = []
    for accelerate in (False, True):
        mixture = GaussianMixture(
            3, reg_covar=0.0, tol=1e-12, max_iter=5000, prior="default", accelerate=accelerate
        )
        mixture._fit(FAITHFUL, None, responsibilities=[np.eye(3)[labels]], predict=False)
        fits.append(mixture)
    assert fits[1].score(FAITHFUL) == pytest.approx(fits[0].score(FAITHFUL), rel=1e-9)
    np.testing.assert_allclose(fits[1].means_, fits[0].means_, rtol=1e-5)


def test_every_fit_of_a_sweep_with_a_prior_keeps_it():
    result = select(
        FAITHFUL,
        [2, 3],
        ["VVV", "EEE"],
        prior="default",
        warm_start=True,
        random_state=0,
        silhouette_samples=None,
    )
    assert result.best_estimator_.prior == "default"
