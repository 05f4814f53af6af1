"""Callback queries and pages on a tiny hand-made export (tests/data/callbacks), built by the
real build: frames and exclusions worked out by hand, then AppTest — draw a batch, record
outcomes, see the results update.

The fixture (see the CSV files): townships 甲镇 341602101 (grids …101001001, …101001002) and
乙街道 341602102 (grid …102001001), six households per grid (…001001-0006 and …102001001-0005
without a phone, …101001002-0006 moved out), one 2023Q1 visit each (…001001-0004 etc. by phone,
…001001-0005 unreached, …001001-0001 visited twice), ten cases, two exported callbacks.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest

from warmvisits import ops

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "callbacks"
T1, T2 = "341602101", "341602102"
G1, G2, G3 = "341602101001001", "341602101001002", "341602102001001"


@pytest.fixture(scope="module")
def cb_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from warmvisits import build
    from warmvisits import db as wdb

    folder = tmp_path_factory.mktemp("callbacks_db")
    build.build(DATA, folder, demo=True)
    return wdb.pointer_path(folder)


def _run(db: Path, name: str, **params: object) -> pl.DataFrame:
    from warmvisits import db as wdb
    from warmvisits import queries

    con = wdb.connect(db)
    try:
        return queries.run(con, name, **params)
    finally:
        con.close()


FRAME_ARGS = dict(
    start="2023-01-01 00:00:00",
    end="2023-03-31 23:59:59",
    scope="",
    recent_since="2023-03-20 00:00:00",
    recent_households=[],
    exclude_households=[],
    exclude_cases=[],
)


# ------------------------------------------------------------------ queries


def test_case_frame_calls_the_household_that_started_the_case(cb_db: Path) -> None:
    f = _run(cb_db, "callbacks_frame_cases", **FRAME_ARGS)
    # resolved in Q1 with a linked visit: C01–C07 (C08 open, C09 resolved in April, C10 hotline
    # with no visit)
    assert f.get_column("case_id").to_list() == [f"C0{i}" for i in range(1, 8)]
    who = dict(f.select("case_id", "household_id").iter_rows())
    # C01 links V002 (…-0002, 02-22), V100 (…-0001, 03-01), V001 (…-0001, 02-21): earliest is V001
    assert who["C01"] == f"{G1}-0001"
    # C07 links V014 and V015 (02-22, 02-23): V014's household
    assert who["C07"] == f"{G3}-0002"
    why = dict(f.select("case_id", "exclusion").iter_rows())
    assert why == {
        "C01": None,
        "C02": "no_phone",  # …001001-0006 has no phone
        "C03": "recently_called",  # exported callback HF001 on 03-25, after 03-20
        "C04": None,  # HF002 on 01-10 is older
        "C05": None,
        "C06": None,
        "C07": None,
    }


def test_case_frame_exclusions_from_the_store_and_scope(cb_db: Path) -> None:
    args = dict(FRAME_ARGS, recent_since="2099-01-01 00:00:00")
    args.update(
        exclude_cases=["C05"],
        exclude_households=[f"{G3}-0001"],
        recent_households=[f"{G3}-0002"],
    )
    f = _run(cb_db, "callbacks_frame_cases", **args)
    why = dict(f.select("case_id", "exclusion").iter_rows())
    assert why["C03"] is None  # the cut-off is now in the future
    assert why["C05"] == "open_batch"
    assert why["C06"] == "open_batch"  # its household is in an open batch
    assert why["C07"] == "recently_called"  # an app-recorded call
    t2 = _run(cb_db, "callbacks_frame_cases", **dict(FRAME_ARGS, scope=T2))
    assert t2.get_column("case_id").to_list() == ["C06", "C07"]


def test_backcheck_frame(cb_db: Path) -> None:
    f = _run(
        cb_db,
        "callbacks_frame_backcheck",
        round="2023Q1",
        scope="",
        recent_since="2023-03-20 00:00:00",
        recent_households=[],
        exclude_households=[f"{G3}-0006"],
    )
    # 18 households, less …001001-0005 (unreached only) and …001002-0006 (moved out)
    assert f.height == 16
    assert f"{G1}-0005" not in f.get_column("household_id").to_list()
    row = f.filter(pl.col("household_id") == f"{G1}-0001").row(0, named=True)
    assert (row["visit_id"], row["recorded_method"], row["leader_name"]) == ("V100", "入户", "王一")
    row4 = f.filter(pl.col("household_id") == f"{G2}-0004").row(0, named=True)
    assert (row4["recorded_method"], row4["leader_name"]) == ("电话", "王二")
    why = {k: v for k, v in f.select("household_id", "exclusion").iter_rows() if v}
    assert why == {
        f"{G1}-0003": "recently_called",
        f"{G1}-0006": "no_phone",
        f"{G3}-0005": "no_phone",
        f"{G3}-0006": "open_batch",
    }


def test_call_list_households_respect_the_scope(cb_db: Path) -> None:
    ids = [f"{G1}-0001", f"{G3}-0001"]
    everyone = _run(cb_db, "callbacks_households", household_ids=ids, scope="")
    assert everyone.get_column("phone").to_list() == ["13800000001", "13820000001"]
    assert everyone.get_column("township_name").to_list() == ["甲镇", "乙街道"]
    mine = _run(cb_db, "callbacks_households", household_ids=ids, scope=T1)
    assert mine.get_column("household_id").to_list() == [f"{G1}-0001"]


def test_quarter_callbacks(cb_db: Path) -> None:
    q = _run(cb_db, "callbacks_quarter", quarter="2023Q1", scope="")
    assert sorted(q.get_column("callback_id").to_list()) == ["HF001", "HF002"]
    assert _run(cb_db, "callbacks_quarter", quarter="2023Q1", scope=T2).height == 0
    assert _run(cb_db, "callbacks_quarter", quarter="2023Q2", scope="").height == 0


# ------------------------------------------------------------------ AppTest


@pytest.fixture
def cb_app(cb_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., object]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("WARMVISITS_DB", os.fspath(cb_db))
    monkeypatch.delenv("WARMVISITS_OPS", raising=False)
    monkeypatch.chdir(ROOT)
    store = ops.ops_path(cb_db)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    st.cache_data.clear()
    st.cache_resource.clear()

    def make(role: str = "callback") -> AppTest:
        at = AppTest.from_file(os.fspath(ROOT / "app.py"), default_timeout=60)
        at.query_params["quarter"] = "2023Q1"
        at.session_state["wv_role"] = role
        return at

    yield make
    st.cache_data.clear()
    st.cache_resource.clear()


def _texts(at: object) -> str:
    parts = []
    for kind in ("markdown", "caption", "success", "info", "error"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def _metric(at: object, label: str) -> str:
    for m in at.metric:  # type: ignore[attr-defined]
        if m.label == label:
            return str(m.value)
    raise AssertionError(f"no metric {label!r}: {[m.label for m in at.metric]}")  # type: ignore[attr-defined]


def _rank(seed: int, key: str) -> str:
    return hashlib.blake2b(f"{seed}\x1f{key}".encode(), digest_size=16).hexdigest()


def test_draw_record_and_see_results(cb_app: Callable[..., object], cb_db: Path) -> None:
    at = cb_app("callback")
    at.run()
    at.switch_page("pages/callbacks.py").run()
    assert not at.exception
    # frame: C01, C03–C07 eligible (6), C02 without phone
    assert "6" in _texts(at) and "无电话 1" in _texts(at)
    # p 0.98, e 0.02, N 6: n0 = 188.23, 188.23 / (1 + 187.23 / 6) = 5.85 → 6; / 0.8 = 7.5 → 8,
    # capped at the frame: 6
    assert _metric(at, "需抽取") == "6"
    # a wider margin and no minimum: e 0.1 → n0 = 3.8415·0.0196/0.01 = 7.53;
    # 7.53 / (1 + 6.53/6) = 3.61 → 4; / 0.8 = 5. By township 4 : 2 → 3.33 : 1.67 → 3 : 2.
    at.number_input(key="cb_e").set_value(0.1).run()
    at.number_input(key="cb_min").set_value(0).run()
    assert _metric(at, "需抽取") == "5"
    alloc = at.dataframe[0].value
    assert alloc.iloc[:, 0].tolist() == ["甲镇", "乙街道"]
    assert alloc.iloc[:, 1].tolist() == [4, 2] and alloc.iloc[:, 2].tolist() == [3, 2]

    at.number_input(key="cb_seed").set_value(7).run()
    at.button(key="cb_draw").click().run()
    assert not at.exception
    store = ops.ops_path(cb_db)
    batches = ops.list_batches(store)
    assert len(batches) == 1
    b = batches[0]
    assert (b.seed, b.n_members, b.allocation) == (7, 5, {T1: 3, T2: 2})
    assert b.frame_sizes == {T1: 4, T2: 2}
    # the drawn cases: the 3 lowest blake2b(seed, case) ranks among 甲镇's eligible cases, then
    # both of 乙街道's (computed here independently)
    t1 = sorted(["C01", "C03", "C04", "C05"], key=lambda k: _rank(7, k))[:3]
    t2 = sorted(["C06", "C07"], key=lambda k: _rank(7, k))
    members = ops.members(store, b.batch_id)
    assert members.get_column("member_key").to_list() == t1 + t2
    # a rerun of the page draws nothing new
    at.run()
    assert len(ops.list_batches(store)) == 1

    at.segmented_control(key="cb_section").set_value("calls").run()
    assert not at.exception
    assert _metric(at, "样本") == "5" and _metric(at, "已拨打") == "0"
    shown = at.dataframe[0].value
    phones = shown["联系电话"].tolist()
    assert all(len(p) == 11 and p.isdigit() for p in phones), phones  # full numbers for 回访员

    def record(outcome: str, comment: str = "") -> None:
        at.radio(key="cb_outcome").set_value(outcome).run()
        if comment:
            at.text_input(key="cb_comment").input(comment).run()
        at.button(key="cb_save").click().run()
        assert not at.exception

    record("满意")  # first member: answered
    record("不满意", "还没修好")  # second member (the first is done)
    record("未接通")  # third member, attempt 1
    got = ops.members(store, b.batch_id)
    assert got.get_column("final_outcome").to_list()[:2] == ["满意", "不满意"]
    assert got.get_column("attempts").to_list() == [1, 1, 1, 0, 0]
    assert got.get_column("comment").to_list()[1] == "还没修好"
    assert _metric(at, "已拨打") == "3" and _metric(at, "已接通") == "2"

    at.switch_page("pages/satisfaction.py").run()
    at.segmented_control(key="sat_mode").set_value("batch").run()
    assert not at.exception
    # 甲镇: 1 of 2 satisfied; 乙街道: no answers yet (left out of the weights) → 50.0%.
    # Interval: variance 0.5·0.5/2·(1 − 2/4) = 0.0625 → effective n = 0.25/0.0625 = 4;
    # Wilson at p = 0.5, n = 4: 0.5 ± 1.96·√(0.0625 + 3.8415/64) / (1 + 3.8415/4) = 0.5 ± 0.350
    text = _texts(at)
    assert "满意率 50.0%，95% 区间 15.0%–85.0%，基于 2 个接通回访" in text
    assert "接通 52 个中不满意不超过 2 个" in text  # the LQAS rule shown
    # the dissatisfied answer lists its case for follow-up
    follow = at.dataframe[-1].value
    assert follow["事项编号"].tolist() == [t1[1]] and follow["备注"].tolist() == ["还没修好"]

    # record one more answer and the results move
    at.switch_page("pages/callbacks.py").run()
    at.segmented_control(key="cb_section").set_value("calls").run()
    record("满意")  # the third member's second attempt
    at.switch_page("pages/satisfaction.py").run()
    at.segmented_control(key="sat_mode").set_value("batch").run()
    # 甲镇 now 2 of 3; weights: 甲镇 only → 66.7%, from 3 answered calls
    assert "满意率 66.7%" in _texts(at) and "基于 3 个接通回访" in _texts(at)


def test_quarter_results_combine_exports_and_app_without_double_counting(
    cb_app: Callable[..., object], cb_db: Path
) -> None:
    store = ops.ops_path(cb_db)
    b = ops.create_batch(
        store,
        kind="cases",
        settings={},
        seed=1,
        frame_sizes={T1: 4},
        allocation={T1: 2},
        members=[
            {"case_id": "C01", "household_id": f"{G1}-0001", "grid_code": G1, "township_code": T1},
            {"case_id": "C03", "household_id": f"{G1}-0003", "grid_code": G1, "township_code": T1},
        ],
        created_by="t",
    )
    # C01: a new call in the quarter; C03: the same call as exported HF001 (same household,
    # case, day and outcome) — counted once
    ops.record_outcome(
        store, b.batch_id, "C01", "满意", caller="t", called_at="2023-03-28 10:00:00"
    )
    ops.record_outcome(
        store, b.batch_id, "C03", "满意", caller="t", called_at="2023-03-25 15:00:00"
    )
    at = cb_app("leader")
    at.run()
    at.switch_page("pages/satisfaction.py").run()
    assert not at.exception
    # HF001 满意, HF002 不满意, app C01 满意 → 3 calls, 2 of 3 satisfied
    assert _metric(at, "回访次数") == "3"
    assert _metric(at, "满意率") == "66.7%"
    assert "导出回访 2 次，系统内记录 1 次" in _texts(at)


def test_other_roles_see_masked_phones_and_cannot_record(
    cb_app: Callable[..., object], cb_db: Path
) -> None:
    store = ops.ops_path(cb_db)
    ops.create_batch(
        store,
        kind="cases",
        settings={},
        seed=1,
        frame_sizes={T1: 4},
        allocation={T1: 1},
        members=[{"case_id": "C01", "household_id": f"{G1}-0001", "township_code": T1}],
        created_by="t",
    )
    at = cb_app("analyst")
    at.run()
    at.switch_page("pages/callbacks.py").run()
    at.segmented_control(key="cb_section").set_value("calls").run()
    assert not at.exception
    phones = at.dataframe[0].value["联系电话"].tolist()
    assert phones == ["138****0001"]
    assert "13800000001" not in _texts(at)
    assert not [b for b in at.button if b.key == "cb_save"]


def test_backcheck_batch_results_per_grid_leader(
    cb_app: Callable[..., object], cb_db: Path
) -> None:
    store = ops.ops_path(cb_db)
    mem = [
        # 王一 recorded …-0001 and …-0002 at the door, …-0004 by phone; 李三 recorded …-0001
        (f"{G1}-0001", G1, T1, "入户", "王一"),
        (f"{G1}-0002", G1, T1, "入户", "王一"),
        (f"{G1}-0004", G1, T1, "电话", "王一"),
        (f"{G3}-0001", G3, T2, "入户", "李三"),
    ]
    b = ops.create_batch(
        store,
        kind="backcheck",
        settings={},
        seed=1,
        frame_sizes={T1: 10, T2: 4},
        allocation={T1: 3, T2: 1},
        members=[
            {
                "household_id": h,
                "grid_code": g,
                "township_code": t,
                "recorded_method": m,
                "leader_name": who,
                "stratum": t,
            }
            for h, g, t, m, who in mem
        ],
        created_by="t",
    )
    rec = ops.record_outcome
    rec(store, b.batch_id, f"{G1}-0001", "满意", caller="t", visit_happened=False)  # not visited
    rec(store, b.batch_id, f"{G1}-0002", "满意", caller="t", visit_happened=True, visit_how="电话")
    rec(store, b.batch_id, f"{G1}-0004", "满意", caller="t", visit_happened=True, visit_how="电话")
    rec(store, b.batch_id, f"{G3}-0001", "满意", caller="t", visit_happened=True, visit_how="入户")
    at = cb_app("admin")
    at.run()
    at.switch_page("pages/satisfaction.py").run()
    at.segmented_control(key="sat_mode").set_value("batch").run()
    assert not at.exception
    # 4 checked, 2 not as recorded (…-0001 not visited, …-0002 by phone not at the door)
    assert _metric(at, "已核实住户") == "4" and _metric(at, "与记录不符") == "50.0%"
    table = at.dataframe[0].value
    rows = {r["网格员"]: r for r in table.to_dict("records")}
    assert (rows["王一"]["已核实"], rows["王一"]["与记录不符"], rows["王一"]["不符比例"]) == (
        3,
        2,
        "66.7%",
    )
    assert (rows["李三"]["已核实"], rows["李三"]["与记录不符"]) == (1, 0)


def test_members_and_batches_follow_the_viewer_scope(tmp_path: Path) -> None:
    store = tmp_path / "ops.sqlite"
    b = ops.create_batch(
        store,
        kind="cases",
        settings={},
        seed=1,
        frame_sizes={T1: 1, T2: 1},
        allocation={T1: 1, T2: 1},
        members=[
            {"case_id": "C01", "household_id": f"{G1}-0001", "grid_code": G1},
            {"case_id": "C06", "household_id": f"{G3}-0001", "grid_code": G3},
        ],
        created_by="t",
    )
    assert ops.members(store, b.batch_id, scope=T2).get_column("case_id").to_list() == ["C06"]
    assert ops.members(store, b.batch_id).height == 2
    assert [x.batch_id for x in ops.list_batches(store, scope=T2)] == [b.batch_id]
    assert ops.list_batches(store, scope="341602199") == []


def test_quarter_figures_equal_kpis_on_the_small_demo(
    app_test: Callable[..., object], small_db: Path, kpis_cli: Callable[..., dict[str, object]]
) -> None:
    """With no app-recorded outcomes, the quarter's figures are exactly `warmvisits kpis`."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{ops.ops_path(small_db)}{suffix}").unlink(missing_ok=True)
    k = kpis_cli(small_db, "2023Q1")
    at = app_test({"quarter": "2023Q1"}, wv_role="leader")
    at.run()
    at.switch_page("pages/satisfaction.py").run()
    assert not at.exception
    assert _metric(at, "回访次数") == f"{k['callbacks']:,}"
    rate, low, high = (k["satisfaction_rate"], k["satisfaction_ci_low"], k["satisfaction_ci_high"])
    assert isinstance(rate, float) and isinstance(low, float) and isinstance(high, float)
    assert _metric(at, "满意率") == f"{rate * 100:.1f}%"
    assert _metric(at, "95% 置信区间") == f"{low * 100:.1f}%–{high * 100:.1f}%"
    assert f"基于 {k['callbacks_answered']:,} 个接通回访" in _texts(at)
