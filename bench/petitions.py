"""信访趋势 and 问卷分析 at scale: script time of each page, cold and warm, and the questionnaire
queries on their own.

Script time is measured with Streamlit's AppTest started from app.py (the whole script run,
shell included) on the build in ctx["db"]. Targets (issue 8): both pages warm under 300 ms at
district scale (questionnaire answers for eight rounds of about 530,000 households); cold under
2 s (issue 5's page target). The questionnaire's queries are also timed straight on DuckDB (no
Streamlit cache): the page's two main queries, and the household drill for one village.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from bench._common import ms_row, page_app, timed_run

PAGES = {"petitions": "pages/petitions.py", "questionnaire": "pages/questionnaire.py"}
WARM_RUNS = 5
QUARTER = "2023Q1"


def _queries(db: str) -> list[dict[str, Any]]:
    from warmvisits.db import connect
    from warmvisits.queries import run

    con = connect(db)
    rows = []
    try:
        size = con.sql("select count(*) from mart_grid_round_answers").fetchall()[0][0]
        village = con.sql("select min(village_code) from villages").fetchall()[0][0]
        item = con.sql("select min(item_code) from menu").fetchall()[0][0]
        option = con.sql("select options[1] from menu where item_code = $i", params={"i": item})
        answer = option.fetchall()[0][0]
        rows.append(
            {
                "benchmark": "questionnaire: mart_grid_round_answers rows",
                "value": float(size),
                "unit": "rows",
                "target": "",
                "ok": None,
            }
        )
        timed = [
            ("questionnaire_answers", {"quarter": QUARTER, "scope": "", "department": ""}, 1000),
            ("questionnaire_areas", {"quarter": QUARTER, "scope": "", "item": item}, 1000),
            (
                "questionnaire_households",
                {"quarter": QUARTER, "scope": village, "item": item, "answer": answer, "limit": 500},
                2000,
            ),
            ("petitions_townships", {"quarter": QUARTER, "scope": "", "as_of": "2023-03-31 23:59:59"}, 1000),
        ]  # fmt: skip
        for name, params, target in timed:
            t = time.perf_counter()
            run(con, name, **params)
            rows.append(
                ms_row(
                    f"{name} (DuckDB only, {params['scope'] or 'district'})",
                    time.perf_counter() - t,
                    target,
                )
            )
    finally:
        con.close()
    return rows


def run(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    import streamlit as st

    db = ctx["db"]
    os.environ["WARMVISITS_DB"] = os.fspath(db)
    rows: list[dict[str, Any]] = []
    # warm the process once (imports, the shell's first run) so that "cold" below means a cold
    # query cache, as in the dashboard's page benchmark, not a cold Python process
    for page in PAGES.values():
        at = page_app(page, QUARTER)
        timed_run(at)
    for name, page in PAGES.items():
        st.cache_data.clear()
        st.cache_resource.clear()
        at = page_app(page, QUARTER)
        cold = timed_run(at)
        warm = statistics.median(timed_run(at) for _ in range(WARM_RUNS))
        rows.append(ms_row(f"{name} page: script, cold ({QUARTER}, {ctx['scale']})", cold, 2000))
        rows.append(ms_row(f"{name} page: script, warm (median of {WARM_RUNS})", warm, 300))
    rows.extend(_queries(db))
    return rows
