"""The API reference (``docs/api.rst``) lists the whole public API, so a new public name cannot
be left out of it: every name ``gmmkit`` exports and every name in the ``__all__`` of a module the
reference lists, each found by the object it names (``gmmkit.selection.CRITERIA`` is listed as
``criteria.CRITERIA``, where it is defined)."""

import importlib
import re
from pathlib import Path

import pytest

import gmmkit

API_RST = Path(__file__).resolve().parents[1] / "docs" / "api.rst"
#: An entry of an autosummary table: a name indented under the directive and its options.
ENTRY = re.compile(r"^ {3}(?!:)(\S+)$")


def listed_names():
    """The names of the reference's autosummary tables, relative to ``gmmkit``."""
    names, in_table = [], False
    for line in API_RST.read_text(encoding="utf-8").splitlines():
        if line.startswith(".. autosummary::"):
            in_table = True
        elif line and not line.startswith(" "):
            in_table = False
        elif in_table and ENTRY.match(line):
            names.append(ENTRY.match(line).group(1))
    return names


def resolve(name):
    """The object ``gmmkit.<name>`` names (a module, or an attribute of one)."""
    try:
        return importlib.import_module(f"gmmkit.{name}")
    except ModuleNotFoundError:
        module, _, attribute = f"gmmkit.{name}".rpartition(".")
        return getattr(importlib.import_module(module), attribute)


@pytest.fixture(scope="module")
def listed():
    names = listed_names()
    return names, {id(resolve(name)) for name in names}


def test_every_listed_name_exists_once(listed):
    names, objects = listed
    assert len(names) > 60
    assert len(objects) == len(names), sorted(name for name in names if names.count(name) > 1)


def test_every_name_gmmkit_exports_is_listed(listed):
    _, objects = listed
    missing = [name for name in gmmkit.__all__ if id(getattr(gmmkit, name)) not in objects]
    assert missing == []


def test_every_name_of_a_listed_module_is_listed(listed):
    names, objects = listed
    modules = [resolve(name) for name in names if isinstance(resolve(name), type(gmmkit))]
    assert len(modules) >= 10
    missing = [
        f"{module.__name__}.{name}"
        for module in modules
        for name in getattr(module, "__all__", ())
        if id(getattr(module, name)) not in objects
    ]
    assert missing == []
