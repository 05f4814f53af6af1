"""The metric tests' fixture district (tests/data/metrics/*.csv), built into a DuckDB file.

The files are small hand-made exports (Chinese headers) described in tests/test_metrics.py.
They are built once per test process through the project's own build
(``warmvisits.build.build``); tests read the result read-only.
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import duckdb

from warmvisits.build import build
from warmvisits.db import current_build

DATA = Path(__file__).resolve().parent / "data" / "metrics"

T1, T2 = "341602101", "341602102"
V1, V2, V3 = T1 + "001", T1 + "002", T2 + "001"
G1, G2, G3, G4 = V1 + "001", V1 + "002", V2 + "001", V3 + "001"

_BUILT: dict[str, Path] = {}


def rows(kind: str) -> list[dict[str, str]]:
    """The fixture rows of one export file, as text (for independent computations in tests)."""
    with open(DATA / f"{kind}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def metrics_db_pointer() -> Path:
    """The fixture exports built once per test process; returns the ``--db`` folder."""
    if "db" not in _BUILT:
        target = Path(tempfile.mkdtemp(prefix="wv-metrics-")) / "db"
        report = build(DATA, target)
        # the fixture is clean: nothing rejected, one warning (C03's link to V99)
        assert all(t["rejected"] == 0 for t in report.tables.values()), report.tables
        assert report.warnings == {"unknown_visit_link": 1}, report.warnings
        _BUILT["db"] = target
    return _BUILT["db"]


def open_metrics_db() -> duckdb.DuckDBPyConnection:
    """A read-only connection to the fixture database."""
    built = current_build(metrics_db_pointer())
    assert built is not None
    return duckdb.connect(os.fspath(built), read_only=True)
