"""Named queries: one SQL file per question, with bound ``$parameters``.

``run(con, "coverage_summary", quarter="2023Q1", scope="")`` loads ``queries/coverage_summary.sql``,
checks that the parameters passed are exactly the ``$names`` the SQL uses, runs it on a fresh
cursor and returns a Polars DataFrame. SQL never has values pasted into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from warmvisits.masking import mask_frame

QUERIES_DIR = Path(__file__).resolve().parent.parent / "queries"

_STRIP = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"", re.S)
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_NAME = re.compile(r"^[a-z0-9_]+(/[a-z0-9_]+)*$")


class QueryError(ValueError):
    """A named query was called wrongly (unknown name, parameters that do not match)."""


@dataclass(frozen=True)
class Query:
    name: str
    sql: str
    params: frozenset[str]
    doc: str


def parameters_of(sql: str) -> frozenset[str]:
    """The ``$names`` a SQL text binds (comments and string literals ignored)."""
    return frozenset(_PARAM.findall(_STRIP.sub(" ", sql)))


@lru_cache(maxsize=256)
def load(name: str, folder: Path = QUERIES_DIR) -> Query:
    if not _NAME.match(name):
        raise QueryError(f"bad query name {name!r}")
    path = folder / f"{name}.sql"
    if not path.is_file():
        raise QueryError(f"no query named {name!r} ({path})")
    sql = path.read_text(encoding="utf-8")
    doc = "\n".join(line[2:].strip() for line in sql.splitlines() if line.startswith("--")).strip()
    return Query(name, sql, parameters_of(sql), doc)


def available(folder: Path = QUERIES_DIR) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.sql"))


def check(query: Query, params: dict[str, Any]) -> None:
    given = set(params)
    if given != set(query.params):
        missing = sorted(set(query.params) - given)
        extra = sorted(given - set(query.params))
        raise QueryError(
            f"query {query.name!r} takes {sorted(query.params)}; missing {missing}, unexpected {extra}"
        )


class ScopeError(QueryError):
    """A viewer asked for a scope outside their own place scope."""


def run(
    con: duckdb.DuckDBPyConnection,
    name: str,
    *,
    viewer_role: str | None = None,
    viewer_scope: str | None = None,
    relations: dict[str, Any] | None = None,
    **params: Any,
) -> pl.DataFrame:
    """Run the named query with exactly its parameters; a cursor per call (thread-safe).

    ``viewer_role`` (keyword only; default None = no masking, for the command line and tests):
    the signed-in role; personal-data columns of the result are masked for it by
    :func:`warmvisits.masking.mask_frame`. ``viewer_scope``: the viewer's place scope; a call
    whose ``scope`` parameter lies outside it raises :class:`ScopeError`. ``relations``: Arrow
    tables or frames registered on the query's own cursor under the given names (data that is
    not in the database file, such as the callback outcomes recorded in the app).
    """
    query = load(name)
    check(query, params)
    if viewer_scope is not None and "scope" in params:
        if not str(params["scope"] or "").startswith(viewer_scope):
            raise ScopeError(f"scope {params['scope']!r} is outside the viewer's scope")
    cur = con.cursor()
    try:
        # DuckDB draws a progress bar on standard output for a query over two seconds, which
        # would land in the middle of `warmvisits kpis`' JSON (a per-connection setting)
        cur.execute("set enable_progress_bar = false")
        for rel_name, relation in (relations or {}).items():
            cur.register(rel_name, relation)
        df = cur.sql(query.sql, params=params or None).pl()
    finally:
        cur.close()
    if viewer_role is not None:
        df = mask_frame(df, viewer_role)
    return df
