"""The METRICS.md figures for a quarter, a scope and an as-of moment, and ``warmvisits kpis``.

Every figure is computed by a named query in ``queries/kpi_*.sql`` run through
:func:`warmvisits.queries.run` (the only way SQL runs). Python adds only what SQL would do less
exactly: the Kaplan–Meier median (exact fractions over the rows of ``kpi_km_times``) and the
Wilson score interval (from the counts of ``kpi_callbacks``).

Named queries and their parameters (pages use the same ones)::

    kpi_quarters                                   quarters with any loaded data
    kpi_scope                 $scope                what a scope code is (no row: unknown)
    kpi_as_of                 $quarter              the as-of moment of a quarter
    kpi_coverage              $quarter $scope       registered/visited/door/phone, coverage
    kpi_problems_reported     $quarter $scope       problems_reported
    kpi_cases_received        $quarter $scope $as_of   received, resolved, rates
    kpi_median_days_resolved  $quarter $scope $as_of   median_days_resolved
    kpi_km_times              $quarter $scope $as_of   per-case (days, is_resolved) for KM
    kpi_open_cases            $scope $as_of         open_cases, overdue_cases
    kpi_backlog_by_level      $scope $as_of $yellow_share   level × light counts
    kpi_callbacks             $quarter $scope       callbacks, answered, satisfied, rate
    kpi_petitions             $quarter $scope       petitions, persons, previous year, YoY

``$as_of`` binds a ``datetime`` (or ``"YYYY-MM-DD HH:MM:SS"`` text); ``$scope`` is a code prefix,
``''`` for the district; ``$quarter`` is the canonical ``2023Q1`` (see warmvisits.quarters).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from fractions import Fraction
from typing import Any

import duckdb

from warmvisits import queries
from warmvisits.quarters import parse_quarter
from warmvisits.schema import LEVELS

Z95 = 1.959964  # METRICS.md: the 95% Wilson interval's z
YELLOW_SHARE = 0.25  # METRICS.md: yellow when less than this share of the allowed time remains
LIGHTS = ("green", "yellow", "red")
AS_OF_FORMAT = "%Y-%m-%d %H:%M:%S"

# Every key of METRICS.md's tables, in the document's order; `kpis` prints them in this order
# after quarter, scope and as_of, followed by backlog_by_level.
KEYS: tuple[str, ...] = (
    "registered_households",
    "visited_households",
    "door_households",
    "phone_households",
    "coverage",
    "problems_reported",
    "cases_received",
    "cases_resolved",
    "resolution_rate",
    "on_time_rate",
    "open_cases",
    "overdue_cases",
    "median_days_resolved",
    "km_median_days",
    "callbacks",
    "callbacks_answered",
    "satisfaction_rate",
    "satisfaction_ci_low",
    "satisfaction_ci_high",
    "petitions",
    "petition_persons",
    "petitions_prev_year",
    "petitions_yoy",
)

# Which named query computes each key (the Wilson bounds and the KM median are finished in
# Python from that query's rows).
KEY_QUERIES: dict[str, str] = {
    "registered_households": "kpi_coverage",
    "visited_households": "kpi_coverage",
    "door_households": "kpi_coverage",
    "phone_households": "kpi_coverage",
    "coverage": "kpi_coverage",
    "problems_reported": "kpi_problems_reported",
    "cases_received": "kpi_cases_received",
    "cases_resolved": "kpi_cases_received",
    "resolution_rate": "kpi_cases_received",
    "on_time_rate": "kpi_cases_received",
    "open_cases": "kpi_open_cases",
    "overdue_cases": "kpi_open_cases",
    "median_days_resolved": "kpi_median_days_resolved",
    "km_median_days": "kpi_km_times",
    "callbacks": "kpi_callbacks",
    "callbacks_answered": "kpi_callbacks",
    "satisfaction_rate": "kpi_callbacks",
    "satisfaction_ci_low": "kpi_callbacks",
    "satisfaction_ci_high": "kpi_callbacks",
    "petitions": "kpi_petitions",
    "petition_persons": "kpi_petitions",
    "petitions_prev_year": "kpi_petitions",
    "petitions_yoy": "kpi_petitions",
}


class KpiError(ValueError):
    """A request `kpis` cannot answer: malformed or unknown quarter, unknown scope, bad as-of."""


class UnknownQuarter(KpiError):
    pass


class UnknownScope(KpiError):
    pass


# --- small exact helpers (also for pages and other helpers) --------------------------------


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float | None, float | None]:
    """95% Wilson score interval of successes/n (METRICS.md; z = 1.959964); (None, None) when n = 0.

    centre = (p + z²/2n) / (1 + z²/n), half-width = z √(p(1−p)/n + z²/4n²) / (1 + z²/n),
    clipped to [0, 1] (at p = 0 or 1 the exact bound is 0 or 1; rounding could overshoot).
    """
    if n <= 0:
        return None, None
    p = successes / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class KMPoint:
    days: float  # an event time
    at_risk: int  # cases whose observed time is >= days
    resolved: int  # cases resolved at exactly this time
    censored: int  # cases censored at exactly this time (still at risk at it)
    share_open: Fraction  # Kaplan–Meier estimate of the share still open just after `days`


def km_curve(days: Sequence[float], resolved: Sequence[bool]) -> list[KMPoint]:
    """Kaplan–Meier estimate of time to resolution, one point per distinct event time.

    ``days[i]`` is case i's time (to resolution when ``resolved[i]``, else to its censoring).
    At each event time s: at risk = cases with time >= s (cases censored at s count as at risk),
    S(s) = S(previous) × (1 − resolved at s / at risk). Exact fractions: no rounding decides
    whether the estimate crossed one half.
    """
    if len(days) != len(resolved):
        raise ValueError("days and resolved differ in length")
    pairs = sorted(zip(days, resolved, strict=True), key=lambda p: p[0])
    n_left = len(pairs)
    share = Fraction(1)
    out: list[KMPoint] = []
    i = 0
    while i < len(pairs):
        s = pairs[i][0]
        j = i
        d = c = 0
        while j < len(pairs) and pairs[j][0] == s:
            if pairs[j][1]:
                d += 1
            else:
                c += 1
            j += 1
        if d:
            share *= Fraction(n_left - d, n_left)
            out.append(KMPoint(float(s), n_left, d, c, share))
        n_left -= j - i
        i = j
    return out


def km_median(days: Sequence[float], resolved: Sequence[bool]) -> float | None:
    """METRICS.md km_median_days: the first event time at which the estimated share still open
    is at or below 0.5; None when it never gets there."""
    for point in km_curve(days, resolved):
        if point.share_open <= Fraction(1, 2):
            return point.days
    return None


def parse_as_of(text: str | datetime) -> datetime:
    """``YYYY-MM-DD HH:MM:SS`` (also ``YYYY-MM-DDTHH:MM:SS``, ``YYYY-MM-DD HH:MM``); a bare date
    ``YYYY-MM-DD`` means the end of that day (23:59:59), as for dates in METRICS.md's as-of."""
    if isinstance(text, datetime):
        return text.replace(microsecond=0)
    s = str(text).strip().replace("T", " ").replace("/", "-")
    for fmt in (AS_OF_FORMAT, "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(s, fmt)
        except ValueError:
            pass
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", s):
        try:
            return datetime.combine(datetime.strptime(s, "%Y-%m-%d").date(), time(23, 59, 59))
        except ValueError:
            pass
    raise KpiError(f"not a moment: {text!r} (expected YYYY-MM-DD HH:MM:SS)")


# --- the figures -----------------------------------------------------------------------------


def _one(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> dict[str, Any]:
    df = queries.run(con, name, **params)
    if df.height != 1:
        raise RuntimeError(f"query {name} returned {df.height} rows, expected 1")
    return df.row(0, named=True)


def known_quarters(con: duckdb.DuckDBPyConnection) -> list[str]:
    return queries.run(con, "kpi_quarters")["quarter"].to_list()


def check_quarter(con: duckdb.DuckDBPyConnection, quarter: str) -> str:
    """The canonical quarter code; UnknownQuarter when malformed or absent from the data."""
    try:
        code = parse_quarter(quarter).code
    except ValueError as exc:
        raise UnknownQuarter(str(exc)) from None
    quarters = known_quarters(con)
    if code not in quarters:
        have = f"{quarters[0]} … {quarters[-1]}" if quarters else "none"
        raise UnknownQuarter(f"no data for quarter {code} (quarters with data: {have})")
    return code


def check_scope(con: duckdb.DuckDBPyConnection, scope: str) -> str:
    """The scope's level ('district', 'township', 'village', 'grid'); UnknownScope otherwise."""
    scope = (scope or "").strip()
    df = queries.run(con, "kpi_scope", scope=scope)
    if df.height == 0:
        raise UnknownScope(
            f"unknown scope {scope!r}: not a loaded township (9 digits), village (12) or "
            "grid (15) code"
        )
    return str(df["scope_level"][0])


def resolve_as_of(con: duckdb.DuckDBPyConnection, quarter: str) -> datetime:
    """The quarter's last second, or the latest moment recorded in the data if earlier."""
    value = _one(con, "kpi_as_of", quarter=parse_quarter(quarter).code)["as_of"]
    return value.replace(microsecond=0) if isinstance(value, datetime) else parse_as_of(value)


def backlog_by_level(
    con: duckdb.DuckDBPyConnection,
    scope: str,
    as_of: datetime,
    yellow_share: float = YELLOW_SHARE,
) -> dict[str, dict[str, int]]:
    """{level: {"green": n, "yellow": n, "red": n}} for all five levels, in level order."""
    df = queries.run(
        con, "kpi_backlog_by_level", scope=scope, as_of=as_of, yellow_share=yellow_share
    )
    out: dict[str, dict[str, int]] = {level: dict.fromkeys(LIGHTS, 0) for level in LEVELS}
    for row in df.iter_rows(named=True):
        out[row["level"]][row["light"]] = int(row["n_cases"])
    return out


def _num(value: Any) -> Any:
    """Polars/DuckDB scalars to JSON-ready Python: ints stay ints, NaN never appears."""
    if value is None:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else value
    return int(value) if isinstance(value, int) else value


def callback_relations(ops_store: Any = None) -> dict[str, Any]:
    """What kpi_callbacks reads besides the database: ``app_callbacks``, the outcomes recorded
    in the app's operational store (an empty table when ``ops_store`` is None)."""
    from warmvisits import ops

    app = (
        ops.outcomes_arrow(ops_store)
        if ops_store is not None
        else ops.CALLBACK_SCHEMA.empty_table()
    )
    return {"app_callbacks": app}


def _callbacks(
    con: duckdb.DuckDBPyConnection, quarter: str, scope: str, ops_store: Any
) -> dict[str, Any]:
    df = queries.run(
        con,
        "kpi_callbacks",
        relations=callback_relations(ops_store),
        quarter=quarter,
        scope=scope,
    )
    return df.row(0, named=True)


def compute_kpis(
    con: duckdb.DuckDBPyConnection,
    quarter: str,
    scope: str = "",
    as_of: str | datetime | None = None,
    *,
    yellow_share: float = YELLOW_SHARE,
    ops_store: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Every METRICS.md figure for ``quarter`` and ``scope`` at ``as_of`` (default: the quarter's
    as-of). Raises UnknownQuarter / UnknownScope / KpiError for requests it cannot answer.

    Returns the machine-readable object of METRICS.md: quarter, scope, as_of (text), every key
    of :data:`KEYS` (None where undefined) and backlog_by_level.
    """
    q = check_quarter(con, quarter)
    scope = (scope or "").strip()
    check_scope(con, scope)
    if as_of is None or as_of == "":
        t = resolve_as_of(con, q)
    else:
        t = parse_as_of(as_of)

    out: dict[str, Any] = {"quarter": q, "scope": scope, "as_of": t.strftime(AS_OF_FORMAT)}
    values: dict[str, Any] = {}
    values.update(_one(con, "kpi_coverage", quarter=q, scope=scope))
    values.update(_one(con, "kpi_problems_reported", quarter=q, scope=scope))
    values.update(_one(con, "kpi_cases_received", quarter=q, scope=scope, as_of=t))
    values.update(_one(con, "kpi_open_cases", scope=scope, as_of=t))
    values.update(_one(con, "kpi_median_days_resolved", quarter=q, scope=scope, as_of=t))

    km = queries.run(con, "kpi_km_times", quarter=q, scope=scope, as_of=t)
    values["km_median_days"] = km_median(km["days"].to_list(), km["is_resolved"].to_list())

    cb = _callbacks(con, q, scope, ops_store)
    values.update(cb)
    low, high = wilson_interval(int(cb["callbacks_satisfied"]), int(cb["callbacks_answered"]))
    values["satisfaction_ci_low"], values["satisfaction_ci_high"] = low, high

    values.update(_one(con, "kpi_petitions", quarter=q, scope=scope))

    for key in KEYS:
        out[key] = _num(values[key])
    out["backlog_by_level"] = backlog_by_level(con, scope, t, yellow_share)
    return out


# --- the command -------------------------------------------------------------------------------


def cli_kpis(args: argparse.Namespace) -> int:
    """``warmvisits kpis --db PATH --quarter Q [--scope CODE] [--as-of TS]``: one JSON object on
    standard output; exit 2 with a message on standard error for a request it cannot answer."""
    from warmvisits.db import connect

    try:
        con = connect(getattr(args, "db", None))
    except (FileNotFoundError, duckdb.Error) as exc:
        print(f"warmvisits kpis: {exc}", file=sys.stderr)
        return 1
    try:
        from warmvisits import ops

        result = compute_kpis(
            con,
            args.quarter,
            getattr(args, "scope", "") or "",
            getattr(args, "as_of", None),
            ops_store=ops.ops_path(getattr(args, "db", None)),
        )
    except KpiError as exc:
        print(f"warmvisits kpis: {exc}", file=sys.stderr)
        return 2
    finally:
        con.close()
    print(json.dumps(result, ensure_ascii=False))
    return 0
