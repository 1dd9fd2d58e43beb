"""Sphinx directive ``bench-tables``: the tables of one benchmark result file as docutils tables.

The benchmark scripts (``benchmarks/bench_*.py``) write JSON result files into
``benchmarks/results/``; each holds the machine, the versions, the git commit, the date, the
options and a list of tables, every table a list of records with named, unit-carrying columns
(see ``benchmarks/_common.py``). In MyST::

    ```{bench-tables} bench_em.json
    :tables: moons digits
    ```

renders the named tables (all of them without ``:tables:``) of that file, each with a caption
that states the machine, the commit, the date and the versions. A missing file, a table the
file does not have, or a file without tables stops the build with a message saying which.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

#: Where the result files are, relative to the documentation's source directory.
RESULTS_DIR = Path("..") / "benchmarks" / "results"
MISSING = "-"


class BenchTablesError(ExtensionError):
    """A result file or table the page asks for is missing or malformed (stops the build)."""


# ---------------------------------------------------------------------------- reading
def load_result(path: Path) -> dict:
    """The result file at ``path``, checked to hold tables."""
    path = Path(path)
    if not path.is_file():
        raise BenchTablesError(
            f"benchmark result file {path} does not exist: run the benchmark that writes it "
            f"(python benchmarks/{path.stem}.py) or fix the file name"
        )
    try:
        result = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise BenchTablesError(f"benchmark result file {path} is not valid JSON: {exc}") from exc
    if not isinstance(result, dict) or not result.get("tables"):
        raise BenchTablesError(f"benchmark result file {path} holds no tables")
    return result


def select_tables(result: dict, names: list[str] | None, source: str = "") -> list[dict]:
    """The tables called ``names`` (in that order), or every table when ``names`` is None."""
    tables = result["tables"]
    if not names:
        return list(tables)
    by_name = {t["name"]: t for t in tables}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise BenchTablesError(
            f"{source or 'result file'} has no table {', '.join(unknown)}; it has "
            f"{', '.join(by_name)}"
        )
    return [by_name[name] for name in names]


# ---------------------------------------------------------------------------- formatting
#: Units whose values are printed with the unit attached (the others go into the heading).
INLINE_UNITS = {"s", "ms", "x", "%"}


def format_seconds(seconds: float) -> str:
    """As the scripts print them: us below a millisecond, ms below a second (a difference of
    two timings, such as a fixed cost, can be negative)."""
    size = abs(seconds)
    if size < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if size < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def format_value(value, column: dict) -> str:
    """One cell: None as '-', numbers by the column's format or unit, anything else as text."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return format(value, column["format"]) if column.get("format") else str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        unit = column.get("unit")
        if column.get("format"):
            text = format(value, column["format"])
            return f"{text}x" if unit == "x" else text
        if unit == "s":
            return format_seconds(value)
        if unit == "ms":
            return f"{value:.2f} ms"
        if unit == "x":
            return f"{value:.2f}x"
        if unit == "%":
            return f"{100 * value:.1f}%"
        if unit == "GiB":
            return f"{value:.2f}"
        return f"{value:.4g}"
    return str(value)


def heading(column: dict) -> str:
    unit = column.get("unit")
    if unit and unit not in INLINE_UNITS:
        return f"{column['label']} ({unit})"
    return column["label"]


def table_rows(table: dict) -> tuple[list[str], list[list[str]]]:
    """The headings and the formatted rows of one result table.

    Columns no record has a value for (every cell None) are left out, so that, say, an
    ``error`` column shows only when something failed.
    """
    columns = [
        c for c in table["columns"] if any(r.get(c["key"]) is not None for r in table["records"])
    ]
    rows = [[format_value(r.get(c["key"]), c) for c in columns] for r in table["records"]]
    return [heading(c) for c in columns], rows


def versions_text(versions: dict) -> str:
    parts = []
    for name, value in versions.items():
        if value is None:
            continue
        if name == "blas":
            blas = sorted(
                {
                    f"{b['internal_api']} {b['version']}"
                    for b in value
                    if b.get("user_api") == "blas"
                }
            )
            if blas:
                parts.append("BLAS " + ", ".join(blas))
        elif str(value).startswith(f"{name} "):  # "R version 4.2.2" names itself
            parts.append(str(value))
        else:
            parts.append(f"{name} {value}")
    return ", ".join(parts)


def dirty_text(git: dict) -> str:
    """'' for a clean tree, else which tracked files differed from the commit (up to three)."""
    if not git.get("dirty"):
        return ""
    changed = git.get("changed_files") or []
    if not changed or len(changed) > 3:
        return f" (dirty: {len(changed) or 'some'} files changed)"
    return f" (uncommitted changes to {', '.join(changed)})"


def provenance(result: dict) -> str:
    """Machine, commit, date, versions, load and (where not the default) the configuration;
    the command line follows it in the caption."""
    machine = result["machine"]
    git = result["git"]
    commit = (git.get("commit") or "unknown")[:10] + dirty_text(git)
    load = result.get("load_average") or {}
    load_text = ""
    if load.get("start") and load.get("end"):
        load_text = (
            f"; load average {load['start'][0]:.1f} at the start, {load['end'][0]:.1f} at the end"
        )
    configuration = result.get("configuration", "default")
    config_text = "" if configuration == "default" else f"; {configuration} configuration"
    return (
        f"{machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
        f"{machine['os']}; commit {commit}; {result['date'][:10]}; "
        f"{versions_text(result['versions'])}{load_text}{config_text}"
    )


def caption(result: dict, table: dict) -> str:
    return f"{table['title']}. {provenance(result)}: {result['command']}"


# ---------------------------------------------------------------------------- docutils
def paragraph(text: str) -> nodes.paragraph:
    return nodes.paragraph(text, text)


def title_node(result: dict, table: dict) -> nodes.title:
    """The caption, its command line as literal text (no smart dashes in ``--n``)."""
    text = f"{table['title']}. {provenance(result)}: "
    title = nodes.title(caption(result, table), "")
    title += nodes.Text(text)
    title += nodes.literal(result["command"], result["command"])
    return title


def table_node(headings: list[str], rows: list[list[str]], title: nodes.title) -> nodes.table:
    table = nodes.table(classes=["bench-table"])
    table += title
    group = nodes.tgroup(cols=len(headings))
    table += group
    for _ in headings:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    head_row = nodes.row()
    head += head_row
    for text in headings:
        head_row += nodes.entry("", paragraph(text))
    body = nodes.tbody()
    group += body
    for cells in rows:
        row = nodes.row()
        body += row
        for text in cells:
            row += nodes.entry("", paragraph(text))
    return table


class BenchTables(SphinxDirective):
    """``bench-tables FILE`` with an optional ``:tables: NAME ...`` (space-separated)."""

    required_arguments = 1
    has_content = False
    option_spec = {"tables": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        try:
            return self.tables()
        except BenchTablesError as exc:
            raise BenchTablesError(f"{self.get_location()}: {exc}") from exc

    def tables(self) -> list[nodes.Node]:
        source_dir = Path(self.env.srcdir)
        path = (source_dir / RESULTS_DIR / self.arguments[0]).resolve()
        self.env.note_dependency(str(path))
        result = load_result(path)
        names = self.options.get("tables", "").split() or None
        out: list[nodes.Node] = []
        for table in select_tables(result, names, self.arguments[0]):
            headings, rows = table_rows(table)
            if not rows:
                raise BenchTablesError(f"{self.arguments[0]}: table {table['name']} is empty")
            out.append(table_node(headings, rows, title_node(result, table)))
            if table.get("note"):
                out.append(paragraph(table["note"]))
        return out


def setup(app) -> dict:
    app.add_directive("bench-tables", BenchTables)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
