"""Build: an export folder -> a new DuckDB file, made current only when complete.

1. ``warmvisits.ingest`` reads every file. A CSV whose lines are one record each is loaded by
   DuckDB's own reader into a temporary table of its own; other tables come as Polars frames
   and are appended to ``rawp_<kind>``. ``raw_<kind>`` is the view over both: text with its
   file, sheet and row (visit item cells as ``answer_value``, odd cells' text in ``_odd``).
2. The SQL files of ``queries/build/`` run in name order: staging casts and validates, rejects
   are kept with the rule broken and the raw cells, clean tables and marts are written. From
   step 13 on, the visit steps and the steps that read no visit run at the same time, on two
   connections (:func:`_run_lanes`).
3. The file is checkpointed, renamed from ``.partial`` and the pointer swapped
   (``warmvisits.db.make_current``). Any failure before that removes the partial file and
   leaves the previous build current.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import datetime
from itertools import zip_longest
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from warmvisits import db as dbmod
from warmvisits.ingest import (
    WHITESPACE,
    WORKBOOK_SUFFIXES,
    TableRead,
    list_files,
    prune_stale_scratch,
    read_file,
    scratch_dirs,
    transcodes,
)
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
# SQL files before this prefix run before the export files load (macros, staging macros)
_BEFORE_LOAD = "10_"
# SQL files up to this prefix run before the visit answers are checked against the menu; the
# others run in two lanes at once (_run_lanes)
_BEFORE_ANSWERS = "13_"
# the visit lane: the steps that read the four million visit rows (the answer views are written
# after 13, which writes visit_rows). Their statements spread over DuckDB's threads.
_VISIT_LANE = ("13_visits", "49_household_rounds", "59_grid_round_answers")
# the steps that read what both lanes write; they run after both, in name order. Every other
# step from 13 on runs beside the visit lane, on a second connection: cases, events, callbacks,
# petitions and their marts, many small statements that keep about one core busy.
_AFTER_LANES = (
    "18_case_visits",
    "40_bookkeeping",
    "50_grid_round_coverage",
    "51_case_facts",
    "52_case_levels",
    "54_quarters",
)
# kinds whose rows are staged (parsed) as they load, by the table macro wv_stage_<kind>
_STAGED_AT_LOAD = ("visits",)

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
    memory_limit: str = os.environ.get("WARMVISITS_BUILD_MEMORY", "3.5GB"),
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
    # UTF-8 copies of GB18030 CSVs for DuckDB's reader; removed with the folder at the end
    plans = folder / ".tmp" / f"{build_id}-csv"
    prune_stale_scratch()
    con = duckdb.connect(str(partial))
    try:
        # no progress bar of DuckDB's own: it would write into `build --json`'s standard output
        con.execute("set enable_progress_bar = false")
        con.execute("set preserve_insertion_order = false")
        # one checkpoint, at the end: not one each time the log passes 16 MB mid-build
        con.execute("set checkpoint_threshold = '1TB'")
        # keep DuckDB's share modest: the raw tables spill to disk rather than grow the process
        con.execute(f"set memory_limit = '{memory_limit}'")
        con.execute("set temp_directory = $d", {"d": str(folder / ".tmp")})
        _create_types(con)
        scripts = sorted(Path(sql_dir).glob("*.sql"))
        before_load = [s for s in scripts if s.name < _BEFORE_LOAD]

        def macros(c: duckdb.DuckDBPyConnection, say: Progress = lambda _msg: None) -> None:
            c.execute("set enable_progress_bar = false")  # a setting of each connection
            _load_enums(c)
            for script in before_load:
                _run_script(c, script, say)

        macros(con, say)
        reads = _load_raw(con, exports, files, say, plan_dir=plans, setup=macros)
        if not any(r.kind for r in reads):
            raise BuildError(
                f"no export table recognised in {exports}: "
                + "; ".join(f"{r.path}: {r.error}" for r in reads[:10])
            )
        for script in [s for s in scripts if _BEFORE_LOAD <= s.name < _BEFORE_ANSWERS]:
            _run_script(con, script, say)
        _extra_cell_warnings(con, reads)
        t = time.perf_counter()
        items = _answer_checks(con, reads)
        say(f"answers checked against the menu: {time.perf_counter() - t:.1f} s")
        steps = [s for s in scripts if s.name >= _BEFORE_ANSWERS]
        _run_lanes(con, steps, say, setup=macros, after_visits=lambda: _answer_views(con, items))
        _write_bookkeeping(con, reads, report, exports, demo, build_id)
        _fill_report(con, report)
        t = time.perf_counter()
        con.execute("checkpoint")
        say(f"checkpoint: {time.perf_counter() - t:.1f} s")
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
    finally:
        for scratch in scratch_dirs(plans):
            shutil.rmtree(scratch, ignore_errors=True)
    dbmod.make_current(pointer, final)
    dbmod.prune_builds(pointer, keep=keep)
    report.seconds = time.perf_counter() - t0
    say(f"done in {report.seconds:.1f} s: {final}")
    return report


# ---------------------------------------------------------------------------- raw tables


def _empty_raw(kind: str) -> str:
    """SQL: no rows, with the columns of a loaded table of ``kind`` (every cell text). Plain
    SQL rather than an empty Polars frame: registering the first frame imports pyarrow, a
    third of a second before the first file could start loading."""
    cols = [f'null::varchar as "{c}"' for c in KINDS[kind].names]
    cols += ["null::varchar as _file", "null::varchar as _sheet", "null::bigint as _row"]
    cols += ["null::bigint as _rid", "null::varchar as _odd"]
    return f"select {', '.join(cols)} where false"


def _exact_answer(cell: str) -> str:
    """SQL, while loading: an item cell as an ``answer_value`` when it is an exact spelling,
    else NULL (its text then goes to ``_odd``; :func:`_canonical_answer` reads aliases there,
    for the few rows that have any, instead of mapping every cell of every row)."""
    return f"try_cast({cell} as answer_value)"


def _canonical_answer(code: str) -> str:
    """SQL over a raw visits table: the answer of item ``code`` (a column name matching
    ITEM_CODE) as loaded, or for an odd cell the answer its exported text is an accepted
    alias of (``yes`` → 是, `` B `` → B), else NULL."""
    return (
        f'coalesce("{code}", case when _odd is not null then try_cast('
        f"wv_answer(wv_odd_map(_odd)['{code}']) as answer_value) end)"
    )


def _odd_cells(items: list[tuple[str, str]], loaded: list[str] | None = None) -> str:
    """SQL: the item cells of a row that are not an exact answer_value spelling, as exported:
    a JSON object ``{"M1Q1": text, …}`` (JSON, so that a cell may hold any character), NULL
    when there are none (nearly every row).
    ``loaded``: the items' cells already cast (:func:`_exact_answer`), so as not to cast twice."""
    if not items:
        return "null::varchar"
    loaded = loaded or [_exact_answer(cell) for _, cell in items]
    odd = [
        f"({cell} is not null and {value} is null)"
        for (_, cell), value in zip(items, loaded, strict=True)
    ]
    pairs = ", ".join(
        f"case when {test} then '\"{code}\":' || to_json({cell}) end"
        for (code, cell), test in zip(items, odd, strict=True)
    )
    return f"case when {' or '.join(odd)} then '{{' || concat_ws(',', {pairs}) || '}}' end"


# RE2: a cell, in text cells joined by U+0001, that starts or ends with WHITESPACE
_WS_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]"
_EDGE_WHITESPACE = f"(^|\\x{{1}}){_WS_CLASS}|{_WS_CLASS}(\\x{{1}}|$)"


# the raw tables live in this in-memory database while the build runs: unlike temporary
# tables, it is seen by every connection of the build, so two files can load at once
_RAW_DB = "wv_raw"
# files loaded at the same time, each by its own connection with one DuckDB thread
_LOADERS = 2


# how many times its size a workbook counts in the load order (_load_order)
_WORKBOOK_WEIGHT = 20


def _load_order(files: list[Path]) -> list[int]:
    """The positions of ``files`` in the order the loaders take them (a file's row ids come
    from its position, not from this order): the largest first (a workbook counting twenty
    times its size), so that the last to finish is a small one, and a CSV that is not UTF-8 at
    its start (GB18030: transcoded in Python, holding the GIL) next to one that is, so that one
    loader's transcoding overlaps the other's DuckDB load instead of waiting for the other's
    transcoding."""

    def size(i: int) -> int:
        try:
            size = files[i].stat().st_size
        except OSError:
            return 0
        # a workbook takes about twenty times as long as a CSV of its size (unzipping, XML, and
        # the first one imports the Excel reader and pyarrow, holding the GIL): counted by its
        # size alone, the district's two workbooks came last, side by side, with one core idle
        return size * _WORKBOOK_WEIGHT if files[i].suffix.lower() in WORKBOOK_SUFFIXES else size

    by_size = sorted(range(len(files)), key=lambda i: (-size(i), i))
    groups = [[i for i in by_size if transcodes(files[i]) is t] for t in (True, False)]
    order: list[int] = []
    for pair in zip_longest(*groups):
        order += [i for i in pair if i is not None]
    return order


def _load_raw(
    con: duckdb.DuckDBPyConnection,
    exports: Path,
    files: list[Path],
    say: Progress,
    plan_dir: Path | None = None,
    setup: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> list[TableRead]:
    """Load every file into raw tables; ``raw_<kind>`` becomes a view over them.

    Each table read gets a table of its own in the in-memory database ``wv_raw``: a CSV with a
    :class:`~warmvisits.ingest.CsvPlan` is read by DuckDB's reader (file order kept, so a
    row's line number is its rowid plus the lines before it), other tables come as Polars
    frames. Each row gets ``_rid``, a build-wide row id (from the file's and the table's
    position, so the same folder gives the same ids). Text cells are kept as exported
    (trimmed); a visit's item cells are stored as ``answer_value`` (one byte, not a string)
    with ``_odd`` keeping the exported text of the few cells that are not an exact answer
    spelling, so the rejects and warnings still show what was exported; visit rows are
    parsed as they load (``wv_stage_visits``, build step 05).

    Two files load at once, each on its own connection (``setup`` gives it the build's
    temporary macros) with one DuckDB thread: a file read in one thread keeps its order
    without the cost of ordering a parallel read, and the Python part of one file's reading
    (decoding, finding the header) overlaps the other's load."""
    con.execute(f"attach ':memory:' as {_RAW_DB}")
    for kind in KIND_ORDER:
        # identifiers below come from warmvisits.schema, never from the files
        con.execute(f"create or replace temp view empty_raw as {_empty_raw(kind)}")
        con.execute(
            f"create table {_RAW_DB}.rawp_{kind} as from {_staged(kind, 'empty_raw')}"  # noqa: S608
        )
    con.execute("drop view empty_raw")
    (threads,) = con.sql("select current_setting('threads')").fetchall()[0]
    results: dict[int, list[tuple[TableRead, str | None]]] = {}
    lock = threading.Lock()
    upcoming = iter([(i, files[i]) for i in _load_order(files)])
    failed = threading.Event()

    def loader() -> None:
        cur = con.cursor()
        try:
            if setup is not None:
                setup(cur)
            while not failed.is_set():
                with lock:
                    nxt = next(upcoming, None)
                if nxt is None:
                    return
                i, path = nxt
                say(f"[{i + 1}/{len(files)}] reading {path.relative_to(exports).as_posix()}")
                results[i] = _load_file(cur, exports, path, i, plan_dir)
        except BaseException:
            failed.set()  # the other loader stops after its current file
            raise
        finally:
            cur.close()

    con.execute("set threads = 1")
    con.execute("set preserve_insertion_order = true")
    try:
        with ThreadPoolExecutor(max_workers=_LOADERS, thread_name_prefix="wv-load") as pool:
            for future in [pool.submit(loader) for _ in range(_LOADERS)]:
                future.result()
    finally:
        con.execute(f"set threads = {int(threads)}")
        con.execute("set preserve_insertion_order = false")
    reads: list[TableRead] = []
    parts = {k: [f"select * from {_RAW_DB}.rawp_{k}"] for k in KIND_ORDER}  # noqa: S608
    for i in range(len(files)):
        for tr, select in results[i]:
            reads.append(tr)
            if select is not None and tr.kind is not None:
                parts[tr.kind].append(select)
    for kind in KIND_ORDER:
        con.execute(
            f"create temp view raw_{kind} as " + " union all by name ".join(parts[kind])  # noqa: S608
        )
    return reads


def _load_file(
    cur: duckdb.DuckDBPyConnection,
    exports: Path,
    path: Path,
    file_no: int,
    plan_dir: Path | None,
) -> list[tuple[TableRead, str | None]]:
    """Read one file and load each of its tables into ``wv_raw.raw_<file>_<table>``; return
    each table read with the select that gives its rows (None for a table not loaded)."""
    out: list[tuple[TableRead, str | None]] = []
    for t, tr in enumerate(read_file(path, exports, plan_dir)):
        name = f"raw_{file_no}_{t}"
        first_rid = (file_no << 40) + (t << 32)
        if tr.plan is not None and tr.kind is not None:
            select = _load_plan(cur, tr, name, first_rid)
            if select is not None:
                out.append((tr, select))
                continue
            # DuckDB refused the file or counted its rows differently: read it with Polars
            retry = read_file(path, exports)
            tr = retry[0] if len(retry) == 1 else tr
        frame = tr.frame
        tr.frame = None
        if frame is None or tr.kind is None:
            out.append((tr, None))
            continue
        out.append((tr, _load_frame(cur, tr, frame, name, first_rid)))
    return out


def _load_frame(
    cur: duckdb.DuckDBPyConnection, tr: TableRead, frame: pl.DataFrame, name: str, first_rid: int
) -> str:
    """Load a table read by Polars into ``wv_raw.<name>``; return the select of its rows."""
    assert tr.kind is not None
    frame = frame.with_columns(
        (pl.int_range(0, pl.len(), dtype=pl.Int64) + first_rid).alias("_rid")
    )
    select = "select *"
    if tr.item_columns:
        items = [(c, f'"{c}"') for c in tr.item_columns]
        canon = ", ".join(f"{_exact_answer(cell)} as {cell}" for _, cell in items)
        select = f"select * replace ({canon}), {_odd_cells(items)} as _odd"
    cur.register(f"{name}_frame", frame)
    try:
        cur.execute(f"create or replace temp view {name}_cells as {select} from {name}_frame")  # noqa: S608
        cur.execute(
            f"create table {_RAW_DB}.{name} as from {_staged(tr.kind, name + '_cells')}"  # noqa: S608
        )
        cur.execute(f"drop view {name}_cells")
    finally:
        cur.unregister(f"{name}_frame")
    return f"select * from {_RAW_DB}.{name}"  # noqa: S608


def _load_plan(
    con: duckdb.DuckDBPyConnection, tr: TableRead, raw_name: str, first_rid: int
) -> str | None:
    """Load a planned CSV with DuckDB's reader into ``wv_raw.<raw_name>``; return the select that
    gives its rows with ``_file``, ``_sheet``, ``_row`` and ``_rid`` (blank rows are
    deleted), or None (table dropped) when DuckDB refuses the file or finds another row count.
    The caller keeps insertion order (``preserve_insertion_order``) while files load."""
    plan = tr.plan
    assert plan is not None and tr.kind is not None
    kind = KINDS[tr.kind]
    cells = []
    ws = _sql_text(WHITESPACE)
    for idx, name in plan.columns.items():
        # trim(s, characters) is slow: only the cells of rows that have a cell starting or
        # ending with white space (_ws, below) take it, and none in a file without white space
        cell = (
            f"case when _ws then trim(c{idx}, {ws}) else c{idx} end" if plan.padded else f"c{idx}"
        )
        cells.append(f"nullif({cell}, '') as \"{name}\"")
    for name in kind.names:
        if name not in plan.columns.values():
            cells.append(f'null::varchar as "{name}"')
    # one pattern a row over its text cells joined by U+0001, instead of a test of each cell's
    # first and last character (which cost a sixth of the file's load): true when a cell
    # starts or ends with white space (or holds U+0001 itself, which only costs a trim). The
    # reader found whether the file holds any white space at all (CsvPlan.padded): a file
    # without any (as the demo's) skips the test
    edge = ""
    if plan.padded:
        text = ", ".join(f"c{idx}" for idx in plan.columns) or "''"
        edge = f", regexp_matches(concat_ws(chr(1), {text}), {_sql_text(_EDGE_WHITESPACE)}) as _ws"
    table, view = f"{_RAW_DB}.{raw_name}", f"{raw_name}_cells"
    names = [f'"{c}"' for c in [*plan.columns.values(), *plan.items.values()]] + ["_odd"]
    blank = " and ".join(f"{c} is null" for c in names)

    def select(exact: bool) -> str:
        # exact: the reader casts the item cells to answer_value itself, and fails on a cell
        # that is not an exact answer spelling (nearly no file has one: the loader then reads
        # the file again, the other way). Else every item cell is read as text and cast once
        # in the inner select; the outer one finds the odd cells among them.
        items = [(code, f"nullif(c{idx}, '')") for idx, code in plan.items.items()]
        cast_items = [f'"{code}"' for code, _ in items]
        if exact:
            inner = "".join(f', c{idx} as "{code}"' for idx, code in plan.items.items())
            odd = "null::varchar"
        else:
            inner = "".join(f', {_exact_answer(cell)} as "{code}"' for code, cell in items)
            odd = _odd_cells(items, cast_items)
        types = ", ".join(
            f"'c{i}': '{'answer_value' if exact and i in plan.items else 'VARCHAR'}'"
            for i in range(plan.width)
        )
        # file order kept: rowid is then the record's position in the file.
        # A view cannot take parameters: the path and separator are quoted as SQL text.
        return (
            f"select {', '.join([*cells, *cast_items, f'{odd} as _odd'])} "  # noqa: S608
            f"from (select *{inner}{edge} "
            f"from read_csv({_sql_text(str(plan.source))}, header = false, skip = {plan.skip}, "
            f"delim = {_sql_text(plan.separator)}, quote = '\"', escape = '\"', "
            f"columns = {{{types}}}, auto_detect = false, null_padding = true))"
        )

    try:
        for exact in [True, False] if plan.items else [False]:
            con.execute(f"create or replace temp view {view} as {select(exact)}")
            try:
                con.execute(f"create table {table} as from {_staged(tr.kind, view)}")  # noqa: S608
                break
            except duckdb.Error:
                if not exact:
                    raise
                con.execute(f"drop table if exists {table}")
        con.execute(f"drop view {view}")
        # two counts: a WHERE clause of IS NULL tests goes into the scan, column by column,
        # where an aggregate's FILTER read every column of every row
        (total,) = con.sql(f"select count(*) from {table}").fetchall()[0]  # noqa: S608
        (blanks,) = con.sql(f"select count(*) from {table} where {blank}").fetchall()[0]  # noqa: S608
        if blanks:
            # blank rows leave gaps in the rowids, so the line numbers of the others hold
            con.execute(f"delete from {table} where {blank}")  # noqa: S608
    except duckdb.Error:
        con.execute(f"drop view if exists {view}")
        con.execute(f"drop table if exists {table}")
        return None
    finally:
        if plan.temporary:
            plan.source.unlink(missing_ok=True)
    if total != plan.data_lines:
        con.execute(f"drop table {table}")
        return None
    tr.rows, tr.blank_rows, tr.plan = int(total - blanks), int(blanks), None
    # the file name is quoted; the rest comes from schema.py and the plan's numbers
    return (
        f"select *, {_sql_text(tr.path)} as _file, null::varchar as _sheet, "  # noqa: S608
        f"rowid + {plan.skip + 1} as _row, rowid + {first_rid} as _rid "
        f"from {table}"
    )


def _staged(kind: str, relation: str) -> str:
    """The rows of ``relation`` as they are stored in the raw tables of ``kind``: through the
    table macro ``wv_stage_<kind>`` (build step 05) for kinds parsed while they load."""
    if kind in _STAGED_AT_LOAD:
        return f"wv_stage_{kind}({_sql_text(relation)})"
    return relation


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _create_types(con: duckdb.DuckDBPyConnection) -> None:
    """The enumeration types of the build (values from warmvisits/schema.py): ``answer_value``
    (ANSWER_OPTIONS, in order: a raw item cell is one byte rather than a string),
    ``visit_method`` and ``visit_form`` (how ``visit_rows`` stores a visit's method and form:
    one byte each, where the strings cost a quarter of a second each to write)."""
    options = [o for opts in ANSWER_OPTIONS.values() for o in opts]
    for name, values in (
        ("answer_value", options),
        ("visit_method", list(ENUMS["method"])),
        ("visit_form", list(ENUMS["visit_form_version"])),
    ):
        con.execute(f"create type {name} as enum ({', '.join(_sql_text(v) for v in values)})")


def _load_enums(con: duckdb.DuckDBPyConnection) -> None:
    """``wv_enum(domain, s)`` and ``wv_answer(s)``, built from warmvisits/schema.py
    (temporary macros: every connection of the build makes its own).

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
    literal = ", ".join(f"{_sql_text(a)}: {_sql_text(v)}" for a, v in sorted(answers.items()))
    con.execute(
        f"create or replace temp macro wv_answer(s) as case when s in "
        f"({', '.join(_sql_text(v) for v in values)}) then s else (map {{{literal}}})[{norm}] end"
    )


def _run_lanes(
    con: duckdb.DuckDBPyConnection,
    steps: list[Path],
    say: Progress,
    setup: Callable[[duckdb.DuckDBPyConnection], None],
    after_visits: Callable[[], None],
) -> None:
    """Run the build ``steps`` from 13 on: the visit lane (``_VISIT_LANE``, on ``con``) and the
    steps beside it (on a cursor of its own) at the same time, then ``_AFTER_LANES`` on
    ``con``, each lane in name order. ``after_visits`` runs once 13_visits has.

    The cursor gets the build's temporary macros (``setup``) and raw views, and accumulators
    of its own: their rows (rejects, warnings, superseded keys) are added to ``con``'s before
    the steps after the lanes run. A step beside the visit lane reads nothing a visit step
    writes, and the other way round (a test holds the lanes to it). When one lane fails, the
    other is interrupted and the build fails with the first error."""
    visit_lane = [s for s in steps if s.stem in _VISIT_LANE]
    after = [s for s in steps if s.stem in _AFTER_LANES]
    beside = [s for s in steps if s not in visit_lane and s not in after]
    lane = con.cursor()
    try:
        setup(lane)
        views = con.sql(
            "select sql from duckdb_views() where temporary and starts_with(view_name, 'raw_') "
            "order by view_oid"  # in the order made: a view may read an earlier one
        ).fetchall()
        for (sql,) in views:
            lane.execute(sql)

        def run_beside() -> None:
            try:
                for script in beside:
                    _run_script(lane, script, say)
            except BaseException:
                con.interrupt()  # the visit lane stops at its current statement
                raise

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="wv-lane") as pool:
            future = pool.submit(run_beside)
            try:
                for script in visit_lane:
                    _run_script(con, script, say)
                    if script.stem == "13_visits":
                        after_visits()
            except BaseException as exc:
                lane.interrupt()
                wait([future])
                first = future.exception()
                if first is not None and isinstance(exc.__cause__, duckdb.InterruptException):
                    raise first from None  # the visit lane only stopped for the other's error
                raise
            future.result()
        _add_accumulators(lane, con)
    finally:
        lane.close()
    for script in after:
        _run_script(con, script, say)


def _add_accumulators(src: duckdb.DuckDBPyConnection, dst: duckdb.DuckDBPyConnection) -> None:
    """Add the rows of ``src``'s temporary accumulators (``*_acc``, build step 00) to ``dst``'s:
    a temporary table is seen only by its connection, so they pass through ``wv_raw``."""
    names = src.sql(
        "select table_name from duckdb_tables() where temporary and ends_with(table_name, '_acc')"
    ).fetchall()
    for (name,) in names:
        # names from duckdb_tables(), made by build step 00
        src.execute(f"create table {_RAW_DB}.lane_{name} as from {name}")  # noqa: S608
        dst.execute(f"insert into {name} from {_RAW_DB}.lane_{name}")  # noqa: S608
        dst.execute(f"drop table {_RAW_DB}.lane_{name}")


def _run_script(con: duckdb.DuckDBPyConnection, script: Path, say: Progress) -> None:
    t = time.perf_counter()
    sql = script.read_text(encoding="utf-8")
    try:
        con.execute(sql)
    except duckdb.Error as exc:
        raise BuildError(f"build step {script.name} failed: {exc}") from exc
    say(f"{script.stem}: {time.perf_counter() - t:.1f} s")


# ---------------------------------------------------------------------------- answers


def _extra_cell_warnings(con: duckdb.DuckDBPyConnection, reads: list[TableRead]) -> None:
    """A warning for each row with cells beyond its header's last column (the readers found
    them; those cells are not read)."""
    rows = [
        (tr.kind, tr.path, tr.sheet, row)
        for tr in reads
        if tr.kind is not None
        for row in tr.extra_cells
    ]
    if rows:
        con.executemany(
            "insert into warnings_acc values ($1, $2, $3, $4, 'extra_cells', "
            "'cells to the right of the header''s last column are not read')",
            rows,
        )


def _answer_checks(con: duckdb.DuckDBPyConnection, reads: list[TableRead]) -> list[str]:
    """Warn about every answer outside its item's options and every item column the menu does
    not know; write the view ``raw_visits_checked`` that build step 13 reads. Returns the
    items in the order they are packed (:func:`_answer_slot`).

    An answer outside its item's options is blanked (``answer_not_an_option``); a column that
    looks like an item but is not in the menu is ignored (``unknown_item_column``, one warning
    per file and sheet). The view replaces the item columns by ``answers_0``, ``answers_1``, …:
    each item's checked answer (NULL unless among the item's options) packed as a 4-bit code
    (:func:`_answer_slot`); those columns are added to ``visit_rows`` (declared by build step
    12_visit_rows), which step 13 fills. ``raw_visits`` keeps the cells as loaded, with
    ``_odd`` holding the exported text of odd cells, for the rejects and warnings."""
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
    # an item's options are consecutive values of answer_value (it lists ANSWER_OPTIONS in
    # order), so "among the item's options" is a range of enum codes: no string compared
    first, codes = 0, {}
    for answer_type, opts in ANSWER_OPTIONS.items():
        codes[answer_type] = (first, first + len(opts) - 1)
        first += len(opts)
    options = {col: codes[menu[col]] for col in cols if col in menu}
    suspect: list[str] = []  # the items with any answer outside their options

    def checked(col: str, value: str | None = None) -> str:
        # the answer (default: the column as loaded) when it is among the item's options,
        # else NULL
        value = value or f'"{col}"'
        low, high = options[col]
        return f"case when enum_code({value}) between {low} and {high} then {value} end"

    if options:
        # col matched ^M[0-9]+Q[0-9]+$, options come from schema.py.
        # Rows with no odd cell: each item cell is blank or an exact answer spelling, so an
        # answer outside the item's options is one that the check blanks. The least and the
        # greatest answer code of each item (one pass of cheap aggregates) show the items that
        # have any (nearly always none); one pass over those items finds the (few) rows, and
        # the details are read from them.
        bounds = con.sql(
            "select "  # noqa: S608
            + ", ".join(f'min(enum_code("{c}")), max(enum_code("{c}"))' for c in options)
            + " from raw_visits"
        ).fetchall()[0]
        suspect = [
            c
            for c, least, greatest in zip(options, bounds[::2], bounds[1::2], strict=True)
            if least is not None and (least < options[c][0] or greatest > options[c][1])
        ]
        if suspect:
            outside = " or ".join(f'("{c}" is not null and {checked(c)} is null)' for c in suspect)
            con.execute(
                "create or replace temp table plain_visits as "  # noqa: S608
                "select _file, _sheet, _row, "
                + ", ".join(f'"{c}"' for c in suspect)
                + f" from raw_visits where _odd is null and ({outside})"
            )
            plain = " union all ".join(
                f"select _file, _sheet, _row, '{c}=' || \"{c}\" as detail "  # noqa: S608
                f'from plain_visits where "{c}" is not null and {checked(c)} is null'
                for c in suspect
            )
            con.execute(
                "insert into warnings_acc select 'visits', _file, _sheet, _row, "  # noqa: S608
                f"'answer_not_an_option', detail from ({plain})"
            )
            con.execute("drop table plain_visits")
        # Rows with odd cells (a handful): each item's answer read through its aliases, and
        # its exported text for the warning
        con.execute(
            "create or replace temp table odd_visits as "  # noqa: S608
            "select _file, _sheet, _row, wv_odd_map(_odd) as odd, "
            + ", ".join(f'{_canonical_answer(c)} as "{c}"' for c in options)
            + " from raw_visits where _odd is not null"
        )
        odd = " union all ".join(
            f"select _file, _sheet, _row, '{c}' as item_code, "  # noqa: S608
            f"coalesce(odd['{c}'], \"{c}\"::varchar) as raw, "
            f"{checked(c)} as checked from odd_visits"
            for c in options
        )
        con.execute(
            "insert into warnings_acc select 'visits', _file, _sheet, _row, "  # noqa: S608
            f"'answer_not_an_option', item_code || '=' || raw from ({odd}) "
            "where checked is null and raw is not null and trim(raw) <> ''"
        )
        con.execute("drop table odd_visits")

    def code(col: str, value: str, in_range: bool = False) -> str:
        # the item's 4-bit code: its answer's enum code + 1 when among the item's options, else
        # 0. in_range: every answer of the column is among them (no test; a third faster)
        if in_range:
            return f"coalesce(enum_code({value})::ubigint + 1, 0)"
        low, high = options[col]
        return (
            f"(case when enum_code({value}) between {low} and {high} "
            f"then enum_code({value})::ubigint + 1 else 0 end)"
        )

    items = sorted(options, key=_item_order)
    as_loaded: dict[int, list[str]] = {}  # a row without odd cells: the cells as loaded
    via_aliases: dict[int, list[str]] = {}  # one with: aliases read from _odd (half as fast)
    for i, c in enumerate(items):
        word, shift = _answer_slot(i)
        cell = f'"{c}"'
        # a column without any answer outside the item's options (bounds, above) needs no test
        # of each answer as loaded
        in_range = c not in suspect
        as_loaded.setdefault(word, []).append(f"({code(c, cell, in_range)} << {shift})")
        via_aliases.setdefault(word, []).append(f"({code(c, _canonical_answer(c))} << {shift})")
    select = "select * exclude (_odd" + "".join(f', "{c}"' for c in cols) + ")"
    select += "".join(
        f", case when _odd is null then {' | '.join(as_loaded[w])} "
        f"else {' | '.join(via_aliases[w])} end as answers_{w}"
        for w in as_loaded
    )
    con.execute(f"create or replace temp view raw_visits_checked as {select} from raw_visits")
    for w in as_loaded:
        # the column where build step 13 stores the view's answers_<w>
        con.execute(f"alter table visit_rows add column answers_{w} ubigint")
    return items


# answers packed per UBIGINT: 4 bits each (answer_value has 9 values; 0 = no answer)
_ANSWERS_PER_WORD = 16


def _item_order(code: str) -> tuple[int, int]:
    m = ITEM_CODE.match(code)
    assert m is not None
    return int(m.group(1)), int(m.group(2))


def _answer_slot(i: int) -> tuple[int, int]:
    """Where the i-th packed item lives: column ``answers_<word>``, bits ``shift`` to
    ``shift + 3``, holding 0 for no answer, else the answer's ``answer_value`` code + 1."""
    return i // _ANSWERS_PER_WORD, 4 * (i % _ANSWERS_PER_WORD)


def _answer_views(con: duckdb.DuckDBPyConnection, items: list[str]) -> None:
    """The item columns of ``visit_rows``' packed answers, after build step 13 wrote it:

    - ``visit_answers_wide``: visit_id and one ``answer_value`` column per item (NULL: no
      answer), for the pages;
    - ``visit_answers``: its long form, only valid non-blank answers;
    - ``visit_answer_codes`` (temporary, for the marts): the visit's own columns and each
      item's 4-bit code, which counting needs without turning it back into a value."""
    values = ", ".join(_sql_text(o) for opts in ANSWER_OPTIONS.values() for o in opts)
    codes, answers = [], []
    for i, c in enumerate(items):
        word, shift = _answer_slot(i)
        code = f"((answers_{word} >> {shift}) & 15)::utinyint"
        codes.append(f'{code} as "{c}"')
        # a list's index 0 is NULL: no answer
        answers.append(f'[{values}][{code}]::answer_value as "{c}"')
    con.execute(
        "create view visit_answers_wide as select "  # noqa: S608 - items matched ITEM_CODE
        + ", ".join(["visit_id", *answers])
        + " from visit_rows"
    )
    # the NULL column keeps the unpivot valid when the export has no item columns
    con.execute(
        "create view visit_answers as "
        "select visit_id, item_code, answer::varchar as answer from ("
        "unpivot (select *, null::answer_value as _none from visit_answers_wide) "
        "on columns(* exclude (visit_id)) into name item_code value answer)"
    )
    con.execute(
        "create or replace temp view visit_answer_codes as select "  # noqa: S608
        + ", ".join(
            ["visit_id", "round", "household_no", "grid_code", "visit_on", "method"]
            + ["form_version", *codes]
        )
        + " from visit_rows"
    )


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
    """Peak resident memory of this process so far, in MiB: Linux's VmHWM where there is one.
    getrusage's ru_maxrss is not used there: Linux carries a process's peak across exec, so a
    child started by a large process (such as the benchmark, holding the visit rows it wrote
    out) reported its parent's peak as its own."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


__all__ = ["BuildError", "BuildReport", "build", "ENUMS", "normalise_value"]
