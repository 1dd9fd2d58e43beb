"""The documentation's gallery (``examples/``): the tour's studies shown through the studies' own
functions, and the scraper that puts gmmkit's bare Figures on the page.

The examples themselves run in the docs build (``make docs``), which fails when one raises.
"""

import ast
import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
#: The tour's study examples, by the study module each one shows.
STUDY_EXAMPLES = {
    "clustering": "plot_01_two_moons_clustering.py",
    "selection": "plot_02_model_selection.py",
    "classification": "plot_03_posterior_classification.py",
    "generation": "plot_04_generation.py",
    "digits": "plot_05_digits.py",
}


def _calls(tree, owner):
    """Names of the functions called as ``owner.name(...)`` anywhere in ``tree``."""
    return {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == owner
    }


def _section_figures(module):
    """The ``*_figure`` functions a study's report section calls (``add_section``, or the
    clustering study's ``add_sweep_section``)."""
    source = Path(module.__file__).read_text(encoding="utf-8")
    builder = "add_sweep_section" if module.__name__.endswith("clustering") else "add_section"
    function = next(
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef) and node.name == builder
    )
    return {
        node.func.id
        for node in ast.walk(function)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id.endswith("_figure")
    }


@pytest.mark.parametrize("study", sorted(STUDY_EXAMPLES))
def test_each_study_example_draws_every_figure_of_the_tour_section_with_the_same_function(study):
    module = importlib.import_module(f"gmmkit.studies.{study}")
    figures = _section_figures(module)
    assert figures, f"{study}'s section draws no *_figure function"
    tree = ast.parse((EXAMPLES / STUDY_EXAMPLES[study]).read_text(encoding="utf-8"))
    missing = figures - _calls(tree, study)
    assert not missing, f"{STUDY_EXAMPLES[study]} does not call {sorted(missing)}"
    defined = [node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]
    assert not defined, f"{STUDY_EXAMPLES[study]} defines {defined}: call the study's instead"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("plot_*.py")), ids=lambda path: path.name)
def test_every_example_opens_with_a_title_and_a_text(path):
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring, f"{path.name} has no docstring"
    title, underline, *text = docstring.splitlines()
    assert set(underline) == {"="} and len(underline) >= len(title), path.name
    assert " ".join(text).strip(), f"{path.name} has a title but no text"


@pytest.fixture
def scraper(monkeypatch):
    pytest.importorskip("sphinx_gallery")
    monkeypatch.syspath_prepend(str(ROOT / "docs" / "_ext"))
    sys.modules.pop("gallery_figures", None)
    return importlib.import_module("gallery_figures").scrape


def _block_vars(tmp_path, example_globals):
    paths = (str(tmp_path / f"image_{n}.png") for n in range(1, 100))
    return {"example_globals": example_globals, "image_path_iterator": paths}


def test_the_scraper_shows_a_bare_figure_once_and_leaves_pyplot_figures_alone(scraper, tmp_path):
    from matplotlib.figure import Figure

    pyplot = pytest.importorskip("matplotlib.pyplot")
    bare = Figure()
    bare.add_subplot().plot([0, 1], [1, 0])
    managed = pyplot.figure()
    try:
        example_globals = {"figure": bare, "same": bare, "fig": managed}
        block_vars = _block_vars(tmp_path, example_globals)
        rst = scraper(None, block_vars, {"src_dir": str(tmp_path)})
        assert sorted(path.name for path in tmp_path.iterdir()) == ["image_1.png"]
        assert "image_1.png" in rst
        pyplot.close(managed)  # as the matplotlib scraper does: now it looks like a bare one
        again = scraper(None, _block_vars(tmp_path, example_globals), {"src_dir": str(tmp_path)})
        assert again == ""
        assert sorted(path.name for path in tmp_path.iterdir()) == ["image_1.png"]
    finally:
        pyplot.close("all")
