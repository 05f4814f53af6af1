"""The audit log: who signed in (or failed to), who built, who downloaded a call list, and when.

The log is a small SQLite database in WAL mode, ``audit.sqlite`` in the database folder (the
folder of the ``warmvisits.duckdb`` pointer, see :mod:`warmvisits.db`), so it survives rebuilds:
the analytical database is replaced by every build, the audit log never is. It is append-only:
triggers refuse every ``UPDATE`` and ``DELETE`` of a logged entry, and this module offers no way
to change one. Several processes may append at the same time (SQLite serialises the writers).

The same file holds the sign-in throttle of :mod:`warmvisits.auth` (a separate table, which
*is* pruned; it is bookkeeping, not history).

Never put a password in ``what``: callers log names and actions only.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from warmvisits.db import pointer_path

STORE_NAME = "audit.sqlite"

# The kinds of event the dashboard and the command line record.
EVENTS = (
    "sign_in",  # a successful sign-in (password or trusted proxy)
    "sign_in_failed",  # wrong password, unknown user, or locked out
    "sign_out",
    "build",  # a build from the data page (ok or failed)
    "make_current",  # an earlier build made current again
    "upload",  # export files uploaded on the data page
    "download",  # a call list or other file with personal data downloaded
    "user_change",  # warmvisits user add / passwd / remove
)

_SCHEMA = """
create table if not exists audit_log (
    id integer primary key autoincrement,
    at text not null,          -- local time, ISO 8601 to the millisecond
    event text not null,
    who text not null,         -- user name ('' when unknown)
    role text not null default '',
    client text not null default '',
    what text not null default '',   -- short human-readable description
    detail text not null default '{}' -- JSON with the particulars (file names, counts, ...)
);
create index if not exists audit_log_at on audit_log(at);
create trigger if not exists audit_log_no_update before update on audit_log
begin
    select raise(abort, 'the audit log is append-only');
end;
create trigger if not exists audit_log_no_delete before delete on audit_log
begin
    select raise(abort, 'the audit log is append-only');
end;
"""


def store_path(db: str | os.PathLike[str] | None = None) -> Path:
    """``audit.sqlite`` beside the current-database pointer (same rule as ``--db``)."""
    return pointer_path(db).parent / STORE_NAME


def connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open (creating if needed) the store at ``path`` in WAL mode, with its tables."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(os.fspath(path), timeout=10.0, isolation_level=None)
    con.execute("pragma journal_mode=wal")
    con.execute("pragma busy_timeout=10000")
    con.executescript(_SCHEMA)
    return con


@dataclass(frozen=True)
class Entry:
    id: int
    at: str
    event: str
    who: str
    role: str
    client: str
    what: str
    detail: dict[str, Any]


def record(
    path: str | os.PathLike[str],
    event: str,
    *,
    who: str,
    role: str = "",
    client: str = "",
    what: str = "",
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Append one entry. ``event`` must be one of :data:`EVENTS`."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}; known: {', '.join(EVENTS)}")
    at = (now or datetime.now()).isoformat(timespec="milliseconds")
    con = connect(path)
    try:
        con.execute(
            "insert into audit_log (at, event, who, role, client, what, detail)"
            " values (?, ?, ?, ?, ?, ?, ?)",
            (
                at,
                event,
                who or "",
                role or "",
                client or "",
                what or "",
                json.dumps(detail or {}, ensure_ascii=False, default=str),
            ),
        )
    finally:
        con.close()


def entries(
    path: str | os.PathLike[str],
    *,
    limit: int = 500,
    event: str | None = None,
    who: str | None = None,
) -> list[Entry]:
    """The newest ``limit`` entries, newest first, optionally of one event or one user."""
    if not Path(path).exists():
        return []
    con = connect(path)
    try:
        rows = con.execute(
            "select id, at, event, who, role, client, what, detail from audit_log"
            " where (? is null or event = ?) and (? is null or who = ?)"
            " order by id desc limit ?",
            (event, event, who, who, int(limit)),
        ).fetchall()
    finally:
        con.close()
    return [Entry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7] or "{}")) for r in rows]
