"""The ``gmmkit`` command line.

Commands
--------
``fit``       fit one Gaussian mixture to a data file and save it
``select``    sweep numbers of components x covariance types; table, best model, plot
``predict``   components (or classes) of new rows, or their probabilities, from a saved model
``score``     log-likelihood, BIC, AIC, ICL (and accuracy) of a saved model on a data file
``sample``    draw rows from a saved model, optionally of one class
``classify``  fit a mixture classifier, print cross-validated accuracy, save it
``lrt``       how many components: the sequential bootstrap likelihood-ratio test
``bootstrap`` standard errors and intervals of a saved model's parameters, by bootstrap
``report``    an HTML report on the user's data
``tour``      the studies on bundled data sets

Data files are CSV (with a header row), Parquet (the ``parquet`` extra) or ``.npy``; see
:mod:`gmmkit._data` for how columns are chosen and what counts as missing.

Exit status
-----------
0
    Success.
1
    A problem found at run time: a missing, empty or unreadable data or model file, a column
    that is missing or not numeric, rows with missing values without ``--drop-na``, an output
    that exists without ``--force``, an estimator refusing the data. One line
    ``gmmkit: error: ...`` on stderr, never a traceback.
2
    A usage error: an unknown option or command, a bad ``-k``, an unknown covariance type or
    criterion. argparse's usage line and message on stderr.
130
    Interrupted (Ctrl-C).

Warnings are printed one per line as ``gmmkit: warning: ...`` and notes (rows dropped, a figure
skipped) as ``gmmkit: note: ...``, all on stderr; results go to stdout and to the ``-o`` files.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import textwrap
import warnings
from pathlib import Path

# Only light modules here: help and usage errors must not wait for numpy, scipy or
# scikit-learn, which the commands import when they run.
from ._version import __version__
from .criteria import CRITERIA, INFORMATION_CRITERIA

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
MAX_SEED = 2**32 - 1
# What ``select -o DIR`` writes; with --force, those a new run does not write are removed.
SELECT_OUTPUTS = ("table.csv", "best.gmm", "selection.png")
# A missing optional package -> the extra that installs it.
EXTRAS = {
    "matplotlib": "plot",
    "pandas": "pandas",
    "pyarrow": "parquet",
    "tqdm": "progress",
    "dask": "dask",
    "distributed": "dask",
    "zarr": "dask",
}
ENGINES = ("numpy", "dask")

EXIT_STATUS_HELP = """\
exit status:
  0    success
  1    a problem found at run time (missing, empty or unreadable file, missing or
       non-numeric column, missing values without --drop-na, existing output without
       --force): one line "gmmkit: error: ..." on stderr
  2    a usage error (unknown option, bad -k, unknown covariance type or criterion)
  130  interrupted"""

DATA_HELP = """\
data files:
  .csv/.tsv   a header row naming the columns, one field per column in every row
              (pandas if installed); --sep and --decimal read e.g. ';'-separated
              files with decimal commas
  .parquet    needs pandas and pyarrow: pip install 'gmmkit[parquet]'
  .npy        a 2-D numeric array; columns are selected by 0-based index
  Without --columns the features are the numeric columns but the target; text
  columns and row-index columns (R's and pandas' row names, a 0..n-1 or 1..n
  counter) are left out with a note. The columns used are printed.
  --engine dask (fit, select, predict, score) reads DATA lazily: a directory or
  quoted glob of Parquet or CSV files, or a zarr store (a 2-D array, columns by
  index); it needs pip install 'gmmkit[dask]'."""


class _UsageError(Exception):
    """A combination of options that argparse cannot check; exits 2 with the usage line."""


def main(argv=None) -> int:
    """Run the ``gmmkit`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments after the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        Exit status: 0 on success, 1 on a run-time error, 2 on a usage error, 130 when
        interrupted.
    """
    try:  # parsing may import the numerics too (a --covariance value reads the registry)
        return _run(argv)
    except KeyboardInterrupt:
        print("gmmkit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _run(argv) -> int:
    parser = build_parser()
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # argparse leaves them to the top-level parser, whose usage is not the help
            args.parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    except SystemExit as exit_:
        return _exit_status(exit_.code)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return args.handler(args)
    except _UsageError as exc:
        try:
            parser_of_command: argparse.ArgumentParser = args.parser
            parser_of_command.error(str(exc))
        except SystemExit as exit_:
            return _exit_status(exit_.code)
    except Exception as exc:  # the CLI's contract: one line on stderr, never a traceback
        print(f"gmmkit: error: {_describe(exc)}", file=sys.stderr)
        return EXIT_ERROR


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser, one subparser per subcommand."""
    parser = argparse.ArgumentParser(
        prog="gmmkit",
        description="Fast, scikit-learn-compatible Gaussian mixture models.",
        epilog=f"""\
examples:
  gmmkit fit data.csv -k 3 --covariance full -o model.gmm
  gmmkit select data.csv -k 1:10 --covariance all --criterion bic --cv 5 -o sweep/
  gmmkit predict model.gmm new.csv --proba -o proba.csv
  gmmkit classify labelled.csv --target species -k auto -o classifier.gmm
  gmmkit COMMAND --help     (options and examples of one command)

{DATA_HELP}

{EXIT_STATUS_HELP}""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_fit_parser(subcommands)
    _add_select_parser(subcommands)
    _add_predict_parser(subcommands)
    _add_score_parser(subcommands)
    _add_sample_parser(subcommands)
    _add_classify_parser(subcommands)
    # light modules too; they import this one's helpers, so they are imported here
    from ._cli_bootstrap import add_bootstrap_parser
    from ._cli_lrt import add_lrt_parser

    add_lrt_parser(subcommands)
    add_bootstrap_parser(subcommands)
    _add_report_parser(subcommands)
    _add_tour_parser(subcommands)
    return parser


# ---------------------------------------------------------------------- parsers
def _subparser(subcommands, name, *, help, description, examples, handler, data=True):
    epilog = "examples:\n" + "\n".join(f"  {line}" for line in examples)
    if data:
        epilog += "\n\n" + DATA_HELP
    epilog += "\n\n" + EXIT_STATUS_HELP
    parser = subcommands.add_parser(
        name,
        help=help,
        description=textwrap.fill(description, 79),
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=handler, parser=parser)
    return parser


def _add_data_arguments(parser, *, target=None):
    """DATA, --columns, --keep-index-columns, --sep, --decimal, --drop-na and (``target`` =
    'required' or 'optional') --target."""
    parser.add_argument("data", type=Path, metavar="DATA", help="data file: .csv, .parquet or .npy")
    parser.add_argument(
        "--columns",
        type=_column_list,
        metavar="A,B,...",
        help="feature columns, by name or 0-based index, each numeric "
        "(default: every numeric column but the target and row indices)",
    )
    parser.add_argument(
        "--keep-index-columns",
        action="store_true",
        help="keep row-index columns (rownames, index, 'Unnamed: 0', a 0..n-1 "
        "or 1..n counter) among the default features",
    )
    parser.add_argument(
        "--sep",
        type=_separator,
        default=None,
        metavar="CHAR",
        help="field separator of a CSV: one character, or 'tab' (default: ',' "
        "for .csv, tab for .tsv)",
    )
    parser.add_argument(
        "--decimal",
        type=_decimal_mark,
        default=".",
        metavar="CHAR",
        help="decimal mark of a CSV's numbers, '.' or ',' (default: '.')",
    )
    if target is not None:
        parser.add_argument(
            "--target",
            required=target == "required",
            metavar="COLUMN",
            help="the label column, by name or index; labels may be text",
        )
    parser.add_argument(
        "--drop-na",
        action="store_true",
        help="drop rows with missing or infinite values instead of failing",
    )


def _add_engine(parser):
    """--engine and --scheduler (see :mod:`gmmkit._cli_dask`, imported only to run)."""
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="numpy",
        help="numpy: read DATA into memory (default); dask: read a directory "
        "or glob of Parquet or CSV files, or a zarr store, lazily and "
        "work block by block (needs pip install 'gmmkit[dask]')",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="with --engine dask: a distributed scheduler's address, or "
        "threads, processes or synchronous (default: a LocalCluster of "
        "this machine's cores, closed at the end)",
    )


def _add_fit_options(parser, *, seed_help="seed of the initialisations"):
    parser.add_argument(
        "--seed",
        type=_seed,
        default=0,
        metavar="N",
        help=f"{seed_help}, 0..{MAX_SEED} (default: 0)",
    )
    parser.add_argument(
        "--n-init",
        type=_positive_int,
        default=1,
        metavar="N",
        help="EM runs per model, the best kept (default: 1)",
    )
    parser.add_argument(
        "--reg-covar",
        type=_non_negative_float,
        default=1e-6,
        metavar="X",
        help="added to covariance diagonals (default: 1e-6)",
    )
    parser.add_argument(
        "--max-iter",
        type=_positive_int,
        default=100,
        metavar="N",
        help="EM iterations at most (default: 100)",
    )


def _add_standardize(parser, what="fit on"):
    parser.add_argument(
        "--standardize",
        action="store_true",
        help=f"{what} every feature centred and divided by its standard "
        "deviation; the saved model still answers in the data's units",
    )


def _add_prior(parser):
    parser.add_argument(
        "--prior",
        action="store_const",
        const="default",
        default=None,
        help="mclust's default conjugate prior (priorControl()): maximum a "
        "posteriori fits whose covariances never collapse",
    )


def _add_force(parser, what="the output file"):
    parser.add_argument("--force", action="store_true", help=f"overwrite {what}")


def _add_progress(parser):
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar on stderr (default: when stderr is a terminal)",
    )


def _add_fit_parser(subcommands):
    fit = _subparser(
        subcommands,
        "fit",
        handler=_with_engine(_run_fit, "standardize"),
        help="fit one Gaussian mixture and save it",
        description="Fit a Gaussian mixture with K components to the numeric columns of DATA "
        "and save it in gmmkit's safe model format (gmmkit.load reads it back).",
        examples=[
            "gmmkit fit data.csv -k 3 -o model.gmm",
            "gmmkit fit data.csv -k 4 --covariance diag --columns x,y --drop-na -o m.gmm",
            "gmmkit fit X.npy -k 2 --columns 0,2 --seed 1 -o m.gmm",
            "gmmkit fit parts/ -k 5 --engine dask --progress -o m.gmm   (Parquet files)",
        ],
    )
    _add_data_arguments(fit)
    fit.add_argument(
        "-k",
        "--components",
        dest="k",
        type=_one_k,
        required=True,
        metavar="K",
        help="number of components (gmmkit select sweeps a range)",
    )
    fit.add_argument(
        "--covariance",
        choices=_CovarianceTypes(),
        default="full",
        metavar="TYPE",
        help="covariance type: %(choices)s (default: full)",
    )
    _add_fit_options(fit)
    _add_prior(fit)
    _add_standardize(fit)
    _add_engine(fit)
    fit.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="with --engine dask, a progress bar over the EM iterations on "
        "stderr (default: when stderr is a terminal)",
    )
    fit.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="MODEL",
        help="model file to write, e.g. model.gmm",
    )
    _add_force(fit)


def _add_select_parser(subcommands):
    select = _subparser(
        subcommands,
        "select",
        handler=_with_engine(_run_select, "cv", "warm_start", "standardize"),
        help="sweep components x covariance types; save the table, best model and a plot",
        description="Fit a mixture for every number of components and covariance type, score "
        "each by BIC, AIC, ICL, silhouette (and held-out likelihood with --cv), "
        "print the table and write DIR/table.csv, DIR/best.gmm (the model chosen by "
        "--criterion) and DIR/selection.png (needs matplotlib).",
        examples=[
            "gmmkit select data.csv -k 1:20 -o sweep/",
            "gmmkit select data.csv -k 2:12:2 --covariance full,diag --criterion cv "
            "--cv 5 -o sweep/",
            "gmmkit select X.npy -k 1:8 --criterion icl --jobs 2 --force -o sweep/",
            "gmmkit select 'parts/*.parquet' -k 1:8 --engine dask --scheduler "
            "tcp://host:8786 -o sweep/",
        ],
    )
    _add_data_arguments(select)
    select.add_argument(
        "-k",
        "--components",
        dest="k",
        type=_k_range,
        default=range(1, 10),
        metavar="K|A:B[:STEP]",
        help="numbers of components: K, or A to B inclusive (default: 1:9, as mclust)",
    )
    select.add_argument(
        "--covariance",
        type=_covariance_list,
        default="sklearn",
        metavar="TYPES",
        choices=_CovarianceTypes(lists=True),
        help="'sklearn' (full, tied, diag, spherical), 'all' (mclust's models) or "
        "a comma-separated list of %(choices)s (default: sklearn)",
    )
    select.add_argument(
        "--criterion",
        choices=tuple(CRITERIA),
        default="bic",
        help="what chooses the best model (default: bic); cv needs --cv",
    )
    select.add_argument(
        "--cv",
        type=_folds,
        default=None,
        metavar="N",
        help="also score held-out log-likelihood over N folds",
    )
    select.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="parallel workers (-1: all cores; default: one)",
    )
    select.add_argument(
        "--warm-start",
        action="store_true",
        help="also fit each k from the previous k's fit with its widest "
        "components split, keeping whichever fits better (about twice "
        "the time; often much better mixtures)",
    )
    _add_fit_options(select, seed_help="seed of initialisations, folds and subsamples")
    _add_prior(select)
    _add_standardize(select, "sweep (and score silhouettes) with")
    _add_progress(select)
    _add_engine(select)
    select.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="DIR",
        help="output directory; created if missing, must be empty unless --force",
    )
    _add_force(select, "table.csv, best.gmm and selection.png in a non-empty DIR")


def _add_predict_parser(subcommands):
    predict = _subparser(
        subcommands,
        "predict",
        handler=_with_engine(_run_predict),
        help="components or classes of the rows of DATA, or their probabilities",
        description="Predict with a saved model: the most probable component (a mixture) or "
        "class (a classifier) of every row of DATA, or with --proba the probability "
        "of each. A model fitted on named columns reads the same columns by name. "
        "A .csv output has a 'row' column (the data row of DATA, counted from 1 as "
        "in error messages, so rows dropped by --drop-na stay traceable) and one "
        "column per output; a .npy output holds the values alone.",
        examples=[
            "gmmkit predict model.gmm new.csv -o labels.csv",
            "gmmkit predict model.gmm new.csv --proba -o proba.npy",
            "gmmkit predict model.gmm store.zarr --engine dask -o labels.csv",
        ],
    )
    predict.add_argument("model", type=Path, metavar="MODEL", help="a model saved by gmmkit")
    _add_data_arguments(predict)
    predict.add_argument(
        "--proba",
        action="store_true",
        help="write probabilities, one column per component or class",
    )
    predict.add_argument(
        "-o",
        "--output",
        type=_table_output,
        required=True,
        metavar="FILE",
        help="output file, .csv or .npy (--engine dask writes it block by block)",
    )
    _add_force(predict)
    _add_engine(predict)


def _add_score_parser(subcommands):
    score = _subparser(
        subcommands,
        "score",
        handler=_with_engine(_run_score),
        help="log-likelihood, BIC, AIC, ICL (and accuracy) of a model on DATA",
        description="Print the mean log-likelihood per row of DATA under a saved model, with the "
        "model's BIC, AIC and ICL on DATA where it defines them; with --target, a "
        "classifier's accuracy too. One 'name: value' line each.",
        examples=[
            "gmmkit score model.gmm test.csv",
            "gmmkit score classifier.gmm test.csv --target species",
        ],
    )
    score.add_argument("model", type=Path, metavar="MODEL", help="a model saved by gmmkit")
    _add_data_arguments(score, target="optional")
    _add_engine(score)


def _add_sample_parser(subcommands):
    sample = _subparser(
        subcommands,
        "sample",
        handler=_run_sample,
        data=False,
        help="draw rows from a saved model",
        description="Draw N rows from a saved model. A .csv output has the model's feature "
        "names as header plus a 'component' column (a 'class' column for a "
        "classifier); a .npy output holds the rows alone.",
        examples=[
            "gmmkit sample model.gmm -n 1000 -o draws.csv",
            "gmmkit sample classifier.gmm -n 50 --class setosa --seed 0 -o setosa.csv",
        ],
    )
    sample.add_argument("model", type=Path, metavar="MODEL", help="a model saved by gmmkit")
    sample.add_argument(
        "-n",
        "--n-samples",
        dest="n",
        type=_positive_int,
        required=True,
        metavar="N",
        help="number of rows to draw",
    )
    sample.add_argument(
        "--class",
        dest="class_",
        metavar="Y",
        help="draw every row from this class (a classifier model)",
    )
    sample.add_argument(
        "--seed",
        type=_seed,
        default=None,
        metavar="N",
        help="seed of the draws (default: fresh draws every run)",
    )
    sample.add_argument(
        "-o",
        "--output",
        type=_table_output,
        required=True,
        metavar="FILE",
        help="output file, .csv or .npy",
    )
    _add_force(sample)


def _add_classify_parser(subcommands):
    classify = _subparser(
        subcommands,
        "classify",
        handler=_run_classify,
        help="fit a mixture classifier; cross-validated accuracy; save it",
        description="Fit gmmkit.MixtureClassifier (one Gaussian mixture per class, Bayes' rule) "
        "to the feature columns of DATA and the labels in --target, print its "
        "stratified cross-validated accuracy next to a GaussianNB baseline, refit "
        "on every row and save the model.",
        examples=[
            "gmmkit classify iris.csv --target species -o classifier.gmm",
            "gmmkit classify data.csv --target label -k auto --covariance diag --cv 10 -o clf.gmm",
            "gmmkit classify data.npy --target -1 -k 1:6 -o clf.gmm",
            ("gmmkit classify iris.csv --target species -k 1:5 --covariance all -o mclustda.gmm"),
            ("gmmkit classify iris.csv --target species --mode edda --covariance all -o edda.gmm"),
        ],
    )
    _add_data_arguments(classify, target="required")
    classify.add_argument(
        "-k",
        "--components",
        dest="k",
        type=_k_classify,
        default="1",
        metavar="K|auto|1:B",
        help="components per class; 'auto' (or 1:B) chooses each class's "
        "number by BIC up to 10 (or B) (default: 1)",
    )
    classify.add_argument(
        "--covariance",
        type=_covariance_list,
        default="full",
        metavar="TYPES",
        choices=_CovarianceTypes(lists=True),
        help="a covariance type, or 'all' (mclust's 14 models), 'sklearn' or "
        "a comma-separated list of %(choices)s to choose from by BIC, "
        "class by class (with --mode edda, one for all classes) "
        "(default: full)",
    )
    classify.add_argument(
        "--mode",
        choices=("mixture", "edda"),
        default="mixture",
        help="mixture: one mixture per class (mclust's MclustDA); edda: one "
        "Gaussian per class, the covariance model's shared parts "
        "shared by all classes (mclust's EDDA; -k must be 1) "
        "(default: mixture)",
    )
    classify.add_argument(
        "--unlabeled",
        metavar="LABEL",
        default=None,
        help="the target value that marks a row without a label (e.g. -1): "
        "those rows join a semi-supervised fit (mclust's MclustSSC) "
        "and the accuracy is measured on the labelled rows (default: "
        "every value is a class)",
    )
    classify.add_argument(
        "--cv",
        type=_folds_or_zero,
        default=5,
        metavar="N",
        help="stratified folds for the accuracy; 0 skips it (default: 5)",
    )
    _add_fit_options(classify, seed_help="seed of the fits and the folds")
    _add_prior(classify)
    _add_standardize(classify, "fit every class's mixture with")
    _add_progress(classify)
    classify.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="MODEL",
        help="model file to write, e.g. classifier.gmm",
    )
    _add_force(classify)


def _add_report_parser(subcommands):
    report = _subparser(
        subcommands,
        "report",
        handler=_run_report,
        help="an HTML report on your data (selection, fits; classification with --target)",
        description="Write DIR/report.html with the sections that apply to DATA: the "
        "model-selection sweep and the chosen mixture, and with --target the "
        "classifiers' accuracy. Needs matplotlib.",
        examples=[
            "gmmkit report data.csv -o report/",
            "gmmkit report iris.csv --target species -k 1:6 --cv 5 -o report/",
        ],
    )
    _add_data_arguments(report, target="optional")
    report.add_argument(
        "-k",
        "--components",
        dest="k",
        type=_k_range,
        default=range(1, 10),
        metavar="K|A:B[:STEP]",
        help="numbers of components to sweep (default: 1:9)",
    )
    report.add_argument(
        "--covariance",
        type=_covariance_list,
        default="sklearn",
        metavar="TYPES",
        choices=_CovarianceTypes(lists=True),
        help="'sklearn' (full, tied, diag, spherical), 'all' (mclust's models) or "
        "a comma-separated list of %(choices)s (default: sklearn)",
    )
    report.add_argument(
        "--cv",
        type=_folds_or_zero,
        default=5,
        metavar="N",
        help="cross-validation folds; 0 skips cross-validation (default: 5)",
    )
    report.add_argument(
        "--lrt-bootstrap",
        type=_non_negative_int,
        default=99,
        metavar="N",
        help="without --target: replicates per test of the bootstrap "
        "likelihood-ratio test for the number of components; 0 skips it "
        "(default: 99)",
    )
    _add_fit_options(report, seed_help="seed of every fit, fold and sample")
    report.add_argument(
        "--standardize",
        action="store_true",
        help="sweep with every feature centred and divided by its standard "
        "deviation; the chosen mixture answers in the data's units (the "
        "report suggests it when feature scales differ over 100x)",
    )
    _add_progress(report)
    report.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="DIR",
        help="output directory; created if missing, must be empty unless --force",
    )
    _add_force(report, "the report's files in a non-empty DIR")


def _add_tour_parser(subcommands):
    tour = _subparser(
        subcommands,
        "tour",
        handler=_run_tour,
        data=False,
        help="the whole story on two moons and the digits, as one HTML report",
        description=(
            "Run the five studies on bundled data (two-moons clustering, model selection, "
            "posterior classification, generation, and the handwritten digits) and write a "
            "self-contained report.html, the figures as PNG under figures/, every metric in "
            "metrics.json and summary.csv into DIR. Needs matplotlib (pip install gmmkit[plot])."
        ),
        examples=["gmmkit tour -o tour-output", "gmmkit tour -o tour-output --quick"],
    )
    tour.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        metavar="DIR",
        help="output directory; created if missing, must be empty unless --force",
    )
    tour.add_argument(
        "--quick",
        action="store_true",
        help="smaller data and sweeps: about ten seconds instead of a minute",
    )
    tour.add_argument(
        "--force",
        action="store_true",
        help="write into a non-empty DIR, replacing files with the tour's names",
    )
    tour.add_argument(
        "--seed",
        type=_seed,
        default=0,
        metavar="N",
        help=f"seed of data, fits and samples, 0..{MAX_SEED} (default: 0)",
    )
    _add_progress(tour)


# ---------------------------------------------------------------------- commands
def _with_engine(command, *in_memory_only):
    """``command`` run under ``--engine``: with dask, first refusing the options it cannot
    honour (``in_memory_only``, by their ``args`` names) and inside the chosen scheduler
    (:func:`gmmkit._cli_dask.scheduler`), which is closed when the command ends."""

    def run(args) -> int:
        if args.engine != "dask":
            return command(args)
        given = [
            f"--{name.replace('_', '-')}"
            for name in in_memory_only
            if getattr(args, name) not in (None, False)
        ]
        if given:
            raise _UsageError(
                f"{', '.join(given)} cannot be used with --engine dask "
                "(only with the in-memory engine)"
            )
        from ._cli_dask import scheduler
        from ._data import DataError

        with scheduler(args.scheduler):
            try:
                return command(args)
            except ValueError as exc:  # the engine finds missing values in the pass that reads them
                if "NaN or infinity" not in str(exc) or args.drop_na:
                    raise
                raise DataError(
                    f"{_describe(exc)}; pass --drop-na to drop rows with missing or infinite values"
                ) from None

    return run


def _run_fit(args) -> int:
    from ._data import check_new_file, plural
    from .mixture import GaussianMixture
    from .persistence import save
    from .standardizing import fit_standardized

    check_new_file(args.output, args.force)
    data = _read(args)
    model = GaussianMixture(
        n_components=args.k,
        covariance_type=args.covariance,
        n_init=args.n_init,
        reg_covar=args.reg_covar,
        max_iter=args.max_iter,
        random_state=args.seed,
        prior=args.prior,
    )
    if args.standardize:
        model = fit_standardized(model, data.frame())
    elif args.engine == "dask":
        from ._cli_dask import iteration_progress

        with iteration_progress(model, _progress_wanted(args)):
            model.fit(data.frame())
    else:
        model.fit(data.frame())
    _keep_feature_names(model, data)
    save(model, args.output, overwrite=args.force)
    n, d = data.X.shape
    criteria = _quiet_names(model.criteria, data.frame())
    state = "converged" if model.converged_ else "did NOT converge"
    fitted_as = (
        f"{args.covariance} covariance on standardized features, saved as "
        f"{model.covariance_type} in the data's units"
        if args.standardize
        else f"{args.covariance} covariance"
    )
    print(
        f"fitted GaussianMixture: {plural(args.k, 'component')}, {fitted_as}, "
        f"{plural(n, 'row')} x {plural(d, 'feature')}{_names_suffix(data.feature_names)}"
    )
    print(
        f"EM {state} after {model.n_iter_} iterations; log-likelihood per row "
        f"{criteria['log_likelihood']:.4f}, BIC {criteria['bic']:.2f}, "
        f"AIC {criteria['aic']:.2f}, ICL {criteria['icl']:.2f}"
    )
    if model.ill_posed_ is not None:
        print(
            f"warning: the fit is ill-posed ({model.ill_posed_}): its likelihood and "
            f"criteria reflect reg_covar more than the data; use fewer components or a "
            f"more constrained --covariance"
        )
    print(f"saved {args.output}")
    return EXIT_OK


def _run_select(args) -> int:
    from ._data import plural, write_csv
    from ._staging import prepare_output_dir, staged_output
    from .persistence import save
    from .report.output import check_output_dir
    from .selection import TABLE_COLUMNS, select

    if args.criterion == "cv" and args.cv is None:
        raise _UsageError("--criterion cv needs --cv N (the number of folds)")
    check_output_dir(args.output, args.force)
    data = _read(args)
    # Before the sweep, so an unwritable path fails at once.
    prepare_output_dir(args.output)
    result = select(
        data.X,
        n_components=args.k,
        covariance_type=args.covariance,
        criterion=args.criterion,
        cv=args.cv,
        n_init=args.n_init,
        reg_covar=args.reg_covar,
        max_iter=args.max_iter,
        random_state=args.seed,
        n_jobs=args.jobs,
        progress=_progress_wanted(args),
        warm_start=args.warm_start,
        standardize=args.standardize,
        prior=args.prior,
    )
    best = result.best_estimator_
    _keep_feature_names(best, data)
    rows = result.records()
    with staged_output(args.output, owned=SELECT_OUTPUTS) as staging:
        table_path, model_path = staging.path / "table.csv", staging.path / "best.gmm"
        write_csv(
            table_path, TABLE_COLUMNS, [[row[name] for row in rows] for name in TABLE_COLUMNS]
        )
        save(best, model_path, overwrite=True)
        written = [table_path, model_path]
        figure_path = _save_selection_figure(result, staging.path / "selection.png")
        if figure_path is not None:
            written.append(figure_path)
    written = [staging.final(path) for path in written]
    print(_format_selection(rows, result.best_index_, with_cv=args.cv is not None))
    params = result.best_params_
    n, d = data.X.shape
    print(
        f"\nbest by {args.criterion}: {plural(params['n_components'], 'component')}, "
        f"{params['covariance_type']} covariance ({plural(n, 'row')} x "
        f"{plural(d, 'feature')})"
    )
    print("wrote " + ", ".join(str(path) for path in written))
    return EXIT_OK


def _run_predict(args) -> int:
    import numpy as np

    from ._data import check_new_file, plural

    check_new_file(args.output, args.force)
    model = _load_model(args.model)
    data, X = _read_for_model(model, args)
    name = type(model).__name__
    if args.proba:
        if not hasattr(model, "predict_proba"):
            raise ValueError(f"a {name} has no probabilities to predict; drop --proba")
        values = _quiet_names(model.predict_proba, X)
        classes = getattr(model, "classes_", None)
        labels = classes if classes is not None else range(values.shape[1])
        header = [f"proba_{label}" for label in labels]
    else:
        if not hasattr(model, "predict"):
            raise ValueError(f"a {name} does not predict; it can be sampled or scored")
        values = _quiet_names(model.predict, X)
        header = [_output_name(model)]
    # Counted from 1, as the error messages about data rows count them.
    if args.engine == "dask":
        from ._cli_dask import stream_table

        classes = getattr(model, "classes_", None)
        labels_dtype = (
            None
            if args.proba or classes is None or np.asarray(classes).dtype.kind != "O"
            else np.asarray(classes).astype(str).dtype
        )
        n_rows = stream_table(args.output, ["row", *header], data.rows, values, labels_dtype)
    else:
        columns = list(values.T) if args.proba else [values]
        _write_table(args.output, ["row", *header], [data.rows + 1, *columns], values)
        n_rows = len(data.rows)
    what = "probabilities" if args.proba else f"{header[0]} labels"
    print(f"wrote {what} of {plural(n_rows, 'row')} to {args.output}")
    return EXIT_OK


def _run_score(args) -> int:
    from sklearn.base import is_classifier

    model = _load_model(args.model)
    data, X = _read_for_model(model, args)
    lines = [("rows", str(data.X.shape[0]))]
    if args.engine == "dask" and hasattr(model, "criteria"):
        # one pass for the log-likelihood and every criterion, not one each
        criteria = _quiet_names(model.criteria, X)
        lines.append(("log_likelihood_per_row", f"{criteria['log_likelihood']:.6g}"))
        lines += [(name, f"{criteria[name]:.6g}") for name in INFORMATION_CRITERIA]
    else:
        if hasattr(model, "score_samples"):
            mean = float(_quiet_names(model.score_samples, X).mean())
            lines.append(("log_likelihood_per_row", f"{mean:.6g}"))
        for criterion in INFORMATION_CRITERIA:
            if hasattr(model, criterion):
                value = float(_quiet_names(getattr(model, criterion), X))
                lines.append((criterion, f"{value:.6g}"))
    if data.y is not None:
        if not is_classifier(model):
            raise ValueError(
                f"--target needs a classifier model; {str(args.model)!r} holds a "
                f"{type(model).__name__}"
            )
        accuracy = float(_quiet_names(model.score, X, data.y))
        lines.append(("accuracy", f"{accuracy:.6g}"))
    for name, text in lines:
        print(f"{name}: {text}")
    return EXIT_OK


def _run_sample(args) -> int:
    from ._data import check_new_file, plural

    check_new_file(args.output, args.force)
    model = _load_model(args.model)
    name = type(model).__name__
    if not hasattr(model, "sample"):
        raise ValueError(f"a {name} cannot be sampled")
    options = {}
    classes = getattr(model, "classes_", None)
    if args.class_ is not None:
        if classes is None or "y" not in inspect.signature(model.sample).parameters:
            raise ValueError(
                f"--class needs a model with classes (gmmkit classify makes one); "
                f"{str(args.model)!r} holds a {name}"
            )
        matches = [label for label in classes if str(label) == args.class_]
        if not matches:
            raise ValueError(
                f"class {args.class_!r} is not one of the model's classes: "
                f"{', '.join(str(label) for label in classes)}"
            )
        options["y"] = matches[0]
    X, labels = model.sample(args.n, random_state=args.seed, **options)
    names = getattr(model, "feature_names_in_", None)
    header = [str(n) for n in names] if names is not None else [f"x{j}" for j in range(X.shape[1])]
    label_name = "class" if classes is not None else "component"
    _write_table(args.output, [*header, label_name], [*X.T, labels], X)
    print(f"wrote {plural(args.n, 'row')} drawn from the {name} to {args.output}")
    return EXIT_OK


def _run_classify(args) -> int:
    import numpy as np

    from ._data import DataError, check_new_file, plural
    from .classification import MixtureClassifier
    from .persistence import save

    k, max_components = args.k
    if args.mode == "edda" and k != 1:
        raise _UsageError(
            f"--mode edda fits one Gaussian per class: -k must be 1, got "
            f"{'auto' if k == 'auto' else k}"
        )
    check_new_file(args.output, args.force)
    data = _read(args)
    marker, unlabelled = _unlabelled_rows(data.y, args.unlabeled)
    classes, counts = np.unique(data.y[~unlabelled], return_counts=True)
    if len(classes) < 2:
        raise DataError(
            f"--target column {args.target!r} has a single class "
            f"({str(classes[0])!r}); classify needs at least two"
        )
    covariance = args.covariance
    if isinstance(covariance, list) and len(covariance) == 1:
        covariance = covariance[0]
    model = MixtureClassifier(
        n_components=k,
        max_components=max_components,
        covariance_type=covariance,
        mode=args.mode,
        n_init=args.n_init,
        reg_covar=args.reg_covar,
        max_iter=args.max_iter,
        random_state=args.seed,
        standardize=args.standardize,
        prior=args.prior,
        unlabeled=marker,
    )
    n, d = data.X.shape
    print(
        f"{plural(n, 'row')} x {plural(d, 'feature')}{_names_suffix(data.feature_names)}; "
        f"{len(classes)} classes: "
        + ", ".join(f"{label} ({count})" for label, count in zip(classes, counts))
    )
    if unlabelled.any():
        print(
            f"{plural(int(unlabelled.sum()), 'row')} without a label ({args.unlabeled}): "
            "semi-supervised fit; accuracies are on the labelled rows"
        )
    if args.cv:
        smallest = int(np.argmin(counts))
        if counts[smallest] < args.cv:
            raise DataError(
                f"class {str(classes[smallest])!r} has "
                f"{plural(counts[smallest], 'row')}, fewer "
                f"than the {args.cv} cross-validation folds; pass a smaller --cv "
                f"(or --cv 0 to skip it)"
            )
        scores, baseline = _cross_validate(
            model, data.X, data.y, args.cv, args.seed, _progress_wanted(args), unlabelled
        )
        print(
            f"cross-validated accuracy ({args.cv}-fold): {scores.mean():.4f} ± {scores.std():.4f}"
        )
        print(
            f"GaussianNB baseline ({args.cv}-fold):      {baseline.mean():.4f} "
            f"± {baseline.std():.4f}"
        )
    model.fit(data.frame(), data.y)
    _keep_feature_names(model, data)
    save(model, args.output, overwrite=args.force)
    labelled = ~unlabelled
    accuracy = _quiet_names(model.score, data.frame()[labelled], data.y[labelled])
    if args.mode == "edda":
        print(
            f"EDDA model: {model.covariance_type_} (BIC "
            f"{_quiet_names(model.bic, data.frame()):.4f}; candidates: "
            + ", ".join(f"{row['covariance_type']} {row['bic']:.2f}" for row in model.model_table_)
            + ")"
        )
        print(f"training accuracy: {accuracy:.4f}")
    else:
        swept = not isinstance(covariance, str) or covariance in ("all", "sklearn")
        components = ", ".join(
            f"{label}: {int(c)}" + (f" ({name})" if swept else "")
            for label, c, name in zip(classes, model.n_components_, model.covariance_types_)
        )
        print(f"training accuracy: {accuracy:.4f}; components per class: {components}")
    print(f"saved {args.output}")
    return EXIT_OK


def _run_report(args) -> int:
    from .report.output import check_output_dir

    check_output_dir(args.output, args.force)
    data = _read(args)
    from .report import run_data_report

    run_data_report(
        data.X,
        args.output,
        y=data.y,
        feature_names=data.feature_names,
        n_components=args.k,
        covariance_type=args.covariance,
        cv=args.cv or None,
        seed=args.seed,
        n_init=args.n_init,
        reg_covar=args.reg_covar,
        max_iter=args.max_iter,
        force=args.force,
        stream=sys.stdout,
        progress=_progress_wanted(args),
        standardize=args.standardize,
        lrt_bootstrap=args.lrt_bootstrap,
    )
    return EXIT_OK


def _run_tour(args) -> int:
    from .tour import run_tour

    run_tour(
        args.output,
        quick=args.quick,
        force=args.force,
        seed=args.seed,
        progress=_progress_wanted(args),
    )
    return EXIT_OK


# ---------------------------------------------------------------------- helpers of the commands
def _read(args, columns=None, needed_by=None):
    """Read ``args.data`` with the command's data options; name the feature columns on
    stdout, and the columns left out and rows dropped on stderr."""
    from ._data import plural, read_data

    if getattr(args, "engine", "numpy") == "dask":
        from ._cli_dask import read_lazy as read_data
    data = read_data(
        args.data,
        columns=args.columns if columns is None else columns,
        target=getattr(args, "target", None),
        drop_na=args.drop_na,
        needed_by=needed_by,
        keep_index=args.keep_index_columns,
        sep=args.sep,
        decimal=args.decimal,
    )
    for note in data.notes:
        print(f"gmmkit: note: {note}", file=sys.stderr)
    print(f"using {plural(len(data.columns), 'feature column')}: {', '.join(data.columns)}")
    if data.n_dropped:
        print(
            f"gmmkit: note: dropped {plural(data.n_dropped, 'row')} with missing or infinite "
            f"values from {str(args.data)!r}",
            file=sys.stderr,
        )
    return data


def _read_for_model(model, args):
    """The rows of ``args.data`` a saved model needs: its fitted columns by name when it
    remembers them and the file has names; returns ``(data, X for the model)``."""
    names = getattr(model, "feature_names_in_", None)
    columns, needed_by = None, None
    if args.columns is None and names is not None and not _nameless(args):
        columns = [str(name) for name in names]
        needed_by = f"the model, fitted on columns {', '.join(columns)}"
    data = _read(args, columns=columns, needed_by=needed_by)
    named = names is not None and data.feature_names is not None
    return data, data.frame() if named else data.X


def _nameless(args) -> bool:
    """Whether ``args.data``'s columns have no names (a .npy file, a zarr store)."""
    if args.data.suffix.lower() == ".npy":
        return True
    if getattr(args, "engine", "numpy") == "dask":
        from ._cli_dask import is_zarr_store

        return is_zarr_store(args.data)
    return False


def _load_model(path):
    from ._data import DataError
    from .persistence import load

    if not path.exists():
        raise DataError(f"model file {str(path)!r} does not exist")
    if path.is_dir():
        raise DataError(f"model file {str(path)!r} is a directory")
    return load(path)


def _keep_feature_names(model, data):
    """Record the column names on a model fitted without them (no pandas, or a sweep), so
    ``predict`` and ``score`` later read the same columns by name."""
    import numpy as np

    if data.feature_names is not None and not hasattr(model, "feature_names_in_"):
        model.feature_names_in_ = np.asarray(data.feature_names, dtype=object)


def _quiet_names(method, *args):
    """Call ``method`` without scikit-learn's warning about a plain array for a model fitted
    on named columns: a .npy file has no names, and its columns are taken in order."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        return method(*args)


def _output_name(model):
    from sklearn.base import is_classifier, is_regressor

    if is_classifier(model):
        return "class"
    return "prediction" if is_regressor(model) else "component"


def _write_table(path, header, columns, array):
    """``header`` and ``columns`` to a .csv; the bare ``array`` to a .npy."""
    from ._data import write_csv, write_npy

    if path.suffix.lower() == ".npy":
        write_npy(path, array)
    else:
        write_csv(path, header, columns)


def _cross_validate(model, X, y, n_folds, seed, progress, unlabelled):
    """Stratified k-fold accuracies of ``model`` and of a GaussianNB baseline, over the
    labelled rows; every ``unlabelled`` row joins each of ``model``'s training folds."""
    import numpy as np
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold
    from sklearn.naive_bayes import GaussianNB

    from ._progress import progress_bar

    labelled, extra = np.flatnonzero(~unlabelled), np.flatnonzero(unlabelled)
    folds = [
        (labelled[train], labelled[test])
        for train, test in StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(
            X[labelled], y[labelled]
        )
    ]
    bar = progress_bar(len(folds), "gmmkit.classify", "fold", enabled=progress)
    scores, baseline = [], []
    try:
        for train, test in folds:
            rows = np.concatenate([train, extra])
            fitted = clone(model).fit(X[rows], y[rows])
            scores.append(fitted.score(X[test], y[test]))
            baseline.append(GaussianNB().fit(X[train], y[train]).score(X[test], y[test]))
            bar.update(1)
    finally:
        bar.close()
    return np.array(scores), np.array(baseline)


def _unlabelled_rows(y, text):
    """The ``unlabeled`` marker for MixtureClassifier from ``--unlabeled`` (a number when the
    target column is numeric) and the rows it marks; (None, no rows) without the option."""
    import numpy as np

    from ._data import DataError

    if text is None:
        return None, np.zeros(len(y), dtype=bool)
    marker = text
    if y.dtype.kind in "iuf":
        try:
            marker = float(text)
        except ValueError:
            raise DataError(
                f"--unlabeled {text!r}: the target column is numeric, so the "
                "marker must be a number"
            ) from None
        marker = int(marker) if marker.is_integer() else marker
    mask = np.asarray(y == marker, dtype=bool)
    if not mask.any():
        raise DataError(f"--unlabeled {text!r}: no row of the target column has that value")
    return marker, mask


def _progress_wanted(args):
    return sys.stderr.isatty() if args.progress is None else args.progress


def _save_selection_figure(result, path):
    """Save :func:`gmmkit.plotting.plot_selection` as PNG; None (and a note) without matplotlib."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(
            f"gmmkit: note: matplotlib is not installed, so {path.name} was not drawn; "
            f"install it with: pip install 'gmmkit[plot]'",
            file=sys.stderr,
        )
        return None
    from .plotting import plot_selection
    from .report.figures import FIGURE_DPI

    plot_selection(result).savefig(path, dpi=FIGURE_DPI, format="png")
    return path


def _format_selection(rows, best_index, *, with_cv):
    """The sweep as a fixed-width table; the chosen row is marked with ``*``."""
    from ._data import plural
    from ._mclust_plots import model_name

    columns = [
        ("covariance", 10, "covariance_type", "{}"),
        ("model", 5, "model", "{}"),
        ("k", 3, "n_components", "{:d}"),
        ("BIC", 12, "bic", "{:.2f}"),
        ("AIC", 12, "aic", "{:.2f}"),
        ("ICL", 12, "icl", "{:.2f}"),
        ("loglik/n", 10, "log_likelihood", "{:.4f}"),
        ("silhouette", 10, "silhouette", "{:.3f}"),
    ]
    if with_cv:
        columns += [("cv_mean", 10, "cv_mean", "{:.4f}"), ("cv_std", 8, "cv_std", "{:.4f}")]
    columns += [
        ("iter", 5, "n_iter", "{:d}"),
        ("converged", 9, "converged", "{}"),
        ("ill-posed", 9, "ill_posed", "{}"),
        ("seconds", 8, "fit_seconds", "{:.3f}"),
    ]
    lines = ["  " + " ".join(f"{title:>{width}}" for title, width, _, _ in columns)]
    for index, row in enumerate(rows):
        fitted = row.get("error") is None
        shown = dict(
            row,
            model=model_name(row["covariance_type"]),
            converged=("yes" if row["converged"] else "no") if fitted else None,
            ill_posed=("yes" if row.get("ill_posed") else "no") if fitted else None,
        )
        cells = [f"{_cell(shown[key], form):>{width}}" for _, width, key, form in columns]
        mark = "*" if index == best_index else " "
        note = f"  failed: {row['error']}" if row.get("error") else ""
        lines.append(f"{mark} " + " ".join(cells) + note)
    n_ill = sum(bool(row.get("ill_posed")) for row in rows)
    if n_ill:
        example = next(row for row in rows if row.get("ill_posed"))
        lines.append(
            f"\n{plural(n_ill, 'configuration')} ill-posed, never chosen (e.g. "
            f"{example['covariance_type']} k={example['n_components']}: "
            f"{example['ill_posed_reason']}); every reason is in table.csv"
        )
    return "\n".join(lines)


def _cell(value, form):
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return form.format(int(value) if form == "{:d}" else value)


def _names_suffix(names):
    if not names:
        return ""
    shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    return f" ({shown})"


# ---------------------------------------------------------------------- argument types
def _seed(text):
    """Parse a seed accepted by NumPy's RandomState."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer seed, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"seed must be in 0..{MAX_SEED}, got {value}")
    return value


def _int_at_least(text, lowest, expected):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if value < lowest:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {value}")
    return value


def _positive_int(text):
    return _int_at_least(text, 1, "a positive integer")


def _non_negative_int(text):
    return _int_at_least(text, 0, "an integer >= 0")


def _fraction(text):
    """A number strictly between 0 and 1 (a test's level, an interval's coverage)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(
            f"expected a number strictly between 0 and 1, got {text!r}"
        )
    return value


def _png_path(text):
    """A ``--plot`` file, which must end in ``.png``."""
    path = Path(text)
    if path.suffix.lower() != ".png":
        raise argparse.ArgumentTypeError(
            f"--plot writes a PNG: the file must end in .png, got {text!r}"
        )
    return path


def _non_negative_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


def _folds(text):
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 2:
        raise argparse.ArgumentTypeError(f"expected a number of folds >= 2, got {text!r}")
    return value


def _folds_or_zero(text):
    return 0 if text.strip() == "0" else _folds(text)


def _k_range(text):
    """``K``, ``A:B`` (inclusive) or ``A:B:STEP``, positive integers, as a range."""
    parts = text.split(":")
    try:
        numbers = [int(part) for part in parts]
    except ValueError:
        numbers = []
    if not 1 <= len(parts) <= 3 or len(numbers) != len(parts):
        raise argparse.ArgumentTypeError(
            f"expected K, A:B or A:B:STEP (positive integers, A:B inclusive), got {text!r}"
        )
    if min(numbers) < 1:
        raise argparse.ArgumentTypeError(
            f"numbers of components must be positive integers, got {text!r}"
        )
    start, stop = numbers[0], numbers[1] if len(numbers) > 1 else numbers[0]
    if stop < start:
        raise argparse.ArgumentTypeError(f"empty range {text!r}: {start} is above {stop}")
    return range(start, stop + 1, numbers[2] if len(numbers) == 3 else 1)


def _one_k(text):
    """One number of components."""
    components = _k_range(text)
    if len(components) != 1:
        raise argparse.ArgumentTypeError(
            f"fit fits one mixture: expected one number of components, got {text!r}; "
            f"gmmkit select sweeps a range"
        )
    return components[0]


def _k_classify(text):
    """``K`` per class, or ``auto`` / ``1:B`` (each class's number by BIC up to 10 / B), as
    ``(n_components, max_components)``."""
    if text.strip().lower() == "auto":
        return "auto", 10
    components = _k_range(text)
    if len(components) == 1:
        return components[0], 10
    if components.start != 1 or components.step != 1:
        raise argparse.ArgumentTypeError(
            f"a range for classify is 1:B (each class's number chosen up to B), got {text!r}"
        )
    return "auto", components[-1]


def _covariance_list(text):
    """``all``, ``sklearn`` or a comma-separated list of registered covariance types."""
    if text.strip() in ("all", "sklearn"):
        return text.strip()
    names = [name.strip() for name in text.split(",")]
    registered = _registered_covariance_types()
    for name in names:
        if name not in registered:
            raise argparse.ArgumentTypeError(
                f"unknown covariance type {name!r}; expected 'all', 'sklearn' or a "
                f"comma-separated list of {', '.join(registered)}"
            )
    return list(dict.fromkeys(names))


class _CovarianceTypes:
    """The registered covariance types as argparse ``choices``, read from the registry each time
    argparse asks (a value to check, the help, an invalid-choice message), never when the parser
    is built: the registry imports numpy and scipy, which ``--help`` does without. Models
    registered before parsing are choices.

    ``lists=True``: the values are those of :func:`_covariance_list`, ``'all'`` or a list of
    types; the choices are still listed as single types.
    """

    def __init__(self, *, lists=False):
        self.lists = lists

    def __iter__(self):
        return iter(_registered_covariance_types())

    def __contains__(self, value):
        registered = _registered_covariance_types()
        if self.lists and not isinstance(value, str):
            return all(name in registered for name in value)
        return value in registered or (self.lists and value in ("all", "sklearn"))


def _registered_covariance_types():
    from ._core.covariances import covariance_types

    return covariance_types()


def _separator(text):
    """Parse --sep: one character, or 'tab' (or a typed '\\t') for a tab."""
    if text.lower() in ("tab", "\\t"):
        return "\t"
    if len(text) != 1 or text in '\r\n"':
        raise argparse.ArgumentTypeError(
            f"expected one separator character such as ';' or 'tab', got {text!r}"
        )
    return text


def _decimal_mark(text):
    if text not in (".", ","):
        raise argparse.ArgumentTypeError(f"expected '.' or ',', got {text!r}")
    return text


def _column_list(text):
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated column names or indices, got {text!r}"
        )
    return names


def _table_output(text):
    from ._data import OUTPUT_SUFFIXES

    path = Path(text)
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise argparse.ArgumentTypeError(
            f"output file must end in {' or '.join(OUTPUT_SUFFIXES)}, got {text!r}"
        )
    return path


# ---------------------------------------------------------------------- errors
def _describe(exc):
    """One line for an exception: its message, prefixed by its type unless expected."""
    message = " ".join(str(exc).split()) or "(no message)"
    if isinstance(exc, ModuleNotFoundError) and exc.name in EXTRAS:
        return (
            f"{exc.name} is needed here and is not installed; install it with: "
            f"pip install 'gmmkit[{EXTRAS[exc.name]}]'"
        )
    if isinstance(exc, (OSError, ValueError, TypeError)) or _is_gmmkit_error(exc):
        return message
    return f"{type(exc).__name__}: {message}"


def _is_gmmkit_error(exc):
    """gmmkit's own exception classes (TourError, DataError...) carry messages for users."""
    return type(exc).__module__.split(".")[0] == "gmmkit"


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"gmmkit: warning: {' '.join(str(message).split())}", file=sys.stderr)


def _exit_status(code):
    """Exit status from ``SystemExit.code`` (None means success, a message means failure)."""
    if code is None:
        return EXIT_OK
    return code if isinstance(code, int) else EXIT_ERROR
