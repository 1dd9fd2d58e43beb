"""The ``gmmkit`` command line.

Usage errors exit with status 2 (argparse's usage line); problems found at run time print one
``gmmkit: error: ...`` line on stderr and exit with status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
MAX_SEED = 2**32 - 1


def main(argv=None) -> int:
    """Run the ``gmmkit`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments after the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        Exit status: 0 on success, 1 on a run-time error, 2 on a usage error.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return _exit_status(exit_.code)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("gmmkit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # the CLI's contract: one line on stderr, never a traceback
        print(f"gmmkit: error: {_describe(exc)}", file=sys.stderr)
        return EXIT_ERROR


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser, one subparser per subcommand."""
    parser = argparse.ArgumentParser(
        prog="gmmkit",
        description="Fast, scikit-learn-compatible Gaussian mixture models.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_tour_parser(subcommands)
    return parser


def _add_tour_parser(subcommands):
    tour = subcommands.add_parser(
        "tour",
        help="fit mixtures to two moons and handwritten digits; save figures and metrics",
        description=(
            "Fit Gaussian mixtures of every covariance type and several sizes to the two-moons "
            "and the handwritten-digits data, print a summary table and write PNG figures, "
            "summary.json and summary.csv into DIR. Needs matplotlib (pip install gmmkit[plot])."
        ),
    )
    tour.add_argument("-o", "--output", required=True, type=Path, metavar="DIR",
                      help="output directory; created if missing, must be empty unless --force")
    tour.add_argument("--quick", action="store_true",
                      help="fewer component counts, for a run of a few seconds")
    tour.add_argument("--force", action="store_true",
                      help="write into a non-empty DIR, replacing files with the tour's names")
    tour.add_argument("--seed", type=_seed, default=0, metavar="N",
                      help=f"seed of data, fits and samples, 0..{MAX_SEED} (default: 0)")
    tour.set_defaults(handler=_run_tour)


def _run_tour(args) -> int:
    from .tour import run_tour

    run_tour(args.output, quick=args.quick, force=args.force, seed=args.seed)
    return EXIT_OK


def _seed(text):
    """Parse a seed accepted by NumPy's RandomState."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer seed, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"seed must be in 0..{MAX_SEED}, got {value}")
    return value


def _describe(exc):
    """One line for an exception: its message, prefixed by its type unless expected."""
    from .tour import TourError

    message = " ".join(str(exc).split()) or "(no message)"
    if isinstance(exc, (TourError, OSError)):
        return message
    return f"{type(exc).__name__}: {message}"


def _exit_status(code):
    """Exit status from ``SystemExit.code`` (None means success, a message means failure)."""
    if code is None:
        return EXIT_OK
    return code if isinstance(code, int) else EXIT_ERROR
