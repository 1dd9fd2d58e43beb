"""Every Python example in README.md runs, in order, as a reader would paste them."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
PYTHON_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def _python_blocks():
    assert README.is_file(), f"README.md not found at {README}"
    return PYTHON_BLOCK.findall(README.read_text(encoding="utf-8"))


def test_readme_has_python_examples():
    assert _python_blocks(), "README.md has no ```python examples"


@pytest.mark.slow
def test_readme_python_examples_run_in_order(tmp_path, monkeypatch):
    """The blocks share one namespace (later ones may use earlier names) and run in a temporary
    directory, so examples that write files leave nothing behind."""
    blocks = _python_blocks()
    assert blocks, "README.md has no ```python examples"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": "__readme__"}
    for number, source in enumerate(blocks, start=1):
        code = compile(source, f"README.md python block {number}", "exec")
        exec(code, namespace)
