"""Where the database lives, and how a build becomes current.

One rule for every command and the dashboard: ``--db`` where given, else the ``WARMVISITS_DB``
environment variable, else ``data/`` under the project root. The value names either

* a folder: the current database is ``<folder>/warmvisits.duckdb``, or
* a file ending in ``.duckdb``: that file is the current database.

Either way the current database is a *pointer*: a symbolic link to one immutable build file in
``<folder>/builds/<build-id>.duckdb``. A build writes a new file there and, only once it is
complete, swaps the link atomically (``os.replace``). So ``build --db X`` followed by anything
``--db X`` reads what was just built; a failed build leaves the previous one current; a reader
that holds the old build keeps reading it; and since every build has its own path, DuckDB's
per-path instance cache never hands a long-running process a stale file. Any DuckDB client can
open the pointer path directly.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parent.parent
POINTER_NAME = "warmvisits.duckdb"
BUILD_DIR = "builds"
ENV_VAR = "WARMVISITS_DB"


def default_location() -> Path:
    return PROJECT_ROOT / "data"


def pointer_path(db: str | os.PathLike[str] | None = None) -> Path:
    """The pointer (current database path) for a ``--db`` value, the environment or the default."""
    raw = os.fspath(db) if db else os.environ.get(ENV_VAR) or os.fspath(default_location())
    path = Path(raw).expanduser()
    if path.suffix == ".duckdb" and not path.is_dir():
        return path.absolute()
    return (path / POINTER_NAME).absolute()


def builds_dir(pointer: Path) -> Path:
    return pointer.parent / BUILD_DIR


def current_build(db: str | os.PathLike[str] | None = None) -> Path | None:
    """The build file the pointer names, or None when there is no database yet."""
    pointer = pointer_path(db)
    if not pointer.exists():
        return None
    return pointer.resolve()


def new_build_id(now: datetime | None = None) -> str:
    now = now or datetime.now()
    return now.strftime("%Y%m%d-%H%M%S-%f")


def make_current(pointer: Path, build_file: Path) -> None:
    """Point ``pointer`` at ``build_file`` atomically (a relative symlink swapped into place)."""
    pointer.parent.mkdir(parents=True, exist_ok=True)
    target = os.path.relpath(build_file.resolve(), pointer.parent.resolve())
    tmp = pointer.with_name(f".{pointer.name}.{os.getpid()}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, pointer)


@dataclass(frozen=True)
class BuildEntry:
    build_id: str
    path: Path
    is_current: bool
    size_bytes: int


_BUILD_FILE = re.compile(r"^\d{8}-\d{6}-\d{6}\.duckdb$")


def list_builds(db: str | os.PathLike[str] | None = None) -> list[BuildEntry]:
    """Complete builds beside the pointer, newest first."""
    pointer = pointer_path(db)
    folder = builds_dir(pointer)
    current = current_build(db)
    if not folder.is_dir():
        return []
    out = [
        BuildEntry(p.stem, p, current is not None and p.resolve() == current, p.stat().st_size)
        for p in folder.iterdir()
        if _BUILD_FILE.match(p.name)
    ]
    return sorted(out, key=lambda b: b.build_id, reverse=True)


def prune_builds(db: str | os.PathLike[str] | None = None, keep: int = 5) -> list[Path]:
    """Delete all but the newest ``keep`` builds; never the current one."""
    removed = []
    for entry in list_builds(db)[keep:]:
        if not entry.is_current:
            entry.path.unlink(missing_ok=True)
            removed.append(entry.path)
    return removed


def connect(db: str | os.PathLike[str] | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current build (resolved, so each build has its own path)."""
    build = current_build(db)
    if build is None:
        raise FileNotFoundError(f"no database at {pointer_path(db)}: run `warmvisits build` first")
    return duckdb.connect(os.fspath(build), read_only=True)
