"""The package metadata in pyproject.toml: one version, and every imported package declared."""

import ast
import re
from pathlib import Path

import pytest

import gmmkit
from gmmkit import _version

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

ROOT = Path(__file__).parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def test_the_version_is_written_once_in_gmmkit_version_and_read_from_there():
    # The installed metadata cannot tell: the test environment may hold another checkout's.
    assert "version" not in PYPROJECT["project"]
    assert "version" in PYPROJECT["project"]["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "gmmkit._version.__version__"
    }
    assert gmmkit.__version__ is _version.__version__


def test_the_version_module_is_read_without_importing_gmmkit():
    # setuptools reads a literal assignment with ast; anything else would import gmmkit (numpy).
    tree = ast.parse(Path(_version.__file__).read_text("utf-8"))
    assigned = {
        target.id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
    }
    assert assigned == {"__version__": gmmkit.__version__}


def test_the_changelogs_latest_release_is_the_package_version():
    # keep-a-changelog: "## [Unreleased]" first, then "## [X.Y.Z] - YYYY-MM-DD", newest first
    headings = re.findall(r"^## \[([^\]]+)\]", (ROOT / "CHANGELOG.md").read_text("utf-8"), re.M)
    releases = [heading for heading in headings if heading != "Unreleased"]
    assert releases, "CHANGELOG.md has no release heading"
    assert releases[0] == gmmkit.__version__


def test_joblib_is_a_declared_dependency():
    names = {
        requirement.split(">")[0].split("=")[0].strip()
        for requirement in PYPROJECT["project"]["dependencies"]
    }
    assert "joblib" in names
