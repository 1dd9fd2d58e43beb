"""Selection figures: one line per covariance type, the best configuration starred, every panel
labelled, drawn without pyplot and saved as PNG."""

import math
import sys

import numpy as np
import pytest
from sklearn.datasets import make_blobs

pytest.importorskip("matplotlib")
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure

from gmmkit import SelectionResult, select
from gmmkit.plotting import plot_criterion, plot_cv, plot_selection, plot_silhouette

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def X():
    """150 points around 3 centres in 2-D."""
    X, _ = make_blobs(n_samples=150, centers=3, random_state=0)
    X.setflags(write=False)
    return X


@pytest.fixture(scope="module")
def result(X):
    """A sweep over 1-4 components and every covariance type, ranked by BIC, without CV."""
    return select(X, n_components=range(1, 5), random_state=0)


@pytest.fixture(scope="module")
def cv_result(X):
    """The same sweep with 3-fold cross-validation, ranked by held-out log-likelihood."""
    return select(X, n_components=range(1, 5), criterion="cv", cv=3, random_state=0)


def _covariance_types(result):
    return list(dict.fromkeys(row["covariance_type"] for row in result.records()))


def _star(ax):
    """(x, y) of the one star scatter on ``ax``."""
    stars = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(stars) == 1
    ((x, y),) = stars[0].get_offsets()
    return x, y


def _best(result, column, lower_is_better):
    finite = [row for row in result.records() if math.isfinite(row[column])]
    return (min if lower_is_better else max)(finite, key=lambda row: row[column])


def _assert_labelled(ax):
    assert ax.get_title()
    assert ax.get_xlabel()
    assert ax.get_ylabel()
    assert ax.get_legend() is not None


# ---------------------------------------------------------------------- plot_criterion
def test_plot_criterion_draws_one_line_per_covariance_type(result):
    ax = plot_criterion(result)
    assert [line.get_label() for line in ax.get_lines()] == _covariance_types(result)
    for line in ax.get_lines():
        assert list(line.get_xdata()) == [1, 2, 3, 4]


def test_plot_criterion_labels_the_axes_and_says_lower_is_better(result):
    ax = plot_criterion(result)
    _assert_labelled(ax)
    assert "BIC" in ax.get_title()
    assert "lower is better" in ax.get_ylabel()


def test_plot_criterion_stars_the_selected_configuration(result):
    x, y = _star(plot_criterion(result))
    best = result.records()[result.best_index_]
    assert x == result.best_params_["n_components"]
    assert y == pytest.approx(best["bic"])


@pytest.mark.parametrize("criterion", ["aic", "icl"])
def test_plot_criterion_stars_the_lowest_value_of_another_criterion(result, criterion):
    ax = plot_criterion(result, criterion)
    best = _best(result, criterion, lower_is_better=True)
    assert _star(ax) == pytest.approx((best["n_components"], best[criterion]))
    assert criterion.upper() in ax.get_ylabel()


def test_plot_criterion_falls_back_to_bic_when_the_sweep_ranked_by_cv(cv_result):
    ax = plot_criterion(cv_result)
    best = _best(cv_result, "bic", lower_is_better=True)
    assert ax.get_ylabel().startswith("BIC")
    assert _star(ax) == pytest.approx((best["n_components"], best["bic"]))


def test_plot_criterion_rejects_an_unknown_criterion(result):
    with pytest.raises(ValueError, match=r"criterion must be one of .*got 'cv'"):
        plot_criterion(result, "cv")


def test_plot_criterion_draws_on_the_given_axes(result):
    ax = Figure().add_subplot()
    assert plot_criterion(result, ax=ax) is ax
    assert len(ax.get_lines()) == len(_covariance_types(result))


def test_a_new_figure_is_a_bare_figure_not_a_pyplot_one(result):
    figure = plot_criterion(result).figure
    assert type(figure) is Figure
    assert not hasattr(figure, "number")  # pyplot numbers the figures it manages


def test_failed_configurations_are_left_out_and_counted_in_the_legend(result):
    rows = result.records()
    failed = next(
        i
        for i, row in enumerate(rows)
        if row["covariance_type"] == "full" and row["n_components"] == 2
    )
    rows[failed].update(
        bic=np.nan,
        aic=np.nan,
        icl=np.nan,
        silhouette=np.nan,
        error="LinAlgError: simulated failure",
    )
    with_failure = SelectionResult(
        rows=rows,
        criterion="bic",
        best_index_=result.best_index_,
        best_estimator_=result.best_estimator_,
    )
    ax = plot_criterion(with_failure)
    full = ax.get_lines()[0]
    assert full.get_label() == "full (1 failed)"
    assert np.isnan(full.get_ydata()[1])
    assert np.isfinite(np.delete(full.get_ydata(), 1)).all()
    assert _star(ax)[0] == result.best_params_["n_components"]


# ---------------------------------------------------------------------- plot_cv
def test_plot_cv_draws_one_line_with_error_bars_per_covariance_type(cv_result):
    ax = plot_cv(cv_result)
    types = _covariance_types(cv_result)
    assert [line.get_label() for line in ax.get_lines()] == types
    error_bars = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(error_bars) == len(types)
    _assert_labelled(ax)
    assert "log-likelihood" in ax.get_ylabel()


def test_plot_cv_stars_the_selected_configuration(cv_result):
    x, y = _star(plot_cv(cv_result))
    best = cv_result.records()[cv_result.best_index_]
    assert x == cv_result.best_params_["n_components"]
    assert y == pytest.approx(best["cv_mean"])


def test_plot_cv_without_cross_validation_raises_value_error(result):
    with pytest.raises(ValueError, match=r"no cross-validation scores.*cv="):
        plot_cv(result)


@pytest.mark.slow
def test_plot_cv_breaks_the_line_where_cross_validation_failed(X):
    # A 3-sample training fold cannot fit 4 components: CV fails at k=4, the full-data fit does not.
    folds = [(np.arange(3), np.arange(3, 150)), (np.arange(3, 150), np.arange(3))]
    result = select(X, n_components=range(1, 5), cv=folds, random_state=0)
    cv_lines = plot_cv(result).get_lines()
    assert all(line.get_label().endswith("(1 failed)") for line in cv_lines)
    assert all(np.isnan(line.get_ydata()[3]) for line in cv_lines)
    assert all(np.isfinite(line.get_ydata()[3]) for line in plot_criterion(result).get_lines())


# ---------------------------------------------------------------------- plot_silhouette
def test_plot_silhouette_draws_one_line_per_covariance_type(result):
    ax = plot_silhouette(result)
    assert [line.get_label() for line in ax.get_lines()] == _covariance_types(result)
    _assert_labelled(ax)
    assert "silhouette" in ax.get_ylabel()


def test_plot_silhouette_stars_the_highest_score(result):
    best = _best(result, "silhouette", lower_is_better=False)
    assert _star(plot_silhouette(result)) == pytest.approx(
        (best["n_components"], best["silhouette"])
    )


# ---------------------------------------------------------------------- plot_selection
def test_plot_selection_without_cv_has_criterion_and_silhouette_panels(result):
    figure = plot_selection(result)
    assert isinstance(figure, Figure)
    titles = [ax.get_title() for ax in figure.axes]
    assert len(titles) == 2
    assert "BIC" in titles[0] and "ilhouette" in titles[1]


def test_plot_selection_with_cv_adds_the_cv_panel(cv_result):
    figure = plot_selection(cv_result)
    assert len(figure.axes) == 3
    assert "ross-validated" in figure.axes[1].get_title()
    assert all(len(ax.get_lines()) == len(_covariance_types(cv_result)) for ax in figure.axes)


# ---------------------------------------------------------------------- output and dependencies
@pytest.mark.slow
@pytest.mark.parametrize(
    "draw",
    [
        lambda r: plot_criterion(r).figure,
        lambda r: plot_cv(r).figure,
        lambda r: plot_silhouette(r).figure,
        plot_selection,
    ],
    ids=["criterion", "cv", "silhouette", "selection"],
)
def test_figures_save_as_png(cv_result, draw, tmp_path):
    path = tmp_path / "figure.png"
    draw(cv_result).savefig(path)
    assert path.read_bytes()[:8] == PNG_SIGNATURE


def test_missing_matplotlib_raises_import_error_naming_the_extra(result, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install gmmkit\[plot\]"):
        plot_criterion(result)


def test_selection_title_says_1_component_not_1_components():
    X, _ = make_blobs(60, centers=1, random_state=0)
    figure = plot_selection(select(X, n_components=[1], covariance_type="full"))
    assert figure.get_suptitle().endswith("full covariance, 1 component")
