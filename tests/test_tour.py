"""``gmmkit tour`` end to end, through ``python -m gmmkit`` in a subprocess, as a user runs it.

The quick tour runs once per test process (the ``quick_tour`` fixture in ``conftest.py``, which
the browser test shares) and every test reads its output.
"""

import base64
import csv
import io
import json
import math
import re
import subprocess
import sys
from html.parser import HTMLParser

import matplotlib.image
import pytest

from gmmkit.tour import TourError, run_tour

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SECTIONS = ("clustering", "selection", "classification", "generation", "digits")
DATA_URI = "data:image/png;base64,"


def run_cli(*args, code=None):
    """Run ``python -m gmmkit ARGS`` (or ``python -c CODE ARGS``) and return the result."""
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "gmmkit"]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=300, check=False
    )


def snapshot(directory):
    """Every file under ``directory`` with its bytes."""
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


class PageParser(HTMLParser):
    """The images, figures (with their captions) and tags of an HTML page."""

    def __init__(self):
        super().__init__()
        self.images, self.figures, self.tags = [], [], set()
        self._caption = None

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        attributes = dict(attrs)
        if tag == "img":
            self.images.append(attributes)
        elif tag == "figure":
            self.figures.append({"id": attributes.get("id"), "caption": ""})
        elif tag == "figcaption":
            self._caption = self.figures[-1]

    def handle_endtag(self, tag):
        if tag == "figcaption":
            self._caption = None

    def handle_data(self, data):
        if self._caption is not None:
            self._caption["caption"] += data


@pytest.fixture(scope="session")
def tour_out(quick_tour):
    result, out = quick_tour
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def page(tour_out):
    parser = PageParser()
    parser.feed((tour_out / "report.html").read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="session")
def metrics(tour_out):
    return json.loads((tour_out / "metrics.json").read_text())


def section(metrics, key):
    return metrics["sections"][key]["metrics"]


# ---------------------------------------------------------------------- what it prints
@pytest.mark.slow
def test_quick_tour_prints_each_sections_key_result_and_the_report_path(quick_tour, tour_out):
    result, _ = quick_tour
    assert result.stdout.startswith("gmmkit tour (quick mode, seed 0): 5 sections in ")
    for title in (
        "Two moons: clustering",
        "Two moons: model selection",
        "Two moons: posterior classification",
        "Two moons: generation",
        "Handwritten digits",
    ):
        assert title in result.stdout
    assert f"report:  {(tour_out / 'report.html').resolve()}" in result.stdout


@pytest.mark.slow
def test_quick_tour_prints_no_warnings_and_no_progress_by_default(quick_tour):
    result, _ = quick_tour
    assert result.stderr == ""


# ---------------------------------------------------------------------- the HTML report
@pytest.mark.slow
def test_report_embeds_every_figure_as_an_inline_png(page, tour_out):
    figure_files = sorted((tour_out / "figures").glob("*.png"))
    assert len(page.images) == len(figure_files) >= 12
    inline = {
        base64.b64decode(image["src"][len(DATA_URI) :])
        for image in page.images
        if image["src"].startswith(DATA_URI)
    }
    assert inline == {path.read_bytes() for path in figure_files}


@pytest.mark.slow
def test_every_figure_has_a_caption_saying_what_to_see(page):
    assert len(page.figures) == len(page.images)
    for figure in page.figures:
        caption = " ".join(figure["caption"].split())
        _, text = re.fullmatch(r"(Figure \d+\.) (.+)", caption).groups()
        assert len(text) > 40, figure
        assert re.search(r"\d", text), f"caption quotes no number: {figure}"


@pytest.mark.slow
def test_report_opens_without_a_network(tour_out, page):
    html = (tour_out / "report.html").read_text()
    assert "script" not in page.tags
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "<style>" in html and "stylesheet" not in html


@pytest.mark.slow
def test_report_header_names_version_seed_mode_machine_and_run_time(tour_out):
    html = (tour_out / "report.html").read_text()
    for fact in (
        "gmmkit version",
        "mode</dt><dd>quick",
        "seed</dt><dd>0",
        "machine",
        "run time",
        "Contents",
    ):
        assert fact in html


@pytest.mark.slow
def test_report_has_the_five_sections_in_order_with_contents_links(tour_out):
    html = (tour_out / "report.html").read_text()
    positions = [html.index(f'<section id="{key}">') for key in SECTIONS]
    assert positions == sorted(positions)
    for key in SECTIONS:
        assert f'href="#{key}"' in html


# ---------------------------------------------------------------------- files beside it
@pytest.mark.slow
def test_figures_are_valid_png_images_of_a_readable_size(tour_out, metrics):
    listed = [name for entry in metrics["sections"].values() for name in entry["figures"]]
    assert sorted(listed) == sorted(
        f"figures/{path.name}" for path in (tour_out / "figures").glob("*.png")
    )
    for name in listed:
        path = tour_out / name
        assert path.read_bytes().startswith(PNG_SIGNATURE), name
        height, width = matplotlib.image.imread(path).shape[:2]
        assert width >= 500 and height >= 300, (name, width, height)


@pytest.mark.slow
def test_metrics_json_is_strict_and_has_the_five_sections(tour_out, metrics):
    def refuse(constant):
        raise ValueError(constant)

    json.loads((tour_out / "metrics.json").read_text(), parse_constant=refuse)
    assert list(metrics["sections"]) == list(SECTIONS)
    assert metrics["settings"] == {"mode": "quick", "seed": 0}
    assert metrics["run_seconds"] > 0
    for entry in metrics["sections"].values():
        assert entry["summary"] and entry["seconds"] >= 0 and entry["figures"]


@pytest.mark.slow
def test_clustering_measures_every_covariance_type_and_k(metrics):
    clustering = section(metrics, "clustering")
    settings = clustering["settings"]
    assert {row["covariance_type"] for row in settings} == {"full", "tied", "diag", "spherical"}
    for row in settings:
        assert math.isfinite(row["log_likelihood"])
        assert row["silhouette"] is None or -1 <= row["silhouette"] <= 1
    assert clustering["best_silhouette"]["value"] > 0.3


@pytest.mark.slow
def test_selection_reports_the_choice_and_its_held_out_likelihood(metrics):
    selection = section(metrics, "selection")
    chosen = selection["chosen"]
    assert 2 <= chosen["n_components"] <= 8
    assert chosen["n_test"] > 0 and math.isfinite(chosen["test_log_likelihood"])
    assert abs(chosen["test_log_likelihood"] - chosen["train_log_likelihood"]) < 0.5
    assert set(selection["picks"]) == {"bic", "aic", "icl", "cv", "silhouette"}
    assert selection["picks"]["bic"]["n_components"] == chosen["n_components"]


@pytest.mark.slow
def test_classification_compares_both_mixture_classifiers_with_baselines(metrics):
    methods = section(metrics, "classification")["methods"]
    assert set(methods) == {
        "MixtureClassifier",
        "ComponentClassifier",
        "GaussianNB",
        "LogisticRegression",
        "HistGradientBoosting",
    }
    for name in ("MixtureClassifier", "ComponentClassifier"):
        assert methods[name]["test_accuracy"] > 0.95
    assert methods["MixtureClassifier"]["test_accuracy"] > methods["GaussianNB"]["test_accuracy"]


@pytest.mark.slow
def test_generation_tells_a_single_gaussian_from_moons_but_not_the_chosen_mixture(metrics):
    generation = section(metrics, "generation")
    generators = generation["generators"]
    chosen = generators[generation["chosen"]]
    gaussian = generators["one Gaussian (k=1, full)"]
    assert chosen["c2st_accuracy"] < gaussian["c2st_accuracy"]
    assert gaussian["c2st_p_value"] < 0.05
    assert chosen["memorised"] is False
    assert generators["real training rows"]["memorised"] is True


@pytest.mark.slow
def test_digits_sweep_reaches_600_components_and_checks_the_generated_digits(metrics):
    digits = section(metrics, "digits")
    assert max(row["n_components"] for row in digits["sweep"]) == 600
    assert 0.95 < digits["pca"]["variance_kept"] < 1.0
    assert digits["supervised"] and all(math.isfinite(row["bic"]) for row in digits["supervised"])
    assert digits["label_fidelity"]["generated_accuracy"] > 0.8
    assert digits["label_fidelity"]["real_accuracy"] > 0.9
    assert digits["memorisation"]["flagged"] is False


@pytest.mark.slow
def test_summary_csv_holds_every_scalar_metric(tour_out, metrics):
    with open(tour_out / "summary.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["section"] for row in rows} == set(SECTIONS)
    chosen_k = [
        row
        for row in rows
        if row["section"] == "selection" and row["metric"] == "chosen.n_components"
    ]
    assert chosen_k == [
        {
            "section": "selection",
            "metric": "chosen.n_components",
            "value": str(section(metrics, "selection")["chosen"]["n_components"]),
        }
    ]


# ---------------------------------------------------------------------- output directory safety
@pytest.mark.slow
def test_non_empty_output_dir_is_refused_and_left_unchanged(tour_out):
    before = snapshot(tour_out)
    result = run_cli("tour", "-o", str(tour_out), "--quick")
    assert result.returncode == 1
    assert result.stderr.startswith("gmmkit: error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--force" in result.stderr
    assert snapshot(tour_out) == before


@pytest.mark.slow
def test_force_replaces_the_reports_files_and_keeps_the_users(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "my_plot.png").write_bytes(b"mine")
    (tmp_path / "report.html").write_text("old report")
    result = run_cli("tour", "-o", str(tmp_path), "--quick", "--force")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "figures" / "my_plot.png").read_bytes() == b"mine"
    assert (tmp_path / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert json.loads((tmp_path / "metrics.json").read_text())["sections"]


@pytest.mark.slow
def test_output_path_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("mine")
    result = run_cli("tour", "-o", str(target), "--quick", "--force")
    assert result.returncode == 1
    assert "not a directory" in result.stderr
    assert target.read_text() == "mine"


def test_a_file_named_figures_is_refused_before_any_work(tmp_path):
    (tmp_path / "figures").write_text("mine")
    with pytest.raises(TourError, match="figures"):
        run_tour(tmp_path, quick=True, force=True, stream=io.StringIO())
    assert sorted(path.name for path in tmp_path.iterdir()) == ["figures"]


def test_unknown_option_is_a_usage_error(tmp_path):
    result = run_cli("tour", "-o", str(tmp_path / "out"), "--bogus")
    assert result.returncode == 2
    assert "unrecognized arguments: --bogus" in result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_output_option_is_a_usage_error():
    result = run_cli("tour", "--quick")
    assert result.returncode == 2
    assert "-o" in result.stderr


@pytest.mark.slow
def test_missing_matplotlib_names_the_install_command(tmp_path):
    code = (
        "import sys; sys.modules['matplotlib'] = None; "
        "from gmmkit.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    result = run_cli("tour", "-o", str(tmp_path / "out"), "--quick", code=code)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "gmmkit: error: gmmkit tour draws figures and needs matplotlib; "
        "install it with: pip install gmmkit[plot]"
    ]
    assert not (tmp_path / "out").exists()


def test_progress_goes_to_stderr_one_line_per_study_start_and_end(tmp_path, monkeypatch):
    """In process, with the studies replaced by one tiny section: only the plumbing is tested."""
    from gmmkit import tour

    def one_section(report, settings, seed):
        report.add_section("only", "Only study", "intro").summary = "Nothing to see."

    monkeypatch.setattr(tour, "build_tour", one_section)
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    stdout = io.StringIO()
    run_tour(tmp_path, quick=True, stream=stdout, progress=True)
    assert stderr.getvalue().splitlines()[0] == "gmmkit tour: [1] Only study ..."
    assert stderr.getvalue().splitlines()[1].startswith("gmmkit tour: [1] Only study: done in")
    assert "Nothing to see." in stdout.getvalue()
