"""A sphinx-gallery image scraper for the bare matplotlib Figures gmmkit returns.

gmmkit draws on :class:`matplotlib.figure.Figure` objects that pyplot does not manage
(:mod:`gmmkit.plotting`, ``plot()`` of the bootstrap results, the studies' figures), so
sphinx-gallery's matplotlib scraper, which asks pyplot for its figures, cannot see them. This one
shows every such Figure an example holds in a top-level variable, once, after the code block that
made it; pyplot's own figures are left to the matplotlib scraper.

It must run before that scraper (``"image_scrapers": ("gallery_figures.scrape", "matplotlib")``):
the matplotlib scraper closes pyplot's figures, after which they look like bare ones, so this one
marks them as shown while pyplot still manages them.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from sphinx_gallery.scrapers import figure_rst

#: Set on a Figure once it is in the gallery, so a later block does not show it again.
_SHOWN = "_gmmkit_gallery_shown"


def scrape(block, block_vars, gallery_conf, **kwargs):
    """Save the example's new bare Figures and return the reStructuredText that shows them.

    Parameters
    ----------
    block, block_vars, gallery_conf
        As sphinx-gallery passes them to an image scraper.

    Returns
    -------
    str
    """
    from matplotlib.figure import Figure

    held = [value for value in block_vars["example_globals"].values() if isinstance(value, Figure)]
    for figure in held:
        if figure.canvas.manager is not None:  # pyplot's, for the matplotlib scraper
            setattr(figure, _SHOWN, True)
    figures = {id(figure): figure for figure in held if not getattr(figure, _SHOWN, False)}
    paths = []
    for figure, path in zip(figures.values(), block_vars["image_path_iterator"]):
        path = PurePosixPath(path)
        figure.savefig(path)
        setattr(figure, _SHOWN, True)
        paths.append(path)
    if not paths:
        return ""
    return figure_rst(paths, gallery_conf["src_dir"])
