"""METRICS.md and the code cannot drift apart: every key it defines is in `kpis` output (and has
a name and a definition in both locales), and every key `kpis` prints is defined there."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from metrics_fixture import open_metrics_db

from warmvisits import queries
from warmvisits.metrics import KEY_QUERIES, KEYS, compute_kpis

REPO_ROOT = Path(__file__).resolve().parent.parent
# METRICS.md lives in the shared folder beside the checkout (in CI a copy of shared/ sits beside
# the clone): <repo>/../shared/METRICS.md
METRICS_MD = Path(REPO_ROOT).parent / "shared" / "METRICS.md"
# keys of the machine-readable form that are not metric-table keys
ENVELOPE = ("quarter", "scope", "as_of", "backlog_by_level")


def doc_keys() -> list[str]:
    """The first column of every table in METRICS.md: `key` (or `a`, `b` in one cell)."""
    assert METRICS_MD.is_file(), f"METRICS.md not found at {METRICS_MD}"
    keys: list[str] = []
    for line in METRICS_MD.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        first = line.split("|")[1].strip()
        if first == "key" or set(first) <= set("-: "):
            continue  # header or separator row
        keys.extend(re.findall(r"`([a-z_][a-z0-9_]*)`", first))
    return keys


@pytest.fixture(scope="module")
def kpis() -> Iterator[dict]:
    con: duckdb.DuckDBPyConnection = open_metrics_db()
    try:
        yield compute_kpis(con, "2023Q1")
    finally:
        con.close()


def test_parser_reads_the_tables():
    keys = doc_keys()
    assert "coverage" in keys and "petitions_yoy" in keys
    assert {"satisfaction_ci_low", "satisfaction_ci_high"} <= set(keys)  # two keys in one cell
    assert len(keys) == len(set(keys)), "a key is defined twice"


def test_every_documented_key_is_in_kpis_output(kpis):
    missing = [k for k in doc_keys() if k not in kpis]
    assert not missing, f"defined in METRICS.md but not printed by kpis: {missing}"


def test_every_kpis_key_is_documented(kpis):
    text = METRICS_MD.read_text(encoding="utf-8")
    undocumented = [k for k in kpis if k not in doc_keys() and k not in ENVELOPE]
    assert not undocumented, f"printed by kpis but not defined in METRICS.md: {undocumented}"
    for k in ENVELOPE:  # the machine-readable section names the envelope keys
        assert f"`{k}`" in text


def test_code_key_list_follows_the_document():
    assert list(KEYS) == doc_keys()
    assert set(KEY_QUERIES) == set(KEYS)
    for name in set(KEY_QUERIES.values()):
        assert name in queries.available()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_key_has_a_name_and_definition_in_the_locale(lang):
    path = REPO_ROOT / "warmvisits" / "locales" / lang / "metrics.toml"
    with path.open("rb") as f:
        data = tomllib.load(f)
    for key in [*doc_keys(), "backlog_by_level"]:
        assert data.get(key), f"{lang}: metrics.{key} missing"
        assert data.get(f"{key}.help"), f"{lang}: metrics.{key}.help missing"
    stray = {k.removesuffix(".help") for k in data} - {*doc_keys(), "backlog_by_level"}
    assert not stray, f"{lang}: locale names keys METRICS.md does not define: {stray}"
