"""mclust's closed-form covariance models (EII ... VVV, E and V) against R's mclust 6.0.0.

The fixtures (``tests/fixtures/mclust/*_em.json``, see ``reference/mclust/README.md``) hold
mclust's EM fits from given initial partitions; from the same partitions gmmkit's EM must reach
the same log-likelihood and covariances.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gmmkit
from gmmkit import GaussianMixture
from gmmkit._config import Options
from gmmkit._core.covariances import (
    ALIASES,
    MCLUST_MODELS,
    covariance_model,
    covariance_model_class,
    covariance_types,
)
from gmmkit._core.fitting import EMSettings, Start, fit_mixture
from gmmkit.mixture import feature_source

FIXTURES = Path(__file__).parent / "fixtures" / "mclust"
MULTIVARIATE_SETS = ("faithful", "iris", "synthetic3d")
#: The models whose M-step has a closed form: this module's and the built-ins' aliases.
CLOSED_FORM = ("EII", "VII", "EEI", "EVI", "VVI", "EEE", "EEV", "EVV", "VVV")
ORIENTATION_FREE = ("EII", "VII", "EEE", "VVV", "EEV", "EVV")
AXIS_ALIGNED = ("EEI", "EVI", "VVI")
PROPERTY_SETTINGS = settings(deadline=None, max_examples=12, database=None, derandomize=True)


def _load(name):
    fixture = json.loads((FIXTURES / f"{name}_em.json").read_text())
    X = np.asarray(fixture["data"], dtype=np.float64)
    return fixture, X.reshape(len(X), -1)


def _fit_from_labels(X, covariance_type, labels, *, tol=1e-13, max_iter=100_000):
    """EM from the hard partition ``labels`` (0-based) with no regularisation, as mclust's
    ``me()`` runs it; returns the run (lower bounds are per sample)."""
    n_components = int(labels.max()) + 1
    source = feature_source(X, None, covariance_type, n_components, Options())
    start = Start(responsibilities=np.eye(n_components)[labels])
    settings_ = EMSettings(n_components, reg_covar=0.0, tol=tol, max_iter=max_iter)
    return fit_mixture(source, [start], settings_).run


def _mclust_tol(fit, n_samples):
    """mclust's stopping rule, a relative change of the total log-likelihood below
    ``tol[1] = 1e-10`` (``|l - l_old| / (1 + |l|)``), as a change of the per-sample bound:
    EM then stops at mclust's very iteration."""
    return 1e-10 * (1 + abs(fit["loglik"])) / n_samples


def _full_matrices(model, covariances, n_components):
    """Every component's ``d x d`` covariance, whatever the model's layout."""
    covariances = np.asarray(covariances)
    shape = model.parameter_shape(n_components)
    if len(shape) == 3:
        return covariances
    if (
        len(shape) == 2
        and shape[0] == shape[1] == model.d
        and not isinstance(model, type(covariance_model("diag", model.d)))
    ):
        return np.broadcast_to(covariances, (n_components, model.d, model.d))
    variances = model.component_variances(covariances, n_components)
    return np.stack([np.diag(row) for row in variances])


def _mclust_fits(name, models):
    fixture, X = _load(name)
    return X, fixture, [fit for fit in fixture["fits"] if fit["model"] in models]


# ------------------------------------------------------------------ agreement with mclust
@pytest.mark.parametrize("model_name", CLOSED_FORM)
@pytest.mark.parametrize("dataset", MULTIVARIATE_SETS)
def test_log_likelihood_matches_mclust_from_the_same_partition(dataset, model_name):
    X, fixture, fits = _mclust_fits(dataset, (model_name,))
    assert [fit["G"] for fit in fits] == [1, 2, 3]
    for fit in fits:
        labels = np.asarray(fixture["partitions"][str(fit["G"])]) - 1
        run = _fit_from_labels(X, model_name, labels, tol=_mclust_tol(fit, len(X)))
        assert run.n_iter == pytest.approx(fit["iterations"], abs=1)
        total = run.lower_bound * len(X)
        assert total == pytest.approx(fit["loglik"], rel=1e-6), (model_name, fit["G"])


@pytest.mark.parametrize("model_name", ("E", "V"))
def test_one_feature_models_match_mclust(model_name):
    X, fixture, fits = _mclust_fits("faithful_waiting", (model_name,))
    assert X.shape[1] == 1 and fits
    for fit in fits:
        labels = np.asarray(fixture["partitions"][str(fit["G"])]) - 1
        run = _fit_from_labels(X, model_name, labels, tol=_mclust_tol(fit, len(X)))
        assert run.lower_bound * len(X) == pytest.approx(fit["loglik"], rel=1e-6)
        variances = np.broadcast_to(fit["variance"]["sigmasq"], (fit["G"],))
        np.testing.assert_allclose(
            run.params.covariances, variances, rtol=0, atol=3e-5 * variances.max()
        )


@pytest.mark.parametrize("dataset", ("faithful", "iris"))
def test_covariances_and_weights_match_mclust(dataset):
    X, fixture, fits = _mclust_fits(dataset, CLOSED_FORM)
    for fit in (fit for fit in fits if fit["G"] == 3):
        labels = np.asarray(fixture["partitions"]["3"]) - 1
        run = _fit_from_labels(X, fit["model"], labels, tol=_mclust_tol(fit, len(X)))
        model = covariance_model(fit["model"], X.shape[1])
        ours = _full_matrices(model, run.params.covariances, 3)
        sigma = np.asarray(fit["variance"]["sigma"])
        np.testing.assert_allclose(
            ours, sigma, rtol=0, atol=3e-5 * np.abs(sigma).max(), err_msg=fit["model"]
        )
        np.testing.assert_allclose(run.params.weights, fit["pro"], rtol=0, atol=1e-5)


def test_parameter_counts_match_mclust_for_every_registered_model_and_size():
    registered = set(covariance_types())
    checked = set()
    for dataset in (*MULTIVARIATE_SETS, "faithful_waiting"):
        fixture, X = _load(dataset)
        for fit in fixture["fits"]:
            if fit["model"] in registered:
                model = covariance_model(fit["model"], X.shape[1])
                assert model.n_parameters(fit["G"]) == fit["npar"], (dataset, fit["model"])
                checked.add(fit["model"])
    assert checked >= {*CLOSED_FORM, "E", "V"}


# ------------------------------------------------------------------ names and aliases
@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_an_mclust_alias_fits_exactly_as_its_built_in(alias, blobs):
    X, _ = blobs
    aliased = GaussianMixture(3, covariance_type=alias, random_state=0).fit(X)
    built_in = GaussianMixture(3, covariance_type=ALIASES[alias], random_state=0).fit(X)
    assert aliased.covariance_type == alias
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_", "lower_bounds_"):
        np.testing.assert_array_equal(getattr(aliased, name), getattr(built_in, name))
    assert aliased.bic(X) == built_in.bic(X)
    assert covariance_model_class(alias).mclust_name == alias


def test_every_model_knows_its_mclust_name():
    for name in MCLUST_MODELS:
        if name in covariance_types():
            assert covariance_model_class(name).mclust_name == name


def test_an_unknown_name_is_refused_with_the_names_listed():
    with pytest.raises(ValueError, match="covariance_type must be one of.*'EVV'.*'VVV'"):
        covariance_model_class("XXV")


@pytest.mark.parametrize(("name", "three_letter"), [("E", "EII"), ("V", "VII")])
def test_one_feature_models_refuse_several_features_and_equal_their_multivariate_twin(
    name, three_letter
):
    X = np.random.RandomState(0).normal(size=(80, 1)) * [[3.0]]
    X[40:] += 10.0
    with pytest.raises(ValueError, match=f"covariance_type='{name}' is mclust's model for one"):
        GaussianMixture(2, covariance_type=name).fit(np.hstack([X, X**2]))
    one = GaussianMixture(2, covariance_type=name, random_state=0).fit(X)
    twin = GaussianMixture(2, covariance_type=three_letter, random_state=0).fit(X)
    np.testing.assert_allclose(one.covariances_, twin.covariances_, rtol=1e-12)


def test_select_all_sweeps_every_mclust_model_registered_and_sklearn_the_four(blobs):
    X, _ = blobs
    swept = covariance_types(in_all=True)
    assert set(swept) >= set(CLOSED_FORM)
    assert [name for name in swept if name in MCLUST_MODELS] == [
        name for name in MCLUST_MODELS if name in swept
    ]
    result = gmmkit.select(
        X, n_components=[1, 2], covariance_type="all", random_state=0, silhouette_samples=None
    )
    assert list(dict.fromkeys(row["covariance_type"] for row in result.records())) == list(swept)
    result = gmmkit.select(
        X, n_components=[1], covariance_type="sklearn", random_state=0, silhouette_samples=None
    )
    assert [row["covariance_type"] for row in result.records()] == [
        "full",
        "tied",
        "diag",
        "spherical",
    ]


@pytest.mark.parametrize("model_name", ("EII", "EEI", "EVI", "EEV", "EVV"))
def test_a_component_collapsed_onto_one_point_is_recovered(model_name):
    rng = np.random.RandomState(0)
    X = np.vstack(
        [
            rng.normal(size=(100, 2)),
            rng.normal(size=(40, 2)) * [0.1, 2.0] + 8.0,
            np.tile([[-8.0, 5.0]], (15, 1)),
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gmmkit.DegenerateComponentWarning)
        mixture = GaussianMixture(
            3, covariance_type=model_name, means_init=[[0.0, 0.0], [8.0, 8.0], [-8.0, 5.0]]
        ).fit(X)
    assert np.isfinite(mixture.covariances_).all() and np.isfinite(mixture.score(X))


@pytest.mark.parametrize(
    ("model_name", "precisions", "what"),
    [
        ("EII", [1.0, 2.0], "same precision"),
        ("EEI", [[1.0, 1.0], [1.0, 2.0]], "same precision of each feature"),
        ("EVI", [[1.0, 1.0], [2.0, 2.0]], "same volume"),
        ("EEV", [np.eye(2), 2 * np.eye(2)], "same eigenvalues"),
        ("EVV", [np.eye(2), 2 * np.eye(2)], "same volume"),
    ],
)
def test_precisions_init_without_the_models_structure_are_refused(model_name, precisions, what):
    X = np.random.RandomState(0).normal(size=(50, 2))
    with pytest.raises(ValueError, match=f"precisions_init must give every component the {what}"):
        GaussianMixture(2, covariance_type=model_name, precisions_init=precisions).fit(X)


# ------------------------------------------------------------------ properties
@st.composite
def clustered_data(draw):
    """60-120 rows of 2 or 3 features around 1-3 random centres, and a starting partition."""
    seed = draw(st.integers(0, 2**31 - 1))
    n_components = draw(st.integers(1, 3))
    d = draw(st.integers(2, 3))
    rng = np.random.RandomState(seed)
    n = int(rng.randint(60, 121))
    labels = np.arange(n) % n_components
    centres = rng.normal(scale=4.0, size=(n_components, d))
    mixing = rng.normal(size=(n_components, d, d)) + 2 * np.eye(d)
    X = centres[labels] + np.einsum("nd,nde->ne", rng.normal(size=(n, d)), mixing[labels])
    start = rng.permutation(labels)
    start[:n_components] = np.arange(n_components)
    return X, start


def _structure_holds(name, matrices):
    volume_letter, shape_letter, orientation_letter = name
    d = matrices.shape[-1]
    values = np.linalg.eigvalsh(matrices)
    volumes = np.exp(np.log(values).mean(axis=1))
    shapes = values / volumes[:, None]
    close = {"rtol": 1e-7, "atol": 1e-9}
    if volume_letter == "E":
        np.testing.assert_allclose(volumes, volumes[0], **close)
    if shape_letter == "I":
        np.testing.assert_allclose(shapes, 1.0, **close)
    if shape_letter == "E":
        np.testing.assert_allclose(shapes, np.broadcast_to(shapes[0], shapes.shape), **close)
    off_diagonal = matrices * (1 - np.eye(d))
    scale = np.abs(matrices).max()
    if orientation_letter == "I":
        np.testing.assert_allclose(off_diagonal, 0.0, atol=1e-12 * scale)
    if volume_letter == shape_letter == "E" and orientation_letter in "EI":
        np.testing.assert_allclose(
            matrices, np.broadcast_to(matrices[0], matrices.shape), rtol=1e-7, atol=1e-9 * scale
        )


@pytest.mark.parametrize("model_name", CLOSED_FORM)
@PROPERTY_SETTINGS
@given(data=clustered_data())
def test_em_never_decreases_the_likelihood_and_keeps_the_structure(model_name, data):
    X, start = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = _fit_from_labels(X, model_name, start, tol=0.0, max_iter=40)
    bounds = np.asarray(run.lower_bounds)
    assert (np.diff(bounds) >= -1e-10 * np.abs(bounds[1:])).all()
    model = covariance_model(model_name, X.shape[1])
    K = len(run.params.weights)
    _structure_holds(model_name, _full_matrices(model, run.params.covariances, K))


def _orthogonal(rng, d):
    q, r = np.linalg.qr(rng.normal(size=(d, d)))
    return q * np.sign(np.diag(r))


@pytest.mark.parametrize("model_name", CLOSED_FORM)
@PROPERTY_SETTINGS
@given(data=clustered_data(), seed=st.integers(0, 2**31 - 1))
def test_likelihood_is_invariant_under_the_models_transformations(model_name, data, seed):
    X, start = data
    rng = np.random.RandomState(seed)
    d = X.shape[1]
    if model_name in ORIENTATION_FREE:
        linear = rng.uniform(0.2, 5.0) * _orthogonal(rng, d)
    else:  # axis-aligned: per-feature scales and a permutation of the features
        linear = np.diag(rng.uniform(0.2, 5.0, size=d))[:, rng.permutation(d)]
    moved = X @ linear + rng.normal(scale=10.0, size=d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        before = _fit_from_labels(X, model_name, start, tol=0.0, max_iter=25)
        after = _fit_from_labels(moved, model_name, start, tol=0.0, max_iter=25)
    # the density of y = x A + b is that of x over |det A|
    expected = before.lower_bound - np.log(abs(np.linalg.det(linear)))
    assert after.lower_bound == pytest.approx(expected, rel=1e-8, abs=1e-8)
