"""Bootstrap standard errors and intervals (:mod:`gmmkit.inference.bootstrap`): coverage of the
true parameters, label alignment, the three resampling schemes, reproducibility whatever
``n_jobs``, dropped replicates, validation, the figure, mclust's values and the command line.
"""

import json
import math
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from gmmkit import GaussianMixture, MixtureClassifier, covariance_types, save
from gmmkit.cli import main
from gmmkit.inference.bootstrap import (
    KINDS,
    REFIT_TOL,
    BootstrapResult,
    BootstrapWarning,
    align_components,
    bootstrap,
)

FIXTURES = Path(__file__).parent / "fixtures" / "mclust"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# A well-separated two-component mixture in two dimensions, the truth of the coverage checks.
TRUE_WEIGHTS = np.array([0.4, 0.6])
TRUE_MEANS = np.array([[0.0, 0.0], [4.0, 3.0]])
TRUE_COVARIANCES = np.array([[[1.0, 0.3], [0.3, 1.0]], [[1.5, -0.4], [-0.4, 0.8]]])


def simulate(rng, n):
    labels = rng.choice(2, size=n, p=TRUE_WEIGHTS)
    noise = rng.standard_normal((n, 2))
    factors = np.linalg.cholesky(TRUE_COVARIANCES)
    return TRUE_MEANS[labels] + np.einsum("nij,nj->ni", factors[labels], noise)


def fit_true_order(X, **params):
    """A two-component fit started at the truth, so its components are in the truth's order."""
    return GaussianMixture(
        2,
        weights_init=TRUE_WEIGHTS,
        means_init=TRUE_MEANS,
        precisions_init=np.linalg.inv(TRUE_COVARIANCES),
        **params,
    ).fit(X)


@pytest.fixture(scope="module")
def data():
    return simulate(np.random.default_rng(0), 400)


@pytest.fixture(scope="module")
def fitted(data):
    return fit_true_order(data)


def coverage(n_datasets, n_bootstrap, n, kind):
    """The share of 95% intervals covering the true first weight and the four true means."""
    hits = []
    for index in range(n_datasets):
        X = simulate(np.random.default_rng(1000 + index), n)
        result = bootstrap(fit_true_order(X), X, n_bootstrap, kind=kind, random_state=index)
        bounds = result.intervals(0.95)
        lower, upper = bounds["weights"]
        hits.append(lower[0] <= TRUE_WEIGHTS[0] <= upper[0])
        lower, upper = bounds["means"]
        hits.extend(((lower <= TRUE_MEANS) & (TRUE_MEANS <= upper)).ravel())
    return np.mean(hits), len(hits)


# ---------------------------------------------------------------------- coverage
@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_intervals_cover_the_true_parameters_roughly_at_the_nominal_rate(kind):
    share, count = coverage(n_datasets=12, n_bootstrap=49, n=300, kind=kind)
    # few, short replications: only a gross error (no spread, misaligned labels) fails
    assert abs(share - 0.95) <= 4 * math.sqrt(0.95 * 0.05 / count) + 0.05, share


@pytest.mark.slow
def test_intervals_cover_the_true_parameters_at_the_nominal_rate():
    share, count = coverage(n_datasets=60, n_bootstrap=99, n=400, kind="nonparametric")
    assert abs(share - 0.95) <= 3 * math.sqrt(0.95 * 0.05 / count), share


@pytest.mark.slow
def test_standard_errors_shrink_like_one_over_root_n():
    rng = np.random.default_rng(3)
    small, large = simulate(rng, 300), simulate(rng, 2700)
    errors = [
        bootstrap(fit_true_order(X), X, 99, random_state=0).standard_errors()
        for X in (small, large)
    ]
    for name in ("weights", "means", "covariances"):
        ratio = np.median(errors[0][name] / errors[1][name])
        assert 2.4 < ratio < 3.75, (name, ratio)  # sqrt(2700 / 300) = 3


@pytest.mark.slow
def test_mean_standard_errors_match_their_large_sample_value(fitted, data):
    # a well-separated component's mean has standard error sqrt(diag(Sigma_k) / n_k)
    result = bootstrap(fitted, data, 199, random_state=0)
    expected = np.sqrt(
        np.diagonal(fitted.covariances_, axis1=1, axis2=2) / (fitted.weights_[:, None] * len(data))
    )
    np.testing.assert_allclose(result.standard_errors()["means"], expected, rtol=0.25)


# ---------------------------------------------------------------------- label alignment
class PermutingMixture(GaussianMixture):
    """A mixture whose every fit returns its components in reversed order."""

    def fit(self, X, y=None, sample_weight=None):
        super().fit(X, y, sample_weight=sample_weight)
        order = np.arange(self.n_components)[::-1]
        for name in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"):
            setattr(self, name, np.ascontiguousarray(getattr(self, name)[order]))
        return self


def test_replicates_are_aligned_when_a_refit_permutes_the_components(data):
    model = PermutingMixture(2, weights_init=TRUE_WEIGHTS, means_init=TRUE_MEANS).fit(data)
    assert model.means_[0, 0] > 2  # the permutation is real: component 0 is the far one
    result = bootstrap(model, data, 30, random_state=0)
    assert (np.abs(result.means_ - model.means_).max(axis=(0, 2)) < 0.5).all()
    assert (result.standard_errors()["means"] < 0.2).all()


def test_align_components_inverts_a_permutation_of_the_responsibilities(fitted, data):
    resp = fitted.predict_proba(data)
    rng = np.random.default_rng(0)
    for _ in range(5):
        permutation = rng.permutation(2)
        order = align_components(resp, resp[:, permutation])
        np.testing.assert_array_equal(permutation[order], np.arange(2))


def test_align_components_with_shared_centres_goes_by_spread():
    # two components with one mean, told apart only by their variances
    rng = np.random.default_rng(1)
    X = np.r_[rng.normal(0, 1, (300, 1)), rng.normal(0, 6, (300, 1))]
    model = GaussianMixture(
        2, means_init=[[0.0], [0.0]], precisions_init=[[[1.0]], [[1 / 36]]], weights_init=[0.5, 0.5]
    ).fit(X)
    result = bootstrap(model, X, 40, random_state=0)
    variances = result.covariances_[:, :, 0, 0]
    assert (variances[:, 0] < variances[:, 1]).all()


# ---------------------------------------------------------------------- kinds and structures
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_gives_finite_positive_standard_errors(kind, fitted, data):
    result = bootstrap(fitted, data, 20, kind=kind, random_state=0)
    assert result.weights_.shape == (20, 2)
    assert result.means_.shape == (20, 2, 2)
    assert result.covariances_.shape == (20, 2, 2, 2)
    for name, error in result.standard_errors().items():
        assert np.isfinite(error).all() and (error > 0).all(), name


@pytest.mark.parametrize(
    "covariance_type", [name for name in covariance_types() if name not in ("E", "V")]
)
def test_every_covariance_structure_is_bootstrapped_as_full_matrices(covariance_type, data):
    model = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(data)
    result = bootstrap(model, data, 6, random_state=0)
    assert result.covariances_.shape == (6, 2, 2, 2)
    np.testing.assert_allclose(result.covariances_, np.swapaxes(result.covariances_, 2, 3))
    assert np.isfinite(result.standard_errors()["covariances"]).all()
    # the structure is kept: a shared covariance is shared in every replicate
    if covariance_type in ("tied", "EEE"):
        np.testing.assert_allclose(result.covariances_[:, 0], result.covariances_[:, 1])
    if covariance_type in ("spherical", "VII", "EII"):
        assert np.allclose(result.covariances_[:, :, 0, 1], 0)


def test_one_feature_models_are_bootstrapped():
    X = np.r_[
        np.random.default_rng(0).normal(0, 1, (150, 1)),
        np.random.default_rng(1).normal(6, 2, (150, 1)),
    ]
    model = GaussianMixture(2, covariance_type="V", random_state=0).fit(X)
    result = bootstrap(model, X, 10, random_state=0)
    assert result.covariances_.shape == (10, 2, 1, 1)


def test_a_map_fit_is_bootstrapped_with_its_prior(data):
    model = GaussianMixture(2, prior="default", reg_covar=0.0, random_state=0).fit(data)
    result = bootstrap(model, data, 10, kind="weighted", random_state=0)
    assert result.n_replicates == 10
    assert np.isfinite(result.standard_errors()["covariances"]).all()


def test_float32_data_are_bootstrapped_in_float64(data):
    X = data.astype(np.float32)
    model = GaussianMixture(2, random_state=0).fit(X)
    result = bootstrap(model, X, 10, random_state=0)
    assert result.means_.dtype == np.float64
    assert np.isfinite(result.standard_errors()["means"]).all()


class RecordingMixture(GaussianMixture):
    """Records the data, weights and parameters of every fit (one job only: a class list)."""

    calls: ClassVar[list] = []

    def fit(self, X, y=None, sample_weight=None):
        RecordingMixture.calls.append(
            (
                np.array(X),
                None if sample_weight is None else np.array(sample_weight),
                self.get_params(),
            )
        )
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_resamples_as_documented(kind, data):
    model = RecordingMixture(2, random_state=0).fit(data)
    RecordingMixture.calls = []
    bootstrap(model, data, 5, kind=kind, random_state=0, n_jobs=1)
    assert len(RecordingMixture.calls) == 5
    rows = {row.tobytes() for row in data}
    for X, weight, _ in RecordingMixture.calls:
        assert X.shape == data.shape
        from_data = np.mean([row.tobytes() in rows for row in X])
        if kind == "nonparametric":
            assert weight is None and from_data == 1.0
            assert len(np.unique(X, axis=0)) < 0.8 * len(X)  # with replacement: repeats
        elif kind == "weighted":
            np.testing.assert_array_equal(X, data)
            assert (weight > 0).all()
            assert weight.sum() == pytest.approx(len(data))
            assert weight.std() == pytest.approx(1.0, abs=0.15)  # Exp(1) has variance 1
        else:
            assert weight is None and from_data == 0.0


def test_refits_keep_the_model_settings_and_start_from_the_fit(data):
    model = RecordingMixture(
        2,
        covariance_type="VEV",
        reg_covar=1e-4,
        tol=1e-5,
        max_iter=50,
        n_init=3,
        prior="default",
        random_state=0,
    ).fit(data)
    RecordingMixture.calls = []
    bootstrap(model, data, 3, random_state=0, n_jobs=1)
    assert len(RecordingMixture.calls) == 3
    for _, _, params in RecordingMixture.calls:
        assert (
            params["n_components"],
            params["covariance_type"],
            params["reg_covar"],
            params["max_iter"],
        ) == (2, "VEV", 1e-4, 50)
        assert params["tol"] == REFIT_TOL  # tighter than the model's
        assert params["prior"] == "default"
        assert params["n_init"] == 1  # the start is given: nothing to draw, nothing to repeat
        np.testing.assert_array_equal(params["weights_init"], model.weights_)
        np.testing.assert_array_equal(params["means_init"], model.means_)
        np.testing.assert_array_equal(params["precisions_init"], model.precisions_)
    assert model.get_params()["weights_init"] is None  # the model itself is left as it was
    RecordingMixture.calls = []
    bootstrap(model, data, 2, random_state=0, n_jobs=1, tol=1e-2)
    assert [params["tol"] for _, _, params in RecordingMixture.calls] == [1e-2, 1e-2]


@pytest.mark.slow
def test_standard_errors_do_not_depend_on_a_loose_model_tol():
    # two overlapping components: EM from the fit crawls, and a loose tol stops it at once
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (300, 2)), rng.normal(1.8, 1, (200, 2))]
    errors = []
    for tol in (1e-3, 1e-7):
        model = GaussianMixture(2, tol=tol, max_iter=2000, random_state=0).fit(X)
        errors.append(bootstrap(model, X, 99, random_state=1).standard_errors()["means"])
    np.testing.assert_allclose(errors[0], errors[1], rtol=0.1)


# ---------------------------------------------------------------------- reproducibility
def test_results_are_identical_for_one_and_two_jobs(fitted, data):
    one = bootstrap(fitted, data, 24, kind="parametric", random_state=7, n_jobs=1)
    two = bootstrap(fitted, data, 24, kind="parametric", random_state=7, n_jobs=2)
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name))


def test_the_seed_sets_the_replicates(fitted, data):
    first = bootstrap(fitted, data, 8, random_state=3)
    again = bootstrap(fitted, data, 8, random_state=3)
    other = bootstrap(fitted, data, 8, random_state=4)
    np.testing.assert_array_equal(first.means_, again.means_)
    assert not np.array_equal(first.means_, other.means_)
    rng_result = bootstrap(fitted, data, 8, random_state=np.random.RandomState(3))
    assert rng_result.means_.shape == first.means_.shape


def test_a_longer_run_extends_a_shorter_one(fitted, data):
    short = bootstrap(fitted, data, 5, random_state=11)
    long = bootstrap(fitted, data, 10, random_state=11)
    np.testing.assert_array_equal(long.means_[:5], short.means_)


# ---------------------------------------------------------------------- dropped replicates
class FlakyMixture(GaussianMixture):
    """Every second fit raises, every third is ill-posed (one job only: a class counter)."""

    count = 0

    def fit(self, X, y=None, sample_weight=None):
        FlakyMixture.count += 1
        if FlakyMixture.count % 2 == 0:
            raise ValueError("flaky refit\nsecond line")
        super().fit(X, y, sample_weight=sample_weight)
        if FlakyMixture.count % 3 == 0:
            self.ill_posed_ = "a component holds too few rows"
        return self


def test_failed_and_ill_posed_replicates_are_dropped_with_a_warning(data):
    model = FlakyMixture(2, random_state=0).fit(data)
    FlakyMixture.count = 0
    with pytest.warns(BootstrapWarning, match="8 of 12 bootstrap replicates"):
        result = bootstrap(model, data, 12, random_state=0, n_jobs=1)
    # calls 1..12: even ones raise (6), odd multiples of 3 (3, 9) are ill-posed (2)
    assert result.n_replicates == 4 and result.n_failed == 8
    assert result.failures == {
        "ValueError: flaky refit": 6,
        "ill-posed: a component holds too few rows": 2,
    }
    assert "8 dropped" in result.summary()


def test_replicates_that_leave_a_tiny_component_too_few_rows_are_dropped():
    # four rows make the third component; resampling often leaves it fewer than d + 1 = 3
    rng = np.random.default_rng(0)
    X = np.r_[
        rng.normal(0, 1, (150, 2)), rng.normal(8, 1, (150, 2)), rng.normal([0, 20], 0.5, (4, 2))
    ]
    model = GaussianMixture(3, random_state=0).fit(X)
    assert model.ill_posed_ is None
    with pytest.warns(
        BootstrapWarning,
        match="of 30 bootstrap replicates failed or were ill-posed and were dropped",
    ):
        result = bootstrap(model, X, 30, random_state=0)
    assert 0 < result.n_failed < 30 and result.n_failed + result.n_replicates == 30
    assert all(reason.startswith("ill-posed: ") for reason in result.failures)
    assert np.isfinite(result.standard_errors()["covariances"]).all()


def test_the_warning_shows_the_commonest_reasons_only(data):
    class Numbered(GaussianMixture):
        count = 0

        def fit(self, X, y=None, sample_weight=None):
            if getattr(self, "weights_init", None) is not None:
                Numbered.count += 1
                if Numbered.count <= 5:
                    raise ValueError(f"reason {Numbered.count}")
            return super().fit(X, y, sample_weight=sample_weight)

    model = Numbered(2, random_state=0).fit(data)
    with pytest.warns(BootstrapWarning, match="and 2 other reasons") as caught:
        result = bootstrap(model, data, 8, random_state=0, n_jobs=1)
    assert "5 of 8" in str(caught[0].message)
    assert len(result.failures) == 5 and result.n_replicates == 3


def test_a_fit_every_replicate_fails_raises(data):
    class Broken(GaussianMixture):
        def fit(self, X, y=None, sample_weight=None):
            if getattr(self, "weights_init", None) is not None:
                raise FloatingPointError("overflow")
            return super().fit(X, y, sample_weight=sample_weight)

    model = Broken(2, random_state=0).fit(data)
    with pytest.raises(ValueError, match="every one of the 4 bootstrap replicates"):
        bootstrap(model, data, 4, random_state=0)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_unconverged_replicates_are_kept_and_counted(data):
    model = GaussianMixture(2, max_iter=1, tol=0.0, random_state=0).fit(data)
    result = bootstrap(model, data, 5, random_state=0)
    assert result.n_replicates == 5 and result.n_unconverged == 5
    assert "5 did not converge" in result.summary()


# ---------------------------------------------------------------------- results
def test_intervals_are_ordered_nested_and_bracket_the_bulk(fitted, data):
    result = bootstrap(fitted, data, 60, random_state=0)
    wide, narrow = result.intervals(0.95), result.intervals(0.5)
    for name in ("weights", "means", "covariances"):
        assert (wide[name][0] <= narrow[name][0]).all()
        assert (narrow[name][0] <= narrow[name][1]).all()
        assert (narrow[name][1] <= wide[name][1]).all()
    lower, upper = wide["means"]
    assert ((lower < fitted.means_) & (fitted.means_ < upper)).all()
    np.testing.assert_allclose(result.averages()["weights"].sum(), 1.0)


def test_summary_lists_every_parameter(fitted, data):
    result = bootstrap(fitted, data, 10, random_state=0)
    text = str(result)
    assert text.startswith("nonparametric bootstrap of a 2-component full mixture")
    assert "replicates: 10 kept of 10" in text
    assert "component 1: x1" in text and "cov[x1, x0]" in text
    se = result.standard_errors()["means"][1, 1]
    assert f"{se:.5g}" in text
    assert "5%" in result.summary(level=0.9) and "95%" in result.summary(level=0.9)


def test_a_single_replicate_has_no_standard_error(fitted, data):
    result = bootstrap(fitted, data, 1, random_state=0)
    assert np.isnan(result.standard_errors()["means"]).all()


def test_feature_names_are_kept(data):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(data, columns=["height", "width"])
    model = GaussianMixture(2, random_state=0).fit(frame)
    result = bootstrap(model, frame, 4, random_state=0)
    assert result.feature_names == ["height", "width"]
    assert "component 0: height" in result.summary()


# ---------------------------------------------------------------------- figure
@pytest.mark.slow
@pytest.mark.parametrize("what, panels", [("weights", 2), ("means", 4), ("variances", 4)])
def test_plot_draws_one_panel_per_parameter(what, panels, fitted, data, tmp_path):
    pytest.importorskip("matplotlib")
    result = bootstrap(fitted, data, 20, random_state=0)
    figure = result.plot(what)
    assert len(figure.axes) == panels
    figure.savefig(tmp_path / "plot.png", format="png")
    assert (tmp_path / "plot.png").read_bytes().startswith(PNG_SIGNATURE)
    # the fitted value is the dashed line of each panel
    first = figure.axes[0]
    fitted_value = {
        "weights": fitted.weights_[0],
        "means": fitted.means_[0, 0],
        "variances": fitted.covariances_[0, 0, 0],
    }[what]
    assert first.lines[0].get_xdata()[0] == pytest.approx(fitted_value)


def test_plot_on_given_axes(fitted, data):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    result = bootstrap(fitted, data, 10, random_state=0)
    figure = Figure()
    axes = figure.subplots(1, 2)
    assert result.plot("weights", ax=axes) is figure
    with pytest.raises(ValueError, match="ax must hold 4 Axes"):
        result.plot("means", ax=axes)
    with pytest.raises(ValueError, match="what must be one of"):
        result.plot("pro")


# ---------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "call, error, fragment",
    [
        pytest.param(
            lambda m, X: bootstrap(GaussianMixture(2), X, 5),
            NotFittedError,
            "must be fitted",
            id="unfitted",
        ),
        pytest.param(
            lambda m, X: bootstrap("model", X, 5),
            TypeError,
            "GaussianMixture, got str",
            id="not-a-mixture",
        ),
        pytest.param(
            lambda m, X: bootstrap(m, X[:, :1], 5), ValueError, "features", id="wrong-n-features"
        ),
        pytest.param(
            lambda m, X: bootstrap(m, X, 0),
            ValueError,
            "positive integer, got 0",
            id="zero-replicates",
        ),
        pytest.param(
            lambda m, X: bootstrap(m, X, 2.5),
            TypeError,
            "got 2.5 of type float",
            id="float-replicates",
        ),
        pytest.param(
            lambda m, X: bootstrap(m, X, True), TypeError, "n_bootstrap", id="bool-replicates"
        ),
        pytest.param(
            lambda m, X: bootstrap(m, X, 5, kind="jackknife"),
            ValueError,
            "kind must be one of ['nonparametric', 'weighted', 'parametric'], got 'jackknife'",
            id="unknown-kind",
        ),
        pytest.param(
            lambda m, X: bootstrap(m, X, 5, n_jobs=0), ValueError, "n_jobs", id="zero-jobs"
        ),
        pytest.param(
            lambda m, X: bootstrap(m, X, 5, random_state="seed"),
            TypeError,
            "random_state",
            id="bad-seed",
        ),
        pytest.param(
            lambda m, X: bootstrap(m, X, 5, random_state=-1),
            ValueError,
            "non-negative",
            id="negative-seed",
        ),
        pytest.param(
            lambda m, X: bootstrap(m, X, 5, tol=-1.0),
            ValueError,
            "tol must be None or a finite number >= 0, got -1.0",
            id="negative-tol",
        ),
        pytest.param(
            lambda m, X: bootstrap(m, np.where(X > 3, np.nan, X), 5),
            ValueError,
            "NaN",
            id="nan-data",
        ),
        pytest.param(
            lambda m, X: bootstrap(m, X, 2).intervals(1.5),
            ValueError,
            "level must be a number strictly between 0 and 1, got 1.5",
            id="bad-level",
        ),
    ],
)
def test_bad_inputs_raise_clear_errors(call, error, fragment, fitted, data):
    with pytest.raises(error) as info:
        call(fitted, data)
    assert fragment in str(info.value)


def test_result_is_a_bootstrap_result(fitted, data):
    assert isinstance(bootstrap(fitted, data, 2, random_state=0), BootstrapResult)


# ---------------------------------------------------------------------- mclust
@pytest.fixture(scope="module")
def faithful_bootstrap():
    return json.loads((FIXTURES / "faithful_bootstrap.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_standard_errors_agree_loosely_with_mclust(kind, faithful_bootstrap):
    fixture = faithful_bootstrap
    X = np.asarray(fixture["data"], dtype=np.float64)
    model = GaussianMixture(
        2,
        covariance_type="VVV",
        reg_covar=0.0,
        tol=1e-8,
        max_iter=1000,
        weights_init=fixture["pro"],
        means_init=fixture["mean"],
        precisions_init=np.linalg.inv(fixture["variance"]),
    ).fit(X)
    np.testing.assert_allclose(model.means_, fixture["mean"], rtol=1e-4)
    result = bootstrap(model, X, 199, kind=kind, random_state=0)
    ours, theirs = result.standard_errors(), fixture["se"][kind]
    # random on both sides (199 and 999 replicates, a relative spread of about 5%): loosely
    np.testing.assert_allclose(ours["weights"], theirs["pro"], rtol=0.2)
    np.testing.assert_allclose(ours["means"], theirs["mean"], rtol=0.2)
    np.testing.assert_allclose(
        np.diagonal(ours["covariances"], axis1=1, axis2=2),
        np.diagonal(np.asarray(theirs["variance"]), axis1=1, axis2=2),
        rtol=0.2,
    )


# ---------------------------------------------------------------------- command line
@pytest.fixture(scope="module")
def model_files(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("bootstrap_cli")
    header = "x,y"
    np.savetxt(folder / "data.csv", data, delimiter=",", header=header, comments="")
    assert main(["fit", str(folder / "data.csv"), "-k", "2", "-o", str(folder / "m.gmm")]) == 0
    labels = (data[:, 0] > 2).astype(int)
    save(MixtureClassifier().fit(data, labels), folder / "clf.gmm")
    return folder


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_cli_prints_standard_errors_and_intervals(model_files, capsys):
    folder = model_files
    plot = folder / "means.png"
    status = main(
        [
            "bootstrap",
            str(folder / "m.gmm"),
            str(folder / "data.csv"),
            "-B",
            "20",
            "--kind",
            "weighted",
            "--seed",
            "3",
            "--level",
            "0.9",
            "--plot",
            str(plot),
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "weighted bootstrap of a 2-component full mixture" in out
    assert "replicates: 20 kept of 20" in out and "95%" in out and "component 1: y" in out
    assert plot.read_bytes().startswith(PNG_SIGNATURE)
    # the numbers are those of the library from the same seed
    from gmmkit import load

    result = bootstrap(
        load(folder / "m.gmm"),
        np.loadtxt(folder / "data.csv", delimiter=",", skiprows=1),
        20,
        kind="weighted",
        random_state=3,
    )
    assert result.summary(level=0.9) in out


def test_cli_refuses_an_existing_plot_without_force(model_files, capsys):
    folder = model_files
    plot = folder / "exists.png"
    plot.write_bytes(b"")
    args = [
        "bootstrap",
        str(folder / "m.gmm"),
        str(folder / "data.csv"),
        "-B",
        "3",
        "--plot",
        str(plot),
    ]
    assert main(args) == 1
    assert "already exists" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0


def test_cli_refuses_a_model_that_is_not_a_mixture(model_files, capsys):
    folder = model_files
    assert main(["bootstrap", str(folder / "clf.gmm"), str(folder / "data.csv"), "-B", "3"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("gmmkit: error: ") and "MixtureClassifier" in err


@pytest.mark.parametrize(
    "option, fragment",
    [
        (["--kind", "jackknife"], "invalid choice"),
        (["--level", "1"], "between 0 and 1"),
        (["-B", "0"], "positive integer"),
        (["--plot", "out.pdf"], "must end in .png"),
        (["--jobs", "0"], "non-zero"),
    ],
)
def test_cli_usage_errors(option, fragment, model_files, capsys):
    folder = model_files
    assert main(["bootstrap", str(folder / "m.gmm"), str(folder / "data.csv"), *option]) == 2
    assert fragment in capsys.readouterr().err


def test_cli_help_has_examples(capsys):
    assert main(["bootstrap", "--help"]) == 0
    text = capsys.readouterr().out
    assert "usage: gmmkit bootstrap" in text and "examples:" in text and "exit status:" in text
