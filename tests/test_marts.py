"""The marts (queries/build/50–54): not null, unique key, accepted values, relationships, and a
few "these input rows give these output rows" cases on the hand-made fixture district."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import duckdb
import pytest
from metrics_fixture import G1, G2, G3, G4, T1, T2, open_metrics_db

LEVELS = ["村社区", "乡镇街道", "区直部门", "区委区政府", "上级"]

# mart -> (unique key, not-null columns)
MARTS: dict[str, tuple[list[str], list[str]]] = {
    "mart_grid_round_coverage": (
        ["grid_code", "round"],
        ["round", "grid_code", "village_code", "township_code", "n_registered", "n_visited",
         "n_door", "n_phone", "n_unreached", "n_not_attempted", "n_attempts",
         "n_problems_reported", "n_visit_days"],
    ),
    "mart_case_facts": (
        ["case_id"],
        ["case_id", "source", "category", "complexity", "status", "current_level",
         "current_level_rank", "grid_code", "village_code", "township_code", "received_at",
         "received_on", "received_quarter", "due_at", "allowed_days", "is_resolved",
         "n_linked_visits", "n_events", "highest_level", "highest_level_rank"],
    ),
    "mart_case_levels": (
        ["case_id", "event_seq"],
        ["case_id", "event_seq", "at", "action", "level", "level_rank", "is_last_event",
         "grid_code", "village_code", "township_code"],
    ),
    "mart_petitions_township_month": (
        ["township_code", "month_on"],
        ["township_code", "month_on", "year", "month", "quarter", "n_petitions", "n_persons",
         "n_repeat", "n_collective", "n_letter", "n_visit", "n_online", "n_phone"],
    ),
    "mart_quarters": (
        ["quarter"],
        ["quarter", "quarter_start", "quarter_end", "n_visits", "n_cases_received",
         "n_cases_resolved", "n_case_events", "n_callbacks", "n_petitions"],
    ),
}  # fmt: skip

# (mart, column, clean table, column): every value must exist in the clean table
RELATIONSHIPS = [
    ("mart_grid_round_coverage", "grid_code", "grids", "grid_code"),
    ("mart_grid_round_coverage", "village_code", "villages", "village_code"),
    ("mart_grid_round_coverage", "township_code", "townships", "township_code"),
    ("mart_case_facts", "case_id", "cases", "case_id"),
    ("mart_case_facts", "grid_code", "grids", "grid_code"),
    ("mart_case_levels", "case_id", "mart_case_facts", "case_id"),
    ("mart_petitions_township_month", "township_code", "townships", "township_code"),
]

ACCEPTED = [
    ("mart_case_facts", "source", ["暖心走访", "12345热线", "其他"]),
    ("mart_case_facts", "complexity", ["一般", "复杂"]),
    ("mart_case_facts", "current_level", LEVELS),
    ("mart_case_facts", "highest_level", LEVELS),
    ("mart_case_levels", "level", LEVELS),
    ("mart_case_levels", "action", ["受理", "派遣", "上报", "转办", "退回", "办结"]),
]


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = open_metrics_db()
    yield c
    c.close()


def scalar(con, sql: str, **params):
    return con.sql(sql, params=params or None).fetchall()[0][0]


@pytest.mark.parametrize("mart", list(MARTS))
def test_unique_key(con, mart):
    key = ", ".join(MARTS[mart][0])
    assert scalar(con, f"select count(*) from {mart}") > 0
    dupes = scalar(
        con, f"select count(*) from (select {key} from {mart} group by {key} having count(*) > 1)"
    )
    assert dupes == 0


@pytest.mark.parametrize(
    ("mart", "column"), [(m, c) for m, (_, cols) in MARTS.items() for c in cols]
)
def test_not_null(con, mart, column):
    assert scalar(con, f'select count(*) from {mart} where "{column}" is null') == 0


@pytest.mark.parametrize(("mart", "column", "values"), ACCEPTED)
def test_accepted_values(con, mart, column, values):
    bad = con.sql(
        f"select distinct {column} from {mart} where not list_contains($values, {column})",
        params={"values": values},
    ).fetchall()
    assert bad == []


@pytest.mark.parametrize(("mart", "column", "table", "ref"), RELATIONSHIPS)
def test_relationships(con, mart, column, table, ref):
    orphans = scalar(
        con,
        f"select count(*) from {mart} as m where not exists "
        f"(select 1 from {table} as t where t.{ref} = m.{column})",
    )
    assert orphans == 0


def test_every_case_has_its_facts(con):
    assert scalar(con, "select count(*) from cases") == scalar(
        con, "select count(*) from mart_case_facts"
    )
    assert scalar(con, "select count(*) from case_events") == scalar(
        con, "select count(*) from mart_case_levels"
    )


def test_rank_matches_level(con):
    for mart, level, rank in [
        ("mart_case_facts", "current_level", "current_level_rank"),
        ("mart_case_facts", "highest_level", "highest_level_rank"),
        ("mart_case_levels", "level", "level_rank"),
    ]:
        assert (
            scalar(
                con,
                f"select count(*) from {mart} where list_position($levels, {level}) <> {rank}",
                levels=LEVELS,
            )
            == 0
        )


# --- given these rows, these results ----------------------------------------------------------


def test_grid_round_coverage_g1(con):
    row = con.sql(
        "select * from mart_grid_round_coverage where round = '2023Q1' and grid_code = $g",
        params={"g": G1},
    ).pl()
    r = row.row(0, named=True)
    # 在册 0001-0004, 0006; visited 0001 (door), 0002 (unreached then phone), 0003 (phone then
    # door); 0004 unreached twice; 0006 not attempted; 0005 (moved out) is not counted
    assert (r["n_registered"], r["n_visited"], r["n_door"], r["n_phone"]) == (5, 3, 2, 1)
    assert (r["n_unreached"], r["n_not_attempted"]) == (1, 1)
    # attempts: V01-V08 (8, the moved-out household's V08 included): 入户 V01 V05 V08,
    # 电话 V03 V04, 未联系上 V02 V06 V07
    assert (r["n_attempts"], r["n_attempts_door"], r["n_attempts_phone"]) == (8, 3, 2)
    assert r["n_attempts_unreached"] == 3
    assert r["n_problems_reported"] == 2  # V01 (C01 and C02), V08 (C01)
    # days: 02-20, 02-21, 02-22, 02-23, 02-25, 03-01
    assert r["n_visit_days"] == 6
    assert (r["first_visit_on"], r["last_visit_on"]) == (date(2023, 2, 20), date(2023, 3, 1))


def test_grid_round_coverage_has_every_grid_each_round(con):
    rows = con.sql(
        "select round, count(*) from mart_grid_round_coverage group by round order by round"
    ).fetchall()
    assert rows == [("2022Q4", 4), ("2023Q1", 4)]
    # a grid with no visit in 2022Q4 still has its row, with its registered households
    r = con.sql(
        "select n_registered, n_visited, n_attempts, first_visit_on from mart_grid_round_coverage "
        "where round = '2022Q4' and grid_code = $g",
        params={"g": G4},
    ).fetchall()[0]
    assert r == (2, 0, 0, None)


def test_case_facts_c01_and_c14(con):
    c01 = con.sql("select * from mart_case_facts where case_id = 'C01'").pl().row(0, named=True)
    assert c01["received_quarter"] == "2023Q1"
    assert c01["due_at"] == datetime(2023, 2, 28, 9)  # 一般: + 7 days
    assert c01["days_to_resolve"] == 7.0
    assert c01["is_on_time"] is True  # resolved exactly at the limit
    assert c01["n_linked_visits"] == 2  # V01, V08
    c14 = con.sql("select * from mart_case_facts where case_id = 'C14'").pl().row(0, named=True)
    assert c14["due_at"] == datetime(2023, 4, 10, 9)  # the export's own limit
    assert c14["allowed_days"] == 11.0
    assert c14["days_to_resolve"] is None and c14["is_on_time"] is None
    c03 = con.sql("select n_linked_visits from mart_case_facts where case_id = 'C03'").fetchall()[0]
    assert c03 == (1,)  # V12; V99 names no loaded visit


def test_case_facts_highest_level(con):
    got = dict(con.sql("select case_id, highest_level from mart_case_facts").fetchall())
    assert got["C09"] == "上级"  # events up to 上级
    assert got["C05"] == "区直部门"
    assert got["C06"] == "村社区"  # no events: its 当前层级


def test_case_levels_intervals(con):
    c05 = con.sql(
        "select event_seq, level, prev_level, level_until, is_last_event from mart_case_levels "
        "where case_id = 'C05' order by event_seq"
    ).fetchall()
    assert c05 == [
        (1, "村社区", None, datetime(2023, 3, 15, 14), False),
        (2, "乡镇街道", "村社区", datetime(2023, 4, 2, 9), False),
        (3, "区直部门", "乡镇街道", datetime(2023, 4, 5, 10), False),
        (4, "区直部门", "区直部门", None, True),
    ]
    # C12: two events at the same moment: the first holds the case for no time at all
    c12 = con.sql(
        "select event_seq, level, days_at_level from mart_case_levels where case_id = 'C12' "
        "order by event_seq"
    ).fetchall()
    assert c12 == [(1, "村社区", 0.0), (2, "乡镇街道", None)]


def test_case_states_at_macro(con):
    # the build's table macro: states at a moment (METRICS.md "States at t")
    got = con.sql(
        "select case_id, level, light from case_states_at($t::timestamp, 0.25) order by case_id",
        params={"t": "2023-03-16 00:00:00"},
    ).fetchall()
    assert got == [
        ("C03", "乡镇街道", "green"),
        ("C05", "乡镇街道", "green"),
        ("C09", "区直部门", "green"),
        ("C12", "乡镇街道", "red"),
    ]


def test_petitions_township_month(con):
    # months from the first (2022-01) to the last (2023-04) petition: 16, for both townships
    assert scalar(con, "select count(*) from mart_petitions_township_month") == 2 * 16
    feb = con.sql(
        "select n_petitions, n_persons, n_collective, n_visit from mart_petitions_township_month "
        "where township_code = $t and month_on = date '2023-02-01'",
        params={"t": T1},
    ).fetchall()[0]
    assert feb == (1, 6, 1, 1)  # P02: 来访, 6 persons (collective)
    q1 = con.sql(
        "select township_code, sum(n_petitions), sum(n_persons) from mart_petitions_township_month "
        "where quarter = '2023Q1' group by 1 order by 1"
    ).fetchall()
    assert q1 == [(T1, 3, 9), (T2, 1, 1)]


def test_quarters(con):
    got = con.sql("select quarter, n_visits, latest_at from mart_quarters order by 1").fetchall()
    assert got == [
        ("2022Q1", 0, datetime(2022, 3, 31, 23, 59, 59)),  # petition P08 on 03-31 (end of day)
        ("2022Q4", 2, datetime(2022, 12, 31, 23, 59, 59)),  # P10 on 12-31; CB7 12-31 23:00
        ("2023Q1", 15, datetime(2023, 3, 31, 23, 59, 59)),  # CB5 and P03
        ("2023Q2", 0, datetime(2023, 4, 10, 15, 30)),  # CB6
    ]


def test_scope_prefix_selects_the_hierarchy(con):
    # the mart's grid codes nest: every grid starts with its village's and township's code
    assert (
        scalar(
            con,
            "select count(*) from mart_grid_round_coverage "
            "where not starts_with(grid_code, village_code) or not starts_with(village_code, township_code)",
        )
        == 0
    )
    assert {G1, G2, G3} == {
        r[0]
        for r in con.sql(
            "select distinct grid_code from mart_grid_round_coverage where starts_with(grid_code, $s)",
            params={"s": T1},
        ).fetchall()
    }
    assert G4 not in {G1, G2, G3}
