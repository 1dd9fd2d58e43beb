"""One self-contained HTML report: sections of text, figures, tables and metrics.

:class:`Report` collects the pieces in reading order; :meth:`Report.write` puts
``report.html`` (images inline as ``data:`` URIs, inline CSS, no script, no network),
``figures/<name>.png``, ``metrics.json`` (strict JSON: NaN becomes null) and ``summary.csv`` into
a directory. ``gmmkit tour`` (:mod:`gmmkit.tour`) and ``gmmkit report`` (:func:`run_data_report`)
are built with it::

    report = Report("My study", settings={"seed": 0})
    section = report.add_section("fit", "The fit", "What this section shows.")
    section.add_figure("fit_curve", figure, "The curve peaks at k=3.")
    section.add_table([{"k": 3, "bic": 2413.8}], "BIC per k.")
    section.add_metrics(best_k=3)
    report.write("out/")
"""

from .blocks import FIGURE_DIR, FigureBlock, TableBlock, TextBlock
from .builder import REPORT_FILES, Report, Section
from .data import run_data_report
from .output import ReportError, check_output_dir, require_matplotlib
from .text import format_summary

__all__ = [
    "FIGURE_DIR",
    "REPORT_FILES",
    "FigureBlock",
    "Report",
    "ReportError",
    "Section",
    "TableBlock",
    "TextBlock",
    "check_output_dir",
    "format_summary",
    "require_matplotlib",
    "run_data_report",
]
