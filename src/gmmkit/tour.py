"""``gmmkit tour``: the whole story of gmmkit as one self-contained HTML report.

Five studies (:mod:`gmmkit.studies`) run in order on two moons and the handwritten digits:
clustering, model selection, posterior classification, generation, and digits. The report
(:mod:`gmmkit.report`) is written as ``report.html`` (images inline), ``figures/*.png``,
``metrics.json`` and ``summary.csv``. The documentation's gallery runs the same studies, through
the same functions, with the :data:`QUICK` settings.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from ._staging import prepare_output_dir
from .report import (
    FIGURE_DIR,
    Report,
    ReportError,
    check_output_dir,
    format_summary,
    require_matplotlib,
)
from .studies import classification, clustering, datasets, digits, generation, selection

TourError = ReportError
"""The tour's user-facing error (output directory, missing matplotlib): one line, no traceback.

The same class as :class:`gmmkit.report.ReportError`, so ``gmmkit report`` errors read alike.
"""

TITLE = "gmmkit tour: Gaussian mixtures on two moons and handwritten digits"
SUBTITLE = (
    "Clustering, model selection, classification and generation with gmmkit's public "
    "API. Every number below was computed in this run; metrics.json holds them all."
)


@dataclass(frozen=True)
class TourSettings:
    """How much the tour computes; :data:`QUICK` and :data:`FULL` are the two modes.

    Attributes
    ----------
    moons_samples : int
        Two-moons rows before the 75/25 train/test split.
    moons_components : tuple of int
        Numbers of components swept on the moons (clustering and model selection).
    panel_components : tuple of int
        Numbers of components drawn as fitted-mixture panels.
    cv : int
        Folds of the held-out likelihood and of the classifiers' accuracy.
    n_permutations : int
        Of the MMD tests.
    digits_components : tuple of int
        Numbers of components swept on the digits.
    digits_covariance_types : tuple of str
        Covariance types of the digits sweep.
    digits_per_class : tuple of int
        Components per class of the supervised digit mixtures.
    digits_max_per_class : int
        Upper end of the digit generator's per-class BIC search.
    digits_per_class_checked : int
        Digits generated per class for label fidelity and memorisation.
    """

    moons_samples: int
    moons_components: tuple
    panel_components: tuple
    cv: int
    n_permutations: int
    digits_components: tuple
    digits_covariance_types: tuple
    digits_per_class: tuple
    digits_max_per_class: int
    digits_per_class_checked: int


QUICK = TourSettings(
    moons_samples=600,
    moons_components=tuple(range(1, 9)),
    panel_components=(2, 4, 8),
    cv=3,
    n_permutations=100,
    digits_components=(10, 50, 200, 600),
    digits_covariance_types=("full", "diag"),
    digits_per_class=(1, 2, 4),
    digits_max_per_class=3,
    digits_per_class_checked=40,
)
FULL = TourSettings(
    moons_samples=2000,
    moons_components=tuple(range(1, 13)),
    panel_components=(2, 4, 6, 8, 12),
    cv=5,
    n_permutations=1000,
    digits_components=(10, 20, 30, 50, 75, 100, 150, 200, 300, 400, 500, 600),
    digits_covariance_types=("full", "tied", "diag", "spherical"),
    digits_per_class=(1, 2, 3, 4, 6, 8, 12),
    digits_max_per_class=10,
    digits_per_class_checked=200,
)


def run_tour(out_dir, *, quick=False, force=False, seed=0, stream=None, progress=False):
    """Run the five studies and write the report into ``out_dir``; print a summary.

    Parameters
    ----------
    out_dir : str or Path
        Output directory; created if missing. It must be empty unless ``force`` is True.
    quick : bool, default=False
        The :data:`QUICK` settings (well under a minute) instead of :data:`FULL`.
    force : bool, default=False
        Write into a non-empty directory, replacing files with the report's names
        (``report.html``, ``metrics.json``, ``summary.csv``, ``figures/<name>.png``); other
        files are left alone.
    seed : int, default=0
        Seed of the data sets, their splits, the mixtures and the generated samples.
    stream : file-like, default=None
        Where the summary goes; ``sys.stdout`` when None.
    progress : bool, default=False
        Print a line on stderr when each study starts and ends.

    Returns
    -------
    dict
        The metrics written to ``metrics.json``.

    Raises
    ------
    TourError
        When ``out_dir`` is not empty and ``force`` is False, is not a directory, or when
        matplotlib is not installed. Nothing is written then.
    """
    stream = sys.stdout if stream is None else stream
    out_dir = Path(out_dir)
    check_output_dir(out_dir, force, owned_dirs=(FIGURE_DIR,))
    require_matplotlib("gmmkit tour")
    # Before the long computation, so an unwritable path fails at once.
    prepare_output_dir(out_dir)
    settings = QUICK if quick else FULL
    mode = "quick" if quick else "full"
    report = Report(
        TITLE,
        subtitle=SUBTITLE,
        settings={"mode": mode, "seed": seed},
        log=_stderr_line if progress else None,
    )
    build_tour(report, settings, seed)
    written = report.write(out_dir)
    stream.write(format_summary(report, written, f"gmmkit tour ({mode} mode, seed {seed})"))
    return report.metrics()


def build_tour(report, settings, seed):
    """Add the five studies to ``report``, in reading order.

    Parameters
    ----------
    report : Report
    settings : TourSettings
    seed : int
    """
    moons = datasets.moons(settings.moons_samples, seed)
    report.run_section(
        clustering.add_sweep_section,
        moons,
        component_counts=settings.moons_components,
        panel_counts=settings.panel_components,
        seed=seed,
        title="Two moons: clustering",
    )
    sweep = report.run_section(
        selection.add_section,
        moons,
        n_components=settings.moons_components,
        cv=settings.cv,
        seed=seed,
        silhouette_panel=False,
        title="Two moons: model selection",
    )
    chosen = sweep.best_estimator_
    report.run_section(
        classification.add_section,
        moons,
        mixture=chosen,
        cv=settings.cv,
        seed=seed,
        max_components=max(settings.moons_components),
        title="Two moons: posterior classification",
    )
    report.run_section(
        generation.add_section,
        chosen,
        moons,
        seed=seed,
        n_permutations=settings.n_permutations,
        title="Two moons: generation",
    )
    report.run_section(
        digits.add_section,
        seed=seed,
        component_counts=settings.digits_components,
        covariance_types=settings.digits_covariance_types,
        per_class_counts=settings.digits_per_class,
        max_components_per_class=settings.digits_max_per_class,
        fidelity_per_class=settings.digits_per_class_checked,
        title="Handwritten digits",
    )


def _stderr_line(line):
    print(f"gmmkit tour: {line}", file=sys.stderr, flush=True)
