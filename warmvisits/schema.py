"""The export contract (shared/EXPORT-FORMAT.md) as data.

One place says which kinds of table exist, which columns each has (Chinese name, English
alias, required or not) and which values each enumeration accepts. The reader uses it to
recognise headers, the build uses it to map enumeration aliases, and the demo generator uses
it to write Chinese headers. Nothing here reads files or opens a database.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    zh: str
    name: str  # the English alias; also the column's name in raw and clean tables
    required: bool = False
    aliases: tuple[str, ...] = ()  # further accepted spellings


@dataclass(frozen=True)
class Kind:
    name: str
    zh: str
    key: str | None
    columns: tuple[Column, ...]
    # a visits table also carries one column per menu item (M1Q1, ...)
    item_columns: bool = False

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def _c(zh: str, name: str, required: bool = False, *aliases: str) -> Column:
    return Column(zh, name, required, tuple(aliases))


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "grids",
            "网格台账",
            "grid_code",
            (
                _c("乡镇街道编码", "township_code", True),
                _c("乡镇街道", "township_name", True, "乡镇街道名称"),
                _c("乡镇街道类型", "township_type"),
                _c("村社区编码", "village_code", True),
                _c("村社区", "village_name", True, "村社区名称"),
                _c("村社区类型", "village_type", True),
                _c("网格编码", "grid_code", True),
                _c("网格名称", "grid_name"),
                _c("网格员", "leader_name", True),
                _c("网格员电话", "leader_phone"),
                _c("经度", "lon"),
                _c("纬度", "lat"),
                _c("边界", "boundary_wkt"),
            ),
        ),
        Kind(
            "households",
            "住户台账",
            "household_id",
            (
                _c("户编码", "household_id", True),
                _c("网格编码", "grid_code", True),
                _c("户主姓名", "head_name", True),
                _c("联系电话", "phone"),
                _c("住址", "address"),
                _c("户籍人数", "members"),
                _c("重点人群", "tags"),
                _c("状态", "status"),
            ),
        ),
        Kind(
            "menu",
            "问卷题目",
            "item_code",
            (
                _c("题目编码", "item_code", True),
                _c("主题", "theme", True),
                _c("题目", "question", True),
                _c("适用版本", "form_version", True),
                _c("答案类型", "answer_type", True),
                _c("责任部门", "department"),
                _c("不利选项", "unfavourable"),
            ),
        ),
        Kind(
            "visits",
            "走访记录",
            "visit_id",
            (
                _c("走访编号", "visit_id", True),
                _c("走访轮次", "round", True),
                _c("户编码", "household_id", True),
                _c("网格编码", "grid_code", True),
                _c("走访日期", "visit_date", True),
                _c("走访方式", "method", True),
                _c("走访人", "visitor", True),
                _c("问卷版本", "form_version"),
                _c("反映问题", "problems_raised"),
            ),
            item_columns=True,
        ),
        Kind(
            "cases",
            "事项台账",
            "case_id",
            (
                _c("事项编号", "case_id", True),
                _c("来源", "source", True),
                _c("关联走访编号", "visit_ids"),
                _c("网格编码", "grid_code", True),
                _c("事项类别", "category", True),
                _c("标题", "title"),
                _c("复杂程度", "complexity", True),
                _c("受理时间", "received_at", True),
                _c("办结时限", "due_at"),
                _c("状态", "status", True),
                _c("当前层级", "current_level", True),
                _c("承办单位", "handling_unit"),
                _c("办结时间", "resolved_at"),
            ),
        ),
        Kind(
            "case_events",
            "流转记录",
            None,
            (
                _c("事项编号", "case_id", True),
                _c("时间", "at", True),
                _c("动作", "action", True),
                _c("层级", "level", True),
                _c("单位", "unit"),
                _c("说明", "note"),
            ),
        ),
        Kind(
            "callbacks",
            "回访记录",
            "callback_id",
            (
                _c("回访编号", "callback_id", True),
                _c("户编码", "household_id", True),
                _c("事项编号", "case_id"),
                _c("回访时间", "called_at", True),
                _c("回访人", "caller", True),
                _c("回访结果", "outcome", True),
                _c("备注", "comment"),
            ),
        ),
        Kind(
            "petitions",
            "信访登记",
            "petition_id",
            (
                _c("信访编号", "petition_id", True),
                _c("登记日期", "registered_on", True),
                _c("乡镇街道编码", "township_code", True),
                _c("信访形式", "channel", True),
                _c("信访类别", "category"),
                _c("人数", "persons"),
                _c("是否重复信访", "repeat"),
            ),
        ),
    )
}

KIND_ORDER = list(KINDS)

ITEM_CODE = re.compile(r"^M(\d+)Q(\d+)$")

# Enumerations: canonical (Chinese) value -> accepted English aliases.
ENUMS: dict[str, dict[str, tuple[str, ...]]] = {
    "township_type": {"镇": ("town",), "乡": ("township",), "街道": ("street", "subdistrict")},
    "village_type": {"村": ("village", "rural"), "社区": ("community", "urban")},
    "household_status": {
        "在册": ("registered",),
        "迁出": ("moved out", "moved_out"),
        "注销": ("closed",),
    },
    "menu_form_version": {
        "城市版": ("urban",),
        "农村版": ("rural",),
        "通用": ("common", "general", "both", "all"),
    },
    "answer_type": {
        "选择": ("choice",),
        "是否": ("yes/no", "yes_no", "yesno"),
        "好坏": ("good/bad", "good_bad", "rating"),
    },
    "visit_form_version": {"城市版": ("urban",), "农村版": ("rural",)},
    "method": {"入户": ("door",), "电话": ("phone",), "未联系上": ("unreached",)},
    "case_source": {
        "暖心走访": ("visits", "visit", "warm visits"),
        "12345热线": ("hotline", "12345"),
        "其他": ("other",),
    },
    "complexity": {"一般": ("general",), "复杂": ("complex",)},
    "case_status": {
        "办理中": ("open",),
        "已办结": ("resolved",),
        "已移交上级": ("passed up", "passed_up"),
    },
    "level": {
        "村社区": ("village", "village/community"),
        "乡镇街道": ("township", "township/street"),
        "区直部门": ("department", "district department"),
        "区委区政府": ("district", "district committee", "district government"),
        "上级": ("higher", "higher level"),
    },
    "action": {
        "受理": ("received",),
        "派遣": ("dispatched",),
        "上报": ("passed up", "passed_up"),
        "转办": ("reassigned",),
        "退回": ("sent back", "sent_back"),
        "办结": ("resolved",),
    },
    "outcome": {
        "满意": ("satisfied",),
        "基本满意": ("fairly satisfied", "fairly_satisfied"),
        "不满意": ("dissatisfied",),
        "未接通": ("not reached", "not_reached", "unreached"),
    },
    "channel": {"来信": ("letter",), "来访": ("visit",), "网上": ("online",), "电话": ("phone",)},
    "yes_no": {"是": ("yes", "y", "true"), "否": ("no", "n", "false")},
    "good_bad": {"好": ("good",), "一般": ("fair", "average"), "差": ("bad", "poor")},
    "choice": {"A": (), "B": (), "C": (), "D": ()},
}

LEVELS = list(ENUMS["level"])  # in order, lowest first
METHODS = list(ENUMS["method"])
OUTCOMES = list(ENUMS["outcome"])
CHANNELS = list(ENUMS["channel"])
DAYS_ALLOWED = {"一般": 7, "复杂": 30}
ANSWER_OPTIONS = {"选择": ["A", "B", "C", "D"], "是否": ["是", "否"], "好坏": ["好", "一般", "差"]}
LIST_SEPARATORS = "、;；"


def normalise_header(text: object) -> str:
    """Header cell -> comparable form: NFKC (full-width to half-width), no spaces, lower-case."""
    s = unicodedata.normalize("NFKC", str(text if text is not None else ""))
    s = re.sub(r"[\s\u3000\ufeff]+", "", s)
    s = s.replace("✱", "").replace("*", "")
    return s.lower()


def normalise_value(text: str) -> str:
    """Enumeration value -> comparable form (same rule as headers, but spaces fold to one)."""
    s = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"[\s_]+", " ", s)


_BRACKETED = re.compile(r"[(\[【].*?[)\]】]$")


@dataclass
class HeaderMatch:
    kind: Kind
    mapping: dict[int, str] = field(default_factory=dict)  # cell index -> column name
    item_columns: dict[int, str] = field(default_factory=dict)  # cell index -> item code
    unknown: list[str] = field(default_factory=list)

    @property
    def score(self) -> int:
        return len(self.mapping)


def _lookup(kind: Kind) -> dict[str, str]:
    table: dict[str, str] = {}
    for col in kind.columns:
        for spelling in (col.zh, col.name, *col.aliases):
            table[normalise_header(spelling)] = col.name
    return table


_LOOKUPS = {name: _lookup(kind) for name, kind in KINDS.items()}


def match_header(cells: list[object]) -> HeaderMatch | None:
    """The kind whose required columns all appear in this row; on a tie, the one matching most."""
    best: HeaderMatch | None = None
    normalised = [normalise_header(c) for c in cells]
    for name, kind in KINDS.items():
        lookup = _LOOKUPS[name]
        m = HeaderMatch(kind)
        for i, h in enumerate(normalised):
            if not h:
                continue
            # '联系电话(手机)', '经度（WGS84）': a note in brackets after a known name
            col = lookup.get(h) or lookup.get(_BRACKETED.sub("", h))
            if col is not None and col not in m.mapping.values():
                m.mapping[i] = col
            elif (
                kind.item_columns
                and ITEM_CODE.match(h.upper())
                and h.upper() not in m.item_columns.values()
            ):
                # a repeated item column is unknown (named in the report), like any other
                # repeated column: the first one counts
                m.item_columns[i] = h.upper()
            else:
                m.unknown.append(str(cells[i]).strip())
        if not set(kind.required) <= set(m.mapping.values()):
            continue
        if best is None or m.score > best.score:
            best = m
    return best


def nearest_kind(cells: list[object]) -> tuple[Kind, list[Column]] | None:
    """For a row that is no header (:func:`match_header` gave None): the kind it comes closest
    to — at least two and at least half of that kind's required columns — and the required
    columns it lacks, so that the report can say what is missing instead of only that
    nothing matched."""
    best: tuple[tuple[int, int], Kind, list[Column]] | None = None
    normalised = [normalise_header(c) for c in cells]
    for name, kind in KINDS.items():
        lookup = _LOOKUPS[name]
        found = {lookup.get(h) or lookup.get(_BRACKETED.sub("", h)) for h in normalised if h}
        required = [c for c in kind.columns if c.required]
        missing = [c for c in required if c.name not in found]
        have = len(required) - len(missing)
        if not missing or have < 2 or 2 * have < len(required):
            continue
        rank = (have, -len(missing))
        if best is None or rank > best[0]:
            best = (rank, kind, missing)
    return (best[1], best[2]) if best is not None else None


def enum_alias_rows() -> list[tuple[str, str, str]]:
    """(domain, normalised alias, canonical value) for every accepted spelling."""
    rows = []
    for domain, values in ENUMS.items():
        for canonical, aliases in values.items():
            for spelling in (canonical, *aliases):
                rows.append((domain, normalise_value(spelling), canonical))
    return sorted(set(rows))
