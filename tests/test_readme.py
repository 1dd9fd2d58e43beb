"""Every Python example in README.md and in the user guide (docs/guide/*.md) runs, in order, as a
reader would paste them; README's links point at files that exist."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
GUIDE = ROOT / "docs" / "guide"
GUIDE_PAGES = sorted(GUIDE.glob("*.md"))
# The guide's index holds its table of contents; every other page has examples.
EXAMPLE_PAGES = [page for page in GUIDE_PAGES if page.name != "index.md"]
PYTHON_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
TOCTREE = re.compile(r"^```\{toctree\}[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
# The README is the front door: a short page that links into the guide (issue 17).
README_MAX_BYTES = 10 * 1024


def _python_blocks(page):
    assert page.is_file(), f"{page} not found"
    return PYTHON_BLOCK.findall(page.read_text(encoding="utf-8"))


def _run_in_order(page, tmp_path, monkeypatch):
    """The blocks of one page share one namespace (later ones may use earlier names) and run in
    a temporary directory, so examples that write files leave nothing behind."""
    blocks = _python_blocks(page)
    assert blocks, f"{page.name} has no ```python examples"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": f"__{page.stem}__"}
    for number, source in enumerate(blocks, start=1):
        code = compile(source, f"{page.relative_to(ROOT)} python block {number}", "exec")
        exec(code, namespace)


def test_readme_has_python_examples():
    assert _python_blocks(README), "README.md has no ```python examples"


@pytest.mark.slow
def test_readme_python_examples_run_in_order(tmp_path, monkeypatch):
    _run_in_order(README, tmp_path, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("page", EXAMPLE_PAGES, ids=[page.stem for page in EXAMPLE_PAGES])
def test_guide_python_examples_run_in_order(page, tmp_path, monkeypatch):
    _run_in_order(page, tmp_path, monkeypatch)


def test_every_guide_page_is_in_the_guide_toctree():
    toctrees = TOCTREE.findall((GUIDE / "index.md").read_text(encoding="utf-8"))
    listed = {line.strip() for tree in toctrees for line in tree.splitlines()}
    listed = {entry for entry in listed if entry and not entry.startswith(":")}
    pages = {page.stem for page in EXAMPLE_PAGES}
    assert pages, "docs/guide has no pages"
    assert pages - listed == set(), "guide pages missing from docs/guide/index.md's toctree"
    assert listed - pages == set(), "docs/guide/index.md lists pages that do not exist"


def test_readme_is_short():
    size = README.stat().st_size
    assert size <= README_MAX_BYTES, f"README.md is {size} bytes, over {README_MAX_BYTES}"


def test_readme_relative_links_point_at_files():
    links = MARKDOWN_LINK.findall(README.read_text(encoding="utf-8"))
    relative = [link.split("#")[0] for link in links if "://" not in link]
    relative = [link for link in relative if link]
    assert relative, "README.md links to nothing in the repository"
    missing = [link for link in relative if not (ROOT / link).exists()]
    assert missing == [], f"README.md links to files that do not exist: {missing}"
