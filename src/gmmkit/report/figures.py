"""Matplotlib figures as PNG bytes, and the check that a figure says what it shows."""

from __future__ import annotations

import io
import struct

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Dots per inch of every PNG figure gmmkit writes: the report's and ``gmmkit select``'s.
FIGURE_DPI = 100


def render_png(figure, dpi):
    """Render a matplotlib figure to PNG bytes (Agg; no display needed).

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    dpi : float

    Returns
    -------
    bytes
    """
    buffer = io.BytesIO()
    # No "Software" entry: the bytes then depend on the figure alone, not on the version.
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def png_size(data):
    """Width and height in pixels of PNG ``data``, read from its header.

    Raises
    ------
    ValueError
        If ``data`` is not a PNG image.
    """
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError(f"not a PNG image: starts with {data[:16]!r}")
    return struct.unpack(">II", data[16:24])


def missing_labels(figure):
    """What a reader of ``figure`` would miss: a title, axis labels, a colorbar label.

    A figure needs a title (``suptitle``, or one on every plot); every plot with visible axes
    needs both axis labels, and every colorbar a label. Panels drawn with their axes off
    (images) need neither label.

    Parameters
    ----------
    figure : matplotlib.figure.Figure

    Returns
    -------
    list of str
        One line per problem; empty when the figure is fully labelled.
    """
    problems = []
    has_suptitle = bool(_suptitle(figure))
    for index, ax in enumerate(figure.axes):
        title = next(
            (ax.get_title(loc) for loc in ("center", "left", "right") if ax.get_title(loc)), ""
        )
        where = f"axes {index}" + (f" ({title!r})" if title else "")
        if getattr(ax, "_colorbar", None) is not None:
            if not (ax.get_xlabel() or ax.get_ylabel()):
                problems.append(f"{where}: colorbar without a label")
            continue
        if not has_suptitle and not title:
            problems.append(f"{where}: no title, and the figure has no suptitle")
        if not ax.axison:
            continue
        if not ax.get_xlabel():
            problems.append(f"{where}: no x-axis label")
        if not ax.get_ylabel():
            problems.append(f"{where}: no y-axis label")
    if not figure.axes and not has_suptitle:
        problems.append("figure has no axes and no title")
    return problems


def _suptitle(figure):
    getter = getattr(figure, "get_suptitle", None)  # matplotlib >= 3.8
    if getter is not None:
        return getter()
    return figure._suptitle.get_text() if figure._suptitle is not None else ""
