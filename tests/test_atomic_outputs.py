"""A command's output files appear all together or not at all (``gmmkit._staging``).

``select``, ``report`` and ``tour`` write into a staging directory beside ``-o DIR`` and commit
it at the end; an interrupt before the commit leaves ``DIR`` exactly as it was.
"""

import csv
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import gmmkit
import gmmkit.persistence
from gmmkit._staging import ABANDONED_AFTER_S, remove_stale_staging, staged_output
from gmmkit.cli import EXIT_INTERRUPTED, main

SELECT_FILES = ["best.gmm", "selection.png", "table.csv"]
SELECT_ARGS = ("--columns", "x,y", "--covariance", "full")
REPORT_ARGS = ("--columns", "x,y", "-k", "1:2", "--covariance", "full", "--cv", "2")


@pytest.fixture(scope="module")
def blobs(tmp_path_factory):
    """Two labelled blobs, 60 rows of ``x,y,species``."""
    path = tmp_path_factory.mktemp("data") / "blobs.csv"
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(0.0, 1.0, (30, 2)), rng.normal(6.0, 1.0, (30, 2))]
    labels = ["setosa"] * 30 + ["virginica"] * 30
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["x", "y", "species"])
        writer.writerows(
            [repr(float(a)), repr(float(b)), label] for (a, b), label in zip(X, labels)
        )
    return path


@pytest.fixture(scope="module")
def previous_sweep(blobs, tmp_path_factory):
    """A directory holding a successful ``select -k 1:2`` run."""
    out = tmp_path_factory.mktemp("previous") / "sweep"
    assert main(["select", str(blobs), *SELECT_ARGS, "-k", "1:2", "-o", str(out)]) == 0
    assert sorted(path.name for path in out.iterdir()) == SELECT_FILES
    return out


@pytest.fixture(scope="module")
def previous_report(blobs, tmp_path_factory):
    """A directory holding a successful ``report --target species`` run."""
    out = tmp_path_factory.mktemp("previous") / "report"
    assert main(["report", str(blobs), *REPORT_ARGS, "--target", "species", "-o", str(out)]) == 0
    return out


def snapshot(directory):
    """Every file under ``directory``: relative path -> bytes."""
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def leftovers(parent):
    """Staging directories (or temporaries) left in ``parent``."""
    return sorted(
        path.name for path in parent.iterdir() if path.name.endswith((".staging", ".tmp"))
    )


def copy_of(directory, tmp_path):
    return pathlib.Path(shutil.copytree(directory, tmp_path / directory.name))


def interrupt_save(monkeypatch):
    """Make saving the best model raise KeyboardInterrupt (after table.csv is written)."""

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(gmmkit.persistence, "save", interrupted)


def interrupt_second_figure(monkeypatch):
    """Make writing the report's second PNG figure raise KeyboardInterrupt."""
    write_bytes = pathlib.Path.write_bytes
    written = []

    def interrupted(self, data):
        if self.suffix == ".png" and self.parent.name == "figures":
            written.append(self)
            if len(written) == 2:
                raise KeyboardInterrupt
        return write_bytes(self, data)

    monkeypatch.setattr(pathlib.Path, "write_bytes", interrupted)
    return written


def dead_pid():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def make_staging(parent, name, pid):
    path = parent / f".{name}.{pid}.{'ab' * 8}.staging"
    path.mkdir()
    (path / "table.csv").write_text("half-written\n")
    return path


# ---------------------------------------------------------------------- select
def test_interrupted_select_leaves_no_output_directory(blobs, tmp_path, monkeypatch, capsys):
    interrupt_save(monkeypatch)
    out = tmp_path / "sweep"
    assert (
        main(["select", str(blobs), *SELECT_ARGS, "-k", "1:2", "-o", str(out)]) == EXIT_INTERRUPTED
    )
    assert "gmmkit: interrupted" in capsys.readouterr().err
    assert not out.exists()
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_interrupted_force_rerun_leaves_the_previous_run_byte_identical(
    blobs, previous_sweep, tmp_path, monkeypatch
):
    out = copy_of(previous_sweep, tmp_path)
    before = snapshot(out)
    interrupt_save(monkeypatch)
    assert (
        main(["select", str(blobs), *SELECT_ARGS, "-k", "3", "--force", "-o", str(out)])
        == EXIT_INTERRUPTED
    )
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_force_rerun_replaces_every_file_and_keeps_the_users(
    blobs, previous_sweep, tmp_path, capsys
):
    out = copy_of(previous_sweep, tmp_path)
    (out / "notes.txt").write_text("mine")
    before = snapshot(out)
    assert main(["select", str(blobs), *SELECT_ARGS, "-k", "3", "--force", "-o", str(out)]) == 0
    after = snapshot(out)
    assert sorted(after) == sorted([*SELECT_FILES, "notes.txt"])
    assert after["notes.txt"] == b"mine"
    assert all(after[name] != before[name] for name in SELECT_FILES)
    assert gmmkit.load(out / "best.gmm").n_components == 3
    wrote = capsys.readouterr().out.splitlines()[-1]
    assert wrote == "wrote " + ", ".join(
        str(out / name) for name in ("table.csv", "best.gmm", "selection.png")
    )
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_force_rerun_without_a_plot_removes_the_previous_plot_and_keeps_the_users(
    blobs, previous_sweep, tmp_path, monkeypatch
):
    out = copy_of(previous_sweep, tmp_path)
    (out / "notes.txt").write_text("mine")
    before = snapshot(out)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as when the extra is not installed
    assert main(["select", str(blobs), *SELECT_ARGS, "-k", "3", "--force", "-o", str(out)]) == 0
    after = snapshot(out)
    assert sorted(after) == ["best.gmm", "notes.txt", "table.csv"]
    assert after["notes.txt"] == b"mine"
    assert after["table.csv"] != before["table.csv"] and after["best.gmm"] != before["best.gmm"]
    assert leftovers(tmp_path) == []


def test_output_directory_given_as_dot_is_staged_beside_it(blobs, tmp_path, monkeypatch):
    out = tmp_path / "sweep"
    out.mkdir()
    monkeypatch.chdir(out)
    assert main(["select", str(blobs), *SELECT_ARGS, "-k", "1", "-o", "."]) == 0
    assert sorted(path.name for path in out.iterdir()) == SELECT_FILES
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_select_removes_a_dead_runs_staging_directory(blobs, tmp_path):
    stale = make_staging(tmp_path, "sweep", dead_pid())
    out = tmp_path / "sweep"
    assert main(["select", str(blobs), *SELECT_ARGS, "-k", "1", "-o", str(out)]) == 0
    assert not stale.exists()
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------------- report
@pytest.mark.slow
def test_report_interrupted_while_writing_figures_leaves_no_output_directory(
    blobs, tmp_path, monkeypatch
):
    written = interrupt_second_figure(monkeypatch)
    out = tmp_path / "report"
    assert main(["report", str(blobs), *REPORT_ARGS, "-o", str(out)]) == EXIT_INTERRUPTED
    assert len(written) == 2
    assert not out.exists()
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_report_interrupted_force_rerun_leaves_the_previous_report_byte_identical(
    blobs, previous_report, tmp_path, monkeypatch
):
    out = copy_of(previous_report, tmp_path)
    before = snapshot(out)
    interrupt_second_figure(monkeypatch)
    assert main(["report", str(blobs), *REPORT_ARGS, "--force", "-o", str(out)]) == EXIT_INTERRUPTED
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_report_force_rerun_replaces_its_files_drops_its_old_figures_and_keeps_the_users(
    blobs, previous_report, tmp_path
):
    out = copy_of(previous_report, tmp_path)
    (out / "notes.txt").write_text("mine")
    (out / "figures" / "my_plot.png").write_bytes(b"mine")
    before = snapshot(out)
    assert "figures/classification_posterior.png" in before
    assert (
        main(["report", str(blobs), *REPORT_ARGS, "--seed", "1", "--force", "-o", str(out)]) == 0
    )  # no --target: no classification figures this time
    after = snapshot(out)
    assert after["notes.txt"] == b"mine" and after["figures/my_plot.png"] == b"mine"
    assert not any(name.startswith("figures/classification") for name in after)
    for name in ("report.html", "metrics.json", "summary.csv"):
        assert after[name] != before[name]
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------------- the context manager
def test_commit_into_a_missing_target_renames_the_staging_directory(tmp_path):
    target = tmp_path / "out"
    with staged_output(target) as staging:
        (staging.path / "a.txt").write_text("a")
        (staging.path / "sub").mkdir()
        (staging.path / "sub" / "b.txt").write_text("b")
        assert staging.path.parent == tmp_path and not target.exists()
        assert staging.final(staging.path / "sub" / "b.txt") == target / "sub" / "b.txt"
    assert snapshot(target) == {"a.txt": b"a", "sub/b.txt": b"b"}
    assert leftovers(tmp_path) == []


def test_commit_into_an_existing_target_replaces_owned_files_and_keeps_others(tmp_path):
    target = tmp_path / "out"
    (target / "sub").mkdir(parents=True)
    for name, text in [
        ("a.txt", "old a"),
        ("stale.txt", "old stale"),
        ("mine.txt", "mine"),
        ("sub/b.txt", "old b"),
        ("sub/stale.txt", "old"),
        ("sub/mine.txt", "m"),
    ]:
        (target / name).write_text(text)
    owned = ["a.txt", "stale.txt", "sub/b.txt", "sub/stale.txt"]
    with staged_output(target, owned=owned) as staging:
        (staging.path / "a.txt").write_text("new a")
        (staging.path / "sub").mkdir()
        (staging.path / "sub" / "b.txt").write_text("new b")
        (staging.path / "sub" / "c.txt").write_text("new c")
    assert snapshot(target) == {
        "a.txt": b"new a",
        "mine.txt": b"mine",
        "sub/b.txt": b"new b",
        "sub/c.txt": b"new c",
        "sub/mine.txt": b"m",
    }
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_a_failure_before_the_commit_removes_the_staging_and_keeps_the_target(tmp_path, error):
    target = tmp_path / "out"
    target.mkdir()
    (target / "a.txt").write_text("old")
    with pytest.raises(error), staged_output(target, owned=["a.txt", "b.txt"]) as staging:
        (staging.path / "a.txt").write_text("new")
        raise error
    assert snapshot(target) == {"a.txt": b"old"}
    assert leftovers(tmp_path) == []


def test_ctrl_c_during_the_commit_is_raised_once_every_file_is_in_place(tmp_path, monkeypatch):
    target = tmp_path / "out"
    target.mkdir()
    replace = os.replace

    def replace_then_interrupt(*args):
        replace(*args)
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(os, "replace", replace_then_interrupt)
    with pytest.raises(KeyboardInterrupt), staged_output(target) as staging:
        for name in "abc":
            (staging.path / f"{name}.txt").write_text(name)
    assert snapshot(target) == {"a.txt": b"a", "b.txt": b"b", "c.txt": b"c"}
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert leftovers(tmp_path) == []


def test_owned_paths_must_stay_inside_the_target(tmp_path):
    with (
        pytest.raises(ValueError, match="inside the output directory"),
        staged_output(tmp_path / "out", owned=["../elsewhere.txt"]),
    ):
        pass


def test_stale_staging_is_removed_when_its_process_is_gone_or_it_is_a_day_old(tmp_path):
    dead = make_staging(tmp_path, "out", dead_pid())
    live = make_staging(tmp_path, "out", os.getppid())
    old = tmp_path / f".out.{os.getppid()}.{'cd' * 8}.staging"
    old.mkdir()
    long_ago = time.time() - ABANDONED_AFTER_S - 60
    os.utime(old, (long_ago, long_ago))
    other_target = make_staging(tmp_path, "other", dead_pid())
    remove_stale_staging(tmp_path / "out")
    assert not dead.exists() and not old.exists()
    assert live.exists() and other_target.exists()
