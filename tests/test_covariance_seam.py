"""The covariance-model seam: a model defined and registered here, and nowhere in the package,
works through every estimator, selection, conditioning, sampling, save/load and the CLI.

The model is "tied diagonal": one diagonal covariance ``(d,)`` shared by all components,
:math:`\\Sigma_k = \\operatorname{diag}(\\sigma^2)`, whose M-step is
:math:`\\sigma^2_a = \\sum_k \\sum_i w_i r_{ik} (x_{ia} - \\mu_{ka})^2 / \\sum_i w_i`.
"""

import csv
from pathlib import Path

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import norm
from sklearn.exceptions import ConvergenceWarning

import gmmkit
from gmmkit import (
    CovarianceModel,
    GaussianMixture,
    MixtureClassifier,
    covariance_types,
    register_covariance_model,
    unregister_covariance_model,
)
from gmmkit._core.conditioning import condition_scaled
from gmmkit.cli import build_parser, main

BUILT_IN = ("full", "tied", "diag", "spherical")
#: Every name gmmkit knows on import (the built-ins, mclust's models and aliases); a model
#: registered later comes after them.
KNOWN = covariance_types()
SWEPT = covariance_types(in_all=True)


class TiedDiagCovariance(CovarianceModel):
    """One diagonal covariance shared by every component (mclust's EEI)."""

    name = "tied_diag"
    description = "one axis-aligned ellipse shared by every component"
    marker = "v"

    # statistics: the squares x_a^2, as for diag; the M-step pools them over components
    @property
    def n_quadratic(self):
        return self.d

    def _quadratic_features(self, Xc_t, out):
        np.multiply(Xc_t, Xc_t, out=out)

    def _n_cov_parameters(self, n_components):
        return self.d

    def _covariances(self, stats, counts, padded, means, context):
        scatter = stats[:, 1 + self.d :].sum(axis=0) - (padded[:, None] * means**2).sum(axis=0)
        return scatter / padded.sum() + context.reg_covar

    def _second_moments(self, stats, padded, context):
        return stats[:, 1 + self.d :].sum(axis=0) / padded.sum()

    # precision factors and the E-step's coefficients
    def precision_cholesky(self, covariances):
        return 1.0 / np.sqrt(covariances)

    def precision_cholesky_from_precisions(self, precisions):
        return np.sqrt(np.asarray(precisions, dtype=np.float64))

    def precisions(self, prec_chol):
        return prec_chol**2

    def log_det_precision_cholesky(self, prec_chol, n_components):
        return np.full(n_components, np.log(prec_chol).sum())

    def theta_constant(self, weights, means, prec_chol):
        log_det = self.log_det_precision_cholesky(prec_chol, len(weights))
        return (
            np.log(weights)
            - 0.5 * self.d * np.log(2 * np.pi)
            + log_det
            - 0.5 * (means**2 * prec_chol**2).sum(axis=1)
        )

    def theta(self, weights, means, prec_chol):
        d, precision = self.d, prec_chol**2
        theta = np.empty((self.n_stats, len(weights)))
        theta[0] = self.theta_constant(weights, means, prec_chol)
        theta[1 : 1 + d] = (precision * means).T
        theta[1 + d :] = -0.5 * precision[:, None]
        return theta, None

    # recovery of a collapsed covariance: there is only one
    def collapsed_components(self, prec_chol, floor):
        return np.flatnonzero([(self.pivots(prec_chol) <= floor).any()])

    def regularize(self, covariances, components, amount):
        covariances += amount

    def failing_components(self, covariances):
        return np.flatnonzero([not (np.isfinite(covariances).all() and (covariances > 0).all())])

    def covariance_scale(self, covariances):
        return np.atleast_1d(covariances.mean())

    def describe_components(self, components):
        return "the shared diagonal covariance"

    # layout and per-component geometry
    def parameter_shape(self, n_components):
        return (self.d,)

    def component_variances(self, covariances, n_components):
        return np.broadcast_to(covariances, (n_components, self.d))

    def repeat_components(self, covariances, chosen):
        return covariances

    def condition_components(self, covariances, means, given, rest, diff):
        variances = self.component_variances(covariances, len(means))
        log_density, cond_means = condition_scaled(variances, means, given, rest, diff)
        return log_density, cond_means, covariances[rest]

    def cholesky_covariances(self, covariances, n_components):
        return np.broadcast_to(np.sqrt(covariances), (n_components, self.d))


@pytest.fixture
def tied_diag():
    register_covariance_model(TiedDiagCovariance)
    yield TiedDiagCovariance
    unregister_covariance_model("tied_diag")


@pytest.fixture(scope="module")
def blobs():
    """Three groups with the same axis-aligned spread (standard deviations 1 and 3)."""
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [8.0, 10.0], [-8.0, 20.0]])
    labels = np.repeat(np.arange(3), 80)
    X = centres[labels] + rng.normal(size=(240, 2)) * np.array([1.0, 3.0])
    return X, labels


def hand_log_density(X, weights, means, variances):
    """:math:`\\log \\sum_k \\pi_k \\prod_a N(x_a \\mid \\mu_{ka}, \\sigma^2_a)`, per row."""
    per_component = np.stack(
        [
            np.log(w) + norm.logpdf(X, loc=mu, scale=np.sqrt(variances)).sum(axis=1)
            for w, mu in zip(weights, means)
        ],
        axis=1,
    )
    return logsumexp(per_component, axis=1), per_component


def as_diag(gm):
    """The same fitted mixture written as a ``diag`` GaussianMixture."""
    out = GaussianMixture(gm.n_components, covariance_type="diag")
    K = gm.n_components
    out.weights_, out.means_ = gm.weights_.copy(), gm.means_.copy()
    out.covariances_ = np.tile(gm.covariances_, (K, 1))
    out.precisions_cholesky_ = np.tile(gm.precisions_cholesky_, (K, 1))
    out.precisions_ = np.tile(gm.precisions_, (K, 1))
    out.n_features_in_ = gm.n_features_in_
    out.converged_, out.n_iter_, out.lower_bound_ = True, 0, gm.lower_bound_
    out.lower_bounds_, out.n_parameters_ = gm.lower_bounds_, gm.n_parameters_
    return out


# ---------------------------------------------------------------------- GaussianMixture
def test_the_fitted_attributes_have_the_models_layout(tied_diag, blobs):
    X, _ = blobs
    gm = GaussianMixture(3, covariance_type="tied_diag", random_state=0).fit(X)
    assert gm.covariances_.shape == gm.precisions_.shape == gm.precisions_cholesky_.shape == (2,)
    assert gm.converged_
    np.testing.assert_allclose(np.sqrt(gm.covariances_), [1.0, 3.0], rtol=0.15)
    assert gm.n_parameters_ == 2 + 3 * 2 + 2
    assert sorted(np.round(gm.means_[:, 0] / 8).tolist()) == [-1.0, 0.0, 1.0]


def test_log_densities_equal_a_hand_computed_mixture(tied_diag, blobs):
    X, _ = blobs
    gm = GaussianMixture(3, covariance_type="tied_diag", random_state=0).fit(X)
    expected, per_component = hand_log_density(X, gm.weights_, gm.means_, gm.covariances_)
    np.testing.assert_allclose(gm.score_samples(X), expected, rtol=1e-10)
    assert gm.score(X) == pytest.approx(expected.mean(), rel=1e-10)
    np.testing.assert_allclose(
        gm.predict_proba(X), np.exp(per_component - expected[:, None]), atol=1e-10
    )
    np.testing.assert_array_equal(gm.predict(X), per_component.argmax(axis=1))
    assert gm.bic(X) == pytest.approx(
        -2 * expected.sum() + gm.n_parameters_ * np.log(len(X)), rel=1e-10
    )


def test_one_em_step_is_the_hand_computed_m_step(tied_diag, blobs):
    X, _ = blobs
    weights, means = np.array([0.2, 0.3, 0.5]), np.array([[1.0, 2.0], [6.0, 8.0], [-5.0, 15.0]])
    variances = np.array([4.0, 9.0])
    gm = GaussianMixture(
        3,
        covariance_type="tied_diag",
        weights_init=weights,
        means_init=means,
        precisions_init=1.0 / variances,
        max_iter=1,
        reg_covar=1e-6,
    )
    with pytest.warns(ConvergenceWarning):
        gm.fit(X)
    log_norm, per_component = hand_log_density(X, weights, means, variances)
    resp = np.exp(per_component - log_norm[:, None])
    counts = resp.sum(axis=0)
    expected_means = resp.T @ X / counts[:, None]
    expected_variances = sum(resp[:, k] @ (X - expected_means[k]) ** 2 for k in range(3))
    expected_variances = expected_variances / len(X) + 1e-6
    np.testing.assert_allclose(gm.weights_, counts / len(X), rtol=1e-10)
    np.testing.assert_allclose(gm.means_, expected_means, rtol=1e-10)
    np.testing.assert_allclose(gm.covariances_, expected_variances, rtol=1e-10)
    assert gm.lower_bounds_[0] == pytest.approx(log_norm.mean(), rel=1e-12)


def test_em_never_lowers_the_likelihood(tied_diag, blobs):
    X, _ = blobs
    gm = GaussianMixture(
        3,
        covariance_type="tied_diag",
        init_params="random",
        tol=1e-10,
        max_iter=500,
        random_state=3,
    ).fit(X)
    assert len(gm.lower_bounds_) > 3
    assert (np.diff(gm.lower_bounds_) >= -1e-12).all()


def test_with_one_component_it_is_the_diag_fit(tied_diag, blobs):
    X, _ = blobs
    ours = GaussianMixture(1, covariance_type="tied_diag", random_state=0).fit(X)
    diag = GaussianMixture(1, covariance_type="diag", random_state=0).fit(X)
    np.testing.assert_allclose(ours.means_, diag.means_, rtol=1e-12)
    np.testing.assert_allclose(ours.covariances_, diag.covariances_[0], rtol=1e-12)
    np.testing.assert_allclose(ours.score_samples(X), diag.score_samples(X), rtol=1e-12)


def test_every_m_step_after_the_first_is_given_the_parameters_of_its_e_step(
    tied_diag, blobs, monkeypatch
):
    X, _ = blobs
    calls = []
    real = TiedDiagCovariance.m_step

    def recorded(self, stats, context):
        calls.append((context, real(self, stats, context)))
        return calls[-1][1]

    monkeypatch.setattr(TiedDiagCovariance, "m_step", recorded)
    gm = GaussianMixture(
        3, covariance_type="tied_diag", init_params="random", max_iter=4, tol=0.0, random_state=0
    )
    with pytest.warns(ConvergenceWarning):
        gm.fit(X)
    contexts = [context for context, _ in calls]
    assert len(calls) == 1 + gm.n_iter_ == 5
    assert contexts[0].previous is None and contexts[0].normalize_weights is False
    for (_, (_, means, _, _)), (context, _) in zip(calls, calls[1:]):
        # the means (shifted coordinates) the earlier M-step returned, as they are
        assert context.previous.means is means and context.normalize_weights
    assert all(c.tol > 0 and c.max_iter >= 1 and c.data_terms is None for c in contexts)


def test_a_collapsed_shared_covariance_is_recovered_and_named_by_the_model(tied_diag, blobs):
    X, _ = blobs
    constant = np.c_[X[:, 0], np.full(len(X), 5.0)]
    gm = GaussianMixture(2, covariance_type="tied_diag", reg_covar=0.0, random_state=0)
    with pytest.warns(
        gmmkit.DegenerateComponentWarning, match="the shared diagonal covariance collapsed"
    ):
        gm.fit(constant)
    assert np.isfinite(gm.score_samples(constant)).all() and gm.covariances_[1] > 0


def test_precisions_init_is_checked_in_the_models_layout(tied_diag, blobs):
    X, _ = blobs
    with pytest.raises(
        ValueError,
        match=r"'tied_diag precision' should have the shape of "
        r"\(2,\), but got \(3, 2\)",
    ):
        GaussianMixture(3, covariance_type="tied_diag", precisions_init=np.ones((3, 2))).fit(X)
    with pytest.raises(ValueError, match="'tied_diag precision' should be positive"):
        GaussianMixture(3, covariance_type="tied_diag", precisions_init=np.array([1.0, -1.0])).fit(
            X
        )


def test_sampling_draws_what_the_same_diag_mixture_draws(tied_diag, blobs):
    X, _ = blobs
    gm = GaussianMixture(3, covariance_type="tied_diag", random_state=0).fit(X)
    draws, labels = gm.sample(500, random_state=4)
    same, same_labels = as_diag(gm).sample(500, random_state=4)
    np.testing.assert_array_equal(labels, same_labels)
    np.testing.assert_array_equal(draws, same)
    centred = draws - gm.means_[labels]
    np.testing.assert_allclose(centred.var(axis=0), gm.covariances_, rtol=0.2)


# ---------------------------------------------------------------------- conditioning
def test_conditioning_matches_the_same_diag_mixture(tied_diag, blobs):
    X, _ = blobs
    gm = GaussianMixture(3, covariance_type="tied_diag", random_state=0).fit(X)
    diag = as_diag(gm)
    conditional = gm.condition([9.0], given=0)
    expected = diag.condition([9.0], given=0)
    assert conditional.covariance_type == "tied_diag" and conditional.covariances_.shape == (1,)
    np.testing.assert_allclose(conditional.weights_, expected.weights_, rtol=1e-12)
    np.testing.assert_allclose(conditional.means_, expected.means_, rtol=1e-12)
    np.testing.assert_allclose(conditional.covariances_, expected.covariances_[0], rtol=1e-12)
    grid = np.linspace(-10, 40, 7)[:, None]
    np.testing.assert_allclose(
        conditional.score_samples(grid), expected.score_samples(grid), rtol=1e-10
    )
    values = np.array([[0.0], [8.0], [-8.0]])
    np.testing.assert_allclose(
        gm.conditional_mean(values, 0), diag.conditional_mean(values, 0), rtol=1e-12
    )
    drawn, labels = gm.sample_conditional(values, 0, random_state=1)
    same, same_labels = diag.sample_conditional(values, 0, random_state=1)
    np.testing.assert_array_equal(labels, same_labels)
    np.testing.assert_allclose(drawn, same, rtol=1e-12)


# ---------------------------------------------------------------------- selection, classifier
def test_select_sweeps_it_and_warm_starts_split_it(tied_diag, blobs):
    X, _ = blobs
    result = gmmkit.select(
        X,
        n_components=[1, 2, 3, 4],
        covariance_type=["tied_diag", "diag"],
        random_state=0,
        silhouette_samples=None,
        warm_start=True,
    )
    rows = result.records()
    assert [row["covariance_type"] for row in rows] == ["tied_diag"] * 4 + ["diag"] * 4
    assert all(row["error"] is None for row in rows)
    tied = {row["n_components"]: row for row in rows if row["covariance_type"] == "tied_diag"}
    assert [tied[k]["n_parameters"] for k in (1, 2, 3, 4)] == [4, 7, 10, 13]
    assert result.best_params_ == {"n_components": 3, "covariance_type": "tied_diag"}
    assert result.best_estimator_.covariances_.shape == (2,)


def test_default_sweep_is_the_built_ins_and_all_takes_a_model_that_opts_in(tied_diag, blobs):
    X, _ = blobs
    result = gmmkit.select(X, n_components=[1, 2], random_state=0, silhouette_samples=None)
    assert list(dict.fromkeys(row["covariance_type"] for row in result.records())) == list(BUILT_IN)
    assert "tied_diag" not in covariance_types(in_all=True)

    class Joining(TiedDiagCovariance):
        name = "tied_diag_in_all"
        in_all = True

    register_covariance_model(Joining)
    try:
        assert covariance_types(in_all=True) == (*SWEPT, "tied_diag_in_all")
        result = gmmkit.select(
            X, n_components=[1], covariance_type="all", random_state=0, silhouette_samples=None
        )
        swept = list(dict.fromkeys(row["covariance_type"] for row in result.records()))
        assert swept == list(covariance_types(in_all=True))
    finally:
        unregister_covariance_model("tied_diag_in_all")


def test_mixture_classifier_fits_one_mixture_per_class(tied_diag, blobs):
    X, y = blobs
    clf = MixtureClassifier(n_components=1, covariance_type="tied_diag", random_state=0)
    clf.fit(X, y)
    assert clf.score(X, y) > 0.95
    auto = MixtureClassifier(
        n_components="auto", max_components=3, covariance_type="tied_diag", random_state=0
    ).fit(X, y)
    assert auto.score(X, y) > 0.95


# ---------------------------------------------------------------------- save and load
def test_save_and_load_keep_every_prediction(tied_diag, blobs, tmp_path):
    X, y = blobs
    gm = GaussianMixture(3, covariance_type="tied_diag", random_state=0).fit(X)
    gmmkit.save(gm, tmp_path / "gm.gmm")
    loaded = gmmkit.load(tmp_path / "gm.gmm")
    assert loaded.covariance_type == "tied_diag"
    np.testing.assert_array_equal(loaded.covariances_, gm.covariances_)
    np.testing.assert_array_equal(loaded.score_samples(X), gm.score_samples(X))
    np.testing.assert_array_equal(
        loaded.sample(20, random_state=0)[0], gm.sample(20, random_state=0)[0]
    )
    clf = MixtureClassifier(covariance_type="tied_diag", random_state=0).fit(X, y)
    gmmkit.save(clf, tmp_path / "clf.gmm")
    np.testing.assert_array_equal(
        gmmkit.load(tmp_path / "clf.gmm").predict_proba(X), clf.predict_proba(X)
    )


def test_a_file_of_an_unregistered_model_asks_for_the_model_when_loaded(blobs, tmp_path):
    X, _ = blobs
    register_covariance_model(TiedDiagCovariance)
    try:
        gm = GaussianMixture(2, covariance_type="tied_diag", random_state=0).fit(X)
        gmmkit.save(gm, tmp_path / "gm.gmm")
    finally:
        unregister_covariance_model("tied_diag")
    with pytest.raises(ValueError, match="covariance_type must be one of .*got 'tied_diag'"):
        gmmkit.load(tmp_path / "gm.gmm")
    register_covariance_model(TiedDiagCovariance)
    try:
        loaded = gmmkit.load(tmp_path / "gm.gmm")
        np.testing.assert_array_equal(loaded.score_samples(X), gm.score_samples(X))
    finally:
        unregister_covariance_model("tied_diag")


# ---------------------------------------------------------------------- command line
@pytest.fixture
def blobs_csv(blobs, tmp_path):
    X, y = blobs
    path = tmp_path / "blobs.csv"
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["x", "y", "group"])
        writer.writerows([[a, b, f"g{c}"] for (a, b), c in zip(X.tolist(), y.tolist())])
    return path


def cli(*args):
    return main([str(arg) for arg in args])


def test_the_cli_fits_scores_and_samples_it(tied_diag, blobs_csv, tmp_path, capsys):
    model_path = tmp_path / "m.gmm"
    assert (
        cli(
            "fit",
            blobs_csv,
            "--columns",
            "x,y",
            "-k",
            3,
            "--covariance",
            "tied_diag",
            "--seed",
            0,
            "-o",
            model_path,
        )
        == 0
    )
    assert "tied_diag covariance" in capsys.readouterr().out
    model = gmmkit.load(model_path)
    assert model.covariance_type == "tied_diag" and model.covariances_.shape == (2,)
    assert cli("score", model_path, blobs_csv, "--columns", "x,y") == 0
    assert cli("sample", model_path, "-n", 10, "--seed", 0, "-o", tmp_path / "s.csv") == 0
    assert (tmp_path / "s.csv").read_text().count("\n") == 11


@pytest.mark.slow
def test_the_cli_selects_and_classifies_with_it(tied_diag, blobs_csv, tmp_path, capsys):
    out = tmp_path / "sweep"
    assert (
        cli(
            "select",
            blobs_csv,
            "--columns",
            "x,y",
            "-k",
            "1:3",
            "--covariance",
            "tied_diag,diag",
            "--seed",
            0,
            "-o",
            out,
        )
        == 0
    )
    with open(out / "table.csv", newline="") as stream:
        types = [row["covariance_type"] for row in csv.DictReader(stream)]
    assert types == ["tied_diag"] * 3 + ["diag"] * 3
    assert (
        cli(
            "classify",
            blobs_csv,
            "--target",
            "group",
            "--covariance",
            "tied_diag",
            "--cv",
            2,
            "--seed",
            0,
            "-o",
            tmp_path / "clf.gmm",
        )
        == 0
    )
    assert gmmkit.load(tmp_path / "clf.gmm").covariance_type == "tied_diag"


# ---------------------------------------------------------------------- the registry
def _covariance_choices(command):
    subcommands = next(action for action in build_parser()._actions if action.dest == "command")
    option = next(
        action for action in subcommands.choices[command]._actions if action.dest == "covariance"
    )
    return option.choices


def test_the_cli_reads_its_choices_from_the_registry_when_the_parser_is_built(capsys):
    assert list(_covariance_choices("fit")) == list(KNOWN)
    register_covariance_model(TiedDiagCovariance)
    try:
        assert list(_covariance_choices("fit")) == [*KNOWN, "tied_diag"]
        for command in ("select", "classify"):  # they take lists: the help names the choices
            assert main([command, "--help"]) == 0
            assert f"{KNOWN[-1]}, tied_diag" in " ".join(capsys.readouterr().out.split())
    finally:
        unregister_covariance_model("tied_diag")
    assert main(["fit", "d.csv", "-k", "2", "--covariance", "tied_diag", "-o", "m.gmm"]) == 2
    assert "invalid choice: 'tied_diag'" in capsys.readouterr().err


def test_unknown_names_are_refused_with_the_registered_ones_listed(tied_diag, blobs, capsys):
    X, _ = blobs
    names = r"\{" + ", ".join(f"'{name}'" for name in (*KNOWN, "tied_diag")) + r"\}"
    with pytest.raises(
        ValueError,
        match=f"'covariance_type' parameter of GaussianMixture must "
        f"be a str among {names}. Got 'nope' instead",
    ):
        GaussianMixture(2, covariance_type="nope").fit(X)
    with pytest.raises(
        ValueError,
        match=f"'covariance_type' parameter of select must be a str "
        f"among {names}.*Got \\['nope'\\] instead",
    ):
        gmmkit.select(X, n_components=[1], covariance_type=["nope"])
    assert main(["select", "d.csv", "--covariance", "diag,nope", "-o", "out"]) == 2
    assert f"of {', '.join(KNOWN)}, tied_diag" in capsys.readouterr().err.splitlines()[-1]


def test_registration_is_checked():
    with pytest.raises(TypeError, match="subclass of CovarianceModel"):
        register_covariance_model(dict)

    class Unnamed(TiedDiagCovariance):
        name = "tied diag"

    with pytest.raises(ValueError, match="must be a Python identifier"):
        register_covariance_model(Unnamed)

    class Impostor(TiedDiagCovariance):
        name = "diag"

    with pytest.raises(ValueError, match="'diag' is already registered for DiagCovariance"):
        register_covariance_model(Impostor)
    with pytest.raises(ValueError, match="built-in covariance_type 'full' cannot be"):
        unregister_covariance_model("full")
    with pytest.raises(ValueError, match="no covariance model is registered as 'tied_diag'"):
        unregister_covariance_model("tied_diag")
    assert covariance_types() == KNOWN


def test_registering_twice_is_harmless_and_unregistering_forgets(tied_diag):
    assert register_covariance_model(TiedDiagCovariance) is TiedDiagCovariance
    assert covariance_types() == (*KNOWN, "tied_diag")
    assert covariance_types(in_all=True) == SWEPT


def test_no_file_of_the_package_knows_the_model_of_this_test():
    package = Path(gmmkit.__file__).parent
    assert not [path for path in package.rglob("*.py") if "tied_diag" in path.read_text()]
