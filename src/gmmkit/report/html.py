"""One self-contained HTML page from a :class:`~gmmkit.report.builder.Report`.

Images are inline ``data:`` URIs, the style sheet is inline, and there is no script and no
external URL, so the page opens anywhere without a network. Every piece of text is escaped.
"""

from __future__ import annotations

import base64
import math
import numbers
import re
from html import escape

import numpy as np

from .._version import __version__
from .blocks import FIGURE_DIR, FigureBlock, TableBlock, TextBlock
from .environment import describe_machine

STYLE = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --panel: #f6f8fa;
        --accent: #0b5cad; --key: #eef5fc; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
             Arial, sans-serif; }
.page { max-width: 1180px; margin: 0 auto; padding: 28px 28px 64px; }
h1 { font-size: 1.9rem; margin: 0 0 4px; }
h2 { font-size: 1.45rem; margin: 0 0 10px; }
h2 .number { color: var(--muted); margin-right: .35em; }
.subtitle { color: var(--muted); margin: 0 0 18px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 0;
           padding: 10px 14px; background: var(--panel); border: 1px solid var(--line);
           border-radius: 6px; font-size: .92rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
nav.contents { margin: 22px 0 8px; }
nav.contents h2 { font-size: 1.1rem; }
nav.contents ol { margin: 0; padding-left: 1.4em; }
nav.contents li { margin: 3px 0; }
nav.contents .seconds, .section-time { color: var(--muted); font-size: .88rem; }
a { color: var(--accent); }
section { border-top: 1px solid var(--line); margin-top: 36px; padding-top: 18px; }
p.key-result { background: var(--key); border-left: 4px solid var(--accent);
               padding: 8px 12px; margin: 8px 0 14px; }
figure { margin: 22px 0 26px; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line);
             border-radius: 4px; }
figcaption { color: var(--muted); font-size: .92rem; margin-top: 6px; }
.table-wrap { overflow-x: auto; margin: 14px 0 22px; }
table { border-collapse: collapse; font-size: .88rem; }
caption { caption-side: top; text-align: left; color: var(--muted); padding: 0 0 6px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 10px; vertical-align: top; }
th { background: var(--panel); text-align: left; vertical-align: bottom; }
td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { background: var(--panel); border-radius: 3px; padding: 0 3px; font-size: .9em; }
footer { border-top: 1px solid var(--line); margin-top: 40px; padding-top: 12px;
         color: var(--muted); font-size: .88rem; }
"""

_CODE_SPAN = re.compile(r"`([^`]+)`")


def render(report):
    """The report as an HTML document.

    Parameters
    ----------
    report : Report

    Returns
    -------
    str
        A complete page: header with the run facts, table of contents, numbered sections
        (key result, intro, then figures, tables and paragraphs in order), and a footer
        listing the files written beside it.
    """
    counters = {"figure": 0, "table": 0}
    body = [_header(report), _contents(report)]
    body.append("<main>")
    for number, section in enumerate(report.sections, start=1):
        body.append(_section(number, section, counters))
    body.append("</main>")
    body.append(_footer(counters["figure"]))
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            # An empty icon, so no browser asks for /favicon.ico.
            '<link rel="icon" href="data:,">',
            f"<title>{escape(report.title)}</title>",
            f"<style>{STYLE}</style>",
            "</head>",
            "<body>",
            '<div class="page">',
            *body,
            "</div>",
            "</body>",
            "</html>",
            "",
        ]
    )


def format_value(value):
    """Text of one table cell.

    Integers get thousands separators; floats 4 significant digits below 10,000 and none after
    the point above (``294,478``), scientific notation below 0.001; booleans read yes/no;
    None and NaN read as a dash.

    Parameters
    ----------
    value : object

    Returns
    -------
    str
    """
    if value is None:
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isnan(value):
            return "–"
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        magnitude = abs(value)
        if magnitude >= 1e4:
            return f"{value:,.0f}"
        if magnitude >= 1e-3 or value == 0:
            return f"{value:.4g}"
        return f"{value:.2e}"
    return str(value)


def inline_text(text):
    """Escape ``text`` for HTML and show spans between backticks as ``<code>``."""
    return _CODE_SPAN.sub(r"<code>\1</code>", escape(str(text)))


def _header(report):
    facts = [("gmmkit version", __version__)]
    facts += [(name, format_value(value)) for name, value in report.settings.items()]
    facts.append(("machine", describe_machine(report.machine)))
    if report.run_seconds is not None:
        facts.append(("run time", _seconds(report.run_seconds)))
    facts.append(("created", report.created.replace("T", " ").replace("+00:00", " UTC")))
    rows = "\n".join(
        f"<dt>{escape(name)}</dt><dd>{escape(str(value))}</dd>" for name, value in facts
    )
    subtitle = f'<p class="subtitle">{inline_text(report.subtitle)}</p>' if report.subtitle else ""
    return (
        f"<header>\n<h1>{escape(report.title)}</h1>\n{subtitle}\n"
        f'<dl class="facts">\n{rows}\n</dl>\n</header>'
    )


def _contents(report):
    items = []
    for section in report.sections:
        seconds = (
            f' <span class="seconds">({_seconds(section.seconds)})</span>'
            if section.seconds is not None
            else ""
        )
        items.append(
            f'<li><a href="#{escape(section.key)}">{escape(section.title)}</a>{seconds}</li>'
        )
    return (
        '<nav class="contents" aria-label="Contents">\n<h2>Contents</h2>\n<ol>\n'
        + "\n".join(items)
        + "\n</ol>\n</nav>"
    )


def _section(number, section, counters):
    parts = [
        f'<section id="{escape(section.key)}">',
        f'<h2><span class="number">{number}.</span>{escape(section.title)}</h2>',
    ]
    if section.summary:
        parts.append(
            f'<p class="key-result"><strong>Key result.</strong> {inline_text(section.summary)}</p>'
        )
    if section.intro:
        parts.append(f"<p>{inline_text(section.intro)}</p>")
    for block in section.blocks:
        if isinstance(block, FigureBlock):
            counters["figure"] += 1
            parts.append(_figure(block, counters["figure"]))
        elif isinstance(block, TableBlock):
            counters["table"] += 1
            parts.append(_table(block, counters["table"]))
        elif isinstance(block, TextBlock):
            parts.append(f"<p>{inline_text(block.text)}</p>")
    parts.append("</section>")
    return "\n".join(parts)


def _figure(block, number):
    data = base64.b64encode(block.png).decode("ascii")
    caption = inline_text(block.caption)
    alt = escape(block.caption)
    return (
        f'<figure id="figure-{escape(block.name)}">\n'
        f'<img src="data:image/png;base64,{data}" alt="{alt}" width="{block.width}" '
        f'height="{block.height}">\n'
        f"<figcaption><strong>Figure {number}.</strong> {caption} "
        f'(<a href="{FIGURE_DIR}/{escape(block.name)}.png">PNG</a>)</figcaption>\n'
        "</figure>"
    )


def _table(block, number):
    header = "".join(f"<th>{escape(str(title))}</th>" for title in block.columns.values())
    rows = []
    for row in block.rows:
        cells = []
        for key in block.columns:
            value = row.get(key)
            numeric = isinstance(value, numbers.Number) and not isinstance(value, (bool, np.bool_))
            css = ' class="number"' if numeric else ""
            cells.append(f"<td{css}>{escape(format_value(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="table-wrap">\n<table>\n<caption><strong>Table {number}.</strong> '
        f"{inline_text(block.caption)}</caption>\n<thead><tr>{header}</tr></thead>\n"
        "<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>\n</div>"
    )


def _footer(n_figures):
    return (
        f"<footer>Written beside this page: <code>{FIGURE_DIR}/</code> ({n_figures} PNG "
        "figures), <code>metrics.json</code> (every number in this report) and "
        "<code>summary.csv</code> (the same numbers, one per row). Made by gmmkit; this "
        "page needs no network.</footer>"
    )


def _seconds(seconds):
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)} min {rest:.0f} s"
