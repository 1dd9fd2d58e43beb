"""``gmmkit fit/select/predict/score --engine dask`` on a directory of Parquet files, a glob of
CSV files and a zarr store: the in-memory commands' results, read lazily; and the errors."""

import csv
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("dask.array")
pandas = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

from gmmkit.cli import main
from test_cli import BLOCKING, assert_error, assert_usage_error

THREADS = ("--engine", "dask", "--scheduler", "threads")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """600 rows of 3 clusters as one Parquet file, as a directory of three, as three CSV files,
    and their features as a zarr store; a text column and a label column besides."""
    import dask.array as da

    root = tmp_path_factory.mktemp("dask_cli")
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(c, 1.0, (200, 3)) for c in ([0, 0, 0], [5, 5, 0], [0, 6, 4])])
    order = rng.permutation(len(X))
    frame = pandas.DataFrame(X[order], columns=["a", "b", "c"])
    frame["note"] = "x"
    frame["label"] = np.repeat(["p", "q", "r"], 200)[order]
    frame.to_parquet(root / "all.parquet", index=False)
    (root / "parts").mkdir()
    (root / "csv").mkdir()
    for i in range(3):
        part = frame.iloc[i * 200 : (i + 1) * 200]
        part.to_parquet(root / "parts" / f"part-{i}.parquet", index=False)
        part.to_csv(root / "csv" / f"part-{i}.csv", index=False)
    da.from_array(X[order], chunks=150).to_zarr(str(root / "store.zarr"))
    np.save(root / "all.npy", X[order])
    return root


def _cli(capsys, *args):
    code = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _table(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_fit_on_a_parquet_directory_is_the_in_memory_fit(files, tmp_path, capsys):
    from gmmkit import load

    code, out, err = _cli(
        capsys, "fit", files / "parts", "-k", "3", *THREADS, "-o", tmp_path / "lazy.gmm"
    )
    assert code == 0, err
    assert "using 3 feature columns: a, b, c" in out
    assert "left out non-numeric columns 'note', 'label'" in err
    assert (
        _cli(capsys, "fit", files / "all.parquet", "-k", "3", "-o", tmp_path / "memory.gmm")[0] == 0
    )
    lazy, memory = load(tmp_path / "lazy.gmm"), load(tmp_path / "memory.gmm")
    assert lazy.feature_names_in_.tolist() == ["a", "b", "c"]
    np.testing.assert_allclose(lazy.means_, memory.means_, rtol=1e-10)
    np.testing.assert_allclose(lazy.covariances_, memory.covariances_, rtol=1e-9)


@pytest.mark.slow
def test_select_on_a_parquet_directory_writes_the_in_memory_table(files, tmp_path, capsys):
    options = ("-k", "1:3", "--covariance", "full,diag")
    code, _, err = _cli(
        capsys, "select", files / "parts", *options, *THREADS, "-o", tmp_path / "lazy"
    )
    assert code == 0, err
    assert (
        _cli(capsys, "select", files / "all.parquet", *options, "-o", tmp_path / "memory")[0] == 0
    )
    lazy, memory = (
        _table(tmp_path / "lazy" / "table.csv"),
        _table(tmp_path / "memory" / "table.csv"),
    )
    assert len(lazy) == len(memory) == 6
    for row, want in zip(lazy, memory):
        assert (row["n_components"], row["covariance_type"], row["n_iter"]) == (
            want["n_components"],
            want["covariance_type"],
            want["n_iter"],
        )
        for name in ("bic", "log_likelihood", "silhouette"):  # k=1 has no silhouette: ''
            np.testing.assert_allclose(
                float(row[name] or "nan"), float(want[name] or "nan"), rtol=1e-10
            )
    assert (tmp_path / "lazy" / "best.gmm").exists()


def test_predict_streams_the_in_memory_output(files, tmp_path, capsys):
    assert _cli(capsys, "fit", files / "all.parquet", "-k", "3", "-o", tmp_path / "m.gmm")[0] == 0
    for output, proba in (("labels.csv", ()), ("proba.npy", ("--proba",))):
        code, out, err = _cli(
            capsys,
            "predict",
            tmp_path / "m.gmm",
            files / "parts",
            *proba,
            *THREADS,
            "-o",
            tmp_path / f"lazy-{output}",
        )
        assert code == 0, err
        assert "of 600 rows" in out
        assert (
            _cli(
                capsys,
                "predict",
                tmp_path / "m.gmm",
                files / "all.parquet",
                *proba,
                "-o",
                tmp_path / f"memory-{output}",
            )[0]
            == 0
        )
    assert (tmp_path / "lazy-labels.csv").read_text() == (
        tmp_path / "memory-labels.csv"
    ).read_text()
    np.testing.assert_allclose(
        np.load(tmp_path / "lazy-proba.npy"), np.load(tmp_path / "memory-proba.npy"), atol=1e-12
    )


def test_a_csv_glob_and_a_zarr_store_read_the_same_rows(files, tmp_path, capsys):
    assert _cli(capsys, "fit", files / "all.npy", "-k", "2", "-o", tmp_path / "m.gmm")[0] == 0
    expected = tmp_path / "memory.npy"
    assert (
        _cli(capsys, "predict", tmp_path / "m.gmm", files / "all.npy", "--proba", "-o", expected)[0]
        == 0
    )
    for data in (files / "csv" / "part-*.csv", files / "store.zarr"):
        output = tmp_path / f"{data.suffix.strip('.')}.npy"
        code, _, err = _cli(
            capsys, "predict", tmp_path / "m.gmm", data, "--proba", *THREADS, "-o", output
        )
        assert code == 0, err
        np.testing.assert_allclose(np.load(output), np.load(expected), atol=1e-12)


def test_score_with_a_target_reports_the_in_memory_accuracy(files, tmp_path, capsys):
    assert (
        _cli(
            capsys,
            "classify",
            files / "all.parquet",
            "--target",
            "label",
            "--cv",
            "0",
            "-o",
            tmp_path / "c.gmm",
        )[0]
        == 0
    )
    code, lazy, err = _cli(
        capsys, "score", tmp_path / "c.gmm", files / "parts", "--target", "label", *THREADS
    )
    assert code == 0, err
    _, memory, _ = _cli(
        capsys, "score", tmp_path / "c.gmm", files / "all.parquet", "--target", "label"
    )
    assert lazy == memory
    assert "accuracy: 1" in lazy


def test_the_default_local_cluster_runs_and_is_closed(files, tmp_path, capsys):
    code, out, err = _cli(
        capsys,
        "fit",
        files / "store.zarr",
        "-k",
        "2",
        "--columns",
        "0,2",
        "--engine",
        "dask",
        "-o",
        tmp_path / "m.gmm",
    )
    assert code == 0, err
    assert "using 2 feature columns: 0, 2" in out
    distributed = pytest.importorskip("distributed")
    with pytest.raises(ValueError):
        distributed.get_client()  # the command's client is gone


def test_missing_values_name_their_row_or_are_dropped_lazily(files, tmp_path, capsys):
    frame = pandas.read_parquet(files / "all.parquet")
    frame.loc[[5, 400], "b"] = np.nan
    (tmp_path / "gappy").mkdir()
    frame.iloc[:300].to_parquet(tmp_path / "gappy" / "0.parquet", index=False)
    frame.iloc[300:].to_parquet(tmp_path / "gappy" / "1.parquet", index=False)
    code, _, err = _cli(
        capsys, "fit", tmp_path / "gappy", "-k", "2", *THREADS, "-o", tmp_path / "m.gmm"
    )
    assert code == 1 and "NaN or infinity" in err and "pass --drop-na" in err
    assert (
        _cli(
            capsys,
            "fit",
            tmp_path / "gappy",
            "-k",
            "2",
            "--drop-na",
            *THREADS,
            "-o",
            tmp_path / "m.gmm",
        )[0]
        == 0
    )
    code, out, err = _cli(
        capsys,
        "predict",
        tmp_path / "m.gmm",
        tmp_path / "gappy",
        "--drop-na",
        *THREADS,
        "-o",
        tmp_path / "p.csv",
    )
    assert code == 0, err
    assert "dropped 2 rows" in err and "of 598 rows" in out
    rows = [int(row["row"]) for row in _table(tmp_path / "p.csv")]
    assert 6 not in rows and 401 not in rows and len(rows) == 598


@pytest.mark.parametrize(
    "args, fragments",
    [
        (("fit", "{root}/nowhere", "-k", "2"), ("does not exist",)),
        (("fit", "{root}/parts/*.nothing", "-k", "2"), ("no files match",)),
        (("fit", "{root}", "-k", "2"), ("Parquet", "CSV", "zarr")),
        (("fit", "{root}/parts", "-k", "2", "--columns", "a,note"), ("'note'", "not numeric")),
        (("fit", "{root}/parts", "-k", "2", "--columns", "a,zzz"), ("'zzz'", "is not in")),
        (("score", "{model}", "{root}/store.zarr", "--target", "0"), ("zarr store", "no label")),
    ],
)
def test_data_problems_are_one_line_errors(files, tmp_path, capsys, args, fragments):
    assert _cli(capsys, "fit", files / "all.npy", "-k", "2", "-o", tmp_path / "m.gmm")[0] == 0
    args = [arg.format(root=files, model=tmp_path / "m.gmm") for arg in args]
    code, _, err = _cli(
        capsys, *args, *THREADS, *(() if args[0] == "score" else ("-o", tmp_path / "out.gmm"))
    )
    assert_error(subprocess.CompletedProcess(args, code, "", err), *fragments)


def test_options_the_engine_cannot_honour_are_usage_errors(files, tmp_path, capsys):
    code, _, err = _cli(
        capsys, "select", files / "parts", "--cv", "3", *THREADS, "-o", tmp_path / "s"
    )
    assert_usage_error(
        subprocess.CompletedProcess([], code, "", err), "--cv cannot be used with --engine dask"
    )


def test_without_dask_the_engine_exits_1_with_the_install_hint(files, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            BLOCKING,
            "dask",
            "fit",
            str(files / "parts"),
            "-k",
            "2",
            "--engine",
            "dask",
            "-o",
            str(tmp_path / "m.gmm"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert_error(result, "pip install 'gmmkit[dask]'")
    assert not (tmp_path / "m.gmm").exists()


def test_help_lists_the_engine_without_importing_dask():
    code = (
        "import sys; from gmmkit.cli import main\n"
        "try:\n    main(['fit', '--help'])\nexcept SystemExit:\n    pass\n"
        "assert 'dask' not in sys.modules, 'dask imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "--engine {numpy,dask}" in result.stdout and "--scheduler ADDRESS" in result.stdout
