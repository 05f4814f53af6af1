"""Write small export files for tests: CSV in a chosen encoding, real .xlsx via openpyxl.

Tests describe tables as a header (Chinese or English names) and rows; these helpers only
write bytes, so each test states its own input and its own expected output."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl

GRID_HEADER = ["乡镇街道编码", "乡镇街道", "乡镇街道类型", "村社区编码", "村社区", "村社区类型",
               "网格编码", "网格名称", "网格员", "网格员电话"]  # fmt: skip
T1, T2 = "341602101", "341602102"
V1, V2 = T1 + "001", T2 + "001"
G1, G2, G3 = V1 + "001", V1 + "002", V2 + "001"
GRID_ROWS = [
    [T1, "薛阁街道", "街道", V1, "马元社区", "社区", G1, "一网格", "张三", "13800000001"],
    [T1, "薛阁街道", "街道", V1, "马元社区", "社区", G2, "二网格", "李四", "13800000002"],
    [T2, "芦庙镇", "镇", V2, "袁庄村", "村", G3, "一组", "王五", "13800000003"],
]
HOUSEHOLD_HEADER = [
    "户编码",
    "网格编码",
    "户主姓名",
    "联系电话",
    "住址",
    "户籍人数",
    "重点人群",
    "状态",
]
HOUSEHOLD_ROWS = [
    [G1 + "-0001", G1, "赵一", "13900000001", "马元社区1号", "3", "独居老人、低保户", "在册"],
    [G1 + "-0002", G1, "钱二", "13900000002", "马元社区2号", "2", "", "在册"],
    [G3 + "-0001", G3, "孙三", "0558-1234567", "袁庄1号", "4", "", "在册"],
]


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    encoding: str = "utf-8",
    title_rows: Sequence[str] = (),
) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for t in title_rows:
        w.writerow([t])
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    data = buf.getvalue()
    if encoding == "utf-8-sig":
        raw = b"\xef\xbb\xbf" + data.encode("utf-8")
    else:
        raw = data.encode(encoding)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return path


def write_xlsx(path: Path, sheets: dict[str, tuple[Sequence[Any], Sequence[Sequence[Any]]]],
               title_rows: Sequence[str] = ()) -> Path:  # fmt: skip
    """Each sheet: (header, rows). Values keep their Python type (int, float, datetime…)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, (header, rows) in sheets.items():
        ws = wb.create_sheet(name)
        for t in title_rows:
            ws.append([t])
            ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row,
                           end_column=max(len(header), 2))  # fmt: skip
        ws.append(list(header))
        for r in rows:
            ws.append(list(r))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def base_registers(folder: Path) -> None:
    """Three grids in two townships and three households: the places most tests need."""
    write_csv(folder / "grids.csv", GRID_HEADER, GRID_ROWS)
    write_csv(folder / "households.csv", HOUSEHOLD_HEADER, HOUSEHOLD_ROWS)
