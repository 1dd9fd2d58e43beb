"""``gmmkit bootstrap MODEL DATA``: bootstrap standard errors and percentile intervals of a
saved mixture's weights, means and covariances (see :func:`gmmkit.inference.bootstrap.bootstrap`).

Registered by :func:`gmmkit.cli.build_parser`; like the other commands it imports numpy and
the numerics only when it runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .cli import (
    EXIT_OK,
    _add_data_arguments,
    _add_force,
    _fraction,
    _load_model,
    _png_path,
    _positive_int,
    _quiet_names,
    _read_for_model,
    _seed,
    _subparser,
)

#: The resampling schemes, as :data:`gmmkit.inference.bootstrap.KINDS` names them (repeated
#: here so that ``--help`` need not import numpy).
KINDS = ("nonparametric", "weighted", "parametric")


def add_bootstrap_parser(subcommands) -> argparse.ArgumentParser:
    """Add the ``bootstrap`` subcommand to ``subcommands`` (argparse's subparsers action)."""
    parser = _subparser(
        subcommands,
        "bootstrap",
        handler=_run_bootstrap,
        help="bootstrap standard errors and intervals of a saved mixture's parameters",
        description="Resample DATA (the data the mixture was fitted on) N times, refit the "
        "saved Gaussian mixture to every replicate from its fitted parameters, "
        "align the components to the fit and print the standard error and "
        "percentile interval of every weight, mean, variance and covariance "
        "(mclust's MclustBootstrap). Replicates that fail or come out ill-posed "
        "are dropped with a warning.",
        examples=[
            "gmmkit bootstrap model.gmm data.csv",
            (
                "gmmkit bootstrap model.gmm data.csv --kind weighted --bootstrap 199 "
                "--seed 1 --jobs 2"
            ),
            "gmmkit bootstrap model.gmm data.csv --level 0.9 --plot means.png",
        ],
    )
    parser.add_argument(
        "model",
        type=Path,
        metavar="MODEL",
        help="a GaussianMixture saved by gmmkit fit or gmmkit select",
    )
    _add_data_arguments(parser)
    parser.add_argument(
        "--kind",
        choices=KINDS,
        default="nonparametric",
        help="resampling: rows with replacement, random row weights "
        "(weighted likelihood bootstrap) or draws from the fitted "
        "model (default: nonparametric)",
    )
    parser.add_argument(
        "-B",
        "--bootstrap",
        dest="n_bootstrap",
        type=_positive_int,
        default=999,
        metavar="N",
        help="number of replicates (default: 999)",
    )
    parser.add_argument(
        "--seed", type=_seed, default=0, metavar="N", help="seed of the replicates (default: 0)"
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=None,
        metavar="N",
        help="parallel workers (-1: all cores; default: one); the results do not depend on it",
    )
    parser.add_argument(
        "--level",
        type=_fraction,
        default=0.95,
        metavar="X",
        help="coverage of the percentile intervals, between 0 and 1 (default: 0.95)",
    )
    parser.add_argument(
        "--plot",
        type=_png_path,
        default=None,
        metavar="FILE.png",
        help="also draw the bootstrap distributions of the means (needs matplotlib)",
    )
    _add_force(parser, "the --plot file")
    return parser


def _run_bootstrap(args) -> int:
    from ._data import check_new_file
    from .inference.bootstrap import bootstrap
    from .mixture import GaussianMixture

    if args.plot is not None:
        check_new_file(args.plot, args.force)
    model = _load_model(args.model)
    if not isinstance(model, GaussianMixture):
        raise TypeError(
            f"bootstrap needs a GaussianMixture model; {str(args.model)!r} holds a "
            f"{type(model).__name__}"
        )
    _, X = _read_for_model(model, args)
    result = _quiet_names(
        lambda data: bootstrap(
            model, data, args.n_bootstrap, kind=args.kind, random_state=args.seed, n_jobs=args.jobs
        ),
        X,
    )
    print(result.summary(level=args.level))
    if args.plot is not None:
        from .report.figures import FIGURE_DPI

        result.plot("means", level=args.level).savefig(args.plot, dpi=FIGURE_DPI, format="png")
        print(f"wrote {args.plot}")
    return EXIT_OK


def _jobs(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value == 0:
        raise argparse.ArgumentTypeError(
            f"expected a non-zero integer (-1: all cores), got {text!r}"
        )
    return value
