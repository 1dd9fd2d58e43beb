"""The ``gmmkit`` command line end to end: ``python -m gmmkit`` in a subprocess on small files.

Success paths check what the commands print and write; error paths check the contract: exit 1
with exactly one ``gmmkit: error: ...`` line on stderr for problems found at run time, exit 2
with argparse's usage line for usage errors, never a traceback.
"""

import csv
import importlib.util
import subprocess
import sys

import numpy as np
import pytest

import gmmkit
from gmmkit.cli import main

# Each test starts an interpreter that imports gmmkit, scipy and scikit-learn (about a second):
# the module is end to end, for `make test`, not for the quick run.
pytestmark = pytest.mark.slow

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LABELS = ("setosa", "virginica")
COMMANDS = (
    "fit",
    "select",
    "predict",
    "score",
    "sample",
    "classify",
    "lrt",
    "bootstrap",
    "report",
    "tour",
)
HAS_PYARROW = importlib.util.find_spec("pyarrow") is not None
# Runs the command line with some packages made impossible to import, as when an extra is not
# installed: python -c BLOCKING "pkg1,pkg2" ARGS...
BLOCKING = """
import sys
class Block:
    def __init__(self, names):
        self.names = set(names)
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Block(sys.argv.pop(1).split(",")))
from gmmkit.cli import main
raise SystemExit(main())
"""


def gmmkit_cli(*args, blocked=None):
    """Run ``python -m gmmkit ARGS`` (with the packages ``blocked`` unimportable)."""
    command = [sys.executable, "-m", "gmmkit"]
    if blocked:
        command = [sys.executable, "-c", BLOCKING, ",".join(blocked)]
    return subprocess.run(
        [*command, *map(str, args)], capture_output=True, text=True, timeout=180, check=False
    )


def assert_error(result, *fragments):
    """Exit 1 and exactly one stderr line, ``gmmkit: error: ...``, containing ``fragments``."""
    assert result.returncode == 1, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gmmkit: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def assert_usage_error(result, *fragments):
    """Exit 2 with argparse's usage line first and its error message last."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stderr.startswith("usage: gmmkit"), result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("gmmkit") and ": error: " in last, result.stderr
    for fragment in fragments:
        assert fragment in last, (fragment, last)


def assert_ok(result):
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def named(X):
    """``X`` with the column names the models below are fitted on."""
    import pandas as pd

    return pd.DataFrame(X, columns=["x", "y"])


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def write_table(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# ---------------------------------------------------------------------- data files
@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Small data files: two labelled blobs (60 rows) as CSV, .npy and Parquet, and broken ones."""
    folder = tmp_path_factory.mktemp("data")
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(0.0, 1.0, (30, 2)), rng.normal(6.0, 1.0, (30, 2))]
    labels = [LABELS[0]] * 30 + [LABELS[1]] * 30
    rows = [[repr(float(a)), repr(float(b)), label] for (a, b), label in zip(X, labels)]
    paths = {"X": X, "labels": np.array(labels)}
    paths["csv"] = write_table(folder / "blobs.csv", ["x", "y", "species"], rows)
    paths["reordered"] = write_table(
        folder / "reordered.csv",
        ["species", "extra", "y", "x"],
        [[c, "1.5", b, a] for a, b, c in rows],
    )
    paths["no_x"] = write_table(folder / "no_x.csv", ["y", "species"], [r[1:] for r in rows])
    with_nan = [list(row) for row in rows]
    with_nan[2][0], with_nan[5][1] = "", "inf"
    paths["nan"] = write_table(folder / "with_nan.csv", ["x", "y", "species"], with_nan)
    paths["header_only"] = write_table(folder / "header_only.csv", ["x", "y"], [])
    paths["empty"] = folder / "empty.csv"
    paths["empty"].write_bytes(b"")
    paths["npy"] = folder / "blobs.npy"
    np.save(paths["npy"], X)
    paths["not_a_model"] = folder / "notes.gmm"
    paths["not_a_model"].write_text("not a model\n")
    if HAS_PYARROW:
        import pandas as pd

        paths["parquet"] = folder / "blobs.parquet"
        pd.DataFrame({"x": X[:, 0], "y": X[:, 1], "species": labels}).to_parquet(paths["parquet"])
    return paths


@pytest.fixture(scope="module")
def mixture(files, tmp_path_factory):
    """``gmmkit fit`` on the CSV's numeric columns: (completed process, model path)."""
    path = tmp_path_factory.mktemp("mixture") / "model.gmm"
    return gmmkit_cli("fit", files["csv"], "-k", 2, "--columns", "x,y", "-o", path), path


@pytest.fixture(scope="module")
def classifier(files, tmp_path_factory):
    """``gmmkit classify`` with the string labels: (completed process, model path)."""
    path = tmp_path_factory.mktemp("classifier") / "clf.gmm"
    result = gmmkit_cli(
        "classify", files["csv"], "--target", "species", "-k", 2, "--cv", 3, "-o", path
    )
    return result, path


# ---------------------------------------------------------------------- fit, predict, score, sample
def test_fit_saves_a_model_that_remembers_its_columns(mixture):
    result, path = mixture
    assert_ok(result)
    assert "saved" in result.stdout and "2 components" in result.stdout
    model = gmmkit.load(path)
    assert isinstance(model, gmmkit.GaussianMixture)
    assert list(model.feature_names_in_) == ["x", "y"]


def test_predict_writes_the_component_of_every_row(files, mixture, tmp_path):
    _, model_path = mixture
    out = tmp_path / "labels.csv"
    assert_ok(gmmkit_cli("predict", model_path, files["csv"], "-o", out))
    header, rows = read_csv(out)
    assert header == ["row", "component"]
    expected = gmmkit.load(model_path).predict(named(files["X"]))
    assert [int(r[0]) for r in rows] == list(range(1, 61))
    assert [int(r[1]) for r in rows] == list(expected)


def test_predict_reads_the_fitted_columns_by_name(files, mixture, tmp_path):
    _, model_path = mixture
    out = tmp_path / "labels.npy"
    assert_ok(gmmkit_cli("predict", model_path, files["reordered"], "-o", out))
    assert np.array_equal(np.load(out), gmmkit.load(model_path).predict(named(files["X"])))


def test_predict_proba_to_npy_has_rows_summing_to_one(files, mixture, tmp_path):
    _, model_path = mixture
    out = tmp_path / "proba.npy"
    assert_ok(gmmkit_cli("predict", model_path, files["csv"], "--proba", "-o", out))
    proba = np.load(out)
    assert proba.shape == (60, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_score_prints_log_likelihood_and_criteria(files, mixture):
    _, model_path = mixture
    result = gmmkit_cli("score", model_path, files["csv"])
    assert_ok(result)
    values = dict(line.split(": ") for line in result.stdout.splitlines())
    model = gmmkit.load(model_path)
    assert int(values["rows"]) == 60
    X = named(files["X"])
    assert float(values["bic"]) == pytest.approx(model.bic(X), rel=1e-5)
    assert float(values["log_likelihood_per_row"]) == pytest.approx(model.score(X), rel=1e-5)


def test_sample_writes_rows_under_the_feature_names(mixture, tmp_path):
    _, model_path = mixture
    out = tmp_path / "draws.csv"
    assert_ok(gmmkit_cli("sample", model_path, "-n", 7, "--seed", 0, "-o", out))
    header, rows = read_csv(out)
    assert header == ["x", "y", "component"]
    assert len(rows) == 7 and {r[2] for r in rows} <= {"0", "1"}


def test_fit_reads_npy_columns_by_index(files, tmp_path):
    out = tmp_path / "model.gmm"
    assert_ok(gmmkit_cli("fit", files["npy"], "-k", 2, "--columns", "1,0", "-o", out))
    model = gmmkit.load(out)
    assert not hasattr(model, "feature_names_in_")
    assert model.n_features_in_ == 2


@pytest.mark.skipif(not HAS_PYARROW, reason="pyarrow (the parquet extra) is not installed")
def test_fit_reads_parquet(files, tmp_path):
    out = tmp_path / "model.gmm"
    result = gmmkit_cli(
        "fit", files["parquet"], "-k", 2, "--columns", "x,y", "--covariance", "diag", "-o", out
    )
    assert_ok(result)
    assert list(gmmkit.load(out).feature_names_in_) == ["x", "y"]


def test_csv_is_read_without_pandas(files, tmp_path):
    out = tmp_path / "model.gmm"
    result = gmmkit_cli(
        "fit", files["csv"], "-k", 2, "--columns", "x,y", "-o", out, blocked=["pandas"]
    )
    assert_ok(result)
    assert result.stderr == ""
    assert list(gmmkit.load(out).feature_names_in_) == ["x", "y"]


def test_drop_na_drops_the_rows_and_says_how_many(files, tmp_path):
    out = tmp_path / "model.gmm"
    result = gmmkit_cli("fit", files["nan"], "-k", 2, "--columns", "x,y", "--drop-na", "-o", out)
    assert_ok(result)
    assert result.stderr.strip() == (
        f"gmmkit: note: dropped 2 rows with missing or infinite values from {str(files['nan'])!r}"
    )
    assert "58 rows" in result.stdout


# ---------------------------------------------------------------------- select
def test_select_writes_table_best_model_and_plot(files, tmp_path):
    out = tmp_path / "sweep"
    result = gmmkit_cli(
        "select",
        files["csv"],
        "--columns",
        "x,y",
        "-k",
        "1:3",
        "--covariance",
        "full,diag",
        "--cv",
        3,
        "-o",
        out,
    )
    assert_ok(result)
    assert "best by bic: 2 components" in result.stdout
    header, rows = read_csv(out / "table.csv")
    assert header[:3] == ["n_components", "covariance_type", "bic"]
    assert [(r[0], r[1]) for r in rows] == [(k, c) for c in ("full", "diag") for k in "123"]
    assert all(r[header.index("cv_mean")] for r in rows)
    best = gmmkit.load(out / "best.gmm")
    assert best.n_components == 2 and list(best.feature_names_in_) == ["x", "y"]
    assert (out / "selection.png").read_bytes().startswith(PNG_SIGNATURE)


def test_select_warm_start_records_where_each_row_started(files, tmp_path):
    out = tmp_path / "sweep"
    result = gmmkit_cli(
        "select",
        files["csv"],
        "--columns",
        "x,y",
        "-k",
        "1:4",
        "--covariance",
        "full",
        "--warm-start",
        "-o",
        out,
    )
    assert_ok(result)
    header, rows = read_csv(out / "table.csv")
    starts = [r[header.index("start")] for r in rows]
    assert starts[0] == "hc+kmeans"  # select's default start
    assert all(start == "hc+kmeans" or start.startswith("split k=") for start in starts)


def test_select_without_matplotlib_skips_the_plot_with_a_note(files, tmp_path):
    out = tmp_path / "sweep"
    result = gmmkit_cli(
        "select",
        files["npy"],
        "-k",
        "1:2",
        "--covariance",
        "spherical",
        "-o",
        out,
        blocked=["matplotlib"],
    )
    assert_ok(result)
    assert "gmmkit: note: matplotlib is not installed" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["best.gmm", "table.csv"]


# ---------------------------------------------------------------------- classify
def test_classify_prints_cross_validated_accuracy_and_saves_the_model(classifier):
    result, path = classifier
    assert_ok(result)
    assert "cross-validated accuracy (3-fold): 1.0000" in result.stdout
    assert "GaussianNB baseline" in result.stdout
    model = gmmkit.load(path)
    assert isinstance(model, gmmkit.MixtureClassifier)
    assert list(model.classes_) == list(LABELS)


def test_classifier_predicts_class_names(files, classifier, tmp_path):
    _, model_path = classifier
    out = tmp_path / "classes.csv"
    assert_ok(gmmkit_cli("predict", model_path, files["csv"], "-o", out))
    header, rows = read_csv(out)
    assert header == ["row", "class"]
    assert [r[1] for r in rows] == list(files["labels"])


def test_sample_class_draws_rows_of_that_class(classifier, tmp_path):
    _, model_path = classifier
    out = tmp_path / "virginica.csv"
    assert_ok(gmmkit_cli("sample", model_path, "-n", 5, "--class", "virginica", "-o", out))
    header, rows = read_csv(out)
    assert header == ["x", "y", "class"]
    assert [r[2] for r in rows] == ["virginica"] * 5
    assert all(float(r[0]) > 2.0 for r in rows)  # the virginica blob is centred at (6, 6)


# ---------------------------------------------------------------------- report
def test_report_writes_report_html(files, tmp_path):
    out = tmp_path / "report"
    result = gmmkit_cli(
        "report",
        files["csv"],
        "--target",
        "species",
        "-k",
        "1:3",
        "--covariance",
        "full,diag",
        "--cv",
        2,
        "-o",
        out,
    )
    assert_ok(result)
    assert (out / "report.html").is_file()


# ---------------------------------------------------------------------- help
@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_every_command_has_examples_and_exit_codes(command, capsys):
    assert main([command, "--help"]) == 0
    text = capsys.readouterr().out
    assert f"usage: gmmkit {command}" in text
    assert "examples:" in text and f"gmmkit {command} " in text and "exit status:" in text


# ---------------------------------------------------------------------- errors at run time (exit 1)
@pytest.mark.parametrize(
    "make_args, fragments",
    [
        pytest.param(
            lambda f: ["fit", f["csv"].with_name("missing.csv"), "-k", 2],
            ["missing.csv", "does not exist"],
            id="missing-file",
        ),
        pytest.param(
            lambda f: ["fit", f["empty"], "-k", 2], ["empty.csv", "is empty"], id="empty-file"
        ),
        pytest.param(
            lambda f: ["fit", f["header_only"], "-k", 2],
            ["header but no data rows"],
            id="header-only",
        ),
        pytest.param(
            lambda f: ["select", f["csv"], "--columns", "x,species"],
            ["'species'", "not numeric", "'setosa'"],
            id="non-numeric-column-chosen",
        ),
        pytest.param(
            lambda f: ["fit", f["csv"], "-k", 2, "--columns", "x,petal"],
            ["'petal'", "x, y, species"],
            id="unknown-column",
        ),
        pytest.param(
            lambda f: ["fit", f["nan"], "-k", 2, "--columns", "x,y"],
            ["2 rows", "missing or infinite", "--drop-na"],
            id="nan-without-drop-na",
        ),
        pytest.param(
            lambda f: ["fit", f["csv"], "-k", 100, "--columns", "x,y"],
            ["n_components=100"],
            id="estimator-refuses",
        ),
        pytest.param(
            lambda f: ["predict", f["not_a_model"], f["csv"]],
            ["notes.gmm", "not a gmmkit model file"],
            id="not-a-model",
        ),
        pytest.param(
            lambda f: ["classify", f["csv"], "--target", "species", "--cv", 40],
            ["30 rows", "--cv"],
            id="more-folds-than-class-rows",
        ),
    ],
)
def test_run_time_problem_is_one_line_and_exit_1(files, tmp_path, make_args, fragments):
    args = make_args(files)
    output = tmp_path / ("out.csv" if args[0] == "predict" else "out")
    assert_error(gmmkit_cli(*args, "-o", output), *fragments)
    assert not output.exists()


def test_predict_on_data_missing_a_fitted_column_names_it(files, mixture, tmp_path):
    _, model_path = mixture
    out = tmp_path / "labels.csv"
    result = gmmkit_cli("predict", model_path, files["no_x"], "-o", out)
    assert_error(result, "'x'", "needed by the model", "no_x.csv")
    assert not out.exists()


def test_sample_class_of_a_plain_mixture_is_refused(mixture, tmp_path):
    _, model_path = mixture
    result = gmmkit_cli("sample", model_path, "-n", 3, "--class", "a", "-o", tmp_path / "s.csv")
    assert_error(result, "--class", "GaussianMixture")


def test_parquet_without_pyarrow_names_the_extra(tmp_path):
    data = tmp_path / "data.parquet"
    data.write_bytes(b"PAR1 not read: pyarrow is missing")
    result = gmmkit_cli("fit", data, "-k", 2, "-o", tmp_path / "m.gmm", blocked=["pyarrow"])
    assert_error(result, "pyarrow", "gmmkit[parquet]")


def test_existing_output_file_is_kept_without_force(files, tmp_path):
    out = tmp_path / "model.gmm"
    out.write_bytes(b"precious")
    result = gmmkit_cli("fit", files["npy"], "-k", 2, "-o", out)
    assert_error(result, "model.gmm", "already exists", "--force")
    assert out.read_bytes() == b"precious"
    assert_ok(gmmkit_cli("fit", files["npy"], "-k", 2, "-o", out, "--force"))
    assert isinstance(gmmkit.load(out), gmmkit.GaussianMixture)


def test_non_empty_output_directory_is_kept_without_force(files, tmp_path):
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "table.csv").write_text("precious")
    result = gmmkit_cli("select", files["npy"], "-k", "1:2", "-o", out)
    assert_error(result, "sweep", "not empty", "--force")
    assert [p.name for p in out.iterdir()] == ["table.csv"]
    assert (out / "table.csv").read_text() == "precious"


# ---------------------------------------------------------------------- usage errors (exit 2)
USAGE_ERRORS = {
    "unknown-option": (
        ["fit", "d.csv", "-k", 2, "-o", "m.gmm", "--bogus"],
        ["unrecognized arguments: --bogus"],
    ),
    "unknown-command": (["frobnicate"], ["invalid choice: 'frobnicate'"]),
    "k-empty-range": (["select", "d.csv", "-k", "5:2", "-o", "out"], ["-k", "'5:2'"]),
    "k-not-int": (["select", "d.csv", "-k", "two", "-o", "out"], ["-k", "'two'"]),
    "k-zero": (["select", "d.csv", "-k", "0:3", "-o", "out"], ["-k", "positive"]),
    "k-range-for-fit": (["fit", "d.csv", "-k", "1:4", "-o", "m.gmm"], ["gmmkit select"]),
    "k-classify-range-not-from-1": (
        ["classify", "d.csv", "--target", "y", "-k", "2:5", "-o", "m.gmm"],
        ["1:B"],
    ),
    "unknown-covariance": (
        ["fit", "d.csv", "-k", 2, "--covariance", "round", "-o", "m.gmm"],
        ["--covariance", "'round'"],
    ),
    "unknown-covariance-in-list": (
        ["select", "d.csv", "--covariance", "full,round", "-o", "out"],
        ["'round'"],
    ),
    "unknown-criterion": (
        ["select", "d.csv", "--criterion", "bik", "-o", "out"],
        ["--criterion", "'bik'"],
    ),
    "criterion-cv-without-folds": (["select", "d.csv", "--criterion", "cv", "-o", "out"], ["--cv"]),
    "one-fold": (["select", "d.csv", "--cv", 1, "-o", "out"], ["--cv", "folds >= 2"]),
    "unknown-output-type": (["predict", "m.gmm", "d.csv", "-o", "out.txt"], [".csv or .npy"]),
    "missing-output": (["fit", "d.csv", "-k", 2], ["-o/--output"]),
}


@pytest.mark.parametrize(
    "case", ["unknown-option", "k-empty-range", "unknown-covariance", "unknown-criterion"]
)
def test_usage_error_exits_2_through_the_console(case, tmp_path):
    args, fragments = USAGE_ERRORS[case]
    result = subprocess.run(
        [sys.executable, "-m", "gmmkit", *map(str, args)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert_usage_error(result, *fragments)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("case", USAGE_ERRORS)
def test_usage_error_exits_2_with_the_usage_line(case, capsys):
    args, fragments = USAGE_ERRORS[case]
    code = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_usage_error(subprocess.CompletedProcess(args, code, "", captured.err), *fragments)


# ---------------------------------------------------------------------- start-up (issue item 15)
# Runs the command line and prints which heavy modules it imported: python -c IMPORTS ARGS...
IMPORTS = """
import sys
from gmmkit.cli import main
code = main(sys.argv[1:])
print(sorted(name for name in ("scipy", "scipy.stats", "sklearn") if name in sys.modules))
"""
# Runs the command line with Ctrl-C pressed while module MODULE is imported:
# python -c INTERRUPTING MODULE (-m | entry) ARGS...
INTERRUPTING = """
import runpy, sys
class Interrupt:
    def __init__(self, name):
        self.name = name
    def find_spec(self, name, path=None, target=None):
        if name == self.name:
            raise KeyboardInterrupt
sys.meta_path.insert(0, Interrupt(sys.argv.pop(1)))
how = sys.argv.pop(1)
if how == "-m":
    runpy.run_module("gmmkit", run_name="__main__", alter_sys=True)
else:  # what the console script gmmkit.cli:main does
    from gmmkit.cli import main
    raise SystemExit(main())
"""


def imported_by(*args):
    result = subprocess.run(
        [sys.executable, "-c", IMPORTS, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout.splitlines()[-1]


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["frobnicate"],
        ["fit", "d.csv", "-k", "2"],
        ["select", "d.csv", "-k", "5:2"],
    ],
)
def test_help_and_usage_errors_import_neither_scipy_nor_sklearn(args):
    assert imported_by(*args) == "[]"


@pytest.mark.parametrize("command", ["fit", "select", "report"])
def test_help_of_a_command_lists_covariance_types_without_scipy_stats_or_sklearn(command):
    # The covariance registry is read for the list; it needs numpy and scipy.special only.
    assert "scipy.stats" not in imported_by(command, "--help")
    assert "sklearn" not in imported_by(command, "--help")


def test_importing_gmmkit_imports_no_estimator_until_one_is_used():
    code = (
        "import sys, gmmkit; assert 'sklearn' not in sys.modules and 'numpy' not in "
        "sys.modules; assert set(gmmkit.__all__) <= set(dir(gmmkit)); "
        "from gmmkit import GaussianMixture, select, evaluation; "
        "assert gmmkit.GaussianMixture is GaussianMixture and 'sklearn' in sys.modules; "
        "import gmmkit.mixture as m; assert gmmkit.mixture is m"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, result.stderr


def test_every_public_name_is_importable_from_the_package():
    for name in gmmkit.__all__:
        assert getattr(gmmkit, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        gmmkit.nonexistent  # noqa: B018


@pytest.mark.parametrize(
    "module, how, args",
    [
        pytest.param("gmmkit.cli", "-m", ["--help"], id="python-m-importing-the-cli"),
        pytest.param(
            "numpy",
            "-m",
            ["fit", "d.csv", "-k", 2, "--covariance", "diag", "-o", "m.gmm"],
            id="python-m-importing-numpy",
        ),
        pytest.param(
            "numpy",
            "entry",
            ["fit", "d.csv", "-k", 2, "--covariance", "diag", "-o", "m.gmm"],
            id="console-script-importing-numpy",
        ),
    ],
)
def test_ctrl_c_while_importing_exits_130_without_a_traceback(module, how, args, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", INTERRUPTING, module, how, *map(str, args)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert (result.returncode, result.stderr) == (130, "gmmkit: interrupted\n")


# ---------------------------------------------------------------------- issue item 17
def test_report_takes_the_fit_options_of_the_other_fitting_commands(files, tmp_path, monkeypatch):
    import gmmkit.report

    calls = []
    monkeypatch.setattr(
        gmmkit.report, "run_data_report", lambda X, out_dir, **kwargs: calls.append(kwargs)
    )
    assert (
        main(
            [
                "report",
                str(files["npy"]),
                "--n-init",
                "2",
                "--reg-covar",
                "1e-3",
                "--max-iter",
                "50",
                "-o",
                str(tmp_path / "report"),
            ]
        )
        == 0
    )
    assert [(c["n_init"], c["reg_covar"], c["max_iter"]) for c in calls] == [(2, 1e-3, 50)]


@pytest.mark.parametrize(
    "args",
    [
        ["report", "d.csv", "-o", "out"],
        ["fit", "d.csv", "-k", 2, "-o", "m.gmm"],
        ["select", "d.csv", "-o", "out"],
        ["predict", "m.gmm", "d.csv", "-o", "p.csv"],
        ["tour", "-o", "out"],
    ],
    ids=lambda args: args[0],
)
def test_usage_error_of_a_command_prints_that_commands_usage(args, capsys):
    # An unknown option after a complete command line: argparse's top-level parser reports it.
    command = args[0]
    assert main([*map(str, args), "--bogus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: gmmkit {command} "), err
    assert err.splitlines()[-1].startswith(f"gmmkit {command}: error: ")


def test_predict_counts_rows_from_1_as_the_error_messages_do(files, mixture, tmp_path):
    _, model_path = mixture
    refused = gmmkit_cli("fit", files["nan"], "-k", 2, "--columns", "x,y", "-o", tmp_path / "m.gmm")
    assert_error(refused, "is data row 3")  # the first row with a missing value
    out = tmp_path / "labels.csv"
    assert_ok(gmmkit_cli("predict", model_path, files["nan"], "--drop-na", "-o", out))
    _, rows = read_csv(out)
    assert [int(r[0]) for r in rows] == [n for n in range(1, 61) if n not in (3, 6)]


@pytest.mark.parametrize("command", ["fit", "classify"])
def test_output_in_a_missing_directory_is_refused_before_reading_or_fitting(
    command, files, tmp_path
):
    out = tmp_path / "missingdir" / "m.gmm"
    args = ["--target", "species"] if command == "classify" else ["-k", 2]
    result = gmmkit_cli(command, files["csv"].with_name("missing.csv"), *args, "-o", out)
    assert_error(result, "missingdir", "does not exist")
    assert "missing.csv" not in result.stderr and ".tmp" not in result.stderr
    assert result.stdout == ""
    assert not out.parent.exists()


def test_output_in_a_missing_directory_never_names_a_temporary_file(files, tmp_path):
    result = gmmkit_cli("fit", files["npy"], "-k", 2, "-o", tmp_path / "missingdir" / "m.gmm")
    assert_error(result, "missingdir")
    assert "tmp" not in result.stderr.replace(str(tmp_path), "")


def test_make_tour_can_be_rerun_and_make_clean_keeps_the_virtual_environment():
    import shutil
    from pathlib import Path

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    root = Path(__file__).resolve().parents[1]

    def commands(target):
        result = subprocess.run(
            ["make", "-n", "-C", str(root), target],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return [line for line in result.stdout.splitlines() if not line.startswith("make")]

    assert "gmmkit tour -o tour-output --force" in commands("tour")[-1]
    (clean,) = commands("clean")
    assert clean.split()[:3] == ["rm", "-rf", "tour-output"] and ".venv" not in clean
    assert "rm -rf .venv" in commands("distclean")


# ---------------------------------------------------------------------- issue item 18
def test_counts_of_one_are_singular(files, tmp_path):
    one_feature = tmp_path / "one.npy"
    np.save(one_feature, files["X"][:, :1])
    fitted = gmmkit_cli("fit", one_feature, "-k", 1, "-o", tmp_path / "m.gmm")
    assert_ok(fitted)
    assert "1 component, full covariance, 60 rows x 1 feature\n" in fitted.stdout
    selected = gmmkit_cli(
        "select", one_feature, "-k", 1, "--covariance", "full", "-o", tmp_path / "sweep"
    )
    assert_ok(selected)
    assert "best by bic: 1 component, full covariance (60 rows x 1 feature)" in selected.stdout
    sampled = gmmkit_cli("sample", tmp_path / "m.gmm", "-n", 1, "-o", tmp_path / "s.csv")
    assert "wrote 1 row drawn" in sampled.stdout


def test_the_sweeps_progress_bar_counts_values_of_k_without_unit_scaling(files, capsys):
    pytest.importorskip("tqdm")
    gmmkit.select(files["X"], n_components=[1, 2], covariance_type="diag", progress=True)
    bar = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert "2/2" in bar and (" k-value/s" in bar or "s/ k-value" in bar), bar


# ---------------------------------------------------------------------- classify --unlabeled
@pytest.fixture
def partly_labelled_csv(tmp_path):
    from sklearn.datasets import make_blobs

    X, y = make_blobs(240, centers=[[0, 0], [6, 0], [0, 6]], random_state=0)
    y[::3] = -1
    path = tmp_path / "partly.csv"
    np.savetxt(
        path, np.column_stack([X, y]), delimiter=",", header="a,b,label", comments="", fmt="%.10g"
    )
    return path


def test_classify_treats_minus_one_as_a_class_without_unlabeled(partly_labelled_csv, tmp_path):
    result = gmmkit_cli(
        "classify", partly_labelled_csv, "--target", "label", "--cv", 0, "-o", tmp_path / "clf.gmm"
    )
    assert_ok(result)
    assert "4 classes: -1 (80)" in result.stdout
    assert list(gmmkit.load(tmp_path / "clf.gmm").classes_) == [-1, 0, 1, 2]


def test_classify_unlabeled_fits_semi_supervised_and_scores_the_labelled_rows(
    partly_labelled_csv, tmp_path
):
    result = gmmkit_cli(
        "classify",
        partly_labelled_csv,
        "--target",
        "label",
        "--unlabeled",
        "-1",
        "--cv",
        3,
        "-o",
        tmp_path / "clf.gmm",
    )
    assert_ok(result)
    assert "3 classes: 0 (57), 1 (57), 2 (46)" in result.stdout
    assert "80 rows without a label (-1): semi-supervised fit" in result.stdout
    model = gmmkit.load(tmp_path / "clf.gmm")
    assert list(model.classes_) == [0, 1, 2]
    assert len(model.lower_bounds_) >= 1
    accuracy = float(result.stdout.split("training accuracy: ")[1].split(";")[0])
    assert accuracy > 0.95


@pytest.mark.parametrize(
    "marker, message",
    [
        ("x", "the target column is numeric, so the marker must be a number"),
        ("7", "no row of the target column has that value"),
    ],
)
def test_classify_unlabeled_marker_errors(partly_labelled_csv, tmp_path, marker, message):
    result = gmmkit_cli(
        "classify",
        partly_labelled_csv,
        "--target",
        "label",
        "--unlabeled",
        marker,
        "-o",
        tmp_path / "clf.gmm",
    )
    assert_error(result, message)
    assert not (tmp_path / "clf.gmm").exists()
