"""Number and date formatting for the interface (METRICS.md "Rounding": one decimal for rates)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import polars as pl

DASH = "—"


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_pct(x: float | None, digits: int = 1) -> str:
    """0.98333 → '98.3%'; None/NaN → '—'."""
    if _missing(x):
        return DASH
    return f"{float(x) * 100:.{digits}f}%"  # type: ignore[arg-type]


def fmt_pct_points(x: float | None, digits: int = 1) -> str:
    """A change of a rate, in percentage points: 0.012 → '+1.2 pp'."""
    if _missing(x):
        return DASH
    value = round(float(x) * 100, digits) + 0.0  # type: ignore[arg-type]  # no "-0.0"
    return f"{value:+.{digits}f} pp"


def fmt_signed_pct(x: float | None, digits: int = 1) -> str:
    """A relative change: -0.2976 → '-29.8%'."""
    if _missing(x):
        return DASH
    return f"{float(x) * 100:+.{digits}f}%"  # type: ignore[arg-type]


def fmt_int(n: int | float | None) -> str:
    """8849 → '8,849'; None → '—'."""
    if _missing(n):
        return DASH
    return f"{int(round(float(n))):,}"  # type: ignore[arg-type]


def fmt_signed_int(n: int | float | None) -> str:
    if _missing(n):
        return DASH
    return f"{int(round(float(n))):+,}"  # type: ignore[arg-type]


def fmt_days(x: float | None, digits: int = 1) -> str:
    if _missing(x):
        return DASH
    return f"{float(x):.{digits}f}"  # type: ignore[arg-type]


def fmt_ts(x: datetime | date | str | None) -> str:
    """A timestamp to the minute ('2023-03-31 23:59'); a date as is."""
    if _missing(x) or x == "":
        return DASH
    if isinstance(x, datetime):
        return x.strftime("%Y-%m-%d %H:%M")
    if isinstance(x, date):
        return x.isoformat()
    s = str(x)
    return s[:16] if len(s) >= 16 and s[10] in " T" else s


def csv_bytes(df: object, headers: dict[str, str] | None = None) -> bytes:
    """A download-safe CSV (UTF-8 with BOM for Excel; no cell Excel would run as a formula)."""
    from warmvisits import safe_export

    return safe_export.to_csv(df, headers=headers)  # type: ignore[arg-type]


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$])")


def md_escape(text: object) -> str:
    """Exported text (titles, place names, comments) made safe to put inside st.markdown:
    Markdown characters are backslash-escaped and angle brackets become entities, so the
    text shows as typed and never as formatting, a link or HTML."""
    plain = "" if text is None else str(text)
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", plain.replace("&", "&amp;"))
    return escaped.replace("<", "&lt;").replace(">", "&gt;")


def each(
    values: pl.Series | pl.DataFrame,
    fn: Callable[[Any], str | None],
    name: str,
    skip_nulls: bool = True,
) -> pl.Series:
    """``fn`` applied in Python to every value of a Series (or every row of a DataFrame, as a
    dict), as a String Series named ``name``; NULL values stay NULL with ``skip_nulls``.

    Pages use this, never Polars' ``map_elements``: a Python function given to Polars runs on
    Polars' one shared thread pool and needs the GIL there, and with ten sessions at once that
    pool deadlocked (every session's next Polars call then waited for ever)."""
    items = values.to_dicts() if isinstance(values, pl.DataFrame) else values.to_list()
    return pl.Series(
        name, [None if skip_nulls and v is None else fn(v) for v in items], dtype=pl.String
    )
