"""All of a command's output files at once, or none: write them into a staging directory, then
commit it.

A command that writes several files into ``DIR`` writes them into
``.<DIR name>.<pid>.<16 hex>.staging`` beside ``DIR`` (same file system, so renames are atomic)::

    prepare_output_dir(out)   # before the long computation: fails at once if unwritable
    ...
    with staged_output(out, owned=("table.csv", "best.gmm", "selection.png")) as staging:
        write_csv(staging.path / "table.csv", ...)
    print(f"wrote {staging.final(staging.path / 'table.csv')}")

An exception (KeyboardInterrupt included) inside the block removes the staging directory and
leaves ``DIR`` as it was. On success a missing ``DIR`` is the staging directory renamed (one
atomic step); an existing one receives each staged file by ``os.replace``, and loses the
command's ``owned`` files that this run did not write. Ctrl-C during the commit is deferred until
it ends. A run first removes the staging directories of its own ``DIR`` that a killed run left.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from ._processes import process_is_gone

#: A staging directory whose writer cannot be checked is removed once it is this old.
ABANDONED_AFTER_S = 24 * 3600
_SUFFIX = ".staging"


class Staging:
    """Where a command writes its files before they are committed to ``target``.

    Attributes
    ----------
    path : Path
        The staging directory.
    target : Path
        The output directory the files are committed to.
    """

    def __init__(self, path, target):
        self.path = path
        self.target = target

    def final(self, path):
        """The path that staged ``path`` has once committed (for messages naming outputs).

        Parameters
        ----------
        path : str or Path
            Inside :attr:`path`.

        Returns
        -------
        Path
        """
        return self.target / Path(path).relative_to(self.path)


def prepare_output_dir(target):
    """Get ``target``'s parent ready for :func:`staged_output`, before a long computation.

    Creates the parent directories, removes stale staging directories of ``target`` (see
    :func:`remove_stale_staging`) and makes and removes one staging directory, so a path that
    cannot be written fails now rather than after the work.

    Parameters
    ----------
    target : str or Path

    Raises
    ------
    OSError
        When the parent cannot be created or written.
    """
    location = _location(target)
    location.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(location)
    os.rmdir(_make_staging_dir(location))


@contextmanager
def staged_output(target, owned=()):
    """Stage a command's output files and commit them to ``target`` all together.

    Parameters
    ----------
    target : str or Path
        The output directory; its parent must exist (see :func:`prepare_output_dir`).
    owned : iterable of str, default=()
        Paths relative to ``target`` that the command writes (``"table.csv"``,
        ``"figures/fit.png"``). Those present in ``target`` but not written by this run are
        removed at the commit; every other file in ``target`` is left alone.

    Yields
    ------
    Staging
        Write the files under ``staging.path``.

    Raises
    ------
    ValueError
        When an ``owned`` path is absolute or leaves ``target``.
    """
    location = _location(target)
    owned = [_relative(name) for name in owned]
    remove_stale_staging(location)
    staging = Staging(_make_staging_dir(location), Path(target))
    try:
        yield staging
        with _sigint_deferred():
            _commit(staging.path, location, owned)
    finally:
        shutil.rmtree(staging.path, ignore_errors=True)


def remove_stale_staging(target):
    """Remove the staging directories of ``target`` that killed runs left beside it.

    Only names ``.<target name>.<pid>.<16 hex>.staging`` are touched: removed when process
    ``pid`` is gone or the directory is older than :data:`ABANDONED_AFTER_S`. Failures are
    ignored; cleaning up is never a reason for a command to fail.

    Parameters
    ----------
    target : str or Path
    """
    target = _location(target)
    pattern = re.compile(
        re.escape(f".{target.name}.") + r"(\d+)\.[0-9a-f]{16}" + re.escape(_SUFFIX)
    )
    now = time.time()
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
            if age > ABANDONED_AFTER_S or process_is_gone(int(match.group(1))):
                shutil.rmtree(entry.path, ignore_errors=True)
        except OSError:
            continue


def _location(target):
    """Where ``target`` really is: ``-o .`` has a name and a parent, and a symbolic link's
    staging directory is on the file system of the directory it points to."""
    return Path(os.path.realpath(target))


def _make_staging_dir(target):
    while True:
        path = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(8)}{_SUFFIX}"
        try:
            path.mkdir()  # mode 0o777 filtered by the umask, as the output directory would be
            return path
        except FileExistsError:
            continue


def _commit(staged, target, owned):
    if not os.path.lexists(target):
        os.rename(staged, target)
        return
    written = {
        path.relative_to(staged).as_posix() for path in staged.rglob("*") if not path.is_dir()
    }
    _move_into(staged, target)
    for name in owned:
        path = target / name
        if name not in written and (path.is_file() or path.is_symlink()):
            path.unlink()


def _move_into(staged, target):
    """Move every file of ``staged`` into ``target``, replacing files of the same names."""
    for entry in sorted(os.scandir(staged), key=lambda entry: entry.name):
        destination = target / entry.name
        if entry.is_dir(follow_symlinks=False) and destination.is_dir():
            # Merged file by file rather than swapped whole: a user's files in it stay put.
            _move_into(Path(entry.path), destination)
        else:
            os.replace(entry.path, destination)


@contextmanager
def _sigint_deferred():
    """Hold Ctrl-C until the block ends, then act on it as the previous handler would."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler if previous is None else previous)
    if received and previous is not signal.SIG_IGN:
        if callable(previous):
            previous(signal.SIGINT, None)
        else:
            raise KeyboardInterrupt


def _relative(name):
    path = Path(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(
            f"an owned output must be a path inside the output directory, got {name!r}"
        )
    return path.as_posix()
