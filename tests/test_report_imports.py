"""gmmkit.report's modules import one another without a cycle, so each can be imported alone."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import gmmkit.report

REPORT_DIR = Path(gmmkit.report.__file__).parent
MODULES = sorted(path.stem for path in REPORT_DIR.glob("*.py") if path.stem != "__init__")


def report_imports(path, modules=MODULES):
    """Which of ``modules`` (of ``gmmkit.report``) the file at ``path`` imports, anywhere in it.

    Imports inside functions count too: a deferred import hides a cycle, it does not remove it.
    """
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module is None:
                imported.update(alias.name for alias in node.names)
            else:
                imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gmmkit.report."):
            imported.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            imported.update(
                alias.name.split(".")[2]
                for alias in node.names
                if alias.name.startswith("gmmkit.report.")
            )
    return imported & set(modules)


def find_cycle(graph):
    """One import cycle of ``graph`` (module -> modules it imports) as a list, or None."""
    done, path = set(), []

    def visit(module):
        if module in path:
            return path[path.index(module) :] + [module]
        if module in done:
            return None
        path.append(module)
        for target in sorted(graph[module]):
            cycle = visit(target)
            if cycle:
                return cycle
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module)
        if cycle:
            return cycle
    return None


def test_report_modules_import_one_another_without_a_cycle():
    graph = {module: report_imports(REPORT_DIR / f"{module}.py") for module in MODULES}
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"


def test_the_cycle_check_finds_a_deferred_import(tmp_path):
    (tmp_path / "a.py").write_text("from .b import B\n")
    (tmp_path / "b.py").write_text("def f():\n    from .a import A\n")
    graph = {name: report_imports(tmp_path / f"{name}.py", modules=("a", "b")) for name in "ab"}
    assert graph == {"a": {"b"}, "b": {"a"}}
    assert find_cycle(graph) == ["a", "b", "a"]


@pytest.mark.slow
@pytest.mark.parametrize("module", MODULES)
def test_each_report_module_imports_alone_in_a_fresh_interpreter(module):
    result = subprocess.run(
        [sys.executable, "-c", f"import gmmkit.report.{module}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
