"""The benchmarks page's table builder (docs/_ext/bench_tables.py), without a Sphinx build."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs" / "_ext"))

import bench_tables
from bench_tables import (
    BenchTablesError,
    caption,
    format_value,
    load_result,
    select_tables,
    table_rows,
)

RESULTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results"


def column(key, label=None, unit=None, fmt=None):
    return {"key": key, "label": label or key, "unit": unit, "format": fmt}


TABLE = {
    "name": "digits",
    "title": "digits, PCA to 41 dimensions",
    "note": "",
    "columns": [
        column("k"),
        column("sklearn_s", "sklearn", "s"),
        column("ratio", "ratio", "x"),
        column("peak", "peak", "GiB"),
        column("lower_bound", "lower bound", fmt=".5f"),
        column("error"),
    ],
    "records": [
        {"k": 10, "sklearn_s": 0.00964, "ratio": 3.7, "peak": 1.5, "lower_bound": -89.037651},
        {"k": 600, "sklearn_s": 1.53, "ratio": None, "peak": 0.25, "lower_bound": 78.8184812},
    ],
}

RESULT = {
    "benchmark": "bench_em",
    "command": "python benchmarks/bench_em.py",
    "configuration": "default",
    "date": "2026-12-04T04:00:00+00:00",
    "load_average": {"start": [1.5, 1.0, 0.5], "end": [2.25, 1.5, 1.0]},
    "machine": {"cpu": "Xeon", "cores": 2, "memory_gib": 23.5, "os": "Linux-6"},
    "versions": {
        "python": "3.11.7",
        "numpy": "2.4.6",
        "gmmkit": "0.1.0",
        "blas": [
            {"user_api": "blas", "internal_api": "openblas", "version": "0.3.30"},
            {"user_api": "openmp", "internal_api": "openmp"},
        ],
        "R": None,
        "java": "java version 17",
    },
    "git": {"commit": "0123456789abcdef", "dirty": False, "changed_files": []},
    "tables": [TABLE, {**TABLE, "name": "moons", "title": "two moons"}],
}


def test_records_become_rows_in_column_order_with_units():
    headings, rows = table_rows(TABLE)
    assert headings == ["k", "sklearn", "ratio", "peak (GiB)", "lower bound"]
    assert rows == [
        ["10", "9.64 ms", "3.70x", "1.50", "-89.03765"],
        ["600", "1.53 s", "-", "0.25", "78.81848"],
    ]


def test_a_column_with_a_value_in_some_record_is_kept():
    table = {**TABLE, "records": [*TABLE["records"], {"k": 1, "error": "LinAlgError"}]}
    headings, rows = table_rows(table)
    assert headings[-1] == "error"
    assert rows[-1] == ["1", "-", "-", "-", "-", "LinAlgError"]
    assert rows[0][-1] == "-"


def test_ratios_are_two_decimals_with_an_x_and_keep_a_format():
    ratio = column("ratio", unit="x")
    assert format_value(12.345, ratio) == "12.35x"
    assert format_value(0.25, ratio) == "0.25x"
    assert format_value(None, ratio) == "-"
    assert format_value(8.04, column("ratio", unit="x", fmt=".1f")) == "8.0x"


def test_seconds_shares_and_other_values():
    seconds = column("t", unit="s")
    assert format_value(0.000342, seconds) == "342 us"
    assert format_value(0.4712, seconds) == "471.20 ms"
    assert format_value(66.5, seconds) == "66.50 s"
    assert format_value(-0.0183, seconds) == "-18.30 ms"
    assert format_value(0.0125, column("close", unit="%")) == "1.2%"
    assert format_value(True, column("flag")) == "yes"
    assert format_value(float("nan"), column("v")) == "nan"
    assert format_value(1234.5678, column("v")) == "1235"
    assert format_value("EEE,G=3", column("best")) == "EEE,G=3"


def test_a_missing_result_file_is_a_build_error_naming_it(tmp_path):
    missing = tmp_path / "bench_nothing.json"
    with pytest.raises(BenchTablesError, match="bench_nothing.json does not exist"):
        load_result(missing)


def test_a_file_without_tables_or_not_json_is_a_build_error(tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"tables": []}))
    with pytest.raises(BenchTablesError, match="holds no tables"):
        load_result(empty)
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(BenchTablesError, match="not valid JSON"):
        load_result(broken)


def test_tables_are_selected_by_name_and_an_unknown_name_is_an_error():
    assert [t["name"] for t in select_tables(RESULT, None)] == ["digits", "moons"]
    assert [t["name"] for t in select_tables(RESULT, ["moons"])] == ["moons"]
    with pytest.raises(BenchTablesError, match="no table large; it has digits, moons"):
        select_tables(RESULT, ["large"], "bench_em.json")


def test_the_caption_states_machine_commit_date_and_versions():
    text = caption(RESULT, TABLE)
    assert text.startswith("digits, PCA to 41 dimensions. Xeon, 2 cores, 23.5 GiB, Linux-6")
    assert "commit 0123456789;" in text
    assert "2026-12-04" in text
    assert "python 3.11.7, numpy 2.4.6, gmmkit 0.1.0, BLAS openblas 0.3.30" in text
    assert "R " not in text
    assert "BLAS openblas 0.3.30, java version 17" in text
    assert "load average 1.5 at the start, 2.2 at the end" in text
    dirty = {**RESULT, "git": {"commit": "0123456789abcdef", "dirty": True}}
    assert "commit 0123456789 (dirty: some files changed)" in caption(dirty, TABLE)
    one = {"commit": "0123456789abcdef", "dirty": True, "changed_files": ["docs/a.md"]}
    assert "(uncommitted changes to docs/a.md);" in caption({**RESULT, "git": one}, TABLE)
    reduced = {**RESULT, "configuration": "reduced", "command": "python b.py --n 5"}
    assert "reduced configuration: python b.py --n 5" in caption(reduced, TABLE)


@pytest.mark.parametrize("path", sorted(RESULTS.glob("*.json")), ids=lambda p: p.name)
def test_every_committed_result_file_renders(path):
    result = load_result(path)
    for table in select_tables(result, None):
        headings, rows = table_rows(table)
        assert rows and all(len(row) == len(headings) for row in rows)
        assert bench_tables.provenance(result)
