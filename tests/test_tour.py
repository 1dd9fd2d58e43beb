"""``gmmkit tour`` end to end, through ``python -m gmmkit`` in a subprocess."""

import csv
import json
import math
import subprocess
import sys

import pytest

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FIGURES = (
    "moons_mixtures.png",
    "moons_criteria.png",
    "digits_pca_variance.png",
    "digits_criteria.png",
    "digits_samples.png",
)
NUMERIC_FIELDS = ("loglik_per_sample", "bic", "aic", "icl", "fit_seconds")


def run_cli(*args, code=None):
    """Run ``python -m gmmkit ARGS`` (or ``python -c CODE ARGS``) and return the result."""
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "gmmkit"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120)


def snapshot(directory):
    """Every file in ``directory`` with its bytes."""
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


@pytest.fixture(scope="module")
def quick_tour(tmp_path_factory):
    """One quick tour into a fresh directory: (completed process, output directory)."""
    out = tmp_path_factory.mktemp("tour") / "out"
    return run_cli("tour", "-o", str(out), "--quick"), out


def test_quick_tour_exits_zero_and_prints_the_summary_table(quick_tour):
    result, _ = quick_tour
    assert result.returncode == 0, result.stderr
    assert "loglik/n" in result.stdout and "silhouette" in result.stdout
    assert "Best model per dataset" in result.stdout


def test_quick_tour_writes_every_figure_as_a_valid_png(quick_tour):
    _, out = quick_tour
    for name in FIGURES:
        data = (out / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE), name
        assert len(data) > 1000, name


def test_summary_json_has_finite_metrics_for_both_datasets(quick_tour):
    _, out = quick_tour
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["datasets"]) == {"moons", "digits"}
    assert {row["dataset"] for row in summary["rows"]} == {"moons", "digits"}
    for row in summary["rows"]:
        for field in NUMERIC_FIELDS:
            assert math.isfinite(row[field]), (row, field)
        assert row["silhouette"] is None or -1.0 <= row["silhouette"] <= 1.0
        assert row["n_iter"] >= 1
    assert sorted(summary["figures"]) == sorted(FIGURES)


def test_summary_csv_has_one_line_per_fitted_mixture(quick_tour):
    _, out = quick_tour
    summary = json.loads((out / "summary.json").read_text())
    with open(out / "summary.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(summary["rows"])
    assert float(rows[0]["bic"]) == pytest.approx(summary["rows"][0]["bic"])


def test_non_empty_output_dir_is_refused_and_left_unchanged(quick_tour):
    _, out = quick_tour
    before = snapshot(out)
    result = run_cli("tour", "-o", str(out), "--quick")
    assert result.returncode == 1
    assert result.stderr.startswith("gmmkit: error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--force" in result.stderr
    assert snapshot(out) == before


def test_force_writes_into_a_non_empty_dir_and_keeps_other_files(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = run_cli("tour", "-o", str(tmp_path), "--quick", "--force")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "summary.json").is_file()
    assert all((tmp_path / name).read_bytes().startswith(PNG_SIGNATURE) for name in FIGURES)


def test_output_path_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("mine")
    result = run_cli("tour", "-o", str(target), "--quick", "--force")
    assert result.returncode == 1
    assert "not a directory" in result.stderr
    assert target.read_text() == "mine"


def test_unknown_option_is_a_usage_error(tmp_path):
    result = run_cli("tour", "-o", str(tmp_path / "out"), "--bogus")
    assert result.returncode == 2
    assert "unrecognized arguments: --bogus" in result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_output_option_is_a_usage_error():
    result = run_cli("tour", "--quick")
    assert result.returncode == 2
    assert "-o" in result.stderr


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
