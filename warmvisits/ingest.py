"""Read an export folder as EXPORT-FORMAT.md describes, keeping every cell as text.

Each file is ``.csv``, ``.xlsx`` or ``.xls``; each sheet of a workbook is its own table. A
table's kind is recognised from its header row (which may stand below up to 10 title rows), by
``warmvisits.schema.match_header``. The result is one :class:`TableRead` per table: a Polars
frame whose columns are the kind's column names (English aliases, all text) plus ``_file``,
``_sheet`` and ``_row`` (the row number a person sees in Excel, or the line number of a CSV).
Files that cannot be read are reported with the reason; files of other types are listed.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import shutil
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO, TypeVar

import polars as pl

from warmvisits.schema import HeaderMatch, match_header, nearest_kind

WORKBOOK_SUFFIXES = {".xlsx", ".xls", ".xlsm"}
TABLE_SUFFIXES = {".csv"} | WORKBOOK_SUFFIXES
MAX_TITLE_ROWS = 10


@dataclass
class CsvPlan:
    """A CSV table that DuckDB's own reader can load, as an alternative to a Polars frame.

    Made only when every physical line after the header is one record (no line break inside
    a quoted cell, no lone carriage return), so that a record's line number is its position
    plus ``skip + 1``; the loader checks DuckDB's row count against ``data_lines`` and falls
    back to the Polars reader when they differ or DuckDB refuses the file."""

    source: Path  # a UTF-8 file: the export itself, or a transcoded copy
    temporary: bool  # source is a transcoded copy, to delete once loaded
    skip: int  # lines before the first data row (title rows and the header)
    separator: str
    width: int  # cells in the header row
    columns: dict[int, str]  # cell index -> kind column (text trimmed, blank -> NULL)
    items: dict[int, str]  # cell index -> menu item code (kept as exported, blank -> NULL)
    data_lines: int  # physical lines after the header
    # white space somewhere after the header: only then may a cell need trimming (a file
    # without any is loaded without the test of each row for cells to trim)
    padded: bool = True


@dataclass
class TableRead:
    path: str  # relative to the export folder, with '/' separators
    sheet: str | None
    kind: str | None
    rows: int = 0
    error: str | None = None
    frame: pl.DataFrame | None = None
    unknown_columns: list[str] = field(default_factory=list)
    item_columns: list[str] = field(default_factory=list)
    blank_rows: int = 0
    plan: CsvPlan | None = None
    # rows (numbered as a person sees them) holding cells beyond the header's last column:
    # those cells are not read, and the build warns about each row (extra_cells)
    extra_cells: list[int] = field(default_factory=list)


def list_files(folder: Path) -> list[Path]:
    """Every file below the folder, sorted by path, but for those in hidden folders (such as
    .git: not part of an export). Hidden files and Office lock files are listed (read_file
    names them as skipped), so that every file of the folder shows in the build report."""
    out = []
    for p in folder.rglob("*"):
        if not p.is_file():
            continue
        rel = p.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts[:-1]):
            continue
        out.append(p)
    return sorted(out, key=lambda p: p.relative_to(folder).as_posix())


def read_folder(folder: Path) -> list[TableRead]:
    folder = Path(folder)
    results: list[TableRead] = []
    for path in list_files(folder):
        results.extend(read_file(path, folder))
    return results


def read_file(
    path: Path, folder: Path | None = None, plan_dir: Path | None = None
) -> list[TableRead]:
    """Read one file. With ``plan_dir``, a CSV that DuckDB can load itself comes back as a
    :class:`CsvPlan` instead of a frame (a GB18030 file is transcoded to UTF-8 in
    ``plan_dir`` first); without it, every table comes back as a Polars frame."""
    rel = path.relative_to(folder).as_posix() if folder else path.name
    suffix = path.suffix.lower()
    if path.name.startswith("~$"):
        return [TableRead(rel, None, None, error="skipped: an Office lock file, not an export")]
    if path.name.startswith("."):
        return [TableRead(rel, None, None, error="skipped: a hidden file")]
    if suffix not in TABLE_SUFFIXES:
        return [
            TableRead(rel, None, None, error=f"skipped: not a table file ({suffix or 'no suffix'})")
        ]
    try:
        if suffix == ".csv":
            return [_read_csv(path, rel, plan_dir)]
        return list(_read_workbook(path, rel))
    except Exception as exc:  # any failure to read is reported, never raised past the file
        return [TableRead(rel, None, None, error=f"unreadable: {_reason(exc)}")]


def _reason(exc: BaseException) -> str:
    """A reader's error as one short line for the build report: its type and the first line
    of its message. The readers' own messages run to many lines and may quote whole rows of
    the file (personal data), which the report must not repeat."""
    if type(exc).__name__ == "ComputeError" and str(exc).startswith("could not parse"):
        # Polars quotes the rows it could not parse: personal data, not for the report
        return "the file could not be parsed as CSV (a quote that is never closed?)"
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    first = lines[0] if lines else ""
    if len(first) > _REASON_CHARS:
        first = first[: _REASON_CHARS - 1] + "…"
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


_REASON_CHARS = 160


# ---------------------------------------------------------------------------- CSV


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Detect the encoding (UTF-8 with or without BOM, else GB18030) and decode."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"not UTF-8 or GB18030 text (byte {exc.start} cannot be decoded)"
        ) from None


def _head_lines(text: str, n: int) -> list[str]:
    """The first ``n`` lines of ``text``, without splitting the whole of a large file."""
    end = 0
    for _ in range(n):
        nxt = text.find("\n", end)
        if nxt < 0:
            return text.splitlines()[:n]
        end = nxt + 1
    return text[:end].splitlines()[:n]


def _csv_header(
    head_lines: list[str],
) -> tuple[int, HeaderMatch, str, int] | None:
    """(header row index, match, separator, header width) from a CSV's first lines."""
    for separator in (",", "\t", ";", "|"):  # comma first; others seen in hand-saved exports
        head_rows = list(csv.reader(head_lines, delimiter=separator))
        found = _find_header(head_rows)
        if found is not None:
            header_index, match = found
            return header_index, match, separator, max(len(head_rows[header_index]), 1)
    return None


_HEAD_BYTES = 1 << 20
# the header is found by Python's csv module in the first lines, whose default limit of
# 131,072 characters a cell would make a file with a long note near its top unreadable
csv.field_size_limit(1 << 30)
_T = TypeVar("_T")


def _read_csv(path: Path, rel: str, plan_dir: Path | None = None) -> TableRead:
    if plan_dir is not None:
        planned = _planned_csv(path, rel, plan_dir)
        if planned is not None:
            return planned
    data = path.read_bytes()
    text, encoding = decode_bytes(data)
    if encoding == "utf-8":
        utf8 = data
    elif encoding == "utf-8-sig":
        utf8 = data[3:]
    else:
        utf8 = text.encode("utf-8")
    head_lines = _head_lines(text, MAX_TITLE_ROWS + 1)
    found = _csv_header(head_lines)
    if found is None:
        return TableRead(rel, None, None, error=_no_header_reason(list(csv.reader(head_lines))))
    header_index, match, separator, _ = found
    if b"\r" in utf8 and utf8.count(b"\r") != utf8.count(b"\r\n"):
        # lines ended by a carriage return alone (old Mac files): Polars knows only \n
        utf8 = re.sub(rb"\r(?!\n)", b"\n", utf8)
    # The header row is read as the header, so the table is as wide as it is: read without
    # one, Polars takes the width of the first data row, and a first row with fewer cells
    # (a blank last cell left off) made the whole file unreadable. Columns are then named by
    # position; the header's own names were matched above.
    frame = pl.read_csv(
        io.BytesIO(utf8),
        has_header=True,
        skip_rows=header_index,
        infer_schema=False,
        truncate_ragged_lines=True,
        quote_char='"',
        separator=separator,
    )
    frame.columns = [f"c{i}" for i in range(frame.width)]
    # line numbers: header on line header_index+1, first data row on header_index+2
    read = _shape(frame, match, rel, None, first_row=header_index + 2)
    header = next(csv.reader([head_lines[header_index]], delimiter=separator, quotechar='"'))
    width = _named_width(header)
    read.extra_cells = _rows_with_extra_cells(text, header_index, separator, width)
    return read


def _named_width(header: list[str]) -> int:
    """The cells of a header row up to its last named one: what the readers read of a row."""
    named = [i for i, v in enumerate(header) if v.strip()]
    return max(named) + 1 if named else 0


def _rows_with_extra_cells(text: str, header_index: int, separator: str, width: int) -> list[int]:
    """The rows of a CSV with a non-blank cell past the header's last named column (its
    ``width`` cells): Polars drops such cells, and DuckDB's reader refuses a file that has
    them, so the file comes here. Only this reader, taken for the few files DuckDB cannot
    load, pays for the pass."""
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=separator, quotechar='"')
    out = []
    try:
        for i, row in enumerate(rows):
            if i > header_index and len(row) > width and any(c.strip() for c in row[width:]):
                out.append(i + 1)
    except csv.Error:
        pass  # what Python's reader cannot split, Polars read: the warning is only a help
    return out


def transcodes(path: Path) -> bool:
    """Whether reading ``path`` means decoding it in Python: a CSV that is not UTF-8 in its
    first megabyte (:func:`_planned_csv` transcodes a GB18030 one; the Polars path decodes
    any other). The loader uses it to order its work."""
    if path.suffix.lower() != ".csv":
        return False
    try:
        with path.open("rb") as f:
            head = f.read(_HEAD_BYTES)
        codecs.getincrementaldecoder("utf-8")().decode(head, False)
    except (OSError, UnicodeDecodeError):
        return True
    return False


def _planned_csv(path: Path, rel: str, plan_dir: Path) -> TableRead | None:
    """The table as a :class:`CsvPlan`, or None when the Polars path must read it.

    A file whose first megabyte is UTF-8 is taken as UTF-8 without decoding the rest here:
    DuckDB's reader refuses invalid UTF-8, and the loader then falls back to the Polars path,
    which decodes the whole file (and finds GB18030). Any other file is GB18030 or nothing: it
    is transcoded to UTF-8 as it is read (:func:`_scan_lines`). The file is read in chunks,
    never whole: a 60 MB file read whole, decoded and encoded again took five fresh buffers of
    its size, and their page faults cost as much as the decoding."""
    size = path.stat().st_size
    with path.open("rb") as f:
        data = f.read(_HEAD_BYTES)
    final = size <= _HEAD_BYTES
    encoding = "gb18030"
    if data.startswith(b"\xef\xbb\xbf"):
        encoding, head = "utf-8-sig", data[3:].decode("utf-8", "ignore")
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    else:
        try:
            encoding, head = "utf-8", codecs.getincrementaldecoder("utf-8")().decode(data, final)
        except UnicodeDecodeError:
            try:
                head = codecs.getincrementaldecoder("gb18030")().decode(data, final)
            except UnicodeDecodeError:
                return None
    found = _csv_header(_head_lines(head, MAX_TITLE_ROWS + 1))
    if found is None:
        return None
    header_index, match, separator, width = found
    plan = _csv_plan(path, size, encoding, header_index, separator, width, match, plan_dir)
    if plan is None:
        return None
    return TableRead(
        rel,
        None,
        match.kind.name,
        unknown_columns=[u for u in match.unknown if u],
        item_columns=list(match.item_columns.values()),
        plan=plan,
    )


_CHUNK = 1 << 20  # bytes read at a time while counting lines and transcoding

# what Polars' strip_chars() removes (Unicode White_Space): the white space a text cell is
# trimmed of, by both readers (DuckDB's trim(s, characters) takes this string)
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# the same in UTF-8, without the line ends (in a planned CSV every line end ends a record):
# the one-byte characters, and the longer ones by their first byte
_WS_BYTES = [c.encode("utf-8") for c in WHITESPACE if c not in "\r\n"]
_WS_ASCII = [b for b in _WS_BYTES if len(b) == 1]
_WS_BY_LEAD: dict[int, set[bytes]] = {}
for _seq in _WS_BYTES:
    if len(_seq) > 1:
        _WS_BY_LEAD.setdefault(_seq[0], set()).add(_seq)
_WS_LONGEST = max(len(b) for b in _WS_BYTES)


def _has_whitespace(buf: bytes | bytearray, start: int, end: int) -> bool:
    """Whether UTF-8 ``buf[start:end]`` holds a WHITESPACE character other than a line end.
    A character cut off at ``end`` is not seen (the caller looks at the seams between
    chunks). One-byte searches (memchr) do nearly all the work: a longer character is looked
    at only where its first byte occurs, and for U+3000 (whose first byte starts all CJK
    punctuation) the whole sequence is searched for."""
    if any(buf.find(b, start, end) >= 0 for b in _WS_ASCII):
        return True
    for lead, seqs in _WS_BY_LEAD.items():
        first = bytes([lead])
        i = buf.find(first, start, end)
        if i >= 0 and len(seqs) == 1:
            (seq,) = seqs
            if buf.find(seq, i, end) >= 0:
                return True
            continue
        while i >= 0:
            if any(buf[i : i + len(s)] == s for s in seqs if i + len(s) <= end):
                return True
            i = buf.find(first, i + 1, end)
    return False


class _WhitespaceScan:
    """Whether a UTF-8 text, fed chunk by chunk, holds white space (:func:`_has_whitespace`)
    after its first ``skip`` lines (the title rows and the header, which may hold some)."""

    def __init__(self, skip: int) -> None:
        self.skip = skip
        self.found = False
        self._tail = b""  # the last bytes of the text so far, for a character across chunks

    def feed(self, buf: bytes | bytearray, n: int) -> None:
        if self.found or not n:
            return
        start = 0
        while self.skip and start < n:
            j = buf.find(b"\n", start, n)
            start = n if j < 0 else j + 1
            self.skip -= j >= 0
        if self.skip:
            return
        seam = self._tail + bytes(buf[start : min(n, start + _WS_LONGEST - 1)])
        self.found = _has_whitespace(seam, 0, len(seam)) or _has_whitespace(buf, start, n)
        keep = _WS_LONGEST - 1
        self._tail = (self._tail + bytes(buf[max(start, n - keep) : n]))[-keep:]


def _scan_lines(
    path: Path, sink: BinaryIO | None = None, skip: int | None = None
) -> tuple[int, bool, bool]:
    """Read ``path`` in chunks: its number of lines, not counting empty lines at the very end
    (DuckDB skips them; Polars finds them blank), whether it has a carriage return that
    does not end a line, and (with ``skip``) whether its text after the first ``skip`` lines
    holds white space (:class:`_WhitespaceScan`; without ``skip``, False). With ``sink``, the
    file is GB18030: its text is written there as UTF-8 (raises UnicodeDecodeError when it is
    not GB18030). Line ends are found in the GB18030 bytes themselves: bytes 0x0A and 0x0D
    never occur inside one of its characters."""
    decoder = codecs.getincrementaldecoder("gb18030")() if sink is not None else None
    ws = _WhitespaceScan(skip) if skip is not None else None
    buf = bytearray(_CHUNK)
    view = memoryview(buf)
    n_lf = n_cr = n_crlf = 0
    tail_lf = 0  # line feeds among the line ends at the end of what was read so far
    content = prev_cr = False
    try:
        with path.open("rb") as f:
            while n := f.readinto(buf):
                if prev_cr and buf[0] == 0x0A:
                    n_crlf += 1
                if buf.find(b"\r", 0, n) >= 0:
                    n_cr += buf.count(b"\r", 0, n)
                    n_crlf += buf.count(b"\r\n", 0, n)
                prev_cr = buf[n - 1] == 0x0D
                lf = buf.count(b"\n", 0, n)
                n_lf += lf
                # past the chunk's last byte that is not a line end (a copy of the chunk only
                # when it ends with one)
                end = n
                if buf[n - 1] in (0x0A, 0x0D):
                    end = len(view[:n].tobytes().rstrip(b"\r\n"))
                if end:
                    content, tail_lf = True, buf.count(b"\n", end, n)
                else:
                    tail_lf += lf
                # the chunk's text as UTF-8: the bytes read, or their transcoding
                text: bytes | bytearray = buf
                length = n
                if decoder is not None and sink is not None:
                    text = decoder.decode(view[:n]).encode("utf-8")
                    sink.write(text)
                    length = len(text)
                if ws is not None:
                    ws.feed(text, length)
            if decoder is not None and sink is not None:
                rest = decoder.decode(b"", True).encode("utf-8")
                sink.write(rest)
                if ws is not None:
                    ws.feed(rest, len(rest))
    finally:
        view.release()
    padded = ws is not None and ws.found
    return n_lf - tail_lf + (1 if content else 0), n_cr != n_crlf, padded


# a transcoded copy goes to memory-backed storage when there is room: writing 60 MB to this
# machine's disk took 0.2 s a file (a fresh file's blocks are allocated as it is written),
# to /dev/shm a fifth of that. The copy is deleted as soon as the file is loaded.
_SHM = Path("/dev/shm")  # noqa: S108 - a folder of our own is made below it, per build
_SHM_SPARE = 256 << 20  # bytes left free in /dev/shm for everything else on the machine


def scratch_dirs(plan_dir: Path) -> list[Path]:
    """Where transcoded copies of a build go, first choice first: a folder of its own in
    /dev/shm (when the machine has one), then ``plan_dir``. The caller removes both."""
    dirs = [plan_dir]
    if _SHM.is_dir() and os.access(_SHM, os.W_OK):
        dirs.insert(0, _SHM / f"warmvisits-{plan_dir.name}")
    return dirs


def prune_stale_scratch(max_age_s: float = 24 * 3600) -> None:
    """Remove /dev/shm folders of builds that were killed before they could (memory-backed:
    they would hold their share of RAM until the machine restarts). A day is far longer than
    any build, so a folder that old belongs to no running build."""
    try:
        stale = [
            p
            for p in _SHM.glob("warmvisits-*")
            if p.is_dir() and time.time() - p.stat().st_mtime > max_age_s
        ]
    except OSError:
        return
    for p in stale:
        shutil.rmtree(p, ignore_errors=True)


def _write_scratch(plan_dir: Path, bound: int, fill: Callable[[BinaryIO], _T]) -> tuple[Path, _T]:
    """Write a transcoded copy through ``fill`` (of at most ``bound`` bytes): in the /dev/shm
    folder of :func:`scratch_dirs` when it has room for it (a small /dev/shm, as in a
    container, is full long before the disk is), else in ``plan_dir``. Returns the copy and
    what ``fill`` returned; the copy is removed when ``fill`` raises."""
    name = f"{uuid.uuid4().hex}.csv"
    for folder in scratch_dirs(plan_dir):
        last = folder == plan_dir
        try:
            if not last and shutil.disk_usage(folder.parent).free < bound + _SHM_SPARE:
                continue
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / name
            with target.open("wb") as sink:
                return target, fill(sink)
        except OSError:
            (folder / name).unlink(missing_ok=True)
            if last:
                raise
            # full after all: the next folder, from the start
        except BaseException:
            (folder / name).unlink(missing_ok=True)
            raise
    raise AssertionError("unreachable: plan_dir is always the last folder")


def _csv_plan(
    path: Path,
    size: int,
    encoding: str,
    header_index: int,
    separator: str,
    width: int,
    match: HeaderMatch,
    plan_dir: Path,
) -> CsvPlan | None:
    """A plan for DuckDB's reader, or None for a file with lone carriage returns (DuckDB and
    Polars may count its lines differently) or, for GB18030, one that does not decode. Cells
    spanning lines are caught by the loader: DuckDB then returns fewer records than
    ``data_lines``."""
    source, temporary = path, False
    if encoding in ("utf-8", "utf-8-sig"):
        lines, lone_cr, padded = _scan_lines(path, skip=header_index + 1)
    else:
        # UTF-8 takes at most 3 bytes for GB18030's 2 (and 4 for its 4)
        try:
            source, (lines, lone_cr, padded) = _write_scratch(
                plan_dir, size * 3 // 2 + 16, lambda sink: _scan_lines(path, sink, header_index + 1)
            )
        except UnicodeDecodeError:
            return None
        temporary = True
    if lone_cr:
        if temporary:
            source.unlink(missing_ok=True)
        return None
    return CsvPlan(
        source=source,
        temporary=temporary,
        skip=header_index + 1,
        separator=separator,
        width=width,
        columns=dict(match.mapping),
        items=dict(match.item_columns),
        data_lines=lines - header_index - 1,
        padded=padded,
    )


# ---------------------------------------------------------------------------- Excel


def _read_workbook(path: Path, rel: str) -> Iterator[TableRead]:
    import fastexcel

    reader = fastexcel.read_excel(str(path))
    offsets = _first_rows(path) if path.suffix.lower() in {".xlsx", ".xlsm"} else {}
    for name in reader.sheet_names:
        try:
            sheet = reader.load_sheet(name, header_row=None, dtypes="string")
            frame = sheet.to_polars()
        except Exception as exc:
            yield TableRead(rel, name, None, error=f"unreadable sheet: {_reason(exc)}")
            continue
        if frame.height == 0:
            yield TableRead(rel, name, None, error="empty sheet")
            continue
        frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
        head_rows = [
            ["" if v is None else str(v) for v in row]
            for row in frame.head(MAX_TITLE_ROWS + 1).iter_rows()
        ]
        found = _find_header(head_rows)
        if found is None:
            yield TableRead(rel, name, None, error=_no_header_reason(head_rows))
            continue
        header_index, match = found
        first_excel_row = offsets.get(name, 1)
        body = frame.slice(header_index + 1)
        first_row = first_excel_row + header_index + 1
        read = _shape(body, match, rel, name, first_row=first_row, excel=True)
        # cells to the right of the header's last named column are not read: say where
        beyond = body.columns[_named_width(head_rows[header_index]) :]
        if beyond:
            mask = body.select(
                pl.any_horizontal(
                    [pl.col(c).is_not_null() & (pl.col(c).str.strip_chars() != "") for c in beyond]
                )
            ).to_series()
            read.extra_cells = [first_row + i for i in mask.arg_true().to_list()]
        yield read


# a cell element with a value: <c r="A3"><v>…, also after its formula (<c r="A1"><f>…</f><v>…)
_ROW_WITH_VALUE = re.compile(
    rb'<(?:\w+:)?c\b[^>]*?\br="[A-Z]+(\d+)"[^>]*?(?<!/)>\s*'
    rb"(?:<(?:\w+:)?f\b[^>]*?/>\s*|<(?:\w+:)?f\b[^>]*>[^<]*</(?:\w+:)?f>\s*)?"
    rb"<(?:\w+:)?(?:v|is)\b"
)


def _first_rows(path: Path) -> dict[str, int]:
    """Sheet name -> the Excel row number of its first cell holding a value.

    The Excel reader returns a sheet's used range, which starts at its first non-empty row;
    this recovers that row's number so rejects can name the row a person sees."""
    out: dict[str, int] = {}
    try:
        with zipfile.ZipFile(path) as z:
            wb = z.read("xl/workbook.xml").decode("utf-8", "replace")
            rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
            targets = dict(
                re.findall(r'<Relationship[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)
            )
            targets.update(
                {
                    k: v
                    for v, k in re.findall(
                        r'<Relationship[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels
                    )
                }
            )
            for sheet_tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*/?>", wb):
                name_m = re.search(r'\bname="([^"]*)"', sheet_tag)
                rid_m = re.search(r'\br:id="([^"]+)"', sheet_tag) or re.search(
                    r'\bid="([^"]+)"', sheet_tag
                )
                if not name_m or not rid_m or rid_m.group(1) not in targets:
                    continue
                target = targets[rid_m.group(1)].lstrip("/")
                member = target if target.startswith("xl/") else f"xl/{target}"
                name = _xml_unescape(name_m.group(1))
                with z.open(member) as fh:
                    buf = b""
                    while True:
                        chunk = fh.read(1 << 16)
                        if not chunk:
                            break
                        buf = buf[-4096:] + chunk
                        m = _ROW_WITH_VALUE.search(buf)
                        if m:
                            out[name] = int(m.group(1))
                            break
    except (KeyError, zipfile.BadZipFile, OSError):
        return out
    return out


def _xml_unescape(s: str) -> str:
    return (
        s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
    ).replace("&amp;", "&")


# ---------------------------------------------------------------------------- shared


def _find_header(rows: list[list[str]]) -> tuple[int, HeaderMatch] | None:
    for i, row in enumerate(rows[: MAX_TITLE_ROWS + 1]):
        m = match_header(list(row))
        if m is not None:
            return i, m
    return None


def _no_header_reason(rows: list[list[str]]) -> str:
    if not rows:
        return "unrecognised: the file is empty"
    for i, row in enumerate(rows):
        near = nearest_kind(list(row))
        if near is not None:
            kind, missing = near
            names = ", ".join(f"{c.zh} ({c.name})" for c in missing)
            return (
                f"unrecognised: row {i + 1} looks like the header of a {kind.name} table "
                f"({kind.zh}) but lacks its required column(s) {names}"
            )
    return (
        "unrecognised: no header row in the first 11 rows holds all the required columns of "
        "any kind (grids, households, menu, visits, cases, case_events, callbacks, petitions)"
    )


_EXCEL_FRACTION = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\.(\d+)$")


def _round_excel_time(value: str | None) -> str | None:
    """An Excel date cell read as text ('2023-02-20 14:03:00.600') rounded to the second."""
    if value is None:
        return None
    m = _EXCEL_FRACTION.match(value)
    if not m:
        return value
    base = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")
    if float("0." + m.group(2)) >= 0.5:
        base += timedelta(seconds=1)
    return base.strftime("%Y-%m-%d %H:%M:%S")


def _shape(
    frame: pl.DataFrame,
    match: HeaderMatch,
    rel: str,
    sheet: str | None,
    first_row: int,
    excel: bool = False,
) -> TableRead:
    kind = match.kind

    def cell(src: str, strip: bool = True) -> pl.Expr:
        # text with surrounding spaces removed; a blank cell is NULL, never ''
        if src not in frame.columns:
            return pl.lit(None, dtype=pl.String)
        text = pl.col(src).str.strip_chars() if strip else pl.col(src)
        return pl.when(text.str.len_bytes() > 0).then(text)

    cols = []
    for idx, name in match.mapping.items():
        cols.append(cell(f"c{idx}").alias(name))
    for name in kind.names:
        if name not in match.mapping.values():
            cols.append(pl.lit(None, dtype=pl.String).alias(name))
    items = []
    for idx, code in match.item_columns.items():
        # answers are many and short: the build folds their spaces when it checks them
        cols.append(cell(f"c{idx}", strip=False).alias(code))
        items.append(code)
    out = frame.select(cols)
    if excel:
        time_cols = [c for c in out.columns if c in _TIME_COLUMNS]
        if time_cols:
            # in Python, not map_elements: a Python function on Polars' shared thread pool
            # can deadlock it when two files load at once
            out = out.with_columns(
                [
                    pl.Series(
                        c,
                        [None if v is None else _round_excel_time(v) for v in out[c].to_list()],
                        dtype=pl.String,
                    )
                    for c in time_cols
                    if out[c].str.contains(r"\.\d+$").any()
                ]
            )
    out = out.with_columns(
        pl.lit(rel).alias("_file"),
        pl.lit(sheet, dtype=pl.String).alias("_sheet"),
        (pl.int_range(0, pl.len(), dtype=pl.Int64) + first_row).alias("_row"),
    )
    mapped = [c for c in out.columns if not c.startswith("_")]
    blank = out.select(pl.all_horizontal([pl.col(c).is_null() for c in mapped])).to_series()
    n_blank = int(blank.sum())
    if n_blank:
        out = out.filter(~blank)
    return TableRead(
        rel,
        sheet,
        kind.name,
        rows=out.height,
        frame=out,
        unknown_columns=[u for u in match.unknown if u],
        item_columns=items,
        blank_rows=n_blank,
    )


_TIME_COLUMNS = {
    "visit_date",
    "received_at",
    "due_at",
    "resolved_at",
    "at",
    "called_at",
    "registered_on",
}
