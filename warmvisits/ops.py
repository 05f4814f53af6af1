"""The operational store: callback batches, their drawn members, and call outcomes.

What people write in the app lives here, not in the analytical database: a rebuild replaces the
DuckDB file and must never touch what callback staff recorded. This is one small SQLite file in
WAL mode, by default beside the database pointer (``<pointer folder>/ops.sqlite``; override with
``WARMVISITS_OPS``). Every write is one ``BEGIN IMMEDIATE`` transaction, with a busy timeout and
retries, so several staff (threads of one server, or several processes) can save at the same
moment and no outcome is lost. Writes are idempotent on their ``attempt_id`` / ``request_id``: a
retried or re-uploaded save never counts twice, and a page rerun never draws a batch again.

Tables
------
``batches``        one row per draw: kind (``cases`` | ``backcheck``), settings (JSON), seed, frame
                   size per stratum (JSON), allocation (JSON), who, when, status open/closed.
``batch_members``  the drawn list, in draw order: keys (household, case or visit), stratum and
                   the place codes (no names or phones: those are read, masked by role, from the
                   analytical database when the list is shown).
``call_attempts``  up to three attempts per member; an answered outcome ends the member's calls.
                   Back-check fields: ``visit_happened`` (1/0) and ``visit_how`` (入户/电话).

Metrics join the app's outcomes with exported callbacks through :func:`outcomes_arrow`
(callback-shaped rows with a stable ``callback_id``) and :func:`combine_callbacks`.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
import pyarrow as pa

from warmvisits import db as dbmod

OPS_NAME = "ops.sqlite"
ENV_VAR = "WARMVISITS_OPS"
MAX_ATTEMPTS = 3
OUTCOMES = ("满意", "基本满意", "不满意", "未接通")
NOT_REACHED = "未接通"
KINDS = ("cases", "backcheck")
VISIT_HOW = ("入户", "电话")
SCHEMA_VERSION = "1"
TS = "%Y-%m-%d %H:%M:%S"

T = TypeVar("T")

_SCHEMA = """
create table if not exists meta (key text primary key, value text not null);
create table if not exists batches (
    batch_id text primary key,
    kind text not null check (kind in ('cases', 'backcheck')),
    title text,
    settings_json text not null,
    seed integer not null,
    frame_json text not null,
    allocation_json text not null,
    n_members integer not null,
    created_by text not null,
    created_at text not null,
    status text not null default 'open' check (status in ('open', 'closed')),
    closed_by text,
    closed_at text,
    request_id text unique,
    build_id text
);
create table if not exists batch_members (
    batch_id text not null references batches (batch_id),
    seq integer not null,
    member_key text not null,
    household_id text not null,
    case_id text,
    visit_id text,
    round text,
    stratum text not null,
    grid_code text,
    village_code text,
    township_code text,
    recorded_method text,
    leader_name text,
    primary key (batch_id, seq),
    unique (batch_id, member_key)
);
create table if not exists call_attempts (
    attempt_id text primary key,
    batch_id text not null,
    member_key text not null,
    attempt_no integer not null check (attempt_no between 1 and 3),
    outcome text not null check (outcome in ('满意', '基本满意', '不满意', '未接通')),
    comment text,
    visit_happened integer check (visit_happened in (0, 1)),
    visit_how text,
    caller text not null,
    called_at text not null,
    source text not null default 'app' check (source in ('app', 'upload')),
    recorded_at text not null,
    unique (batch_id, member_key, attempt_no),
    foreign key (batch_id, member_key) references batch_members (batch_id, member_key)
);
create index if not exists call_attempts_called_at on call_attempts (called_at);
"""


class OpsError(ValueError):
    """A write the store refuses; ``code`` is a short reason for the interface."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------- location, connection


def ops_path(db: str | os.PathLike[str] | None = None) -> Path:
    """The store's file: ``$WARMVISITS_OPS``, else ``ops.sqlite`` beside the database pointer."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().absolute()
    return dbmod.pointer_path(db).parent / OPS_NAME


_ready: set[tuple[str, int]] = set()
_ready_lock = threading.Lock()


def connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """A new connection (one per call: sqlite3 connections are not shared between threads)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    existed = p.exists()
    con = sqlite3.connect(os.fspath(p), timeout=30, isolation_level=None, check_same_thread=False)
    con.row_factory = sqlite3.Row
    con.execute("pragma busy_timeout = 30000")
    con.execute("pragma foreign_keys = on")
    # schema set-up once per file (a file deleted and made again is set up again)
    key = (os.fspath(p.absolute()), os.stat(p).st_ino)
    if not existed or key not in _ready:
        with _ready_lock:
            _retry(lambda: _init(con))
            _ready.add(key)
    return con


def _init(con: sqlite3.Connection) -> None:
    con.execute("pragma journal_mode = wal")
    con.execute("begin immediate")
    try:
        for stmt in _SCHEMA.split(";"):
            if stmt.strip():
                con.execute(stmt)
        con.execute(
            "insert or ignore into meta (key, value) values ('schema_version', ?)",
            (SCHEMA_VERSION,),
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _retry(fn: Callable[[], T], tries: int = 50) -> T:
    """Run ``fn``, retrying while SQLite reports the file busy or locked."""
    delay = 0.01
    for i in range(tries):
        try:
            return fn()
        except sqlite3.OperationalError as e:
            msg = str(e).lower()
            if ("locked" not in msg and "busy" not in msg) or i == tries - 1:
                raise
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 0.5)
    raise AssertionError("unreachable")


@contextmanager
def _reading(path: str | os.PathLike[str]) -> Iterator[sqlite3.Connection]:
    con = connect(path)
    try:
        yield con
    finally:
        con.close()


def _write(path: str | os.PathLike[str], fn: Callable[[sqlite3.Connection], T]) -> T:
    """One immediate transaction around ``fn``, retried as a whole when the file is busy."""

    def attempt() -> T:
        con = connect(path)
        try:
            con.execute("begin immediate")
            try:
                out = fn(con)
                con.execute("commit")
                return out
            except BaseException:
                if con.in_transaction:
                    con.execute("rollback")
                raise
        finally:
            con.close()

    return _retry(attempt)


def _now() -> str:
    return datetime.now().strftime(TS)


_TS_TEXT = re.compile(
    r"^\s*(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})日?(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$"
)


def _ts(value: datetime | str | None) -> str:
    """A timestamp as stored: ``YYYY-MM-DD HH:MM:SS`` (2023/4/2 11:00 and 2023年4月2日 too)."""
    if value is None:
        return _now()
    if isinstance(value, datetime):
        return value.strftime(TS)
    m = _TS_TEXT.match(str(value))
    if not m:
        raise ValueError(f"not a date and time: {value!r}")
    y, mo, d, h, mi, s = (int(x) if x else 0 for x in m.groups())
    return datetime(y, mo, d, h, mi, s).strftime(TS)


# --------------------------------------------------------------------------- batches


@dataclass(frozen=True)
class Batch:
    batch_id: str
    kind: str
    title: str | None
    settings: dict[str, Any]
    seed: int
    frame_sizes: dict[str, int]
    allocation: dict[str, int]
    n_members: int
    created_by: str
    created_at: str
    status: str
    closed_by: str | None = None
    closed_at: str | None = None
    request_id: str | None = None
    build_id: str | None = None
    created: bool = field(default=False, compare=False)  # True when this call made it

    @property
    def is_open(self) -> bool:
        return self.status == "open"


def _batch(row: sqlite3.Row, created: bool = False) -> Batch:
    return Batch(
        batch_id=row["batch_id"],
        kind=row["kind"],
        title=row["title"],
        settings=json.loads(row["settings_json"]),
        seed=int(row["seed"]),
        frame_sizes={k: int(v) for k, v in json.loads(row["frame_json"]).items()},
        allocation={k: int(v) for k, v in json.loads(row["allocation_json"]).items()},
        n_members=int(row["n_members"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
        status=row["status"],
        closed_by=row["closed_by"],
        closed_at=row["closed_at"],
        request_id=row["request_id"],
        build_id=row["build_id"],
        created=created,
    )


MEMBER_COLUMNS = (
    "member_key",
    "household_id",
    "case_id",
    "visit_id",
    "round",
    "stratum",
    "grid_code",
    "village_code",
    "township_code",
    "recorded_method",
    "leader_name",
)


def new_batch_id(now: datetime | None = None) -> str:
    now = now or datetime.now()
    return f"B{now:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:4]}"


def create_batch(
    path: str | os.PathLike[str],
    *,
    kind: str,
    settings: Mapping[str, Any],
    seed: int,
    frame_sizes: Mapping[str, int],
    allocation: Mapping[str, int],
    members: pl.DataFrame | Sequence[Mapping[str, Any]],
    created_by: str,
    title: str | None = None,
    request_id: str | None = None,
    build_id: str | None = None,
) -> Batch:
    """Save a draw as a batch with its members (in the given order).

    ``members`` has ``household_id`` and, per kind, ``case_id`` (cases) or ``visit_id`` (back-
    checks), plus ``stratum`` and place codes; ``member_key`` defaults to the case id (cases) or
    the household id (back-checks). With a ``request_id`` already used, the existing batch is
    returned unchanged (``created`` False): a rerun never draws again.
    """
    if kind not in KINDS:
        raise OpsError("bad_kind", f"kind must be one of {KINDS}")
    rows = members.to_dicts() if isinstance(members, pl.DataFrame) else [dict(m) for m in members]
    for r in rows:
        if not r.get("member_key"):
            r["member_key"] = r.get("case_id") if kind == "cases" else r.get("household_id")
        if not r.get("household_id") or not r.get("member_key"):
            raise OpsError("bad_member", f"member without household or key: {r}")
        r.setdefault("stratum", "")
        if r["stratum"] is None:
            r["stratum"] = ""
    batch_id = new_batch_id()

    def work(con: sqlite3.Connection) -> Batch:
        if request_id:
            row = con.execute(
                "select * from batches where request_id = ?", (request_id,)
            ).fetchone()
            if row is not None:
                return _batch(row)
        con.execute(
            "insert into batches (batch_id, kind, title, settings_json, seed, frame_json,"
            " allocation_json, n_members, created_by, created_at, status, request_id, build_id)"
            " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
            (
                batch_id,
                kind,
                title,
                json.dumps(dict(settings), ensure_ascii=False, sort_keys=True, default=str),
                int(seed),
                json.dumps({k: int(v) for k, v in frame_sizes.items()}, ensure_ascii=False),
                json.dumps({k: int(v) for k, v in allocation.items()}, ensure_ascii=False),
                len(rows),
                created_by,
                _now(),
                request_id,
                build_id,
            ),
        )
        con.executemany(
            "insert into batch_members (batch_id, seq, member_key, household_id, case_id,"
            " visit_id, round, stratum, grid_code, village_code, township_code,"
            " recorded_method, leader_name) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (batch_id, i, *[_str(r.get(c)) for c in MEMBER_COLUMNS])
                for i, r in enumerate(rows, start=1)
            ],
        )
        row = con.execute("select * from batches where batch_id = ?", (batch_id,)).fetchone()
        return _batch(row, created=True)

    return _write(path, work)


def _str(v: Any) -> str | None:
    return None if v is None else str(v)


def get_batch(path: str | os.PathLike[str], batch_id: str) -> Batch | None:
    with _reading(path) as con:
        row = con.execute("select * from batches where batch_id = ?", (batch_id,)).fetchone()
    return _batch(row) if row else None


def list_batches(
    path: str | os.PathLike[str],
    *,
    status: str | None = None,
    kind: str | None = None,
    scope: str = "",
) -> list[Batch]:
    """Batches, newest first; with a ``scope`` (a code prefix), only those with a member in it."""
    if not Path(path).exists():
        return []
    with _reading(path) as con:
        rows = con.execute(
            "select * from batches b where (? is null or status = ?) and (? is null or kind = ?)"
            " and (? = '' or exists (select 1 from batch_members m where m.batch_id = b.batch_id"
            " and substr(coalesce(m.grid_code, m.township_code, ''), 1, length(?)) = ?))"
            " order by created_at desc, batch_id desc",
            (status, status, kind, kind, scope, scope, scope),
        ).fetchall()
    return [_batch(r) for r in rows]


def close_batch(path: str | os.PathLike[str], batch_id: str, by: str) -> None:
    def work(con: sqlite3.Connection) -> None:
        cur = con.execute(
            "update batches set status = 'closed', closed_by = ?, closed_at = ?"
            " where batch_id = ? and status = 'open'",
            (by, _now(), batch_id),
        )
        if cur.rowcount == 0 and get_batch_row(con, batch_id) is None:
            raise OpsError("unknown_batch", f"no batch {batch_id}")

    _write(path, work)


def get_batch_row(con: sqlite3.Connection, batch_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = con.execute(
        "select * from batches where batch_id = ?", (batch_id,)
    ).fetchone()
    return row


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Attempt:
    attempt_id: str
    batch_id: str
    member_key: str
    attempt_no: int
    outcome: str
    caller: str
    called_at: str
    comment: str | None = None
    visit_happened: bool | None = None
    visit_how: str | None = None
    source: str = "app"
    created: bool = True  # False when an earlier save with the same attempt_id was returned


def callback_id(batch_id: str, seq: int, attempt_no: int) -> str:
    """The stable callback id of an app-recorded attempt: ``WV-<batch>-<seq>-<attempt>``."""
    return f"{call_ref(batch_id, seq)}-{attempt_no}"


def call_ref(batch_id: str, seq: int) -> str:
    """The member's call reference printed on call lists (回访编号 without the attempt)."""
    return f"WV-{batch_id}-{seq:04d}"


def record_outcome(
    path: str | os.PathLike[str],
    batch_id: str,
    member_key: str,
    outcome: str,
    *,
    caller: str,
    comment: str | None = None,
    called_at: datetime | str | None = None,
    visit_happened: bool | None = None,
    visit_how: str | None = None,
    attempt_id: str | None = None,
    source: str = "app",
) -> Attempt:
    """Save one call attempt for a batch member, numbered in the transaction that saves it.

    Refused (``OpsError``) when the batch is closed or unknown, the member is not in it, the
    member already has an answered outcome, or three attempts were made. Saving again with the
    same ``attempt_id`` returns the first save (``created`` False) and writes nothing.
    """
    if outcome not in OUTCOMES:
        raise OpsError("bad_outcome", f"outcome must be one of {OUTCOMES}, got {outcome!r}")
    if visit_how is not None and visit_how not in VISIT_HOW:
        raise OpsError("bad_visit_how", f"visit_how must be one of {VISIT_HOW}")
    if source not in ("app", "upload"):
        raise OpsError("bad_source", "source must be app or upload")
    aid = attempt_id or uuid.uuid4().hex
    when = _ts(called_at)
    happened = None if visit_happened is None else int(bool(visit_happened))

    def work(con: sqlite3.Connection) -> Attempt:
        prev = con.execute("select * from call_attempts where attempt_id = ?", (aid,)).fetchone()
        if prev is not None:
            return _attempt(prev, created=False)
        b = get_batch_row(con, batch_id)
        if b is None:
            raise OpsError("unknown_batch", f"no batch {batch_id}")
        if b["status"] != "open":
            raise OpsError("closed", f"batch {batch_id} is closed")
        m = con.execute(
            "select 1 from batch_members where batch_id = ? and member_key = ?",
            (batch_id, member_key),
        ).fetchone()
        if m is None:
            raise OpsError("unknown_member", f"{member_key} is not in batch {batch_id}")
        done = con.execute(
            "select count(*) as n, sum(outcome <> ?) as answered from call_attempts"
            " where batch_id = ? and member_key = ?",
            (NOT_REACHED, batch_id, member_key),
        ).fetchone()
        if (done["answered"] or 0) > 0:
            raise OpsError("final", f"{member_key} already has an answered outcome")
        if done["n"] >= MAX_ATTEMPTS:
            raise OpsError("max_attempts", f"{member_key} already has {MAX_ATTEMPTS} attempts")
        no = int(done["n"]) + 1
        con.execute(
            "insert into call_attempts (attempt_id, batch_id, member_key, attempt_no, outcome,"
            " comment, visit_happened, visit_how, caller, called_at, source, recorded_at)"
            " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                aid,
                batch_id,
                member_key,
                no,
                outcome,
                comment or None,
                happened,
                visit_how,
                caller,
                when,
                source,
                _now(),
            ),
        )
        row = con.execute("select * from call_attempts where attempt_id = ?", (aid,)).fetchone()
        return _attempt(row)

    return _write(path, work)


def _attempt(row: sqlite3.Row, created: bool = True) -> Attempt:
    vh = row["visit_happened"]
    return Attempt(
        attempt_id=row["attempt_id"],
        batch_id=row["batch_id"],
        member_key=row["member_key"],
        attempt_no=int(row["attempt_no"]),
        outcome=row["outcome"],
        caller=row["caller"],
        called_at=row["called_at"],
        comment=row["comment"],
        visit_happened=None if vh is None else bool(vh),
        visit_how=row["visit_how"],
        source=row["source"],
        created=created,
    )


_MEMBER_SCHEMA: dict[str, Any] = {
    "batch_id": pl.String,
    "seq": pl.Int64,
    **{c: pl.String for c in MEMBER_COLUMNS},
    "call_ref": pl.String,
    "attempts": pl.Int64,
    "last_outcome": pl.String,
    "final_outcome": pl.String,
    "last_called_at": pl.String,
    "last_caller": pl.String,
    "comment": pl.String,
    "visit_happened": pl.Boolean,
    "visit_how": pl.String,
    "can_call": pl.Boolean,
}


def members(path: str | os.PathLike[str], batch_id: str, scope: str = "") -> pl.DataFrame:
    """The batch's drawn list in order, with each member's call state; with a ``scope`` (code
    prefix) only the members whose grid (or township) is in it.

    ``final_outcome`` is the answered outcome, 未接通 after three unanswered attempts, else null
    (still to call); ``last_outcome`` the latest attempt's; ``can_call`` whether another attempt
    may be recorded.
    """
    with _reading(path) as con:
        rows = con.execute(
            """
            with a as (
                select *, row_number() over (
                    partition by batch_id, member_key order by attempt_no desc) as rn,
                    count(*) over (partition by batch_id, member_key) as n
                from call_attempts where batch_id = ?
            )
            select m.batch_id, m.seq, m.member_key, m.household_id, m.case_id, m.visit_id,
                   m.round, m.stratum, m.grid_code, m.village_code, m.township_code,
                   m.recorded_method, m.leader_name,
                   coalesce(a.n, 0) as attempts, a.outcome as last_outcome,
                   a.called_at as last_called_at, a.caller as last_caller, a.comment,
                   a.visit_happened, a.visit_how
            from batch_members m
            left join a on a.member_key = m.member_key and a.rn = 1
            where m.batch_id = ?
              and (? = '' or substr(coalesce(m.grid_code, m.township_code, ''), 1, length(?)) = ?)
            order by m.seq
            """,
            (batch_id, batch_id, scope, scope, scope),
        ).fetchall()
        status = con.execute(
            "select status from batches where batch_id = ?", (batch_id,)
        ).fetchone()
    is_open = status is not None and status["status"] == "open"
    out = []
    for r in rows:
        d = dict(r)
        last = d["last_outcome"]
        n = int(d["attempts"])
        if last is not None and last != NOT_REACHED:
            final = last
        elif n >= MAX_ATTEMPTS:
            final = NOT_REACHED
        else:
            final = None
        d["final_outcome"] = final
        d["can_call"] = is_open and final is None
        d["call_ref"] = call_ref(d["batch_id"], int(d["seq"]))
        vh = d["visit_happened"]
        d["visit_happened"] = None if vh is None else bool(vh)
        out.append(d)
    return pl.DataFrame(out, schema=_MEMBER_SCHEMA)


_ATTEMPT_SCHEMA: dict[str, Any] = {
    "attempt_id": pl.String,
    "batch_id": pl.String,
    "member_key": pl.String,
    "attempt_no": pl.Int64,
    "outcome": pl.String,
    "comment": pl.String,
    "visit_happened": pl.Int64,
    "visit_how": pl.String,
    "caller": pl.String,
    "called_at": pl.String,
    "source": pl.String,
    "recorded_at": pl.String,
}


def attempts(path: str | os.PathLike[str], batch_id: str | None = None) -> pl.DataFrame:
    """Every recorded attempt (of one batch, or all), oldest first."""
    if not Path(path).exists():
        return pl.DataFrame(schema=_ATTEMPT_SCHEMA)
    with _reading(path) as con:
        rows = con.execute(
            "select attempt_id, batch_id, member_key, attempt_no, outcome, comment,"
            " visit_happened, visit_how, caller, called_at, source, recorded_at"
            " from call_attempts where (? is null or batch_id = ?)"
            " order by called_at, batch_id, member_key, attempt_no",
            (batch_id, batch_id),
        ).fetchall()
    return pl.DataFrame([dict(r) for r in rows], schema=_ATTEMPT_SCHEMA)


# --------------------------------------------------------------------------- exclusions


def open_member_keys(path: str | os.PathLike[str]) -> dict[str, list[str]]:
    """Keys in open batches: ``{"household_id": [...], "case_id": [...]}`` (sorted, distinct).

    A frame query excludes both, so nobody is put in two open batches.
    """
    if not Path(path).exists():
        return {"household_id": [], "case_id": []}
    with _reading(path) as con:
        rows = con.execute(
            "select distinct m.household_id, m.case_id from batch_members m"
            " join batches b using (batch_id) where b.status = 'open'"
        ).fetchall()
    return {
        "household_id": sorted({r["household_id"] for r in rows}),
        "case_id": sorted({r["case_id"] for r in rows if r["case_id"]}),
    }


def recently_called(path: str | os.PathLike[str], since: datetime | str) -> list[str]:
    """Households with an app-recorded attempt at or after ``since`` (sorted)."""
    if not Path(path).exists():
        return []
    with _reading(path) as con:
        rows = con.execute(
            "select distinct m.household_id from call_attempts a join batch_members m"
            " on m.batch_id = a.batch_id and m.member_key = a.member_key where a.called_at >= ?",
            (_ts(since),),
        ).fetchall()
    return sorted(r["household_id"] for r in rows)


# --------------------------------------------------------------------------- the metrics seam

CALLBACK_SCHEMA = pa.schema(
    [
        ("callback_id", pa.string()),
        ("call_ref", pa.string()),
        ("household_id", pa.string()),
        ("grid_code", pa.string()),
        ("village_code", pa.string()),
        ("township_code", pa.string()),
        ("case_id", pa.string()),
        ("called_at", pa.timestamp("us")),
        ("caller", pa.string()),
        ("outcome", pa.string()),
        ("comment", pa.string()),
        ("batch_id", pa.string()),
        ("batch_kind", pa.string()),
        ("stratum", pa.string()),
        ("attempt_no", pa.int64()),
    ]
)


def outcomes_arrow(
    path: str | os.PathLike[str] | None = None, *, include_backchecks: bool = False
) -> pa.Table:
    """Every app-recorded attempt as a callback row (the columns of the clean ``callbacks``
    table plus ``call_ref``, ``batch_id``, ``batch_kind``, ``stratum``, ``attempt_no``).

    ``callback_id`` is stable: ``WV-<batch>-<seq>-<attempt>``. Back-check calls verify visits and
    are left out unless asked for. A missing store gives an empty table of the same schema.
    """
    p = Path(path) if path is not None else ops_path()
    if not p.exists():
        return CALLBACK_SCHEMA.empty_table()
    with _reading(p) as con:
        rows = con.execute(
            """
            select m.seq, a.batch_id, a.attempt_no, m.household_id, m.grid_code, m.village_code,
                   m.township_code, m.case_id, a.called_at, a.caller, a.outcome, a.comment,
                   b.kind, m.stratum
            from call_attempts a
            join batch_members m on m.batch_id = a.batch_id and m.member_key = a.member_key
            join batches b on b.batch_id = a.batch_id
            where ? or b.kind = 'cases'
            order by a.batch_id, m.seq, a.attempt_no
            """,
            (1 if include_backchecks else 0,),
        ).fetchall()
    cols: dict[str, list[Any]] = {f.name: [] for f in CALLBACK_SCHEMA}
    for r in rows:
        cols["callback_id"].append(callback_id(r["batch_id"], r["seq"], r["attempt_no"]))
        cols["call_ref"].append(call_ref(r["batch_id"], r["seq"]))
        for c in ("household_id", "grid_code", "village_code", "township_code", "case_id"):
            cols[c].append(r[c])
        cols["called_at"].append(datetime.strptime(r["called_at"], TS))
        cols["caller"].append(r["caller"])
        cols["outcome"].append(r["outcome"])
        cols["comment"].append(r["comment"])
        cols["batch_id"].append(r["batch_id"])
        cols["batch_kind"].append(r["kind"])
        cols["stratum"].append(r["stratum"])
        cols["attempt_no"].append(r["attempt_no"])
    return pa.table(cols, schema=CALLBACK_SCHEMA)


def outcomes_frame(
    path: str | os.PathLike[str] | None = None, *, include_backchecks: bool = False
) -> pl.DataFrame:
    out = pl.from_arrow(outcomes_arrow(path, include_backchecks=include_backchecks))
    assert isinstance(out, pl.DataFrame)
    return out


# The one rule for "the same call arrived both ways" (see combine_callbacks and the SQL below).
UNION_SQL = """
-- callbacks from exports plus app-recorded ones, each call once.
-- app_callbacks: the Arrow table from warmvisits.ops.outcomes_arrow(), registered on the cursor.
select callback_id, household_id, grid_code, village_code, township_code, case_id, called_at,
       caller, outcome, comment, 'export' as origin
from callbacks
union all
select a.callback_id, a.household_id, a.grid_code, a.village_code, a.township_code, a.case_id,
       a.called_at, a.caller, a.outcome, a.comment, 'app' as origin
from app_callbacks a
where not exists (
    select 1 from callbacks c
    where c.callback_id in (a.callback_id, a.call_ref)
       or (c.household_id = a.household_id
           and c.case_id is not distinct from a.case_id
           and cast(c.called_at as date) = cast(a.called_at as date)
           and c.outcome = a.outcome)
)
"""


def combine_callbacks(exported: pl.DataFrame, app: pl.DataFrame) -> pl.DataFrame:
    """Exported callbacks plus app-recorded ones not already among them (``origin`` says which).

    An app row is the same call as an exported one when the export's 回访编号 is the app's
    ``callback_id`` or the ``call_ref`` printed on the call list, or when household, case (both
    null counts as equal), calendar day and outcome all agree. The export wins: it is the
    platform's record. ``exported`` needs the clean ``callbacks`` columns; ``app`` is
    :func:`outcomes_frame`'s output.
    """
    cols = [
        "callback_id",
        "household_id",
        "grid_code",
        "village_code",
        "township_code",
        "case_id",
        "called_at",
        "caller",
        "outcome",
        "comment",
    ]
    ex = exported.select(cols).with_columns(
        pl.col("called_at").cast(pl.Datetime("us")), pl.lit("export").alias("origin")
    )
    if app.height == 0:
        return ex
    ids = set(ex.get_column("callback_id").to_list())
    natural = {
        (h, c or "", d, o)
        for h, c, d, o in ex.select(
            "household_id", "case_id", pl.col("called_at").dt.date(), "outcome"
        ).iter_rows()
    }
    keep = []
    for r in app.iter_rows(named=True):
        dup = r["callback_id"] in ids or r["call_ref"] in ids
        nat = (r["household_id"], r["case_id"] or "", r["called_at"].date(), r["outcome"])
        keep.append(not dup and nat not in natural)
    extra = (
        app.filter(pl.Series(keep, dtype=pl.Boolean))
        .select(cols)
        .with_columns(pl.col("called_at").cast(pl.Datetime("us")), pl.lit("app").alias("origin"))
    )
    return pl.concat([ex, extra], how="vertical_relaxed")


# --------------------------------------------------------------------------- uploads


@dataclass
class UploadReport:
    recorded: int = 0
    already: int = 0  # rows saved before (same file uploaded again)
    blank: int = 0  # rows with no outcome filled in
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row, code, message)


UPLOAD_ALIASES = {
    "call_ref": ("回访编号", "call_ref", "callback_id"),
    "outcome": ("回访结果", "outcome"),
    "comment": ("备注", "comment"),
    "called_at": ("回访时间", "called_at"),
    "caller": ("回访人", "caller"),
    "visit_happened": ("是否走访", "visit_happened"),
    "visit_how": ("走访方式", "visit_how"),
}
_YES = {"是", "yes", "y", "true", "1"}
_NO = {"否", "no", "n", "false", "0"}
_OUTCOME_ALIASES = {
    "satisfied": "满意",
    "fairly satisfied": "基本满意",
    "dissatisfied": "不满意",
    "not reached": "未接通",
}
_HOW_ALIASES = {"door": "入户", "phone": "电话"}


def _cell(v: Any) -> str:
    s = "" if v is None else str(v).strip()
    return s[1:] if s.startswith("'") else s


def import_call_list(
    path: str | os.PathLike[str],
    batch_id: str,
    table: pl.DataFrame,
    *,
    caller: str,
) -> UploadReport:
    """Record the outcomes filled into a downloaded call list (xlsx/CSV read as text).

    Rows are matched by 回访编号 (the call reference printed on the list); a row with no
    回访结果 is skipped. Each row is one attempt, with an id derived from its content, so uploading
    the same file twice records nothing new.
    """
    report = UploadReport()
    headers = {str(c).strip(): c for c in table.columns}
    col: dict[str, str | None] = {}
    for name, aliases in UPLOAD_ALIASES.items():
        col[name] = next((headers[a] for a in aliases if a in headers), None)
    if col["call_ref"] is None or col["outcome"] is None:
        report.errors.append((0, "bad_header", "need columns 回访编号 and 回访结果"))
        return report
    refs = {r["call_ref"]: r["member_key"] for r in members(path, batch_id).iter_rows(named=True)}
    for i, row in enumerate(table.iter_rows(named=True), start=2):
        ref = _cell(row[col["call_ref"]])
        outcome = _cell(row[col["outcome"]])
        if not outcome:
            report.blank += 1
            continue
        outcome = _OUTCOME_ALIASES.get(outcome.lower(), outcome)
        if ref not in refs:
            report.errors.append((i, "unknown_member", ref))
            continue

        def get(name: str, row: dict[str, Any] = row) -> str:
            c = col[name]
            return _cell(row[c]) if c is not None else ""

        happened_s = get("visit_happened").lower()
        happened = True if happened_s in _YES else False if happened_s in _NO else None
        how_s = get("visit_how")
        how = _HOW_ALIASES.get(how_s.lower(), how_s) or None
        when = get("called_at") or None
        who = get("caller") or caller
        digest = hashlib.sha1(
            "\x1f".join(
                [batch_id, ref, outcome, get("comment"), when or "", how or "", happened_s]
            ).encode()
        ).hexdigest()
        try:
            a = record_outcome(
                path,
                batch_id,
                refs[ref],
                outcome,
                caller=who,
                comment=get("comment") or None,
                called_at=when,
                visit_happened=happened,
                visit_how=how,
                attempt_id=f"upload-{digest}",
                source="upload",
            )
        except OpsError as e:
            report.errors.append((i, e.code, str(e)))
            continue
        except ValueError as e:
            report.errors.append((i, "bad_value", str(e)))
            continue
        if a.created:
            report.recorded += 1
        else:
            report.already += 1
    return report


def version(path: str | os.PathLike[str] | None = None) -> str:
    """A cheap token that changes whenever an attempt or batch is written (for cache keys):
    ``"<batches>:<attempts>:<last recorded_at>"``; ``"0:0:"`` without a store."""
    p = Path(path) if path is not None else ops_path()
    if not p.exists():
        return "0:0:"
    with _reading(p) as con:
        row = con.execute(
            "select (select count(*) from batches) as b, count(*) as a,"
            " coalesce(max(recorded_at), '') as last from call_attempts"
        ).fetchone()
    return f"{row['b']}:{row['a']}:{row['last']}"


def register_app_callbacks(
    cur: Any, path: str | os.PathLike[str] | None = None, name: str = "app_callbacks"
) -> None:
    """Register :func:`outcomes_arrow` as ``name`` on a DuckDB cursor (registrations are per
    cursor: run the query that reads it on the same cursor)."""
    cur.register(name, outcomes_arrow(path))
