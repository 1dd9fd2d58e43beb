"""Where a report goes: the output-directory check and the error a user can act on.

The one output-directory check of gmmkit: ``gmmkit select -o DIR`` uses it too.
"""

from __future__ import annotations

from pathlib import Path


class ReportError(Exception):
    """A problem the user can fix (output directory, input data, a missing extra).

    The command line prints its message as one line, without a traceback.
    """


def check_output_dir(out_dir, force, owned_dirs=()):
    """Refuse an output path that would make a report overwrite a user's files.

    Parameters
    ----------
    out_dir : str or Path
    force : bool
        Allow a non-empty directory; the caller then replaces only files with its own names.
    owned_dirs : iterable of str, default=()
        Sub-directories the report writes into (``figures``); each that exists must be a
        directory.

    Raises
    ------
    ReportError
        When ``out_dir`` exists but is not a directory, is a non-empty directory and ``force``
        is False, or holds a file where the report needs one of ``owned_dirs``.
    """
    out_dir = Path(out_dir)
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise ReportError(f"output path {str(out_dir)!r} exists and is not a directory")
    if not force and any(out_dir.iterdir()):
        raise ReportError(
            f"output directory {str(out_dir)!r} is not empty; choose another directory "
            "or pass --force to overwrite the files gmmkit writes there"
        )
    for name in owned_dirs:
        path = out_dir / name
        if path.exists() and not path.is_dir():
            raise ReportError(
                f"{str(path)!r} exists and is not a directory; the report writes "
                f"its figures there: move it away or choose another directory"
            )


def require_matplotlib(command):
    """Raise :class:`ReportError` with the install command when matplotlib is missing.

    Parameters
    ----------
    command : str
        What needs it, as the user typed it (``'gmmkit tour'``).
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ReportError(
            f"{command} draws figures and needs matplotlib; install it with: "
            "pip install gmmkit[plot]"
        ) from None
