"""Writing the export files as the district's systems do: CSV in UTF-8, UTF-8 with BOM or
GB18030, Excel workbooks with a merged title row and an export-time row above the header, codes
that Excel stored as numbers; and planting the few bad rows at known Excel-visible rows."""

from __future__ import annotations

import json
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import xlsxwriter

MANIFEST = ".warmvisits-demo.json"


@dataclass(frozen=True)
class PlantedRow:
    """A planted row: where a person sees it in Excel, its kind, and the rule it breaks. Rules
    of warmvisits.rules.REJECT_RULES are extra rows the build must reject; rules of
    WARNING_RULES are regular rows the build keeps with a warning."""

    file: str
    sheet: str | None
    row_number: int
    kind: str
    rule: str
    note: str = ""


@dataclass
class Sheet:
    name: str | None
    df: pl.DataFrame  # every column text, Chinese headers
    kind: str
    title: str | None = None
    exported: str | None = None
    numeric: frozenset[str] = frozenset()  # xlsx: columns whose digit-only values are numbers
    inserts: list[tuple[int, int, dict[str, str | None], str, str]] = field(default_factory=list)
    marks: list[tuple[int, str, str]] = field(default_factory=list)  # (row index, rule, note)

    @property
    def first_data_row(self) -> int:
        """Excel-visible row number of the first data row."""
        above = (self.title is not None) + (self.exported is not None)
        return above + 2

    def plant(
        self, rng: np.random.Generator, row: dict[str, str | None], rule: str, note: str = "",
        after: int = -1,
    ) -> None:  # fmt: skip
        """Insert an extra row at a random place (after data row ``after`` when given)."""
        lo = after + 1 if after >= 0 else 0
        pos = int(rng.integers(lo, self.df.height + 1))
        self.inserts.append((pos, len(self.inserts), row, rule, note))

    def mark(self, k: int, changes: dict[str, str | None], rule: str, note: str = "") -> None:
        """Change a regular row so that the build keeps it with a warning."""
        for col, value in changes.items():
            self.df[k, col] = value
        self.marks.append((k, rule, note))

    def finish(self, file: str) -> tuple[pl.DataFrame, list[PlantedRow]]:
        """The rows to write, and every planted row (inserted rejects and marked warnings)
        with its Excel-visible row number."""
        positions = sorted(pos for pos, *_ in self.inserts)
        warned = [
            PlantedRow(
                file, self.name, k + bisect_right(positions, k) + self.first_data_row,
                self.kind, rule, note,
            )
            for k, rule, note in self.marks
        ]  # fmt: skip
        if not self.inserts:
            return self.df, warned
        ordered = sorted(self.inserts, key=lambda x: (x[0], x[1]))
        parts: list[pl.DataFrame] = []
        planted: list[PlantedRow] = []
        prev = 0
        for k, (pos, _n, row, rule, note) in enumerate(ordered):
            parts.append(self.df.slice(prev, pos - prev))
            full = {c: row.get(c) for c in self.df.columns}
            parts.append(pl.DataFrame([full], schema=self.df.schema))
            planted.append(
                PlantedRow(file, self.name, pos + k + self.first_data_row, self.kind, rule, note)
            )
            prev = pos
        parts.append(self.df.slice(prev))
        return pl.concat(parts), planted + warned


def as_text(df: pl.DataFrame, formats: dict[str, str] | None = None) -> pl.DataFrame:
    """Every column to text: dates and times with the given strftime formats."""
    formats = formats or {}
    exprs = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if dtype == pl.Date:
            exprs.append(col.dt.strftime(formats.get(name, "%Y-%m-%d")))
        elif isinstance(dtype, pl.Datetime):
            exprs.append(col.dt.strftime(formats.get(name, "%Y-%m-%d %H:%M:%S")))
        elif dtype == pl.Boolean:
            exprs.append(pl.when(col).then(pl.lit("是")).otherwise(pl.lit("否")))
        else:
            exprs.append(col.cast(pl.Utf8))
    return df.select(exprs)


def write_csv(path: Path, df: pl.DataFrame, encoding: str) -> None:
    """encoding: 'utf-8', 'utf-8-sig' or 'gb18030' (the last with Windows line ends)."""
    crlf = encoding == "gb18030"
    text = df.write_csv(line_terminator="\r\n" if crlf else "\n", null_value="")
    if encoding == "utf-8-sig":
        data = b"\xef\xbb\xbf" + text.encode("utf-8")
    else:
        data = text.encode(encoding)
    path.write_bytes(data)


def write_xlsx(path: Path, sheets: list[tuple[Sheet, pl.DataFrame]], created: datetime) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    wb.set_properties({"created": created, "author": "谯城区数据资源局", "title": path.stem})
    title_fmt = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    head_fmt = wb.add_format({"bold": True, "border": 1, "bg_color": "#D9E1F2"})
    for sheet, df in sheets:
        ws = wb.add_worksheet(sheet.name or "Sheet1")
        r = 0
        ncol = max(1, df.width - 1)
        if sheet.title is not None:
            ws.merge_range(r, 0, r, ncol, sheet.title, title_fmt)
            r += 1
        if sheet.exported is not None:
            ws.write_string(r, 0, sheet.exported)
            r += 1
        for c, name in enumerate(df.columns):
            ws.write_string(r, c, name, head_fmt)
        ws.set_column(0, ncol, 16)
        r += 1
        numeric = [name in sheet.numeric for name in df.columns]
        for row in df.iter_rows():
            for c, value in enumerate(row):
                if value is None or value == "":
                    continue
                if numeric[c] and value.isdigit() and len(value) <= 15:
                    ws.write_number(r, c, int(value))
                else:
                    ws.write_string(r, c, value)
            r += 1
    wb.close()


def note_text(scale: str, seed: int, files: list[str]) -> str:
    lines = [
        "谯城区“四季菜单·暖心走访”数据导出说明",
        "",
        "本文件夹为演示数据（由 warmvisits demo 生成，人名、电话、地址均为虚构）。",
        f"规模：{scale}；随机种子：{seed}。",
        "包含：网格台账、住户台账、问卷题目、走访记录、事项台账、流转记录、回访记录、信访登记。",
        "",
        "文件清单：",
        *[f"  {name}" for name in files],
        "",
    ]
    return "\r\n".join(lines)


def minimal_pdf(text: str) -> bytes:
    """A tiny valid PDF with one line of ASCII text (a stand-in for the scanned cover note)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def prepare_dir(out: Path) -> None:
    """Create ``out``, or clear the files an earlier demo run wrote there. Refuse when the folder
    holds anything else, so that a real export folder is never touched."""
    if not out.exists():
        out.mkdir(parents=True)
        return
    if not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder")
    present = sorted(p.name for p in out.iterdir())
    if not present:
        return
    ours: set[str] = set()
    manifest = out / MANIFEST
    if manifest.is_file():
        try:
            ours = set(json.loads(manifest.read_text("utf-8"))["files"]) | {MANIFEST}
        except (ValueError, KeyError, TypeError) as exc:
            raise FileExistsError(f"{manifest} is not a demo manifest: {exc}") from exc
    foreign = [name for name in present if name not in ours]
    if foreign:
        shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
        raise FileExistsError(
            f"{out} holds files the demo generator did not write ({shown}); "
            "choose an empty or new folder"
        )
    for name in present:
        (out / name).unlink()


def write_manifest(out: Path, scale: str, seed: int, files: list[str]) -> None:
    body = {"generator": "warmvisits demo", "scale": scale, "seed": seed, "files": files}
    (out / MANIFEST).write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", "utf-8")
