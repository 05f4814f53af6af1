"""Downloads that are safe to open in Excel: every cell text, nothing Excel would run.

A cell whose text starts with ``=``, ``+``, ``-``, ``@`` (or their full-width forms), a tab, a
carriage return or a line feed could be taken by a spreadsheet as a formula (CSV/formula
injection). :func:`safe_text` prefixes such text with an apostrophe, the spreadsheet's own "this
is text" mark, which shows the value unchanged to a reader. The ``.xlsx`` writer stores every cell
as a string in a text-formatted column (so phone numbers keep every digit and leading zero, and
an edited cell stays text); the CSV is UTF-8 with a BOM (Excel reads the Chinese) and every field
quoted. :func:`read_table` reads a filled-in list back as text and undoes the apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import polars as pl
import xlsxwriter

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def safe_text(value: Any) -> str:
    """The cell's text, neutralised when a spreadsheet could read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "是" if value else "否"
    elif isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S")
    elif isinstance(value, date):
        text = value.strftime("%Y-%m-%d")
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    if text.startswith(DANGEROUS_FIRST):
        return "'" + text
    return text


def _rows(df: pl.DataFrame, headers: Mapping[str, str] | None) -> tuple[list[str], list[list[str]]]:
    names = [headers.get(c, c) if headers else c for c in df.columns]
    head = [safe_text(n) for n in names]
    body = [[safe_text(v) for v in row] for row in df.iter_rows()]
    return head, body


def to_xlsx(
    df: pl.DataFrame,
    *,
    sheet: str = "Sheet1",
    headers: Mapping[str, str] | None = None,
    title: str | None = None,
    widths: Sequence[int] | None = None,
) -> bytes:
    """An ``.xlsx`` file (bytes) of ``df``: every cell a string in a text-formatted column.

    ``headers`` renames columns for display; ``title`` adds a first row above the header.
    """
    head, body = _rows(df, headers)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    ws = wb.add_worksheet(sheet[:31])
    text = wb.add_format({"num_format": "@"})
    bold = wb.add_format({"num_format": "@", "bold": True})
    row0 = 0
    if title:
        ws.write_string(0, 0, safe_text(title), bold)
        row0 = 1
    for j, name in enumerate(head):
        width = widths[j] if widths and j < len(widths) else max(10, min(40, len(name) * 2 + 4))
        ws.set_column(j, j, width, text)
        ws.write_string(row0, j, name, bold)
    for i, row in enumerate(body, start=row0 + 1):
        for j, cell in enumerate(row):
            ws.write_string(i, j, cell, text)
    ws.freeze_panes(row0 + 1, 0)
    wb.close()
    return buf.getvalue()


def to_csv(df: pl.DataFrame, *, headers: Mapping[str, str] | None = None) -> bytes:
    """A CSV file (bytes, UTF-8 with BOM, every field quoted and neutralised)."""
    head, body = _rows(df, headers)
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow(head)
    w.writerows(body)
    return out.getvalue().encode("utf-8-sig")


def _unquote(v: Any) -> str:
    s = "" if v is None else str(v)
    return s[1:] if s.startswith("'") and s[1:].startswith(DANGEROUS_FIRST) else s


def read_table(data: bytes, filename: str) -> pl.DataFrame:
    """Read an uploaded ``.xlsx`` or ``.csv`` (UTF-8, UTF-8-BOM or GB18030) as text columns.

    The header row is the first row that has a ``回访编号`` / ``call_ref`` cell (a title row above
    it is skipped). The apostrophe added by :func:`safe_text` is removed again.
    """
    name = filename.lower()
    rows: list[list[str]]
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        rows = [["" if v is None else _cell(v) for v in r] for r in ws.iter_rows(values_only=True)]
        wb.close()
    elif name.endswith(".csv"):
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValueError("CSV is neither UTF-8 nor GB18030")
        rows = [list(r) for r in csv.reader(io.StringIO(text))]
    else:
        raise ValueError("only .xlsx and .csv files can be uploaded")
    header_at = next(
        (
            i
            for i, r in enumerate(rows[:11])
            if any(c.strip() in ("回访编号", "call_ref", "callback_id") for c in r)
        ),
        None,
    )
    if header_at is None:
        raise ValueError("no header row with 回访编号 found")
    header = [c.strip() or f"_col{j}" for j, c in enumerate(rows[header_at])]
    body = [r + [""] * (len(header) - len(r)) for r in rows[header_at + 1 :] if any(r)]
    cols = {h: [_unquote(r[j]) for r in body] for j, h in enumerate(header)}
    return pl.DataFrame(cols, schema={h: pl.String for h in header})


_XML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _cell(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    # xlsx stores control characters as _xHHHH_, which openpyxl's read-only mode leaves as is
    return _XML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), str(v))
