"""The operational store: batches, outcomes, concurrency, and the seam to metrics."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from warmvisits import ops

ROOT = Path(__file__).resolve().parent.parent


def _members(n: int, town: str = "341602101") -> list[dict[str, str]]:
    return [
        {
            "case_id": f"C{i:03d}",
            "household_id": f"{town}001001-{i:04d}",
            "stratum": town,
            "grid_code": f"{town}001001",
            "village_code": f"{town}001",
            "township_code": town,
        }
        for i in range(1, n + 1)
    ]


def _batch(path: Path, n: int = 5, **kw: object) -> ops.Batch:
    args: dict[str, object] = dict(
        kind="cases",
        settings={"p": 0.98, "margin": 0.02},
        seed=7,
        frame_sizes={"341602101": 40},
        allocation={"341602101": n},
        members=_members(n),
        created_by="回访员甲",
    )
    args.update(kw)
    return ops.create_batch(path, **args)  # type: ignore[arg-type]


def test_default_path_is_beside_the_pointer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WARMVISITS_OPS", raising=False)
    assert ops.ops_path(tmp_path) == tmp_path / "ops.sqlite"
    assert ops.ops_path(tmp_path / "x.duckdb") == tmp_path / "ops.sqlite"
    monkeypatch.setenv("WARMVISITS_OPS", str(tmp_path / "elsewhere.sqlite"))
    assert ops.ops_path(tmp_path) == tmp_path / "elsewhere.sqlite"


def test_store_is_wal(tmp_path: Path) -> None:
    path = tmp_path / "ops.sqlite"
    _batch(path)
    con = sqlite3.connect(path)
    assert con.execute("pragma journal_mode").fetchone()[0] == "wal"
    con.close()


def test_batch_saved_with_settings_and_members_in_order(tmp_path: Path) -> None:
    path = tmp_path / "ops.sqlite"
    b = _batch(path, n=4, request_id="req-1")
    assert b.created and b.is_open and b.n_members == 4
    again = ops.get_batch(path, b.batch_id)
    assert again is not None
    assert again.settings == {"p": 0.98, "margin": 0.02}
    assert again.frame_sizes == {"341602101": 40}
    assert again.allocation == {"341602101": 4}
    assert again.seed == 7 and again.created_by == "回访员甲"
    m = ops.members(path, b.batch_id)
    assert m.get_column("member_key").to_list() == ["C001", "C002", "C003", "C004"]
    assert m.get_column("seq").to_list() == [1, 2, 3, 4]
    assert m.get_column("call_ref")[0] == f"WV-{b.batch_id}-0001"
    assert m.get_column("can_call").all()


def test_same_request_never_draws_twice(tmp_path: Path) -> None:
    path = tmp_path / "ops.sqlite"
    a = _batch(path, n=3, request_id="page-run-abc")
    b = _batch(path, n=5, seed=99, request_id="page-run-abc")
    assert b.batch_id == a.batch_id and not b.created
    assert b.n_members == 3 and b.seed == 7
    assert len(ops.list_batches(path)) == 1


def test_attempts_numbered_up_to_three(tmp_path: Path) -> None:
    path = tmp_path / "ops.sqlite"
    b = _batch(path)
    for i in range(3):
        a = ops.record_outcome(path, b.batch_id, "C001", "未接通", caller="甲")
        assert a.attempt_no == i + 1
    with pytest.raises(ops.OpsError) as e:
        ops.record_outcome(path, b.batch_id, "C001", "满意", caller="甲")
    assert e.value.code == "max_attempts"
    m = ops.members(path, b.batch_id).filter(pl.col("member_key") == "C001").row(0, named=True)
    assert m["attempts"] == 3 and m["final_outcome"] == "未接通" and not m["can_call"]


def test_answered_outcome_ends_calls(tmp_path: Path) -> None:
    path = tmp_path / "ops.sqlite"
    b = _batch(path)
    ops.record_outcome(path, b.batch_id, "C002", "未接通", caller="甲")
    a = ops.record_outcome(path, b.batch_id, "C002", "不满意", caller="甲", comment="路灯还是不亮")
    assert a.attempt_no == 2
    with pytest.raises(ops.OpsError) as e:
        ops.record_outcome(path, b.batch_id, "C002", "满意", caller="乙")
    assert e.value.code == "final"
    m = ops.members(path, b.batch_id).filter(pl.col("member_key") == "C002").row(0, named=True)
    assert (m["final_outcome"], m["comment"], m["attempts"]) == ("不满意", "路灯还是不亮", 2)


def test_refusals(tmp_path: Path) -> None:
    path = tmp_path / "ops.sqlite"
    b = _batch(path)
    with pytest.raises(ops.OpsError) as e:
        ops.record_outcome(path, b.batch_id, "C001", "很满意", caller="甲")
    assert e.value.code == "bad_outcome"
    with pytest.raises(ops.OpsError) as e:
        ops.record_outcome(path, b.batch_id, "NOPE", "满意", caller="甲")
    assert e.value.code == "unknown_member"
    with pytest.raises(ops.OpsError) as e:
        ops.record_outcome(path, "B-none", "C001", "满意", caller="甲")
    assert e.value.code == "unknown_batch"
    ops.close_batch(path, b.batch_id, by="组长")
    with pytest.raises(ops.OpsError) as e:
        ops.record_outcome(path, b.batch_id, "C001", "满意", caller="甲")
    assert e.value.code == "closed"
    assert ops.attempts(path).height == 0


def test_same_attempt_id_saves_once(tmp_path: Path) -> None:
    path = tmp_path / "ops.sqlite"
    b = _batch(path)
    a1 = ops.record_outcome(path, b.batch_id, "C003", "满意", caller="甲", attempt_id="x1")
    a2 = ops.record_outcome(path, b.batch_id, "C003", "满意", caller="甲", attempt_id="x1")
    assert a1.created and not a2.created and a2.attempt_no == 1
    assert ops.attempts(path, b.batch_id).height == 1


def test_backcheck_fields(tmp_path: Path) -> None:
    path = tmp_path / "ops.sqlite"
    mem = [
        dict(m, visit_id=f"V{i}", recorded_method="入户", leader_name="王网格")
        for i, m in enumerate(_members(2))
    ]
    b = _batch(path, kind="backcheck", members=mem)
    # back-check members are keyed by household
    keys = ops.members(path, b.batch_id).get_column("member_key").to_list()
    assert keys == [mem[0]["household_id"], mem[1]["household_id"]]
    ops.record_outcome(path, b.batch_id, keys[0], "满意", caller="甲", visit_happened=False)
    ops.record_outcome(
        path, b.batch_id, keys[1], "满意", caller="甲", visit_happened=True, visit_how="电话"
    )
    m = ops.members(path, b.batch_id)
    assert m.get_column("visit_happened").to_list() == [False, True]
    assert m.get_column("visit_how").to_list() == [None, "电话"]
    with pytest.raises(ops.OpsError):
        ops.record_outcome(path, b.batch_id, keys[0], "满意", caller="甲", visit_how="上门")
    # back-checks are not satisfaction callbacks
    assert ops.outcomes_arrow(path).num_rows == 0
    assert ops.outcomes_arrow(path, include_backchecks=True).num_rows == 2


def test_exclusion_lists(tmp_path: Path) -> None:
    path = tmp_path / "ops.sqlite"
    b1 = _batch(path, n=2)
    b2 = _batch(path, n=3, members=_members(3, town="341602102"))
    ops.record_outcome(
        path, b1.batch_id, "C001", "满意", caller="甲", called_at="2023-04-02 10:00:00"
    )
    ops.record_outcome(
        path, b1.batch_id, "C002", "满意", caller="甲", called_at="2023-03-01 10:00:00"
    )
    ops.close_batch(path, b1.batch_id, by="组长")
    keys = ops.open_member_keys(path)
    assert keys["case_id"] == ["C001", "C002", "C003"]  # only b2 is open
    assert keys["household_id"] == [m["household_id"] for m in _members(3, town="341602102")]
    assert ops.recently_called(path, datetime(2023, 4, 1)) == ["341602101001001-0001"]
    assert ops.open_member_keys(tmp_path / "none.sqlite") == {"household_id": [], "case_id": []}
    assert b2.is_open


def test_outcomes_arrow_is_callback_shaped(tmp_path: Path) -> None:
    path = tmp_path / "ops.sqlite"
    b = _batch(path, n=2)
    ops.record_outcome(
        path, b.batch_id, "C001", "未接通", caller="甲", called_at="2023-04-02 09:00:00"
    )
    ops.record_outcome(
        path, b.batch_id, "C001", "满意", caller="甲", called_at="2023-04-02 15:30:00"
    )
    t = ops.outcomes_arrow(path)
    assert t.column_names[:2] == ["callback_id", "call_ref"]
    rows = t.to_pylist()
    assert [r["callback_id"] for r in rows] == [
        f"WV-{b.batch_id}-0001-1",
        f"WV-{b.batch_id}-0001-2",
    ]
    assert rows[1]["called_at"] == datetime(2023, 4, 2, 15, 30)
    assert rows[1]["township_code"] == "341602101" and rows[1]["case_id"] == "C001"
    # the same ids on a second read (stable)
    assert ops.outcomes_arrow(path).column("callback_id").to_pylist() == [
        r["callback_id"] for r in rows
    ]
    assert ops.outcomes_arrow(tmp_path / "missing.sqlite").num_rows == 0


def test_combine_callbacks_counts_each_call_once(tmp_path: Path) -> None:
    path = tmp_path / "ops.sqlite"
    b = _batch(path, n=4)
    for key, outcome, when in [
        ("C001", "满意", "2023-04-02 10:00:00"),  # also exported with the call_ref as 回访编号
        ("C002", "不满意", "2023-04-02 11:00:00"),  # also exported under another id, same day
        ("C003", "满意", "2023-04-03 09:00:00"),  # only in the app
        ("C004", "未接通", "2023-04-03 09:05:00"),  # exported same day but as 满意: different call
    ]:
        ops.record_outcome(path, b.batch_id, key, outcome, caller="甲", called_at=when)
    hh = {m["case_id"]: m["household_id"] for m in _members(4)}
    exported = pl.DataFrame(
        {
            "callback_id": [f"WV-{b.batch_id}-0001", "HF-9", "HF-10", "HF-11"],
            "household_id": [hh["C001"], hh["C002"], hh["C004"], "341602101001001-0099"],
            "grid_code": ["341602101001001"] * 4,
            "village_code": ["341602101001"] * 4,
            "township_code": ["341602101"] * 4,
            "case_id": ["C001", "C002", "C004", None],
            "called_at": [
                datetime(2023, 4, 2, 10, 1),
                datetime(2023, 4, 2, 16, 0),
                datetime(2023, 4, 3, 18, 0),
                datetime(2023, 4, 3, 8, 0),
            ],
            "caller": ["甲", "乙", "乙", "乙"],
            "outcome": ["满意", "不满意", "满意", "基本满意"],
            "comment": [None, None, None, None],
        }
    )
    combined = ops.combine_callbacks(exported, ops.outcomes_frame(path))
    # 4 exported + C003 and C004 from the app = 6 calls
    assert combined.height == 6
    app_rows = combined.filter(pl.col("origin") == "app")
    assert sorted(app_rows.get_column("case_id").to_list()) == ["C003", "C004"]
    # the same rule in SQL (for the metric layer) gives the same rows
    import duckdb

    con = duckdb.connect()
    con.register("callbacks", exported.to_arrow())
    con.register("app_callbacks", ops.outcomes_arrow(path))
    via_sql = con.sql(ops.UNION_SQL).pl()
    assert sorted(via_sql.get_column("callback_id").to_list()) == sorted(
        combined.get_column("callback_id").to_list()
    )


# ------------------------------------------------------------------ concurrency

_WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from warmvisits import ops
    path, batch_id, go, *keys = sys.argv[1:]
    while not Path(go).exists():
        time.sleep(0.005)
    for k in keys:
        ops.record_outcome(path, batch_id, k, "满意", caller="proc", comment=k)
    """
)


def test_concurrent_threads_and_processes_lose_nothing(tmp_path: Path) -> None:
    """4 processes and 6 threads save 120 outcomes at once; 6 threads race on the same members."""
    path = tmp_path / "ops.sqlite"
    n = 120
    b = _batch(path, n=n + 6)
    keys = [f"C{i:03d}" for i in range(1, n + 1)]
    go = tmp_path / "go"
    procs = []
    proc_keys = keys[:60]
    for j in range(4):
        mine = proc_keys[j::4]
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", _WORKER, str(path), b.batch_id, str(go), *mine],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
        )
    thread_keys = keys[60:]
    errors: list[BaseException] = []
    barrier = threading.Barrier(6 + 6)

    def save(mine: list[str]) -> None:
        try:
            barrier.wait()
            for k in mine:
                ops.record_outcome(path, b.batch_id, k, "基本满意", caller="thread", comment=k)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    # six threads all trying the same six extra members: each member ends with exactly one
    # answered outcome, the others are refused as 'final' (never silently overwritten)
    race_keys = [f"C{i:03d}" for i in range(n + 1, n + 7)]
    refused: list[str] = []

    def race() -> None:
        barrier.wait()
        for k in race_keys:
            try:
                ops.record_outcome(path, b.batch_id, k, "满意", caller="race")
            except ops.OpsError as e:
                refused.append(e.code)

    threads = [threading.Thread(target=save, args=(thread_keys[j::6],)) for j in range(6)]
    threads += [threading.Thread(target=race) for _ in range(6)]
    for t in threads:
        t.start()
    go.touch()
    for t in threads:
        t.join()
    for p in procs:
        assert p.wait(timeout=120) == 0
    assert not errors
    got = ops.attempts(path, b.batch_id)
    assert got.height == n + 6
    assert (
        sorted(got.filter(pl.col("comment").is_not_null()).get_column("comment").to_list()) == keys
    )
    assert refused == ["final"] * 30
    m = ops.members(path, b.batch_id)
    assert m.get_column("final_outcome").null_count() == 0


# ------------------------------------------------------------------ a rebuild in the middle

_LOOP_WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from warmvisits import ops
    path, batch_id, go, done, *keys = sys.argv[1:]
    while not Path(go).exists():
        time.sleep(0.005)
    saved = 0
    for k in keys:
        if Path(done).exists() and saved >= 5:
            break
        ops.record_outcome(path, batch_id, k, "满意", caller="proc")
        print(k, flush=True)
        saved += 1
        time.sleep(0.01)
    """
)


def test_rebuild_in_the_middle_loses_nothing(small_exports: Path, tmp_path: Path) -> None:
    """Threads and processes keep saving while the analytical database is rebuilt beside the
    store; afterwards every saved outcome is there and the new build is current."""
    from warmvisits import build
    from warmvisits import db as wdb

    folder = tmp_path / "db"
    build.build(small_exports, folder, demo=True)
    first = wdb.current_build(folder)
    path = ops.ops_path(folder)
    assert path == folder / "ops.sqlite"
    keys = [f"K{i:04d}" for i in range(2000)]
    b = ops.create_batch(
        path,
        kind="cases",
        settings={},
        seed=1,
        frame_sizes={"": 2000},
        allocation={"": 2000},
        members=[{"case_id": k, "household_id": f"H{k}"} for k in keys],
        created_by="t",
    )
    go, done = tmp_path / "go", tmp_path / "done"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _LOOP_WORKER, str(path), b.batch_id, str(go), str(done)]
            + keys[j * 400 : (j + 1) * 400],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            text=True,
        )
        for j in range(2)
    ]
    stop = threading.Event()
    saved: list[list[tuple[str, float]]] = [[] for _ in range(3)]
    errors: list[BaseException] = []

    def writer(j: int) -> None:
        try:
            for k in keys[800 + j * 400 : 800 + (j + 1) * 400]:
                if stop.is_set() and len(saved[j]) >= 5:
                    break
                ops.record_outcome(path, b.batch_id, k, "基本满意", caller="thread")
                saved[j].append((k, time.time()))
                time.sleep(0.01)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(j,)) for j in range(3)]
    for t in threads:
        t.start()
    go.touch()
    time.sleep(0.3)
    t0 = time.time()
    build.build(small_exports, folder, demo=True)
    t1 = time.time()
    stop.set()
    done.touch()
    for t in threads:
        t.join()
    proc_saved = []
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        proc_saved += out.split()
    assert not errors
    during = [k for s in saved for k, at in s if t0 <= at <= t1]
    assert during, "no outcome was saved while the build ran"
    expected = sorted(proc_saved + [k for s in saved for k, _ in s])
    got = ops.attempts(path, b.batch_id)
    assert sorted(got.get_column("member_key").to_list()) == expected
    assert len(expected) == len(set(expected))
    # the rebuild made a new build current and left the store alone
    assert wdb.current_build(folder) != first
    assert path.exists() and ops.get_batch(path, b.batch_id) is not None


def test_version_changes_with_every_write(tmp_path: Path) -> None:
    path = tmp_path / "ops.sqlite"
    assert ops.version(path) == "0:0:"
    b = _batch(path, n=2)
    v1 = ops.version(path)
    assert v1.startswith("1:0:")
    ops.record_outcome(path, b.batch_id, "C001", "满意", caller="甲")
    v2 = ops.version(path)
    assert v2.startswith("1:1:") and v2 != v1


def test_register_app_callbacks_on_a_cursor(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "ops.sqlite"
    b = _batch(path, n=2)
    ops.record_outcome(path, b.batch_id, "C002", "不满意", caller="甲")
    cur = duckdb.connect().cursor()
    ops.register_app_callbacks(cur, path)
    assert cur.sql("select case_id, outcome from app_callbacks").fetchall() == [("C002", "不满意")]
