"""A tiny export set for the role, scope and bad-input tests, and helpers to look at what an
AppTest run shows.

Two townships, each with one village, one grid and two households whose names, phones and
addresses are distinctive, so a test can search everything a page rendered for them. Free-text
fields carry HTML, Markdown and formula-looking text; the build must keep them as text.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

T1, T2 = "341602101", "341602102"
V1, V2 = T1 + "001", T2 + "001"
G1, G2 = V1 + "001", V2 + "001"

SCRIPT = '<script>alert("xss")</script>'
MARKDOWN = "**粗体标记** [链接](http://example.invalid)"
FORMULA = '=HYPERLINK("http://example.invalid","点我")'

# full personal data: (head_name, phone, address) per household
HOUSEHOLDS = {
    G1 + "-0001": ("张三明", "13812345678", "薛阁街道马元社区幸福路88号"),
    G1 + "-0002": ("欧阳小明", "0558-1234567", "薛阁街道马元社区光明路1号"),
    G2 + "-0001": ("李四光", "13987654321", "芦庙镇袁庄村3组12号"),
    G2 + "-0002": ("王五福", "13611112222", "芦庙镇袁庄村5组7号"),
}
# the masked forms an analyst sees
MASKED = {
    G1 + "-0001": ("张*明", "138****5678", "薛阁街道马元社区***"),
    G1 + "-0002": ("欧**明", "0558-****567", "薛阁街道马元社区***"),
    G2 + "-0001": ("李*光", "139****4321", "芦庙镇袁庄村***"),
    G2 + "-0002": ("王*福", "136****2222", "芦庙镇袁庄村***"),
}
FULL_NAMES = [h[0] for h in HOUSEHOLDS.values()]
FULL_PHONES = [h[1] for h in HOUSEHOLDS.values()]
# the part of each address below the village: never shown unmasked except to admins
ADDRESS_TAILS = ["幸福路88号", "光明路1号", "3组12号", "5组7号"]
MASKED_NAMES = [m[0] for m in MASKED.values()]
MASKED_PHONES = [m[1] for m in MASKED.values()]

# a household row with an unknown grid: (household_id, name, phone)
REJECTED = (T1 + "009009-0001", "赵六顺", "13500001111")

# what belongs to township 2 only: a township-1 user must see none of it
T2_MARKERS = ["芦庙镇", "袁庄村", "袁庄一网格", "吴网格员", "灌溉渠", "李四光", "王五福", T2]


def _write(folder: Path, name: str, header: list[str], rows: list[list[Any]]) -> None:
    with (folder / name).open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def write_exports(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    _write(
        folder,
        "grids.csv",
        ["乡镇街道编码", "乡镇街道", "乡镇街道类型", "村社区编码", "村社区", "村社区类型",
         "网格编码", "网格名称", "网格员", "网格员电话"],  # fmt: skip
        [
            [T1, "薛阁街道", "街道", V1, "马元社区", "社区", G1, "马元一网格", "周网格员", "13700000001"],
            [T2, "芦庙镇", "镇", V2, "袁庄村", "村", G2, "袁庄一网格", "吴网格员", "13700000002"],
        ],
    )  # fmt: skip
    _write(
        folder,
        "households.csv",
        ["户编码", "网格编码", "户主姓名", "联系电话", "住址", "户籍人数", "状态"],
        [[hid, hid[:15], n, p, a, "3", "在册"] for hid, (n, p, a) in HOUSEHOLDS.items()]
        # a row the build rejects (unknown grid): only the data page shows it, to admins
        + [
            [
                REJECTED[0],
                REJECTED[0][:15],
                REJECTED[1],
                REJECTED[2],
                FORMULA,
                "2",
                "在册",
            ]
        ],
    )
    _write(
        folder,
        "menu.csv",
        ["题目编码", "主题", "题目", "适用版本", "答案类型", "责任部门", "不利选项"],
        [
            ["M1Q1", "社会保障", "您家是否享受低保", "通用", "是否", "民政局", "否"],
            ["M2Q1", "环境卫生", "村容村貌如何", "通用", "好坏", "住建局", "差"],
        ],
    )
    h = list(HOUSEHOLDS)
    _write(
        folder,
        "visits.csv",
        ["走访编号", "走访轮次", "户编码", "网格编码", "走访日期", "走访方式", "走访人",
         "问卷版本", "反映问题", "M1Q1", "M2Q1"],  # fmt: skip
        [
            ["V1", "2023Q1", h[0], G1, "2023-02-20", "入户", "周网格员", "城市版", SCRIPT + MARKDOWN, "是", "好"],
            ["V2", "2023Q1", h[1], G1, "2023-02-21", "电话", "周网格员", "城市版", FORMULA, "否", "一般"],
            ["V3", "2023Q1", h[2], G2, "2023-02-22", "入户", "吴网格员", "农村版", "灌溉渠堵了 +1-2", "否", "差"],
            ["V4", "2023Q1", h[3], G2, "2023-02-23", "未联系上", "吴网格员", "农村版", "", "", ""],
            ["V5", "2022Q4", h[0], G1, "2022-11-20", "入户", "周网格员", "城市版", "", "是", "好"],
        ],
    )  # fmt: skip
    _write(
        folder,
        "cases.csv",
        ["事项编号", "来源", "关联走访编号", "网格编码", "事项类别", "标题", "复杂程度",
         "受理时间", "办结时限", "状态", "当前层级", "承办单位", "办结时间"],  # fmt: skip
        [
            ["C1", "暖心走访", "V1", G1, "供电供水", "<img src=x onerror=alert(1)>路灯" + MARKDOWN,
             "一般", "2023-02-21 09:00:00", "", "已办结", "村社区", "=1+2", "2023-02-25 10:00:00"],
            ["C2", "暖心走访", "V3", G2, "农田水利", "=SUM(A1:A9) 灌溉渠" + SCRIPT, "一般",
             "2023-02-22 09:00:00", "", "已移交上级", "乡镇街道", "芦庙镇水利站", ""],
        ],
    )  # fmt: skip
    _write(
        folder,
        "case_events.csv",
        ["事项编号", "时间", "动作", "层级", "单位", "说明"],
        [
            ["C1", "2023-02-21 09:00:00", "受理", "村社区", "马元社区", SCRIPT],
            ["C1", "2023-02-25 10:00:00", "办结", "村社区", "马元社区", MARKDOWN],
            ["C2", "2023-02-22 09:00:00", "受理", "村社区", "袁庄村", ""],
            ["C2", "2023-02-24 09:00:00", "上报", "乡镇街道", "芦庙镇", "-5+3"],
        ],
    )
    _write(
        folder,
        "callbacks.csv",
        ["回访编号", "户编码", "事项编号", "回访时间", "回访人", "回访结果", "备注"],
        [
            ["CB1", h[0], "C1", "2023-03-01 10:00:00", "回访员甲", "满意", SCRIPT + MARKDOWN],
            [
                "CB2",
                h[2],
                "",
                "2023-03-02 10:00:00",
                "回访员乙",
                "不满意",
                "@SUM(1+1)*cmd|' /C calc'!A0",
            ],
        ],
    )
    _write(
        folder,
        "petitions.csv",
        ["信访编号", "登记日期", "乡镇街道编码", "信访形式", "信访类别", "人数", "是否重复信访"],
        [
            ["P1", "2022-02-10", T1, "来信", "其他", "1", "否"],
            ["P2", "2023-02-10", T1, "来访", "其他", "6", "否"],
            ["P3", "2023-01-15", T2, "网上", "土地", "1", "是"],
            ["P4", "2022-01-20", T2, "电话", "土地", "2", "否"],
        ],
    )
    return folder


def build_db(exports: Path, db_folder: Path, *, demo: bool) -> Path:
    from warmvisits import build
    from warmvisits import db as wdb

    build.build(exports, db_folder, demo=demo)
    return wdb.pointer_path(db_folder)


# ---------------------------------------------------------------------------- AppTest helpers


def registered_pages(at: Any) -> set[str]:
    """The page files st.navigation registered in the last run (file stems). Entries without a
    URL path are the pages/ folder's automatic listing, which Streamlit keeps when no
    st.navigation ran (the sign-in screen): they are not reachable through the app."""
    out = set()
    for info in at._registered_pages.values():
        path = info.get("script_path")
        if path and "url_pathname" in info:
            out.add(Path(str(path)).stem)
    return out


def _walk(node: Any) -> Iterator[Any]:
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _walk(child)


def rendered_text(at: Any) -> str:
    """Everything the last run drew, as text: every element's protobuf (strings readable),
    and every dataframe's cells."""
    from google.protobuf import text_format

    parts: list[str] = []
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        if getattr(node, "type", None) in ("dataframe", "arrow_data_frame"):
            try:
                value = node.value
                data = value.data if hasattr(value, "data") else value  # a pandas Styler
                parts.append(data.to_csv())
            except Exception as exc:  # noqa: BLE001
                parts.append(f"<unreadable dataframe {exc}>")
            continue
        if proto is not None:
            try:
                parts.append(text_format.MessageToString(proto, as_utf8=True))
            except Exception:  # noqa: BLE001
                parts.append(str(proto))
    return "\n".join(parts)


def markdown_texts(at: Any) -> list[str]:
    """Texts that Streamlit renders as Markdown (markdown, captions, alerts, headings)."""
    out = []
    for node in _walk(at._tree):
        if getattr(node, "type", None) in {
            "markdown",
            "caption",
            "title",
            "header",
            "subheader",
            "error",
            "warning",
            "info",
            "success",
            "latex",
        }:
            value = getattr(node, "value", None)
            if isinstance(value, str):
                out.append(value)
    return out


def env_for(monkeypatch: Any, db: Path, users: Path | None) -> None:
    monkeypatch.setenv("WARMVISITS_DB", os.fspath(db))
    if users is not None:
        monkeypatch.setenv("WARMVISITS_USERS", os.fspath(users))
    else:
        monkeypatch.delenv("WARMVISITS_USERS", raising=False)
