"""METRICS.md figures on the hand-made fixture district (tests/data/metrics/*.csv).

The fixture, built through the project's build:

    township 341602101 薛阁街道
        village 341602101001 马元社区: grids G1 = …101001001, G2 = …101001002
        village 341602101002 东关社区: grid  G3 = …101002001
    township 341602102 芦庙镇
        village 341602102001 袁庄村:   grid  G4 = …102001001

Households (status): G1 0001-0004, 0006 在册, 0005 迁出, 0007 注销; G2 0001-0003 在册;
G3 0001-0002 在册; G4 0001, 0003 在册, 0002 迁出.

Round 2023Q1 visits: G1-0001 入户 (V01); G1-0002 未联系上 then 电话 (V02, V03); G1-0003 电话 then
入户 (V04, V05); G1-0004 未联系上 twice (V06, V07); G1-0005 (moved out) 入户 (V08); G2-0001 入户
(V09); G2-0002 电话 (V10); G3-0001 入户 (V12); G3-0002 入户 twice (V13, V14); G4-0001 电话 (V15);
G4-0003 未联系上 (V16). Round 2022Q4: G2-0003 入户 (V11), G1-0001 入户 (V17).

Cases (一般 = 7 days, 复杂 = 30 days; "→" is 办结时间):
    C01 G1 一般 02-21 09:00 → 02-28 09:00  (7 days, exactly at the limit: on time)  links V01, V08
    C02 G1 一般 02-22 10:00 → 03-02 16:00  (8.25 days, late)                       links V01
    C03 G3 复杂 02-25 08:00 → 03-20 20:00  (23.5 days)                             links V12, V99 (unknown)
    C04 G2 一般 03-01 12:00 → 03-04 20:00  (3 d 8 h = 80/24 days)
    C05 G4 复杂 03-10 09:00 → 04-05 10:00  (after the quarter); 村社区, 03-15 乡镇街道, 04-02 区直部门
    C06 G1 一般 03-28 10:00 open, no events (当前层级 村社区)
    C07 G2 一般 03-24 06:00 open; 村社区, 03-26 乡镇街道; due 03-31 06:00
    C08 G3 一般 03-26 18:00 open; 村社区; due 04-02 18:00
    C09 G4 复杂 03-05 00:00 open; 村社区, 03-06 乡镇街道, 03-10 区直部门, 03-20 区委区政府, 04-08 上级
    C10 G1 一般 03-15 08:00 → 03-15 20:00  (0.5 days)
    C11 G1 12345热线 一般 03-20 11:00 open, no events (村社区); due 03-27 11:00
    C12 G2 复杂 2022-12-10 09:00 open; 村社区 and 乡镇街道 at the same moment; due 2023-01-09; links V11
    C13 G4 其他 一般 01-05 10:00 → 01-09 16:00
    C14 G3 复杂 03-30 09:00 open; due given by the export: 04-10 09:00 (11 days allowed)

Callbacks: CB1 G1 满意 03-05, CB2 G1 基本满意 03-06, CB3 G2 不满意 03-10, CB4 G3 未接通 03-25,
CB5 G4 满意 03-31 23:59:59, CB6 G1 满意 2023-04-10 15:30 (the latest moment in the data),
CB7 G2 不满意 2022-12-31.
Petitions: 341602101 — 2023Q1: 3 (1 + 6 + 2 persons), 2022Q1: 5; 341602102 — 2023Q1: 1
(1 person), 2022Q1: 0; plus 2022-12-31 (341602101) and 2023-04-01 (341602102).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest
from metrics_fixture import (
    G1,
    G2,
    G3,
    G4,
    T1,
    T2,
    V1,
    V2,
    metrics_db_pointer,
    open_metrics_db,
    rows,
)

from warmvisits import queries
from warmvisits.metrics import (
    KEYS,
    UnknownQuarter,
    UnknownScope,
    backlog_by_level,
    compute_kpis,
    km_median,
    wilson_interval,
)
from warmvisits.quarters import (
    Quarter,
    format_quarter,
    parse_quarter,
    previous_quarter,
    quarter_end,
    quarter_of,
    quarter_range,
    quarter_start,
    year_earlier,
)

Q1_END = datetime(2023, 3, 31, 23, 59, 59)
LEVELS = ["村社区", "乡镇街道", "区直部门", "区委区政府", "上级"]


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = open_metrics_db()
    yield c
    c.close()


def backlog(**cells: tuple[int, int, int]) -> dict[str, dict[str, int]]:
    """backlog(村社区=(green, yellow, red), ...): the other levels all zero."""
    out = {level: {"green": 0, "yellow": 0, "red": 0} for level in LEVELS}
    for level, (g, y, r) in cells.items():
        out[level] = {"green": g, "yellow": y, "red": r}
    return out


# --- coverage --------------------------------------------------------------------------------


def test_coverage_district_moved_out_and_repeated_attempts(con):
    k = compute_kpis(con, "2023Q1")
    # 在册: G1 0001 0002 0003 0004 0006 (5; 0005 迁出, 0007 注销) + G2 3 + G3 2 + G4 0001 0003 (2)
    assert k["registered_households"] == 5 + 3 + 2 + 2
    # visited (入户/电话, 在册, once each): G1 0001 0002 0003 (0004 unreached twice; 0005 moved out)
    # + G2 0001 0002 + G3 0001 0002 (0002 twice) + G4 0001
    assert k["visited_households"] == 3 + 2 + 2 + 1
    # door: G1 0001, 0003 (phone then door) + G2 0001 + G3 0001, 0002
    assert k["door_households"] == 2 + 1 + 2
    assert k["phone_households"] == 8 - 5
    assert k["coverage"] == 8 / 12


def test_coverage_grid_g1(con):
    k = compute_kpis(con, "2023Q1", G1)
    assert (k["registered_households"], k["visited_households"], k["door_households"]) == (5, 3, 2)
    assert k["phone_households"] == 1  # G1-0002: unreached, then phone
    assert k["coverage"] == 3 / 5


def test_coverage_round_without_visits_is_zero_not_undefined(con):
    k = compute_kpis(con, "2023Q2")
    assert k["registered_households"] == 12
    assert k["visited_households"] == 0
    assert k["coverage"] == 0.0


# --- problems reported ------------------------------------------------------------------------


def test_problems_reported_through_merged_cases(con):
    # V01 (linked by C01 and C02: once), V08 (moved-out household, merged into C01: counts),
    # V12 (C03; C03's V99 names no loaded visit and is dropped). V11/V17 are round 2022Q4.
    assert compute_kpis(con, "2023Q1")["problems_reported"] == 3
    assert compute_kpis(con, "2023Q1", G1)["problems_reported"] == 2  # V01, V08
    assert compute_kpis(con, "2023Q1", V2)["problems_reported"] == 1  # V12
    assert compute_kpis(con, "2023Q1", T2)["problems_reported"] == 0
    assert compute_kpis(con, "2022Q4")["problems_reported"] == 1  # V11, linked by C12


# --- cases received, resolved, on time ----------------------------------------------------------


def test_cases_received_resolved_on_time_district(con):
    k = compute_kpis(con, "2023Q1")
    assert k["as_of"] == "2023-03-31 23:59:59"
    # 暖心走访 received in Q1: C01-C10, C14 (C11 is the hotline, C13 其他, C12 is 2022Q4)
    assert k["cases_received"] == 11
    # resolved by 03-31 23:59:59: C01 C02 C03 C04 C10 (C05 only on 04-05)
    assert k["cases_resolved"] == 5
    assert k["resolution_rate"] == 5 / 11
    # on time: C01 (exactly at its limit), C03, C04, C10; C02 late
    assert k["on_time_rate"] == 4 / 5


def test_cases_at_an_earlier_as_of(con):
    k = compute_kpis(con, "2023Q1", "", "2023-03-16 00:00:00")
    assert k["as_of"] == "2023-03-16 00:00:00"
    assert k["cases_received"] == 11  # by quarter, whatever the as-of
    assert k["cases_resolved"] == 4  # C01 C02 C04 C10 (C03 only on 03-20)
    assert k["resolution_rate"] == 4 / 11
    assert k["on_time_rate"] == 3 / 4


# --- backlog at a moment, lights -------------------------------------------------------------------


def test_backlog_at_quarter_end(con):
    k = compute_kpis(con, "2023Q1")
    # open at 03-31 23:59:59: C05 (resolved only 04-05), C06, C07, C08, C09, C11 (hotline),
    # C12 (2022Q4), C14
    assert k["open_cases"] == 8
    # past the limit: C07 (03-31 06:00), C11 (03-27 11:00), C12 (2023-01-09)
    assert k["overdue_cases"] == 3
    assert k["backlog_by_level"] == backlog(
        # C06 (no events), C08, C14 green; C11 red
        村社区=(3, 0, 1),
        # C05 green (moved to 区直部门 only on 04-02: counts at its old level);
        # C07 red; C12 red (its two same-moment events leave it at 乡镇街道)
        乡镇街道=(1, 0, 2),
        # C09: at 区委区政府 since 03-20 (上级 only 04-08); 3 d 0 h 0 min 1 s left of 30 days
        # < 7.5 days: yellow
        区委区政府=(0, 1, 0),
    )


def test_backlog_at_a_past_moment(con):
    k = compute_kpis(con, "2023Q1", "", "2023-03-16 00:00:00")
    # open at 03-16 00:00: C03 (resolved 03-20: still open then), C05, C09, C12
    assert k["open_cases"] == 4
    assert k["overdue_cases"] == 1  # C12
    assert k["backlog_by_level"] == backlog(
        乡镇街道=(2, 0, 1),  # C03 (since 02-27), C05 (since 03-15) green; C12 red
        区直部门=(1, 0, 0),  # C09: 区直部门 since 03-10; 区委区政府 only from 03-20
    )


@pytest.mark.parametrize(
    ("as_of", "cells", "overdue"),
    [
        # C08 (一般, received 03-26 18:00, due 04-02 18:00): 25% of 7 days = 42 h.
        # 04-01 00:00:00 -> exactly 42 h left: not *less* than 25%: green
        ("2023-04-01 00:00:00", {"村社区": (2, 0, 0)}, 0),
        # one second later, 41:59:59 left: yellow
        ("2023-04-01 00:00:01", {"村社区": (1, 1, 0)}, 0),
        # exactly at the limit: not red (red is strictly later), yellow
        ("2023-04-02 18:00:00", {"村社区": (1, 1, 0)}, 0),
        # one second past the limit: red and overdue
        ("2023-04-02 18:00:01", {"村社区": (1, 0, 1)}, 1),
    ],
)
def test_lights_at_their_boundaries(con, as_of, cells, overdue):
    # grid G3 at these moments: C08 open, C14 open (11 days allowed, 9+ days left: green),
    # C03 resolved on 03-20
    k = compute_kpis(con, "2023Q1", G3, as_of)
    assert k["backlog_by_level"] == backlog(**cells)
    assert k["open_cases"] == 2
    assert k["overdue_cases"] == overdue


def test_lights_complex_case_quarter_boundary(con):
    # C09 (复杂, received 03-05 00:00, due 04-04 00:00): 25% of 30 days = 7.5 days, so it turns
    # yellow after 03-27 12:00:00; at exactly 03-27 12:00:00 it is still green.
    green = compute_kpis(con, "2023Q1", G4, "2023-03-27 12:00:00")["backlog_by_level"]
    yellow = compute_kpis(con, "2023Q1", G4, "2023-03-27 12:00:01")["backlog_by_level"]
    assert green["区委区政府"] == {"green": 1, "yellow": 0, "red": 0}
    assert yellow["区委区政府"] == {"green": 0, "yellow": 1, "red": 0}


# --- medians ---------------------------------------------------------------------------------------


def test_median_days_odd_count(con):
    # district resolved: C10 0.5, C04 80/24, C01 7, C02 8.25, C03 23.5 -> the middle one
    assert compute_kpis(con, "2023Q1")["median_days_resolved"] == 7.0


def test_median_days_even_count(con):
    # village 马元社区 (G1, G2): C10 0.5, C04 80/24, C01 7, C02 8.25 -> mean of the middle two
    k = compute_kpis(con, "2023Q1", V1)
    assert k["cases_resolved"] == 4
    assert k["median_days_resolved"] == (80 / 24 + 7.0) / 2


def test_median_days_none_resolved_is_null(con):
    assert compute_kpis(con, "2023Q1", G4)["median_days_resolved"] is None


# --- Kaplan–Meier --------------------------------------------------------------------------------


def _ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def km_median_independent(quarter_start: datetime, t: datetime, scope: str) -> float | None:
    """Product-limit estimate written out over the fixture rows, with exact fractions."""
    quarter_end = datetime(quarter_start.year, quarter_start.month + 2, 31, 23, 59, 59)
    obs = []  # (days, resolved)
    for c in rows("cases"):
        received = _ts(c["受理时间"])
        if c["来源"] != "暖心走访" or not c["网格编码"].startswith(scope):
            continue
        if not quarter_start <= received <= quarter_end:
            continue
        resolved = _ts(c["办结时间"]) if c["办结时间"] else None
        if resolved is not None and resolved <= t:
            obs.append(((resolved - received).total_seconds() / 86400, True))
        else:
            obs.append(((t - received).total_seconds() / 86400, False))
    survival = Fraction(1)
    for s in sorted({d for d, e in obs if e}):
        at_risk = sum(1 for d, _ in obs if d >= s)
        events = sum(1 for d, e in obs if e and d == s)
        survival *= 1 - Fraction(events, at_risk)
        if survival <= Fraction(1, 2):
            return s
    return None


def test_km_median_district_by_hand(con):
    # 11 cases at 03-31 23:59:59, in order of time (E resolved, C censored at as-of):
    # 0.5 E (C10)  S = 10/11
    # 1.62 C (C14), 3.33 E (C04): at risk 9, S = 10/11 · 8/9 = 80/99 ≈ 0.808
    # 3.58 C (C06), 5.25 C (C08), 7 E (C01): at risk 6, S = 80/99 · 5/6 ≈ 0.673
    # 7.75 C (C07), 8.25 E (C02): at risk 4, S ≈ 0.673 · 3/4 ≈ 0.505 (still above one half)
    # 21.6 C (C05), 23.5 E (C03): at risk 2, S ≈ 0.2525 -> the median is 23.5
    assert compute_kpis(con, "2023Q1")["km_median_days"] == 23.5
    # a plain median of the resolved cases says 7 days: the open cases are slower
    assert compute_kpis(con, "2023Q1")["median_days_resolved"] == 7.0


def test_km_median_exactly_one_half(con):
    # grid G2: C04 resolved at 80/24 days, C07 censored: S = 1 - 1/2 = 1/2 exactly -> "at or below"
    assert compute_kpis(con, "2023Q1", G2)["km_median_days"] == 80 / 24


def test_km_median_never_reaches_one_half_is_null(con):
    # grid G4: C05 and C09 both still open at the quarter's end
    assert compute_kpis(con, "2023Q1", G4)["km_median_days"] is None


@pytest.mark.parametrize("scope", ["", T1, T2, V1, V2, G1, G2, G3, G4])
@pytest.mark.parametrize(
    "as_of", ["2023-03-16 00:00:00", "2023-03-31 23:59:59", "2023-04-06 00:00:00"]
)
def test_km_median_against_independent_computation(con, scope, as_of):
    expected = km_median_independent(datetime(2023, 1, 1), _ts(as_of), scope)
    km = queries.run(con, "kpi_km_times", quarter="2023Q1", scope=scope, as_of=_ts(as_of))
    assert km_median(km["days"].to_list(), km["is_resolved"].to_list()) == expected


def test_km_median_function_ties_and_censoring():
    # a censored case at the same time as an event is still at risk at that time:
    # times 1E 2E 2C 3E: S(1) = 3/4, S(2) = 3/4 · 2/3 = 1/2 -> median 2
    assert km_median([1.0, 2.0, 2.0, 3.0], [True, True, False, True]) == 2.0
    # all censored: never
    assert km_median([1.0, 2.0], [False, False]) is None
    assert km_median([], []) is None


# --- Wilson ----------------------------------------------------------------------------------------


def test_wilson_49_of_50():
    low, high = wilson_interval(49, 50)
    assert round(low, 3) == 0.895
    assert round(high, 3) == 0.996


def wilson_reference(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    # the same interval written the other way round: (2k + z² ± z √(z² + 4k(n−k)/n)) / 2(n + z²)
    root = z * math.sqrt(z * z + 4 * k * (n - k) / n)
    return (2 * k + z * z - root) / (2 * (n + z * z)), (2 * k + z * z + root) / (2 * (n + z * z))


@pytest.mark.parametrize(("k", "n"), [(49, 50), (3, 4), (412, 420), (1, 7)])
def test_wilson_against_the_other_form(k, n):
    low, high = wilson_interval(k, n)
    ref_low, ref_high = wilson_reference(k, n)
    assert low == pytest.approx(ref_low, rel=1e-12)
    assert high == pytest.approx(ref_high, rel=1e-12)


def test_wilson_edges():
    assert wilson_interval(0, 0) == (None, None)
    low, high = wilson_interval(10, 10)  # the exact upper bound is 1 (rounding may leave 1 − ε)
    assert high == pytest.approx(1.0, abs=1e-15) and high <= 1.0 and 0 < low < 1
    low, high = wilson_interval(0, 10)
    assert low == pytest.approx(0.0, abs=1e-15) and low >= 0.0 and 0 < high < 1


def test_satisfaction_in_fixture(con):
    k = compute_kpis(con, "2023Q1")
    # Q1: CB1 满意, CB2 基本满意, CB3 不满意, CB4 未接通, CB5 满意 (03-31 23:59:59);
    # CB6 is in April, CB7 in 2022
    assert k["callbacks"] == 5
    assert k["callbacks_answered"] == 4
    assert k["satisfaction_rate"] == 3 / 4
    low, high = wilson_reference(3, 4)
    assert k["satisfaction_ci_low"] == pytest.approx(low, rel=1e-12)
    assert k["satisfaction_ci_high"] == pytest.approx(high, rel=1e-12)


def test_satisfaction_nothing_answered_is_null(con):
    k = compute_kpis(con, "2023Q1", G3)  # only CB4, 未接通
    assert (k["callbacks"], k["callbacks_answered"]) == (1, 0)
    assert k["satisfaction_rate"] is None
    assert k["satisfaction_ci_low"] is None and k["satisfaction_ci_high"] is None


# --- petitions ---------------------------------------------------------------------------------------


def test_petitions_district_and_township(con):
    d = compute_kpis(con, "2023Q1")
    assert (d["petitions"], d["petition_persons"], d["petitions_prev_year"]) == (
        4,
        1 + 6 + 2 + 1,
        5,
    )
    assert d["petitions_yoy"] == (4 - 5) / 5
    t1 = compute_kpis(con, "2023Q1", T1)
    assert (t1["petitions"], t1["petition_persons"], t1["petitions_prev_year"]) == (3, 9, 5)
    assert t1["petitions_yoy"] == (3 - 5) / 5


def test_petitions_yoy_with_zero_earlier_period_is_null(con):
    t2 = compute_kpis(con, "2023Q1", T2)
    assert (t2["petitions"], t2["petition_persons"], t2["petitions_prev_year"]) == (1, 1, 0)
    assert t2["petitions_yoy"] is None


@pytest.mark.parametrize("scope", [V1, V2, G1, G4])
def test_petitions_null_below_township(con, scope):
    k = compute_kpis(con, "2023Q1", scope)
    for key in ("petitions", "petition_persons", "petitions_prev_year", "petitions_yoy"):
        assert k[key] is None


# --- scopes at every level ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (
            "",
            dict(registered_households=12, visited_households=8, cases_received=11,
                 cases_resolved=5, open_cases=8, overdue_cases=3, callbacks=5, petitions=4),
        ),
        (
            T1,  # G1 G2 G3
            dict(registered_households=5 + 3 + 2, visited_households=3 + 2 + 2,
                 # C01-C04, C06-C08, C10, C14
                 cases_received=9, cases_resolved=5,
                 # C06 C07 C08 C11 C12 C14; overdue C07 C11 C12
                 open_cases=6, overdue_cases=3, callbacks=4, petitions=3),
        ),
        (
            V1,  # G1 G2
            dict(registered_households=8, visited_households=5,
                 cases_received=6,  # C01 C02 C04 C06 C07 C10
                 cases_resolved=4, open_cases=4,  # C06 C07 C11 C12
                 overdue_cases=3, callbacks=3, petitions=None),
        ),
        (
            G4,
            dict(registered_households=2, visited_households=1, cases_received=2,
                 cases_resolved=0, open_cases=2, overdue_cases=0, callbacks=1, petitions=None),
        ),
    ],
)  # fmt: skip
def test_scopes(con, scope, expected):
    k = compute_kpis(con, "2023Q1", scope)
    assert k["scope"] == scope
    assert {key: k[key] for key in expected} == expected


def test_scope_g4_rates(con):
    k = compute_kpis(con, "2023Q1", G4)
    assert k["resolution_rate"] == 0.0  # 0 of 2
    assert k["on_time_rate"] is None  # over zero resolved
    assert k["backlog_by_level"] == backlog(乡镇街道=(1, 0, 0), 区委区政府=(0, 1, 0))


# --- independent reference over the fixture rows (every scope, several moments) ------------------


def reference(scope: str, t: datetime) -> dict[str, object]:
    """Cases figures of 2023Q1 computed in plain Python from the export rows."""
    events: dict[str, list[tuple[datetime, int, str]]] = {}
    for i, e in enumerate(rows("case_events")):
        events.setdefault(e["事项编号"], []).append((_ts(e["时间"]), i, e["层级"]))
    received = resolved = on_time = n_open = overdue = 0
    cells = {level: {"green": 0, "yellow": 0, "red": 0} for level in LEVELS}
    for c in rows("cases"):
        if not c["网格编码"].startswith(scope):
            continue
        got = _ts(c["受理时间"])
        due = (
            _ts(c["办结时限"])
            if c["办结时限"]
            else got + timedelta(days=7 if c["复杂程度"] == "一般" else 30)
        )
        done = _ts(c["办结时间"]) if c["办结时间"] else None
        if c["来源"] == "暖心走访" and datetime(2023, 1, 1) <= got <= Q1_END:
            received += 1
            if done is not None and done <= t:
                resolved += 1
                on_time += done <= due
        if got <= t and (done is None or done > t):
            n_open += 1
            overdue += due < t
            before = sorted(ev for ev in events.get(c["事项编号"], []) if ev[0] <= t)
            level = before[-1][2] if before else c["当前层级"]
            left, allowed = (due - t).total_seconds(), (due - got).total_seconds()
            light = "red" if t > due else "yellow" if left < 0.25 * allowed else "green"
            cells[level][light] += 1
    return {
        "cases_received": received,
        "cases_resolved": resolved,
        "on_time_rate": on_time / resolved if resolved else None,
        "open_cases": n_open,
        "overdue_cases": overdue,
        "backlog_by_level": cells,
    }


@pytest.mark.parametrize("scope", ["", T1, T2, V1, V2, G1, G2, G3, G4])
@pytest.mark.parametrize(
    "as_of",
    ["2023-02-28 09:00:00", "2023-03-16 00:00:00", "2023-03-31 23:59:59", "2023-04-03 12:00:00"],
)
def test_cases_against_independent_computation(con, scope, as_of):
    t = _ts(as_of)
    k = {
        **queries.run(con, "kpi_cases_received", quarter="2023Q1", scope=scope, as_of=t).row(
            0, named=True
        ),
        **queries.run(con, "kpi_open_cases", scope=scope, as_of=t).row(0, named=True),
        "backlog_by_level": backlog_by_level(con, scope, t),
    }
    ref = reference(scope, t)
    assert {key: k[key] for key in ref} == ref


# --- as-of, quarters, errors ---------------------------------------------------------------------------


def test_as_of_is_latest_data_moment_when_earlier(con):
    # the latest moment recorded is CB6's 回访时间 2023-04-10 15:30:00 (before 06-30 23:59:59)
    assert compute_kpis(con, "2023Q2")["as_of"] == "2023-04-10 15:30:00"
    assert compute_kpis(con, "2022Q4")["as_of"] == "2022-12-31 23:59:59"


@pytest.mark.parametrize("form", ["2023Q1", "2023-Q1", "2023年第一季度", "2023年一季度", "2023q1"])
def test_quarter_forms(con, form):
    assert compute_kpis(con, form)["quarter"] == "2023Q1"


@pytest.mark.parametrize("quarter", ["2021Q3", "2022Q2", "2024Q1", "2023Q5", "Q1 2023", "", "abc"])
def test_unknown_or_malformed_quarter(con, quarter):
    with pytest.raises(UnknownQuarter):
        compute_kpis(con, quarter)


@pytest.mark.parametrize(
    "scope", ["341602199", "3416021", "341602101009", G1 + "9", "x' or 1=1 --"]
)
def test_unknown_scope(con, scope):
    with pytest.raises(UnknownScope):
        compute_kpis(con, "2023Q1", scope)


def test_output_shape(con):
    k = compute_kpis(con, "2023Q1", T1)
    assert list(k) == ["quarter", "scope", "as_of", *KEYS, "backlog_by_level"]
    assert list(k["backlog_by_level"]) == LEVELS


# --- the command ----------------------------------------------------------------------------------------


def warmvisits_cmd() -> str:
    exe = Path(sys.executable).parent / "warmvisits"
    assert exe.exists(), f"{exe} missing: is the project installed in the environment?"
    return str(exe)


def run_kpis(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "WARMVISITS_DB"}
    return subprocess.run(
        [warmvisits_cmd(), "kpis", "--db", str(metrics_db_pointer()), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_cli_kpis_district_equals_expectations():
    proc = run_kpis("--quarter", "2023Q1")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    low, high = wilson_reference(3, 4)
    assert out.pop("satisfaction_ci_low") == pytest.approx(low, rel=1e-12)
    assert out.pop("satisfaction_ci_high") == pytest.approx(high, rel=1e-12)
    assert out == {
        "quarter": "2023Q1",
        "scope": "",
        "as_of": "2023-03-31 23:59:59",
        "registered_households": 12,
        "visited_households": 8,
        "door_households": 5,
        "phone_households": 3,
        "coverage": 8 / 12,
        "problems_reported": 3,
        "cases_received": 11,
        "cases_resolved": 5,
        "resolution_rate": 5 / 11,
        "on_time_rate": 4 / 5,
        "open_cases": 8,
        "overdue_cases": 3,
        "median_days_resolved": 7.0,
        "km_median_days": 23.5,
        "callbacks": 5,
        "callbacks_answered": 4,
        "satisfaction_rate": 3 / 4,
        "petitions": 4,
        "petition_persons": 10,
        "petitions_prev_year": 5,
        "petitions_yoy": -0.2,
        "backlog_by_level": backlog(村社区=(3, 0, 1), 乡镇街道=(1, 0, 2), 区委区政府=(0, 1, 0)),
    }
    assert proc.stdout.count("\n") == 1  # exactly one JSON object, one line


def test_cli_kpis_village_scope_as_of_and_quarter_form():
    proc = run_kpis("--quarter", "2023年第一季度", "--scope", V1, "--as-of", "2023-03-16 00:00:00")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert (out["quarter"], out["scope"], out["as_of"]) == ("2023Q1", V1, "2023-03-16 00:00:00")
    assert out["petitions"] is None and out["petitions_yoy"] is None
    # resolved by 03-16 in 马元社区: C01 C02 C04 C10 (median of 0.5, 80/24, 7, 8.25)
    assert out["cases_resolved"] == 4
    assert out["median_days_resolved"] == (80 / 24 + 7.0) / 2
    # open at 03-16 in G1/G2: C12 only (C06, C07, C11 not yet received)
    assert out["backlog_by_level"] == backlog(乡镇街道=(0, 0, 1))


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--quarter", "2021Q3"], "2021Q3"),
        (["--quarter", "2023Q7"], "2023Q7"),
        (["--quarter", "2023Q1", "--scope", "341602199"], "341602199"),
        (["--quarter", "2023Q1", "--as-of", "yesterday"], "yesterday"),
    ],
)
def test_cli_kpis_errors(args, needle):
    proc = run_kpis(*args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert needle in proc.stderr


# --- quarters -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["2023Q1", "2023q1", "2023-Q1", " 2023Q1 ", "2023年第一季度", "2023年一季度", "２０２３Ｑ１"],
)
def test_parse_quarter_forms(text):
    assert parse_quarter(text) == Quarter(2023, 1)
    assert format_quarter(text) == "2023Q1"


@pytest.mark.parametrize("text", ["2023Q0", "2023Q5", "2023", "Q1", "2023年第五季度", "23Q1", ""])
def test_parse_quarter_rejects(text):
    with pytest.raises(ValueError):
        parse_quarter(text)


def test_quarter_bounds_and_neighbours():
    q = parse_quarter("2023年第四季度")
    assert q.code == "2023Q4"
    assert q.start == datetime(2023, 10, 1, 0, 0, 0)
    assert q.end == datetime(2023, 12, 31, 23, 59, 59)
    assert quarter_start("2024Q1") == datetime(2024, 1, 1)
    assert quarter_end("2024Q1") == datetime(2024, 3, 31, 23, 59, 59)
    assert quarter_end("2024Q2") == datetime(2024, 6, 30, 23, 59, 59)
    assert previous_quarter("2023Q1") == "2022Q4"
    assert previous_quarter("2023Q3") == "2023Q2"
    assert year_earlier("2023Q1") == "2022Q1"
    assert quarter_range("2022Q3", "2023Q2") == ["2022Q3", "2022Q4", "2023Q1", "2023Q2"]
    assert quarter_range("2023Q2", "2023Q1") == []
    assert quarter_of(datetime(2023, 3, 31, 23, 59, 59)).code == "2023Q1"
    assert quarter_of(datetime(2023, 4, 1)).code == "2023Q2"
