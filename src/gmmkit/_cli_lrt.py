"""``gmmkit lrt``: the sequential bootstrap likelihood-ratio test for the number of components
(:func:`gmmkit.inference.lrt.bootstrap_lrt`) on a data file.

Registered by :func:`gmmkit.cli.build_parser` through :func:`add_lrt_parser`; like the other
commands, the numerics are imported only when the command runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys

from .cli import (
    EXIT_OK,
    _add_data_arguments,
    _add_force,
    _CovarianceTypes,
    _fraction,
    _png_path,
    _positive_int,
    _read,
    _seed,
    _subparser,
)


def add_lrt_parser(subcommands) -> argparse.ArgumentParser:
    """Add the ``lrt`` subcommand to ``subcommands`` (argparse's subparsers action)."""
    lrt = _subparser(
        subcommands,
        "lrt",
        handler=_run_lrt,
        help="how many components: sequential bootstrap likelihood-ratio tests",
        description="Test g against g+1 components for g = 1, 2, ... by the parametric "
        "bootstrap (mclust's mclustBootstrapLRT): simulate --bootstrap data sets "
        "from the g-component fit, refit both models to each and compare the "
        "observed likelihood-ratio statistic with theirs. Stops at the first test "
        "that is not significant at --level, whose g it selects, or at "
        "--max-components. Prints the table of statistics and p-values.",
        examples=[
            "gmmkit lrt data.csv --covariance VVV",
            "gmmkit lrt data.csv --covariance diag --max-components 5 -j -1",
            "gmmkit lrt X.npy --bootstrap 99 --seed 1 --plot lrt.png",
        ],
    )
    _add_data_arguments(lrt)
    lrt.add_argument(
        "--covariance",
        choices=_CovarianceTypes(),
        default="full",
        metavar="TYPE",
        help="covariance type: %(choices)s (default: full)",
    )
    lrt.add_argument(
        "--max-components",
        type=_at_least_two,
        default=9,
        metavar="N",
        help="the most components fitted; the last test is N-1 vs N (default: 9)",
    )
    lrt.add_argument(
        "--bootstrap",
        type=_positive_int,
        default=999,
        metavar="B",
        help="bootstrap replicates per test (default: 999)",
    )
    lrt.add_argument(
        "--level",
        type=_fraction,
        default=0.05,
        metavar="ALPHA",
        help="significance level of each test, in (0, 1) (default: 0.05)",
    )
    lrt.add_argument(
        "--seed",
        type=_seed,
        default=0,
        metavar="N",
        help="seed of the fits and the replicates (default: 0)",
    )
    lrt.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="parallel worker processes (-1: all cores; default: one)",
    )
    lrt.add_argument(
        "--plot",
        type=_png_path,
        default=None,
        metavar="FILE.png",
        help="also draw each test's bootstrap distribution against its observed "
        "statistic (needs matplotlib)",
    )
    _add_force(lrt, "the --plot file")
    return lrt


def _run_lrt(args) -> int:
    from ._data import check_new_file
    from .inference.lrt import bootstrap_lrt

    if args.plot is not None:
        check_new_file(args.plot, args.force)
        if importlib.util.find_spec("matplotlib") is None:  # before the tests, not after
            raise ModuleNotFoundError("No module named 'matplotlib'", name="matplotlib")
    data = _read(args)
    result = bootstrap_lrt(
        data.X,
        args.covariance,
        max_components=args.max_components,
        n_bootstrap=args.bootstrap,
        level=args.level,
        random_state=args.seed,
        n_jobs=args.jobs,
    )
    print(result)
    if args.plot is not None:
        from .report.figures import FIGURE_DPI

        if len(result.g) == 0:
            print(f"gmmkit: note: no test was run, so {args.plot} was not drawn", file=sys.stderr)
        else:
            result.plot().savefig(args.plot, dpi=FIGURE_DPI, format="png")
            print(f"wrote {args.plot}")
    return EXIT_OK


def _at_least_two(text):
    value = _positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(
            f"expected at least 2 (the first test is 1 vs 2 components), got {value}"
        )
    return value
