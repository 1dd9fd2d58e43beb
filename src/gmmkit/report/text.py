"""The short plain-text summary printed after a report is written."""

from __future__ import annotations

import textwrap

RESULT_WIDTH = 78


def format_summary(report, written, heading):
    """One block per section (number, title, seconds, key result), then the files written.

    Parameters
    ----------
    report : Report
        Written (so its clocks are stopped).
    written : list of Path
        As returned by :meth:`Report.write`: ``report.html`` first.
    heading : str
        First line, e.g. ``"gmmkit tour (quick mode, seed 0)"``.

    Returns
    -------
    str
        Ends with a newline.
    """
    html_path = written[0]
    n_figures = sum(len(section.figures) for section in report.sections)
    lines = [f"{heading}: {len(report.sections)} sections in {report.run_seconds:.1f} s", ""]
    title_width = max(len(section.title) for section in report.sections)
    for number, section in enumerate(report.sections, start=1):
        lines.append(f"{number:>2}. {section.title:<{title_width}}  {section.seconds:6.1f} s")
        for line in textwrap.wrap(section.summary, RESULT_WIDTH):
            lines.append(f"    {line}")
    lines += [
        "",
        f"report:  {html_path.resolve()}",
        f"also:    metrics.json, summary.csv and {n_figures} PNG figures in "
        f"{html_path.parent.resolve() / 'figures'}",
    ]
    return "\n".join(lines) + "\n"
