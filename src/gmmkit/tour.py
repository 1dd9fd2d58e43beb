"""``gmmkit tour``: run the studies, print a summary table and save figures and metrics.

The computation lives in :mod:`gmmkit.studies`; this module only orchestrates it, formats the
numbers and writes files.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path

from . import __version__
from .studies import ROW_FIELDS, STUDIES, best_row

FIGURE_DPI = 110
CRITERIA = ("bic", "aic", "icl")
TABLE_COLUMNS = (
    # (header, width, row key, format)
    ("dataset", 8, "dataset", "{}"),
    ("covariance", 10, "covariance_type", "{}"),
    ("k", 4, "n_components", "{:d}"),
    ("loglik/n", 10, "loglik_per_sample", "{:.4f}"),
    ("BIC", 11, "bic", "{:.1f}"),
    ("AIC", 11, "aic", "{:.1f}"),
    ("ICL", 11, "icl", "{:.1f}"),
    ("silhouette", 10, "silhouette", "{:.3f}"),
    ("iter", 5, "n_iter", "{:d}"),
    ("seconds", 8, "fit_seconds", "{:.3f}"),
)


class TourError(Exception):
    """A problem the user can fix (output directory, missing extra); reported in one line."""


def run_tour(out_dir, *, quick=False, force=False, seed=0, stream=None):
    """Run every study, write its figures and metrics into ``out_dir`` and print a summary.

    Parameters
    ----------
    out_dir : str or Path
        Output directory; created if missing. It must be empty unless ``force`` is True.
    quick : bool, default=False
        Use the studies' small settings (well under a minute).
    force : bool, default=False
        Write into a non-empty directory, replacing files with the tour's names
        (``*.png``, ``summary.json``, ``summary.csv``); other files are left alone.
    seed : int, default=0
        Seed of the data sets, the mixtures and the generated samples.
    stream : file-like, default=None
        Where the summary goes; ``sys.stdout`` when None.

    Returns
    -------
    dict
        The summary written to ``summary.json``.

    Raises
    ------
    TourError
        When ``out_dir`` is not empty and ``force`` is False, is not a directory, or when
        matplotlib is not installed. Nothing is written then.
    """
    stream = sys.stdout if stream is None else stream
    out_dir = Path(out_dir)
    check_output_dir(out_dir, force)
    require_matplotlib()
    # Created before the long computation so an unwritable path fails at once.
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    results, figures = [], {}
    for study in STUDIES.values():
        result = study.run(quick=quick, seed=seed)
        results.append(result)
        figures.update(study.figures(result))
    summary = summarise(results, quick=quick, seed=seed, figure_names=list(figures))
    summary["compute_seconds"] = time.perf_counter() - start
    written = write_outputs(out_dir, figures, summary)
    stream.write(format_report(summary, written))
    return summary


def check_output_dir(out_dir, force):
    """Refuse an output path that would make the tour overwrite a user's files.

    Parameters
    ----------
    out_dir : Path
    force : bool

    Raises
    ------
    TourError
        When ``out_dir`` exists but is not a directory, or is a non-empty directory and
        ``force`` is False.
    """
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise TourError(f"output path {str(out_dir)!r} exists and is not a directory")
    if not force and any(out_dir.iterdir()):
        raise TourError(
            f"output directory {str(out_dir)!r} is not empty; choose another directory "
            "or pass --force to overwrite the tour's files in it"
        )


def require_matplotlib():
    """Raise :class:`TourError` with the install command when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise TourError(
            "gmmkit tour draws figures and needs matplotlib; install it with: "
            "pip install gmmkit[plot]"
        ) from None


def summarise(results, *, quick, seed, figure_names):
    """Gather every study's rows and facts into one JSON-ready summary.

    Parameters
    ----------
    results : list of StudyResult
    quick : bool
    seed : int
    figure_names : list of str
        Figure names without extension.

    Returns
    -------
    dict
        ``rows`` (every metric of every fit), ``datasets`` (facts and the best model by each
        criterion, per data set), ``figures`` (file names), the run settings and the version.
    """
    datasets = {}
    for result in results:
        best = {criterion: _model_id(best_row(result.rows, criterion), criterion)
                for criterion in CRITERIA}
        datasets[result.name] = {**result.info, "best": best}
    return {
        "gmmkit_version": __version__,
        "quick": bool(quick),
        "seed": int(seed),
        "datasets": datasets,
        "rows": [row for result in results for row in result.rows],
        "figures": [f"{name}.png" for name in figure_names],
    }


def write_outputs(out_dir, figures, summary):
    """Save every figure as PNG plus ``summary.json`` and ``summary.csv`` into ``out_dir``.

    Parameters
    ----------
    out_dir : Path
        An existing directory.
    figures : dict of str to matplotlib.figure.Figure
    summary : dict
        As returned by :func:`summarise`.

    Returns
    -------
    list of Path
        The files written, in order.
    """
    written = []
    for name, figure in figures.items():
        path = out_dir / f"{name}.png"
        figure.savefig(path, dpi=FIGURE_DPI, format="png")
        written.append(path)
    json_path = out_dir / "summary.json"
    json_path.write_text(_to_json(summary), encoding="utf-8")
    csv_path = out_dir / "summary.csv"
    write_csv(csv_path, summary["rows"])
    return written + [json_path, csv_path]


def write_csv(path, rows):
    """Write metric rows to ``path``, one column per key of ``ROW_FIELDS``.

    An undefined silhouette is an empty cell; warnings are joined with `` | ``.
    """
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=ROW_FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row,
                             "silhouette": "" if row["silhouette"] is None else row["silhouette"],
                             "warnings": " | ".join(row["warnings"])})


def format_table(rows):
    """Format metric rows as a fixed-width text table.

    Iterations of a fit that stopped before converging are marked with ``*``; an undefined
    silhouette (fewer than two predicted components) shows as ``-``.

    Parameters
    ----------
    rows : list of dict

    Returns
    -------
    str
        Header, rule and one line per row, each ending in a newline.
    """
    lines = [" ".join(f"{header:>{width}}" for header, width, _, _ in TABLE_COLUMNS)]
    lines.append(" ".join("-" * width for _, width, _, _ in TABLE_COLUMNS))
    for row in rows:
        cells = []
        for _, width, key, fmt in TABLE_COLUMNS:
            value = row[key]
            text = "-" if value is None else fmt.format(value)
            if key == "n_iter" and not row["converged"]:
                text += "*"
            cells.append(f"{text:>{width}}")
        lines.append(" ".join(cells))
    return "\n".join(lines) + "\n"


def format_report(summary, written):
    """The text printed after a tour: table, best models, footnotes and files written.

    Parameters
    ----------
    summary : dict
        As returned by :func:`summarise`, with ``compute_seconds``.
    written : list of Path

    Returns
    -------
    str
    """
    rows = summary["rows"]
    parts = [format_table(rows), "\n"]
    if not all(row["converged"] for row in rows):
        parts.append("* stopped at max_iter before converging\n")
    n_warned = sum(bool(row["warnings"]) for row in rows)
    if n_warned:
        parts.append(f"{n_warned} fits raised warnings; they are listed in summary.json\n")
    parts.append("Best model per dataset (lowest criterion):\n")
    for name, dataset in summary["datasets"].items():
        picks = ", ".join(f"{criterion.upper()}: {pick['covariance_type']} k={pick['n_components']}"
                          for criterion, pick in dataset["best"].items())
        bic = dataset["best"]["bic"]
        parts.append(f"  {name:<8} {bic['covariance_type']}, k={bic['n_components']} "
                     f"(BIC {bic['value']:.1f})   [{picks}]\n")
    mode = "quick" if summary["quick"] else "full"
    parts.append(f"\n{len(rows)} mixtures fitted ({mode} mode, seed {summary['seed']}) "
                 f"in {summary['compute_seconds']:.1f} s; wrote {len(written)} files to "
                 f"{written[0].parent}:\n")
    parts.extend(f"  {path.name}\n" for path in written)
    return "".join(parts)


def _model_id(row, criterion):
    """The covariance type, k and criterion value identifying one row."""
    return {"covariance_type": row["covariance_type"], "n_components": row["n_components"],
            "value": row[criterion]}


def _to_json(summary):
    """Strict JSON (no NaN or infinity) with a trailing newline."""
    return json.dumps(summary, indent=2, allow_nan=False) + "\n"
