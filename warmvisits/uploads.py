"""Export files uploaded on the data page: checked, recognised, then saved, or refused whole.

The dashboard's export folder is ``exports/`` in the database folder (``data/exports`` by
default; beside ``$WARMVISITS_DB``), or ``$WARMVISITS_EXPORTS`` when set. The data page builds
from that folder, the whole folder every time.

An upload is checked in this order, and a refused file writes nothing into the export folder:

1. size: at most :func:`max_upload_bytes` (``$WARMVISITS_UPLOAD_MAX_MB``, default 200 MB),
   and not empty;
2. type: the name ends in ``.csv``, ``.xlsx`` or ``.xls`` *and* the content is one: an ``.xlsx``
   is a zip holding ``[Content_Types].xml``, an ``.xls`` starts with the OLE2 signature, a
   ``.csv`` holds no NUL byte and decodes as UTF-8 or GB18030;
3. name: a plain file name (no folder part, not hidden, no control characters);
4. content: read by :mod:`warmvisits.ingest` from a private temporary folder; at least one table
   (sheet) must be recognised as an export kind. What each table was recognised as is returned.

Only then is the file moved into the export folder (written to a temporary name there and
renamed, so a reader never sees half a file). A file of the same name is replaced.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from warmvisits import ingest
from warmvisits.db import pointer_path

ALLOWED_SUFFIXES = (".csv", ".xlsx", ".xls")
EXPORTS_ENV = "WARMVISITS_EXPORTS"
MAX_MB_ENV = "WARMVISITS_UPLOAD_MAX_MB"
DEFAULT_MAX_MB = 200
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


def exports_folder(db: str | os.PathLike[str] | None = None) -> Path:
    env = os.environ.get(EXPORTS_ENV)
    if env:
        return Path(env).expanduser().absolute()
    return pointer_path(db).parent / "exports"


def max_upload_bytes() -> int:
    try:
        mb = float(os.environ.get(MAX_MB_ENV, DEFAULT_MAX_MB))
    except ValueError:
        mb = DEFAULT_MAX_MB
    return int(mb * 1024 * 1024)


@dataclass(frozen=True)
class TableFound:
    sheet: str | None
    kind: str | None
    rows: int
    error: str | None


@dataclass
class UploadResult:
    name: str  # as uploaded
    ok: bool
    reason: str  # "ok" | "replaced" | "empty" | "too_large" | "bad_type" | "bad_name" | "bad_content" | "not_recognised"
    detail: str = ""  # the particulars, in English (file names, sizes, the reader's message)
    saved_as: Path | None = None
    tables: list[TableFound] = field(default_factory=list)


def safe_name(name: str) -> str | None:
    """The plain file name to save under, or None when ``name`` is not acceptable."""
    base = unicodedata.normalize("NFC", (name or "").strip())
    if not base or base != Path(base).name or _BAD_NAME.search(base):
        return None
    if base.startswith((".", "~$")) or len(base.encode("utf-8")) > 200:
        return None
    return base


def _content_matches(suffix: str, data: bytes) -> str | None:
    """None when the bytes are plausibly of the named type, else why not."""
    if suffix == ".xlsx":
        if not data.startswith(b"PK"):
            return "not an .xlsx workbook (not a zip file)"
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                if "[Content_Types].xml" not in z.namelist():
                    return "not an .xlsx workbook (no [Content_Types].xml)"
        except zipfile.BadZipFile as exc:
            return f"not an .xlsx workbook: {exc}"
        return None
    if suffix == ".xls":
        return None if data.startswith(OLE2_MAGIC) else "not an .xls workbook (no OLE2 signature)"
    # .csv
    if b"\x00" in data[: 1 << 20] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "not a text file (it holds NUL bytes)"
    try:
        ingest.decode_bytes(data)
    except ValueError as exc:
        return str(exc)
    return None


def check_upload(name: str, data: bytes, *, max_bytes: int | None = None) -> UploadResult:
    """Steps 1–3 (no file written, nothing read by the ingest yet)."""
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    if len(data) == 0:
        return UploadResult(name, False, "empty", "the file is empty")
    if len(data) > limit:
        return UploadResult(
            name, False, "too_large", f"{len(data):,} bytes; the limit is {limit:,} bytes"
        )
    suffix = Path(name or "").suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        return UploadResult(
            name,
            False,
            "bad_type",
            f"{suffix or 'no suffix'}; allowed: {', '.join(ALLOWED_SUFFIXES)}",
        )
    if safe_name(name) is None:
        return UploadResult(name, False, "bad_name", "not a plain file name")
    why = _content_matches(suffix, data)
    if why is not None:
        return UploadResult(name, False, "bad_type", why)
    return UploadResult(name, True, "ok")


def recognise(name: str, data: bytes) -> list[TableFound]:
    """What the ingest makes of the file, read from a private temporary folder."""
    tmpdir = Path(tempfile.mkdtemp(prefix="warmvisits-upload-"))
    try:
        path = tmpdir / (safe_name(name) or "upload")
        path.write_bytes(data)
        return [TableFound(t.sheet, t.kind, t.rows, t.error) for t in ingest.read_file(path)]
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def save_upload(
    name: str, data: bytes, folder: str | os.PathLike[str], *, max_bytes: int | None = None
) -> UploadResult:
    """Check, recognise and (only when all is well) save one uploaded file."""
    result = check_upload(name, data, max_bytes=max_bytes)
    if not result.ok:
        return result
    tables = recognise(name, data)
    result.tables = tables
    if not any(t.kind for t in tables):
        errors = "; ".join(t.error for t in tables if t.error) or "no table recognised"
        return UploadResult(name, False, "not_recognised", errors, tables=tables)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (safe_name(name) or "")
    replaced = target.exists()
    fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    result.saved_as = target
    result.reason = "replaced" if replaced else "ok"
    return result


def save_uploads(
    files: Iterable[tuple[str, bytes]],
    folder: str | os.PathLike[str],
    *,
    max_bytes: int | None = None,
) -> list[UploadResult]:
    return [save_upload(n, d, folder, max_bytes=max_bytes) for n, d in files]


def list_exports(folder: str | os.PathLike[str]) -> list[tuple[str, int]]:
    """(file name, size in bytes) of the files in the export folder, sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return [(p.relative_to(folder).as_posix(), p.stat().st_size) for p in ingest.list_files(folder)]


def remove_export(folder: str | os.PathLike[str], name: str) -> bool:
    """Delete one file directly in the export folder; False when there is no such file."""
    base = safe_name(name)
    if base is None:
        return False
    path = Path(folder) / base
    if not path.is_file():
        return False
    path.unlink()
    return True
