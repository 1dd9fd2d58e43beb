"""gmmkit.report: the HTML report builder and the report on a user's own data."""

import base64
import io
import json
import math
import re
import warnings

import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn.datasets import make_blobs

from gmmkit.report import Report, ReportError, check_output_dir, run_data_report
from gmmkit.report.html import format_value
from gmmkit.report.metrics import flatten, jsonable
from gmmkit.tour import TourError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IMG_SRC = re.compile(r'<img src="data:image/png;base64,([^"]+)"')


def labelled_figure(title="A title"):
    """A small, fully labelled figure."""
    figure = Figure(figsize=(3, 2))
    ax = figure.add_subplot()
    ax.plot([0, 1], [1, 0])
    ax.set(title=title, xlabel="x", ylabel="y")
    return figure


def strict_json(text):
    """Parse JSON, refusing the NaN/Infinity extensions Python's json module accepts."""

    def refuse(constant):
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


# ---------------------------------------------------------------------- the builder
def test_every_piece_of_text_is_escaped():
    hostile = '<script>alert("x")</script> & <b>'
    report = Report(hostile, subtitle=hostile, settings={"note": hostile})
    section = report.add_section("one", hostile, hostile)
    section.summary = hostile
    section.add_text(hostile)
    section.add_figure("fig", labelled_figure(), hostile)
    section.add_table(
        [{"name": hostile, "value": 1.5}],
        caption=hostile,
        columns={"name": hostile, "value": "value"},
    )
    page = report.to_html()
    assert "<script" not in page
    assert "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in page


def test_backticks_show_as_code_after_escaping():
    report = Report("title")
    report.add_section("one", "One", "set `reg_covar<1` first")
    assert "<code>reg_covar&lt;1</code>" in report.to_html()


def test_figure_is_embedded_inline_and_written_as_the_same_png(tmp_path):
    report = Report("title")
    report.add_section("one", "One", "intro").add_figure(
        "curve", labelled_figure(), "The curve falls."
    )
    report.write(tmp_path)
    page = (tmp_path / "report.html").read_text()
    (encoded,) = IMG_SRC.findall(page)
    inline = base64.b64decode(encoded)
    assert inline.startswith(PNG_SIGNATURE)
    assert inline == (tmp_path / "figures" / "curve.png").read_bytes()
    assert re.search(r'width="300" height="200"', page)  # 3 x 2 inches at 100 dpi


def test_every_figure_gets_a_numbered_caption_and_the_section_a_contents_entry():
    report = Report("title")
    section = report.add_section("first-part", "First part", "intro")
    section.add_figure("a", labelled_figure(), "What to see in a.")
    section.add_figure("b", labelled_figure(), "What to see in b.")
    page = report.to_html()
    assert "<strong>Figure 1.</strong> What to see in a." in page
    assert "<strong>Figure 2.</strong> What to see in b." in page
    assert '<a href="#first-part">First part</a>' in page
    assert '<section id="first-part">' in page


def test_page_has_no_script_and_no_external_url():
    report = Report("title")
    report.add_section("one", "One", "intro").add_figure("a", labelled_figure(), "Caption.")
    page = report.to_html()
    assert "<script" not in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)


def test_header_names_version_settings_machine_and_run_time(tmp_path):
    report = Report("title", settings={"seed": 7, "mode": "quick"})
    report.add_section("one", "One", "intro")
    report.write(tmp_path)
    page = (tmp_path / "report.html").read_text()
    for fact in (
        "gmmkit version",
        "seed</dt><dd>7",
        "mode</dt><dd>quick",
        "machine",
        "CPU",
        "run time",
    ):
        assert fact in page


@pytest.mark.parametrize(
    "problem, message",
    [
        (lambda ax: ax.set_xlabel(""), "no x-axis label"),
        (lambda ax: ax.set_ylabel(""), "no y-axis label"),
        (lambda ax: ax.set_title(""), "no title"),
    ],
)
def test_a_figure_missing_a_title_or_an_axis_label_is_refused(problem, message):
    figure = labelled_figure()
    problem(figure.axes[0])
    section = Report("title").add_section("one", "One", "intro")
    with pytest.raises(ValueError, match=message):
        section.add_figure("fig", figure, "Caption.")


def test_a_suptitle_stands_for_the_panel_titles_and_axes_off_panels_need_no_labels():
    figure = Figure(figsize=(4, 2))
    image_ax, plot_ax = figure.subplots(1, 2)
    image_ax.imshow(np.eye(3))
    image_ax.set_axis_off()
    plot_ax.plot([0, 1])
    plot_ax.set(xlabel="x", ylabel="y")
    figure.suptitle("Both panels")
    Report("title").add_section("one", "One", "intro").add_figure("fig", figure, "Caption.")


def test_a_colorbar_needs_a_label():
    figure = labelled_figure()
    image = figure.axes[0].imshow(np.eye(3))
    figure.colorbar(image, ax=figure.axes[0])
    section = Report("title").add_section("one", "One", "intro")
    with pytest.raises(ValueError, match="colorbar without a label"):
        section.add_figure("fig", figure, "Caption.")


def test_empty_caption_malformed_or_repeated_names_are_refused():
    report = Report("title")
    section = report.add_section("one", "One", "intro")
    with pytest.raises(ValueError, match="caption"):
        section.add_figure("fig", labelled_figure(), "  ")
    with pytest.raises(ValueError, match="figure name"):
        section.add_figure("Bad Name", labelled_figure(), "Caption.")
    section.add_figure("fig", labelled_figure(), "Caption.")
    with pytest.raises(ValueError, match="already used"):
        section.add_figure("fig", labelled_figure(), "Caption.")
    with pytest.raises(ValueError, match="already used"):
        report.add_section("one", "Again", "intro")


def test_metrics_json_is_strict_json_with_nan_and_infinity_as_null(tmp_path):
    report = Report("title")
    report.add_section("one", "One", "intro").add_metrics(
        nan=math.nan,
        inf=np.inf,
        f32=np.float32(1.5),
        i64=np.int64(3),
        flag=np.bool_(True),
        array=np.array([[1.0, np.nan]]),
        nested={"k": (1, 2)},
    )
    report.write(tmp_path)
    metrics = strict_json((tmp_path / "metrics.json").read_text())
    assert metrics["sections"]["one"]["metrics"] == {
        "nan": None,
        "inf": None,
        "f32": 1.5,
        "i64": 3,
        "flag": True,
        "array": [[1.0, None]],
        "nested": {"k": [1, 2]},
    }
    assert metrics["run_seconds"] >= 0
    assert metrics["machine"]["cpu_count"] >= 1


def test_metrics_refuse_values_json_cannot_hold():
    with pytest.raises(TypeError, match="object"):
        jsonable({"model": object()})


def test_flatten_names_every_leaf_by_its_path():
    assert flatten({"a": {"b": 1, "c": [2, {"d": None}]}}) == [
        ("a.b", 1),
        ("a.c.0", 2),
        ("a.c.1.d", None),
    ]


def test_summary_csv_has_one_row_per_scalar_metric(tmp_path):
    report = Report("title")
    report.add_section("one", "One", "intro").add_metrics(best={"k": 3, "bic": 2413.5})
    report.write(tmp_path)
    lines = (tmp_path / "summary.csv").read_text().splitlines()
    assert lines == ["section,metric,value", "one,best.k,3", "one,best.bic,2413.5"]


@pytest.mark.parametrize(
    "value, text",
    [
        (294478.4, "294,478"),
        (0.973333, "0.9733"),
        (-1.11234, "-1.112"),
        (0.0, "0"),
        (1e-5, "1.00e-05"),
        (1234567, "1,234,567"),
        (np.int64(8), "8"),
        (math.nan, "–"),
        (None, "–"),
        (True, "yes"),
        (np.bool_(False), "no"),
        ("full", "full"),
    ],
)
def test_table_cells_format_numbers_for_reading(value, text):
    assert format_value(value) == text


def test_numbers_are_right_aligned_in_tables():
    report = Report("title")
    report.add_section("one", "One", "intro").add_table(
        [{"model": "full", "bic": 2413.85}], caption="BIC."
    )
    page = report.to_html()
    assert '<td>full</td><td class="number">2414</td>' in page


def test_write_replaces_only_the_reports_own_files(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "report.html").write_text("old")
    report = Report("title")
    report.add_section("one", "One", "intro")
    written = report.write(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert [path.name for path in written] == ["report.html", "metrics.json", "summary.csv"]


def test_run_section_stores_warnings_in_the_section_instead_of_printing_them():
    def build(report):
        report.add_section("one", "One", "intro")
        warnings.warn("fit did not converge", UserWarning, stacklevel=2)
        warnings.warn("fit did not converge", UserWarning, stacklevel=2)

    report = Report("title")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report.run_section(build)
    assert report.sections[0].metrics["warnings"] == ["UserWarning: fit did not converge"]


def test_progress_lines_mark_the_start_and_end_of_each_section():
    lines = []
    report = Report("title", log=lines.append)
    report.add_section("one", "One", "intro")
    report.add_section("two", "Two", "intro")
    report.stop_clock()
    assert lines[0] == "[1] One ..."
    assert lines[1].startswith("[1] One: done in ")
    assert lines[2:] == ["[2] Two ...", lines[3]] and lines[3].startswith("[2] Two: done in ")


# ---------------------------------------------------------------------- output directory
def test_output_dir_rules(tmp_path):
    check_output_dir(tmp_path / "new", force=False)
    check_output_dir(tmp_path, force=False)  # empty
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ReportError, match="not empty.*--force"):
        check_output_dir(tmp_path, force=False)
    check_output_dir(tmp_path, force=True)
    with pytest.raises(ReportError, match="not a directory"):
        check_output_dir(tmp_path / "notes.txt", force=True)
    (tmp_path / "figures").write_text("a file")
    with pytest.raises(ReportError, match="figures"):
        check_output_dir(tmp_path, force=True, owned_dirs=("figures",))


def test_report_error_is_the_tours_error():
    assert TourError is ReportError


# ---------------------------------------------------------------------- run_data_report
@pytest.fixture(scope="module")
def labelled_2d_report(tmp_path_factory):
    """A report on three labelled 2-D blobs with string labels: (metrics, directory, text)."""
    X, y = make_blobs(
        n_samples=240, centers=[[-5, 0], [0, 5], [5, 0]], cluster_std=1.0, random_state=0
    )
    out = tmp_path_factory.mktemp("data_report") / "out"
    stream = io.StringIO()
    metrics = run_data_report(
        X,
        out,
        y=np.array(["ant", "bee", "cow"])[y],
        feature_names=["width", "height"],
        n_components=range(1, 7),
        cv=3,
        seed=0,
        stream=stream,
    )
    return metrics, out, stream.getvalue()


@pytest.mark.slow
def test_data_report_with_labels_has_every_section(labelled_2d_report):
    metrics, _, _ = labelled_2d_report
    assert list(metrics["sections"]) == [
        "selection",
        "clustering",
        "classification",
        "discriminant",
        "generation",
    ]


@pytest.mark.slow
def test_data_report_discriminant_analysis_scores_edda_and_mclustda(labelled_2d_report):
    metrics, out, _ = labelled_2d_report
    section = metrics["sections"]["discriminant"]
    values = section["metrics"]
    assert set(values["methods"]) == {"EDDA", "MclustDA"}
    for scores in values["methods"].values():
        assert scores["test_error"] < 0.05
        assert 0.0 <= scores["cv_error"] < 0.05 and scores["cv_error_se"] >= 0.0
        assert 0.0 <= scores["brier"] < 0.05
    matrix = np.array(values["confusion_matrix"])
    assert matrix.shape == (3, 3) and matrix.sum() == 60
    assert values["classes"] == ["ant", "bee", "cow"]
    assert "figures/discriminant_confusion.png" in section["figures"]
    assert (out / "figures" / "discriminant_confusion.png").is_file()


@pytest.mark.slow
def test_data_report_chooses_and_tests_the_mixture_on_held_out_rows(labelled_2d_report):
    metrics, _, _ = labelled_2d_report
    chosen = metrics["sections"]["selection"]["metrics"]["chosen"]
    assert chosen["n_components"] == 3
    assert chosen["n_train"] == 180 and chosen["n_test"] == 60
    assert math.isfinite(chosen["test_log_likelihood"])
    assert abs(chosen["test_log_likelihood"] - chosen["train_log_likelihood"]) < 0.5


@pytest.mark.slow
def test_data_report_classifies_well_separated_blobs(labelled_2d_report):
    metrics, _, _ = labelled_2d_report
    methods = metrics["sections"]["classification"]["metrics"]["methods"]
    assert set(methods) == {
        "MixtureClassifier",
        "ComponentClassifier",
        "GaussianNB",
        "LogisticRegression",
        "HistGradientBoosting",
    }
    for name in ("MixtureClassifier", "ComponentClassifier"):
        assert methods[name]["test_accuracy"] > 0.95
        assert 0.9 < methods[name]["cv_mean"] <= 1.0


@pytest.mark.slow
def test_data_report_draws_the_plane_for_two_features(labelled_2d_report):
    metrics, out, _ = labelled_2d_report
    figures = [name for section in metrics["sections"].values() for name in section["figures"]]
    assert "figures/classification_posterior.png" in figures
    assert "figures/clustering_chosen.png" in figures
    for name in figures:
        assert (out / name).read_bytes().startswith(PNG_SIGNATURE)
    page = (out / "report.html").read_text()
    assert len(IMG_SRC.findall(page)) == len(figures)
    assert "width" in page and "height" in page  # the feature names label the axes' table


@pytest.mark.slow
def test_data_report_generation_passes_on_a_well_fitted_mixture(labelled_2d_report):
    metrics, _, _ = labelled_2d_report
    generation = metrics["sections"]["generation"]["metrics"]
    chosen = generation["generators"][generation["chosen"]]
    assert 0.3 < chosen["c2st_accuracy"] < 0.7
    assert chosen["memorised"] is False
    assert generation["generators"]["real training rows"]["memorised"] is True


@pytest.mark.slow
def test_data_report_prints_the_summary_and_the_report_path(labelled_2d_report):
    _, out, text = labelled_2d_report
    assert "Model selection" in text and "Posterior classification" in text
    assert str((out / "report.html").resolve()) in text


@pytest.mark.slow
def test_data_report_without_labels_skips_classification_and_projects_many_features(tmp_path):
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(0, 1, (100, 4)), rng.normal(4, 1, (100, 4))]
    metrics = run_data_report(
        X, tmp_path, n_components=[1, 2, 3], cv=None, stream=io.StringIO(), lrt_bootstrap=19
    )
    assert list(metrics["sections"]) == ["selection", "clustering", "lrt", "generation"]
    lrt = metrics["sections"]["lrt"]["metrics"]
    assert lrt["n_components"] == lrt["bic_n_components"] == 2
    assert [test["g"] for test in lrt["tests"]] == [1, 2]
    assert lrt["tests"][0]["p_value"] == pytest.approx(1 / 20)
    assert (tmp_path / "figures" / "lrt_distributions.png").is_file()
    assert metrics["sections"]["selection"]["metrics"]["chosen"]["cv_mean"] is None
    assert metrics["sections"]["clustering"]["metrics"]["n_components"] == 2
    assert (tmp_path / "figures" / "clustering_chosen.png").is_file()


@pytest.mark.slow
def test_data_report_on_one_feature_draws_the_density(tmp_path):
    rng = np.random.RandomState(1)
    X = np.r_[rng.normal(0, 1, (60, 1)), rng.normal(8, 1, (60, 1))]
    metrics = run_data_report(
        X, tmp_path, n_components=[1, 2, 3], cv=3, stream=io.StringIO(), lrt_bootstrap=0
    )
    assert "lrt" not in metrics["sections"]
    assert metrics["sections"]["clustering"]["metrics"]["n_components"] == 2
    assert (tmp_path / "figures" / "generation_samples.png").is_file()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"X": np.zeros((10, 2))}, "at least 20 rows"),
        ({"n_components": [200]}, "n_components up to 200"),
        ({"cv": 1}, "cv must be an integer >= 2"),
        ({"feature_names": ["a"]}, "1 names for 2 features"),
        ({"y": np.r_[np.zeros(38), np.ones(2)]}, "class 1.0 has 2 training rows.*5-fold"),
        ({"y": np.zeros(40)}, "single class"),
        ({"X": np.full((40, 2), np.nan)}, "missing or infinite"),
        ({"lrt_bootstrap": -1}, "lrt_bootstrap must be an integer >= 0"),
    ],
)
def test_data_report_refuses_data_it_cannot_report_on_before_writing(tmp_path, kwargs, message):
    arguments = {"X": np.random.RandomState(0).normal(size=(40, 2)), **kwargs}
    out = tmp_path / "out"
    with pytest.raises(ReportError, match=message):
        run_data_report(arguments.pop("X"), out, stream=io.StringIO(), **arguments)
    assert not out.exists()


def test_data_report_refuses_a_non_empty_output_dir(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ReportError, match="not empty"):
        run_data_report(np.zeros((40, 2)), tmp_path, stream=io.StringIO())
    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.slow
def test_data_report_passes_the_em_settings_to_the_sweep(tmp_path, monkeypatch):
    from gmmkit.studies import selection as selection_study

    calls, real_select = [], selection_study.select

    def select(*args, **kwargs):
        calls.append({name: kwargs[name] for name in ("n_init", "reg_covar", "max_iter")})
        return real_select(*args, **kwargs)

    monkeypatch.setattr(selection_study, "select", select)
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(0, 1, (40, 2)), rng.normal(5, 1, (40, 2))]
    metrics = run_data_report(
        X,
        tmp_path,
        n_components=[1, 2],
        cv=None,
        n_init=2,
        reg_covar=1e-3,
        max_iter=50,
        stream=io.StringIO(),
    )
    assert calls == [{"n_init": 2, "reg_covar": 1e-3, "max_iter": 50}]
    assert metrics["settings"]["EM"] == "n_init=2, reg_covar=0.001, max_iter=50"


def test_a_sections_time_includes_what_its_build_computes_before_adding_it(monkeypatch):
    import types

    from gmmkit.report import builder

    now = [0.0]
    monkeypatch.setattr(builder, "time", types.SimpleNamespace(perf_counter=lambda: now[0]))

    def sweep_then_section(report):
        now[0] += 30.0  # the sweep, run before the section it fills exists
        report.add_section("selection", "Model selection", "intro")
        now[0] += 2.0

    def another(report):
        now[0] += 5.0
        report.add_section("next", "Next", "intro")
        now[0] += 1.0

    report = Report("title")
    report.run_section(sweep_then_section)
    report.run_section(another)
    report.stop_clock()
    assert [section.seconds for section in report.sections] == [32.0, 6.0]
    assert sum(section.seconds for section in report.sections) == report.run_seconds


# ---------------------------------------------------------------------- selection caveats
def _selection_section_text(X, **kwargs):
    from gmmkit.report.blocks import TextBlock
    from gmmkit.studies import datasets, selection

    report = Report("caveats")
    report.run_section(
        selection.add_section, datasets.split("blobs", X, seed=0), cv=None, seed=0, **kwargs
    )
    return " ".join(
        block.text for block in report.sections[0].blocks if isinstance(block, TextBlock)
    )


@pytest.mark.slow
def test_the_report_says_when_the_chosen_model_is_at_the_edge_of_the_range():
    X, _ = make_blobs(n_samples=160, centers=[[-6, 0], [0, 6], [6, 0]], random_state=0)
    text = _selection_section_text(X, n_components=[1, 2], covariance_type="full")
    assert "Caution: BIC's choice, 2 components, is the largest number searched (1..2)" in text
    assert "did not converge" not in text


@pytest.mark.slow
def test_the_report_names_the_fits_that_did_not_converge():
    X, _ = make_blobs(n_samples=160, centers=[[-6, 0], [0, 6], [6, 0]], random_state=0)
    text = _selection_section_text(X, n_components=[2, 3, 4], covariance_type="full", max_iter=1)
    assert re.search(
        r"Caution: \d configurations? of 3 did not converge within max_iter "
        r"\(full k=\d",
        text,
    )


def test_the_report_classifiers_take_every_target_value_as_a_class():
    """A user's target may use -1 as a class; the mixture classifiers' default would read it as
    'unlabelled'."""
    from gmmkit import GaussianMixture
    from gmmkit.studies.classification import methods

    X = np.random.RandomState(0).normal(size=(90, 2))
    y = np.repeat([-1, 0, 1], 30)
    X[y == 0] += 5
    X[y == 1] -= 5
    mixture = GaussianMixture(3, random_state=0).fit(X)
    for name in ("MixtureClassifier", "ComponentClassifier"):
        fitted = methods(mixture, max_components=2, seed=0)[name].fit(X, y)
        assert list(fitted.classes_) == [-1, 0, 1], name
