"""The pieces of a report section: a figure, a table, a paragraph; and where figures are written.

Data only: :mod:`gmmkit.report.builder` makes them and :mod:`gmmkit.report.html` draws them, so
both import this module and neither imports the other's internals.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Sub-directory of the output directory that holds ``<name>.png`` for every figure.
FIGURE_DIR = "figures"


@dataclass(frozen=True)
class FigureBlock:
    """One figure of a section.

    Attributes
    ----------
    name : str
        File name without extension (``figures/<name>.png``).
    png : bytes
    caption : str
        One sentence saying what to see.
    width, height : int
        Pixels.
    """

    name: str
    png: bytes
    caption: str
    width: int
    height: int


@dataclass(frozen=True)
class TableBlock:
    """One table of a section.

    Attributes
    ----------
    rows : list of dict
    columns : dict of str to str
        Row key to column header, in display order.
    caption : str
    """

    rows: list
    columns: dict
    caption: str


@dataclass(frozen=True)
class TextBlock:
    """A paragraph; text between backticks is shown as code."""

    text: str
