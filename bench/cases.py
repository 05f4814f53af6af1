"""Cases and resolution pages at scale: script time cold and warm, and rewinding the as-of.

Script time is measured with Streamlit's AppTest started from app.py (the whole script run,
shell included), on the build in ctx["db"]. Targets (issue 6): both pages warm under 300 ms;
rewinding the backlog's as-of day (new queries, cold cache for them) under 1 s. The backlog
queries for a new as-of are also timed on their own, without Streamlit.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import datetime, timedelta
from typing import Any

from bench._common import ms_row, page_app, timed_run

PAGES = {"cases": "pages/cases.py", "resolution": "pages/resolution.py"}
WARM_RUNS = 5


def _quarter(db: str) -> str:
    from warmvisits.db import connect

    con = connect(db)
    try:
        return con.sql(
            "select strftime(received_at, '%Y') || 'Q' || quarter(received_at) as q, count(*) n "
            "from cases where source = '暖心走访' group by q order by n desc, q limit 1"
        ).fetchall()[0][0]
    finally:
        con.close()


def _query_rewind(db: str, as_of: str) -> float:
    """The backlog page's as-of-dependent queries for a new moment (levels × lights, the grouped
    totals, the overdue list), straight on DuckDB."""
    from warmvisits.db import connect
    from warmvisits.metrics import YELLOW_SHARE
    from warmvisits.queries import run

    con = connect(db)
    try:
        t = time.perf_counter()
        run(con, "cases_backlog_levels", as_of=as_of, scope="", yellow_share=YELLOW_SHARE)
        run(
            con,
            "cases_backlog_by",
            as_of=as_of,
            scope="",
            yellow_share=YELLOW_SHARE,
            stuck_days=10,
            dim="township",
        )
        run(
            con,
            "cases_open_list",
            as_of=as_of,
            scope="",
            yellow_share=YELLOW_SHARE,
            stuck_days=10,
            only_overdue=True,
            only_stuck=False,
        )
        return time.perf_counter() - t
    finally:
        con.close()


def run(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    import streamlit as st

    db = ctx["db"]
    os.environ["WARMVISITS_DB"] = os.fspath(db)
    quarter = _quarter(db)
    rows: list[dict[str, Any]] = []
    for name, page in PAGES.items():
        # a first run loads the interpreter's modules (plotly, the ui package ...); "cold" is
        # then measured with empty Streamlit caches in a warm interpreter, as on a running server
        for attempt in ("imports", "cold"):
            st.cache_data.clear()
            st.cache_resource.clear()
            at = page_app(page, quarter)
            cold = timed_run(at)
            del attempt
        warm = statistics.median(timed_run(at) for _ in range(WARM_RUNS))
        rows.append(ms_row(f"{name} page: script, cold ({quarter})", cold, 2000))
        rows.append(ms_row(f"{name} page: script, warm (median of {WARM_RUNS})", warm, 300))
        if name == "cases":
            picker = next(d for d in at.date_input if d.key.startswith("cases_as_of_"))
            day = picker.value - timedelta(days=45)
            picker.set_value(day)
            rewind = timed_run(at)
            rows.append(ms_row("cases page: rewind the as-of day (script)", rewind, 1000))
            moment = datetime.combine(day, datetime.min.time()).replace(hour=23, minute=59)
            q = _query_rewind(db, moment.strftime("%Y-%m-%d %H:%M:59"))
            rows.append(ms_row("cases: backlog queries for a new as-of (DuckDB only)", q, 1000))
    return rows
