"""The dashboard's data access: one read-only connection per build file, a cursor per query,
results cached per (build file, query name, parameters).

The current build is looked up on every call (``warmvisits.db.current_build()`` reads a
symbolic link), so a new build becomes visible on the next rerun and old cached results, keyed
by the old build's path, simply stop being asked for.
"""

from __future__ import annotations

import os
from typing import Any

import duckdb
import polars as pl
import streamlit as st

from warmvisits import db as wdb
from warmvisits import queries as wq

QUERY_CACHE_ENTRIES = 1024


def current_build() -> str | None:
    """Path of the current build file (resolved), or None when there is no database yet."""
    build = wdb.current_build()
    if build is None or not build.exists():
        return None
    return os.fspath(build)


def _release(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.close()
    except Exception:  # noqa: BLE001 - closing a connection that is already gone
        pass


@st.cache_resource(max_entries=4, show_spinner=False, on_release=_release)
def _connection(build: str) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(build, read_only=True)


def connection() -> duckdb.DuckDBPyConnection | None:
    """The shared read-only connection to the current build (use ``.cursor()`` per query)."""
    build = current_build()
    return None if build is None else _connection(build)


def _freeze(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@st.cache_data(max_entries=QUERY_CACHE_ENTRIES, show_spinner=False)
def _run_cached(build: str, name: str, params: tuple[tuple[str, Any], ...]) -> pl.DataFrame:
    con = _connection(build)
    return wq.run(con, name, **{k: _thaw(v) for k, v in params})


def run_raw(name: str, **params: Any) -> pl.DataFrame:
    """Run a named query on the current build, cached, without masking.

    Raises ``FileNotFoundError`` when there is no database yet.
    """
    build = current_build()
    if build is None:
        raise FileNotFoundError("no database")
    frozen = tuple(sorted((k, _freeze(v)) for k, v in params.items()))
    return _run_cached(build, name, frozen)


@st.cache_data(max_entries=256, show_spinner=False)
def _kpis_cached(
    build: str, quarter: str, scope: str, as_of: str | None, ops_version: str
) -> dict[str, Any]:
    from warmvisits import metrics, ops

    con = _connection(build)
    cur = con.cursor()
    try:
        return dict(metrics.compute_kpis(cur, quarter, scope, as_of, ops_store=ops.ops_path()))
    finally:
        cur.close()


def kpis(quarter: str, scope: str = "", as_of: str | None = None) -> dict[str, Any]:
    """``warmvisits kpis`` for a quarter and scope, as a dict, cached per build.

    The same function the command line calls, so the dashboard's headline figures equal the
    command's output by construction.
    """
    build = current_build()
    if build is None:
        raise FileNotFoundError("no database")
    from warmvisits import ops

    # app-recorded callback outcomes change without a new build: their version is in the key
    return _kpis_cached(build, quarter, scope, as_of, ops.version(ops.ops_path()))


def clear_caches() -> None:
    _run_cached.clear()
    _kpis_cached.clear()
