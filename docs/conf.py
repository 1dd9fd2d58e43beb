"""Sphinx configuration of gmmkit's documentation site (``make docs``).

Built offline: no intersphinx, no remote images; the gallery runs its examples during the build.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

import gmmkit  # noqa: E402

project = "gmmkit"
author = "gmmkit developers"
copyright = "2026, gmmkit developers"
release = gmmkit.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # serves MathJax from the site itself: no CDN when it is read
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "sphinxarg.ext",
    "cli_reference",
    "bench_tables",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.ipynb"]
templates_path = ["_templates"]

# The CLI reference (cli.rst): sphinx-argparse on docs/_ext/cli_reference.py's parser, one
# section titled "gmmkit COMMAND" per subcommand.
sphinxarg_full_subcommand_name = True

# Quotes and ellipses only: "--option" in the command line's help and in prose stays two hyphens.
smartquotes_action = "qe"

myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# The API reference (api.rst): one generated page per name, from docs/_templates/autosummary/.
autosummary_generate = True
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# scikit-learn's metadata routing (get_metadata_routing, and the set_fit_request ... methods
# BaseEstimator writes for every estimator) says nothing about gmmkit and is left out.
SKLEARN_ROUTING = re.compile(r"get_metadata_routing|set_\w+_request")


def skip_sklearn_routing(app, what, name, obj, skip, options):
    return True if SKLEARN_ROUTING.fullmatch(name) else None


# The other inherited methods (score, get_params, set_output, ...) are shown, with the
# cross-references of their docstrings into scikit-learn's site as plain text.
SKLEARN_REFERENCE = re.compile(r":(?:ref|term):`([^`<]*?)\s*(?:<[^`>]*>)?`")


def unlink_sklearn_references(app, what, name, obj, options, lines):
    if getattr(obj, "__module__", "").startswith("sklearn."):
        lines[:] = [SKLEARN_REFERENCE.sub(r"\1", line) for line in lines]


def setup(app):
    app.connect("autodoc-skip-member", skip_sklearn_routing)
    app.connect("autodoc-process-docstring", unlink_sklearn_references)


os.environ.setdefault("MPLBACKEND", "Agg")
sphinx_gallery_conf = {
    "examples_dirs": str(DOCS.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    # gmmkit returns bare Figures, which pyplot (and so the "matplotlib" scraper) never sees;
    # gallery_figures (docs/_ext) shows them, and must run first.
    "image_scrapers": ("gallery_figures.scrape", "matplotlib"),
    # A block ending in a plotting call shows its figure, not the repr of what the call returns.
    "ignore_repr_types": r"matplotlib\.",
}

html_theme = "pydata_sphinx_theme"
html_title = f"gmmkit {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
# Without a default mode the theme's script reports an error in the console of every page.
html_context = {"default_mode": "auto"}
html_favicon = "_static/favicon.svg"  # without one, every page's request for it fails
html_static_path: list[str] = []
