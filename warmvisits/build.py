"""Build: an export folder -> a new DuckDB file, made current only when complete.

1. ``warmvisits.ingest`` reads every file; each table is appended, as text with its file, sheet
   and row, to a temporary raw table ``raw_<kind>`` (one frame in memory at a time).
2. The SQL files of ``queries/build/`` run in name order: staging casts and validates, rejects
   are kept with the rule broken and the raw cells, clean tables and marts are written.
3. The file is checkpointed, renamed from ``.partial`` and the pointer swapped
   (``warmvisits.db.make_current``). Any failure before that removes the partial file and
   leaves the previous build current.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from warmvisits import db as dbmod
from warmvisits.ingest import TableRead, list_files, read_file
from warmvisits.schema import (
    ANSWER_OPTIONS,
    ENUMS,
    ITEM_CODE,
    KIND_ORDER,
    KINDS,
    enum_alias_rows,
    normalise_value,
)

BUILD_SQL_DIR = Path(__file__).resolve().parent.parent / "queries" / "build"
VERSION = "1"
# SQL files up to this prefix run before the visit answers are checked against the menu
_BEFORE_ANSWERS = "13_"

Progress = Callable[[str], None]


class BuildError(RuntimeError):
    """No database could be built; the previous one (if any) stays current."""


@dataclass
class FileReport:
    path: str
    sheet: str | None
    kind: str | None
    rows: int
    rejected: int
    error: str | None


@dataclass
class BuildReport:
    db: str
    build_id: str
    files: list[FileReport] = field(default_factory=list)
    tables: dict[str, dict[str, int]] = field(default_factory=dict)
    superseded: list[dict[str, str]] = field(default_factory=list)
    unknown_columns: list[dict[str, str | None]] = field(default_factory=list)
    warnings: dict[str, int] = field(default_factory=dict)
    rejects_by_rule: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "db": self.db,
            "build_id": self.build_id,
            "files": [asdict(f) for f in self.files],
            "tables": self.tables,
            "superseded": self.superseded,
            "unknown_columns": self.unknown_columns,
            "warnings": self.warnings,
            "rejects_by_rule": self.rejects_by_rule,
            "seconds": round(self.seconds, 3),
        }

    def summary(self) -> str:
        lines = [f"built {self.db} in {self.seconds:.1f} s"]
        for f in self.files:
            where = f.path + (f" [{f.sheet}]" if f.sheet else "")
            if f.error:
                lines.append(f"  {where}: {f.error}")
            else:
                lines.append(f"  {where}: {f.kind}, {f.rows} rows, {f.rejected} rejected")
        lines.append("tables:")
        for kind in KIND_ORDER:
            t = self.tables.get(kind, {"rows": 0, "rejected": 0})
            lines.append(f"  {kind:<12} {t['rows']:>10} loaded {t['rejected']:>8} rejected")
        if self.rejects_by_rule:
            lines.append(
                "rejects by rule: "
                + ", ".join(f"{k} {v}" for k, v in sorted(self.rejects_by_rule.items()))
            )
        if self.warnings:
            lines.append(
                "warnings: " + ", ".join(f"{k} {v}" for k, v in sorted(self.warnings.items()))
            )
        if self.superseded:
            lines.append(f"superseded keys: {len(self.superseded)} (see --json)")
        if self.unknown_columns:
            cols = sorted({str(u["column"]) for u in self.unknown_columns})
            lines.append("unknown columns ignored: " + ", ".join(cols))
        return "\n".join(lines)


def build(
    exports_dir: str | os.PathLike[str],
    db: str | os.PathLike[str] | None = None,
    *,
    demo: bool = False,
    progress: Progress | None = None,
    keep: int = 5,
    sql_dir: Path = BUILD_SQL_DIR,
    memory_limit: str = os.environ.get("WARMVISITS_BUILD_MEMORY", "3GB"),
) -> BuildReport:
    """Build a new database from ``exports_dir`` and make it current at ``db``.

    ``sql_dir`` is the folder of build SQL (``queries/build``); tests point it elsewhere."""
    t0 = time.perf_counter()
    say = progress or (lambda _msg: None)
    exports = Path(exports_dir)
    if not exports.is_dir():
        raise BuildError(f"export folder not found: {exports}")
    files = list_files(exports)
    if not files:
        raise BuildError(f"export folder is empty: {exports}")

    pointer = dbmod.pointer_path(db)
    folder = dbmod.builds_dir(pointer)
    folder.mkdir(parents=True, exist_ok=True)
    build_id = dbmod.new_build_id()
    final = folder / f"{build_id}.duckdb"
    partial = folder / f"{build_id}.duckdb.partial"
    report = BuildReport(db=str(final), build_id=build_id)
    con = duckdb.connect(str(partial))
    try:
        con.execute("set preserve_insertion_order = false")
        # keep DuckDB's share modest: the raw tables spill to disk rather than grow the process
        con.execute(f"set memory_limit = '{memory_limit}'")
        con.execute("set temp_directory = $d", {"d": str(folder / ".tmp")})
        reads = _load_raw(con, exports, files, report, say)
        if not any(r.kind for r in reads):
            raise BuildError(
                f"no export table recognised in {exports}: "
                + "; ".join(f"{r.path}: {r.error}" for r in reads[:10])
            )
        _load_enums(con)
        scripts = sorted(Path(sql_dir).glob("*.sql"))
        for script in [s for s in scripts if s.name < _BEFORE_ANSWERS]:
            _run_script(con, script, say)
        t = time.perf_counter()
        _answer_checks(con, reads)
        say(f"answers checked against the menu: {time.perf_counter() - t:.1f} s")
        for script in [s for s in scripts if s.name >= _BEFORE_ANSWERS]:
            _run_script(con, script, say)
        _write_bookkeeping(con, reads, report, exports, demo, build_id)
        _fill_report(con, report)
        con.execute("checkpoint")
        con.close()
        os.replace(partial, final)
    except BaseException:
        try:
            con.close()
        except Exception:  # noqa: S110 - the original error is what matters
            pass
        for p in (partial, Path(str(partial) + ".wal")):
            p.unlink(missing_ok=True)
        raise
    dbmod.make_current(pointer, final)
    dbmod.prune_builds(pointer, keep=keep)
    report.seconds = time.perf_counter() - t0
    say(f"done in {report.seconds:.1f} s: {final}")
    return report


# ---------------------------------------------------------------------------- raw tables


def _empty_raw(kind: str) -> pl.DataFrame:
    cols: dict[str, Any] = {c: pl.String for c in KINDS[kind].names}
    cols.update({"_file": pl.String, "_sheet": pl.String, "_row": pl.Int64, "_rid": pl.Int64})
    return pl.DataFrame(schema=cols)


def _load_raw(
    con: duckdb.DuckDBPyConnection,
    exports: Path,
    files: list[Path],
    report: BuildReport,
    say: Progress,
) -> list[TableRead]:
    for kind in KIND_ORDER:
        # identifiers below come from warmvisits.schema, never from the files
        con.register("empty_raw", _empty_raw(kind))
        con.execute(f"create temp table raw_{kind} as select * from empty_raw")  # noqa: S608
        con.unregister("empty_raw")
    reads: list[TableRead] = []
    next_rid = 0
    columns: dict[str, set[str]] = {k: set(KINDS[k].names) for k in KIND_ORDER}
    # The next file is read (decoded and parsed, mostly outside the GIL) on a second thread
    # while this one is loaded into DuckDB; at most two files' frames are in memory at once.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wv-read")
    pending: deque[Future[list[TableRead]]] = deque()
    upcoming = iter(files)

    def ahead() -> None:
        nxt = next(upcoming, None)
        if nxt is not None:
            pending.append(pool.submit(read_file, nxt, exports))

    ahead()
    for i, path in enumerate(files, 1):
        say(f"[{i}/{len(files)}] reading {path.relative_to(exports).as_posix()}")
        tables = pending.popleft().result()
        ahead()
        for tr in tables:
            frame = tr.frame
            tr.frame = None
            reads.append(tr)
            if frame is None or tr.kind is None:
                continue
            for col in tr.item_columns:
                if col not in columns[tr.kind]:
                    con.execute(f'alter table raw_{tr.kind} add column "{col}" varchar')
                    columns[tr.kind].add(col)
            # _rid: a build-wide row id, so rejects can fetch their raw cells back cheaply
            frame = frame.with_columns(
                (pl.int_range(0, pl.len(), dtype=pl.Int64) + next_rid).alias("_rid")
            )
            next_rid += frame.height
            con.register("incoming", frame)
            con.execute(f"insert into raw_{tr.kind} by name select * from incoming")  # noqa: S608
            con.unregister("incoming")
            del frame
    pool.shutdown()
    return reads


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _load_enums(con: duckdb.DuckDBPyConnection) -> None:
    """``wv_enum(domain, s)`` and ``wv_answer(s)``, built from warmvisits/schema.py.

    A value already in its canonical (Chinese) form passes through an ``in (...)`` test, which
    is cheap on millions of rows; only other spellings (English aliases, odd case or spacing)
    go through the map of every accepted spelling. Map lookups also work inside list lambdas."""
    rows = enum_alias_rows()
    norm = "regexp_replace(lower(trim(s)), '[\\s_]+', ' ', 'g')"
    canonical: dict[str, set[str]] = {}
    for d, _alias, v in rows:
        canonical.setdefault(d, set()).add(v)
    fast = " ".join(
        f"when dom = {_sql_text(d)} and s in ({', '.join(_sql_text(v) for v in sorted(vs))}) then s"
        for d, vs in sorted(canonical.items())
    )
    pairs = ", ".join(f"{_sql_text(d + '|' + a)}: {_sql_text(v)}" for d, a, v in rows)
    con.execute(
        f"create or replace temp macro wv_enum(dom, s) as case {fast} "
        f"else (map {{{pairs}}})[dom || '|' || {norm}] end"
    )
    answers = {a: v for d, a, v in rows if d in ("choice", "yes_no", "good_bad")}
    values = sorted(set(answers.values()))
    # the checked answers are stored as this enumeration: one byte a cell, not a string
    options = [o for opts in ANSWER_OPTIONS.values() for o in opts]
    con.execute(f"create type answer_value as enum ({', '.join(_sql_text(o) for o in options)})")
    literal = ", ".join(f"{_sql_text(a)}: {_sql_text(v)}" for a, v in sorted(answers.items()))
    con.execute(
        f"create or replace temp macro wv_answer(s) as case when s in "
        f"({', '.join(_sql_text(v) for v in values)}) then s else (map {{{literal}}})[{norm}] end"
    )


def _run_script(con: duckdb.DuckDBPyConnection, script: Path, say: Progress) -> None:
    t = time.perf_counter()
    sql = script.read_text(encoding="utf-8")
    try:
        con.execute(sql)
    except duckdb.Error as exc:
        raise BuildError(f"build step {script.name} failed: {exc}") from exc
    say(f"{script.stem}: {time.perf_counter() - t:.1f} s")


# ---------------------------------------------------------------------------- answers


def _answer_checks(con: duckdb.DuckDBPyConnection, reads: list[TableRead]) -> None:
    """Warn about every answer outside its item's options and every item column the menu does
    not know; write the view ``raw_visits_checked`` that build step 13 reads.

    An answer outside its item's options is blanked (``answer_not_an_option``); a column that
    looks like an item but is not in the menu is ignored (``unknown_item_column``, one warning
    per file and sheet). The view replaces each known item column by its checked answer, of
    type ``answer_value``; ``raw_visits`` keeps the cells as exported, for the rejects."""
    menu = dict(con.sql("select item_code, answer_type from menu").fetchall())
    cols = [
        c
        for (c,) in con.sql(
            "select column_name from duckdb_columns() where table_name = 'raw_visits'"
        ).fetchall()
        if ITEM_CODE.match(c)
    ]
    for tr in reads:
        for col in tr.item_columns:
            if col not in menu:
                con.execute(
                    "insert into warnings_acc values ('visits', $f, $s, null, "
                    "'unknown_item_column', $d)",
                    {"f": tr.path, "s": tr.sheet, "d": f"{col}: not in the menu, column ignored"},
                )
    checks: dict[str, str] = {}
    for col in cols:
        if col not in menu:
            continue
        options = ", ".join(_sql_text(o) for o in ANSWER_OPTIONS[menu[col]])
        # the exact canonical spelling is an enum cast; only other spellings go through the map
        exact = f'try_cast("{col}" as answer_value)'
        checks[col] = (
            f"case when {exact} in ({options}) then {exact} "
            f'when "{col}" is not null and {exact} is null '
            f'and wv_answer("{col}") in ({options}) '
            f'then wv_answer("{col}")::answer_value end'
        )
    if checks:
        # one scan per item column; col matched ^M[0-9]+Q[0-9]+$, options come from schema.py
        bad = " union all ".join(
            f"select _file, _sheet, _row, '{col}=' || \"{col}\" as detail from raw_visits "  # noqa: S608
            f'where "{col}" is not null and ({expr}) is null and trim("{col}") <> \'\''
            for col, expr in checks.items()
        )
        con.execute(
            "insert into warnings_acc select 'visits', _file, _sheet, _row, "  # noqa: S608
            f"'answer_not_an_option', detail from ({bad})"
        )
    unknown = [c for c in cols if c not in menu]
    select = "select *"
    if unknown:
        select += " exclude (" + ", ".join(f'"{c}"' for c in unknown) + ")"
    if checks:
        select += " replace (" + ", ".join(f'{e} as "{c}"' for c, e in checks.items()) + ")"
    con.execute(f"create or replace temp view raw_visits_checked as {select} from raw_visits")


# ---------------------------------------------------------------------------- report


def _write_bookkeeping(
    con: duckdb.DuckDBPyConnection,
    reads: list[TableRead],
    report: BuildReport,
    exports: Path,
    demo: bool,
    build_id: str,
) -> None:
    rejected = {
        (f, s): n
        for f, s, n in con.sql("select file, sheet, count(*) from rejects group by all").fetchall()
    }
    files = pl.DataFrame(
        [
            {
                "path": r.path,
                "sheet": r.sheet,
                "kind": r.kind,
                "rows": r.rows,
                "rejected": rejected.get((r.path, r.sheet), 0),
                "error": r.error,
            }
            for r in reads
        ],
        schema={
            "path": pl.String,
            "sheet": pl.String,
            "kind": pl.String,
            "rows": pl.Int64,
            "rejected": pl.Int64,
            "error": pl.String,
        },
    )
    con.register("files_frame", files)
    con.execute("create table build_files as select * from files_frame")
    unknown = pl.DataFrame(
        [
            {"file": r.path, "sheet": r.sheet, "kind": r.kind, "column_name": c}
            for r in reads
            for c in r.unknown_columns
        ],
        schema={"file": pl.String, "sheet": pl.String, "kind": pl.String, "column_name": pl.String},
    )
    con.register("unknown_frame", unknown)
    con.execute("create table unknown_columns as select * from unknown_frame")
    info = {
        "build_id": build_id,
        "built_at": datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
        "exports_dir": str(exports.resolve()),
        "is_demo": "true" if demo else "false",
        "version": VERSION,
    }
    con.execute("create table build_info (key varchar primary key, value varchar)")
    con.executemany("insert into build_info values (?, ?)", list(info.items()))
    report.files = [FileReport(**row) for row in files.iter_rows(named=True)]
    report.unknown_columns = [
        {"file": r.path, "sheet": r.sheet, "kind": r.kind, "column": c}
        for r in reads
        for c in r.unknown_columns
    ]


_CLEAN_TABLE = {k: k for k in KIND_ORDER}


def _fill_report(con: duckdb.DuckDBPyConnection, report: BuildReport) -> None:
    rejected = dict(con.sql("select kind, count(*) from rejects group by kind").fetchall())
    for kind in KIND_ORDER:
        (n,) = con.sql(f"select count(*) from {_CLEAN_TABLE[kind]}").fetchall()[0]  # noqa: S608
        report.tables[kind] = {"rows": int(n), "rejected": int(rejected.get(kind, 0))}
    report.superseded = [
        {"kind": k, "key": key, "file": f, "by": by}
        for k, key, f, by in con.sql("select kind, key, file, by_file from superseded").fetchall()
    ]
    report.warnings = dict(con.sql("select rule, count(*) from warnings group by rule").fetchall())
    report.rejects_by_rule = dict(
        con.sql("select rule, count(*) from rejects group by rule").fetchall()
    )


# ---------------------------------------------------------------------------- commands


def _stderr_progress() -> Progress:
    start = time.perf_counter()
    tty = sys.stderr.isatty()

    def say(msg: str) -> None:
        line = f"[{time.perf_counter() - start:6.1f}s] {msg}"
        if tty:
            sys.stderr.write("\r\033[K" + line[:150])
            if msg.startswith("done"):
                sys.stderr.write("\n")
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    return say


def cli_build(args: Any) -> int:
    try:
        report = build(args.exports, args.db, demo=args.demo, progress=_stderr_progress())
    except BuildError as exc:
        print(f"warmvisits build: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        print(report.summary())
    return 0


def cli_builds(args: Any) -> int:
    builds = dbmod.list_builds(args.db)
    if args.use:
        match = [b for b in builds if b.build_id == args.use]
        if not match:
            print(f"warmvisits builds: no build {args.use!r}", file=sys.stderr)
            return 2
        dbmod.make_current(dbmod.pointer_path(args.db), match[0].path)
        print(f"current: {match[0].path}")
        return 0
    for b in builds:
        mark = "*" if b.is_current else " "
        print(f"{mark} {b.build_id}  {b.size_bytes / 1e6:8.1f} MB  {b.path}")
    return 0


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


__all__ = ["BuildError", "BuildReport", "build", "ENUMS", "normalise_value"]
