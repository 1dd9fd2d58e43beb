"""mclust's BIC, classification and uncertainty plots (gmmkit.plotting)."""

import math

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_blobs
from sklearn.decomposition import PCA

import gmmkit
from gmmkit import plotting
from gmmkit._mclust_plots import BIC_STYLE, bic_table, model_name

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def blobs():
    X, _ = make_blobs(n_samples=300, centers=[[-4, 0], [0, 4], [4, 0]], random_state=0)
    return X


@pytest.fixture(scope="module")
def sweep(blobs):
    return gmmkit.select(blobs, n_components=range(1, 5), random_state=0)


def test_bic_table_is_mclusts_sign_one_column_per_model(sweep):
    ks, table = bic_table(sweep)
    assert ks == [1, 2, 3, 4]
    for row in sweep.records():
        value = table[model_name(row["covariance_type"])][ks.index(row["n_components"])]
        assert value == pytest.approx(-row["bic"], rel=1e-12)


def test_bic_table_has_na_for_ill_posed_fits():
    X, y = load_digits(return_X_y=True)
    threes = PCA(0.99, random_state=0).fit_transform(X)[y == 3]
    result = gmmkit.select(threes, n_components=[1, 5], covariance_type="full", random_state=0)
    _, table = bic_table(result)
    (values,) = table.values()
    assert math.isfinite(values[0]) and math.isnan(values[1])


def test_the_four_scikit_learn_structures_have_mclusts_names():
    assert [model_name(name) for name in ("full", "tied", "diag", "spherical")] == [
        "VVV",
        "EEE",
        "VVI",
        "VII",
    ]
    assert all(name in BIC_STYLE for name in ("VVV", "EEE", "VVI", "VII"))


def test_bic_plot_draws_one_styled_line_per_model(sweep):
    ax = plotting.plot_mclust_bic(sweep)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"VVV", "EEE", "VVI", "VII"}
    assert lines["VVV"].get_color() == BIC_STYLE["VVV"][1]
    assert lines["VVV"].get_marker() == "s" and lines["VVV"].get_markerfacecolor() == "none"
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title() == "BIC"


def test_classification_plot_draws_each_component_and_its_ellipse(sweep, blobs):
    model = sweep.best_estimator_
    ax = plotting.plot_classification(model, blobs, feature_names=["a", "b"])
    assert len(ax.collections) == model.n_components
    assert sum(len(c.get_offsets()) for c in ax.collections) == len(blobs)
    # one outline, two principal axes and one mean per component
    assert len(ax.get_lines()) == 4 * model.n_components
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("a", "b")


def test_uncertainty_plot_draws_uncertain_rows_larger(sweep, blobs):
    model = sweep.best_estimator_
    ax = plotting.plot_uncertainty(model, blobs)
    sizes = ax.collections[0].get_sizes()
    uncertainty = 1 - model.predict_proba(blobs).max(axis=1)
    order = np.argsort(uncertainty, kind="stable")
    assert np.all(np.diff(sizes[order]) >= 0) and sizes.max() > 10 * sizes.min()


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_ellipses_are_the_marginal_covariances(blobs, covariance_type):
    model = gmmkit.GaussianMixture(2, covariance_type=covariance_type, random_state=0)
    X3 = np.column_stack([blobs, blobs[:, 0] * 0.5 + np.random.RandomState(0).normal(size=300)])
    model.fit(X3)
    ax = plotting.plot_classification(model, X3, dims=(2, 0))
    outline = ax.get_lines()[0].get_xydata()
    mean = model.means_[0, [2, 0]]
    structure = gmmkit._core.covariances.covariance_model(covariance_type, 3)
    covariance = structure.marginal_covariances(
        np.asarray(model.covariances_), 2, np.array([2, 0])
    )[0]
    # every point of the outline is one standard deviation away (Mahalanobis distance 1)
    offsets = outline - mean
    distances = np.einsum("ni,ij,nj->n", offsets, np.linalg.inv(covariance), offsets)
    np.testing.assert_allclose(distances, 1.0, rtol=1e-9)


def test_plots_refuse_bad_dims_and_widths(sweep, blobs):
    model = sweep.best_estimator_
    with pytest.raises(ValueError, match="dims must be two different feature indices"):
        plotting.plot_classification(model, blobs, dims=(0, 0))
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\)"):
        plotting.plot_uncertainty(model, blobs[:, :1])
