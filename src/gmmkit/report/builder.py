"""A report as data: a title, run facts and ordered sections of text, figures, tables, metrics.

Nothing here knows HTML (see :mod:`gmmkit.report.html`); :meth:`Report.write` puts the pieces on
disk: ``report.html`` with every image inline, ``figures/<name>.png``, ``metrics.json`` and
``summary.csv``.
"""

from __future__ import annotations

import csv
import datetime
import json
import re
import time
import warnings
from pathlib import Path

from .._staging import prepare_output_dir, staged_output
from .._version import __version__
from .blocks import FIGURE_DIR, FigureBlock, TableBlock, TextBlock
from .environment import machine_facts
from .figures import FIGURE_DPI, missing_labels, png_size, render_png
from .html import render
from .metrics import dumps, flatten, jsonable

#: Names of figures and sections become file names and HTML ids.
_NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
REPORT_FILES = ("report.html", "metrics.json", "summary.csv")


class Section:
    """One numbered part of a report, built in reading order.

    Attributes
    ----------
    key : str
        Identifier: the section's HTML id and its key in ``metrics.json``.
    title : str
    intro : str
        The paragraph that opens the section.
    summary : str
        The section's key result in one sentence (shown first, and printed by the CLI).
    blocks : list of FigureBlock, TableBlock and TextBlock
    metrics : dict
        JSON-ready numbers (see :mod:`gmmkit.report.metrics`).
    seconds : float or None
        Wall time from :meth:`Report.add_section` (from the start of :meth:`Report.run_section`
        when added by it, so work done before the section is added, such as a sweep, counts)
        until the next section was added or the report written.
    """

    def __init__(self, report, key, title, intro, started=None):
        self._report = report
        self.key = key
        self.title = title
        self.intro = intro
        self.summary = ""
        self.blocks = []
        self.metrics = {}
        self.seconds = None
        self._started = time.perf_counter() if started is None else started

    def add_text(self, text):
        """Append a paragraph."""
        self.blocks.append(TextBlock(str(text)))

    def add_figure(self, name, figure, caption):
        """Render ``figure`` to PNG and append it with its caption.

        Parameters
        ----------
        name : str
            Lower-case letters, digits, ``_`` and ``-``; unique in the report.
        figure : matplotlib.figure.Figure
            Rendered now, so the caller may discard it.
        caption : str
            One sentence saying what to see.

        Raises
        ------
        ValueError
            If the name is malformed or taken, the caption is empty, or the figure lacks a
            title or an axis label (see :func:`gmmkit.report.figures.missing_labels`).
        """
        self._report._check_figure_name(name)
        if not str(caption).strip():
            raise ValueError(f"figure {name!r} needs a caption saying what to see")
        problems = missing_labels(figure)
        if problems:
            raise ValueError(f"figure {name!r} is not fully labelled: {'; '.join(problems)}")
        png = render_png(figure, self._report.dpi)
        width, height = png_size(png)
        self._report._figure_names.add(name)
        self.blocks.append(FigureBlock(name, png, str(caption), width, height))

    def add_table(self, rows, caption, columns=None):
        """Append a table.

        Parameters
        ----------
        rows : list of dict
        caption : str
        columns : dict of str to str or list of str, default=None
            Keys to show, in order, with their headers (a list uses the keys as headers);
            None shows every key of the first row.
        """
        rows = [dict(row) for row in rows]
        if columns is None:
            columns = list(rows[0]) if rows else []
        if not isinstance(columns, dict):
            columns = {key: key for key in columns}
        self.blocks.append(TableBlock(rows, dict(columns), str(caption)))

    def add_metrics(self, **metrics):
        """Merge keyword metrics into :attr:`metrics` (made JSON-ready now)."""
        self.metrics.update(jsonable(metrics))

    @property
    def figures(self):
        """The section's figures, in order."""
        return [block for block in self.blocks if isinstance(block, FigureBlock)]

    def _stop_clock(self):
        if self.seconds is None:
            self.seconds = time.perf_counter() - self._started


class Report:
    """A titled report of numbered sections, with the facts of the run in its header.

    Parameters
    ----------
    title : str
    subtitle : str, default=""
    settings : dict, default=None
        Run settings shown in the header and stored in ``metrics.json`` (seed, mode, ...).
    dpi : float, default=FIGURE_DPI
        Resolution of the PNG figures (see :data:`gmmkit.report.figures.FIGURE_DPI`).
    log : callable, default=None
        Called with one line of text when a section starts and when it ends (progress).

    Attributes
    ----------
    sections : list of Section
    machine : dict
        See :func:`gmmkit.report.environment.machine_facts`.
    run_seconds : float or None
        Wall time from construction to :meth:`write` (or :meth:`stop_clock`).
    created : str
        ISO 8601 time (UTC, seconds) of construction.
    """

    def __init__(self, title, *, subtitle="", settings=None, dpi=FIGURE_DPI, log=None):
        self.title = title
        self.subtitle = subtitle
        self.settings = dict(settings or {})
        self.dpi = dpi
        self.sections = []
        self.machine = machine_facts()
        self.run_seconds = None
        self.created = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        self._log = log
        self._started = time.perf_counter()
        self._figure_names = set()
        self._next_section_started = None  # set by run_section while its build runs

    def add_section(self, key, title, intro):
        """Close the current section and start a new one.

        Parameters
        ----------
        key : str
            Lower-case letters, digits, ``_`` and ``-``; unique in the report.
        title : str
        intro : str

        Returns
        -------
        Section
        """
        _check_name("section key", key)
        if any(section.key == key for section in self.sections):
            raise ValueError(f"section key {key!r} is already used in this report")
        self._close_section()
        section = Section(self, key, title, intro, started=self._next_section_started)
        self._next_section_started = None
        self.sections.append(section)
        if self._log is not None:
            self._log(f"[{len(self.sections)}] {title} ...")
        return section

    def run_section(self, build, *args, **kwargs):
        """Call ``build(self, *args, **kwargs)``, which adds a section, and note its warnings.

        Warnings raised while it runs (a fit that stopped before converging, a recovered
        degenerate component, ...) are not printed: each distinct message is stored once in
        the new section's ``metrics["warnings"]`` and listed at the end of the section.
        Deprecation warnings, meant for developers, are ignored.

        The new section's clock starts now, not when ``build`` adds it: the computation it
        does first (a sweep whose result the section's intro describes) is the section's time.

        Returns
        -------
        object
            What ``build`` returned.
        """
        n_sections = len(self.sections)
        self._close_section()  # the previous section does not absorb this one's first steps
        self._next_section_started = time.perf_counter()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.simplefilter("ignore", PendingDeprecationWarning)
                result = build(self, *args, **kwargs)
        finally:
            self._next_section_started = None
        if len(self.sections) == n_sections:
            raise ValueError(f"{getattr(build, '__qualname__', build)!r} added no section")
        messages = sorted(
            {
                f"{warning.category.__name__}: {' '.join(str(warning.message).split())}"
                for warning in caught
            }
        )
        if messages:
            section = self.sections[-1]
            section.add_metrics(warnings=messages)
            section.add_text(
                f"Warnings while computing this section ({len(messages)} distinct): "
                + "; ".join(messages)
            )
        return result

    def stop_clock(self):
        """Close the last section and fix :attr:`run_seconds` (done by :meth:`write`)."""
        self._close_section()
        if self.run_seconds is None:
            self.run_seconds = time.perf_counter() - self._started

    def metrics(self):
        """Everything ``metrics.json`` holds, as a JSON-ready dict.

        Returns
        -------
        dict
            ``title``, ``gmmkit_version``, ``created``, ``settings``, ``machine``,
            ``run_seconds`` and ``sections``: for each section key, its ``title``,
            ``summary``, ``seconds``, ``figures`` (paths relative to the report) and
            ``metrics``.
        """
        return jsonable(
            {
                "title": self.title,
                "gmmkit_version": __version__,
                "created": self.created,
                "settings": self.settings,
                "machine": self.machine,
                "run_seconds": self.run_seconds,
                "sections": {
                    section.key: {
                        "title": section.title,
                        "summary": section.summary,
                        "seconds": section.seconds,
                        "figures": [f"{FIGURE_DIR}/{block.name}.png" for block in section.figures],
                        "metrics": section.metrics,
                    }
                    for section in self.sections
                },
            }
        )

    def to_html(self):
        """The whole report as one self-contained HTML page (see :mod:`gmmkit.report.html`)."""
        return render(self)

    def write(self, out_dir):
        """Write ``report.html``, ``metrics.json``, ``summary.csv`` and ``figures/*.png``.

        All of them appear at once or, when writing fails or is interrupted, none do (see
        :mod:`gmmkit._staging`). Files of those names are replaced, and the figures an earlier
        report in ``out_dir`` listed in its ``metrics.json`` and this one does not draw are
        removed; nothing else in ``out_dir`` is touched.

        Parameters
        ----------
        out_dir : str or Path
            Created (with parents) if missing.

        Returns
        -------
        list of Path
            Every file written: the report, the metrics, the CSV, then the figures.
        """
        self.stop_clock()
        out_dir = Path(out_dir)
        metrics = self.metrics()
        prepare_output_dir(out_dir)
        owned = [*REPORT_FILES, *_listed_figures(out_dir / "metrics.json")]
        with staged_output(out_dir, owned=owned) as staging:
            figure_dir = staging.path / FIGURE_DIR
            figure_dir.mkdir()
            html_path = staging.path / "report.html"
            html_path.write_text(self.to_html(), encoding="utf-8")
            json_path = staging.path / "metrics.json"
            json_path.write_text(dumps(metrics), encoding="utf-8")
            csv_path = staging.path / "summary.csv"
            write_summary_csv(csv_path, metrics)
            figure_paths = []
            for section in self.sections:
                for block in section.figures:
                    path = figure_dir / f"{block.name}.png"
                    path.write_bytes(block.png)
                    figure_paths.append(path)
        return [staging.final(path) for path in [html_path, json_path, csv_path, *figure_paths]]

    def _check_figure_name(self, name):
        _check_name("figure name", name)
        if name in self._figure_names:
            raise ValueError(f"figure name {name!r} is already used in this report")

    def _close_section(self):
        if self.sections and self.sections[-1].seconds is None:
            section = self.sections[-1]
            section._stop_clock()
            if self._log is not None:
                self._log(
                    f"[{len(self.sections)}] {section.title}: done in {section.seconds:.1f} s"
                )


def write_summary_csv(path, metrics):
    """Write every scalar metric as one ``section,metric,value`` row.

    Parameters
    ----------
    path : Path
    metrics : dict
        As returned by :meth:`Report.metrics`.
    """
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["section", "metric", "value"])
        for key, section in metrics["sections"].items():
            for metric, value in flatten(section["metrics"]):
                writer.writerow([key, metric, "" if value is None else value])


def _listed_figures(metrics_path):
    """The ``figures/<name>.png`` paths a report's ``metrics.json`` lists; none when it is
    missing or unreadable. Other entries are ignored, so a doctored file cannot make a later
    run remove anything outside the figure directory."""
    try:
        sections = json.loads(metrics_path.read_text(encoding="utf-8"))["sections"]
        listed = [name for section in sections.values() for name in section["figures"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []
    pattern = re.compile(re.escape(FIGURE_DIR) + "/" + _NAME_PATTERN.pattern + r"\.png")
    return [name for name in listed if isinstance(name, str) and pattern.fullmatch(name)]


def _check_name(what, name):
    if not isinstance(name, str) or not _NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"{what} must be lower-case letters, digits, '_' or '-' (starting "
            f"with a letter or digit), got {name!r}"
        )
