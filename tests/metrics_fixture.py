"""The metric tests' fixture district (tests/data/metrics/*.csv), built into a DuckDB file.

The files are small hand-made exports (Chinese headers) described in tests/test_metrics.py.
``build_metrics_db(tmp)`` builds them through the project's own build
(``warmvisits.build.build``) and returns a read-only connection to the result.
"""

from __future__ import annotations

import csv
import importlib.util
import os
from pathlib import Path

import duckdb

DATA = Path(__file__).resolve().parent / "data" / "metrics"
REPO = Path(__file__).resolve().parent.parent

T1, T2 = "341602101", "341602102"
V1, V2, V3 = T1 + "001", T1 + "002", T2 + "001"
G1, G2, G3, G4 = V1 + "001", V1 + "002", V2 + "001", V3 + "001"


def rows(kind: str) -> list[dict[str, str]]:
    """The fixture rows of one export file, as text (for independent computations in tests)."""
    with open(DATA / f"{kind}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def have_build() -> bool:
    return importlib.util.find_spec("warmvisits.build") is not None


def build_metrics_db(tmp: Path) -> Path:
    """Build the fixture exports; returns the path of the built database file."""
    from warmvisits import build as build_mod  # the lead's build
    from warmvisits.db import current_build

    target = tmp / "db"
    build_mod.build(DATA, target)
    built = current_build(target)
    assert built is not None
    return built


def open_metrics_db(tmp: Path) -> duckdb.DuckDBPyConnection:
    if have_build():
        return duckdb.connect(os.fspath(build_metrics_db(tmp)), read_only=True)
    return _stand_in(tmp)


# --- stand-in, used only while warmvisits.build does not exist yet --------------------------

_CLEAN = """
create table townships as
  select distinct "乡镇街道编码" township_code, "乡镇街道" township_name, "乡镇街道类型" township_type
  from read_csv('{d}/grids.csv', all_varchar=true);
create table villages as
  select distinct "村社区编码" village_code, "村社区" village_name, "村社区类型" village_type,
         "乡镇街道编码" township_code
  from read_csv('{d}/grids.csv', all_varchar=true);
create table grids as
  select "网格编码" grid_code, "网格名称" grid_name, "村社区编码" village_code,
         "乡镇街道编码" township_code, "网格员" leader_name, "网格员电话" leader_phone,
         null::double lon, null::double lat, null::varchar boundary_wkt
  from read_csv('{d}/grids.csv', all_varchar=true);
create table households as
  select "户编码" household_id, "网格编码" grid_code, left("网格编码", 12) village_code,
         left("网格编码", 9) township_code, "户主姓名" head_name, "联系电话" phone, "住址" address,
         "户籍人数"::integer members, []::varchar[] tags, coalesce("状态", '在册') status
  from read_csv('{d}/households.csv', all_varchar=true);
create table visits as
  select "走访编号" visit_id, "走访轮次" round, "户编码" household_id, "网格编码" grid_code,
         left("网格编码", 12) village_code, left("网格编码", 9) township_code,
         "走访日期"::date visit_on, "走访方式" method, "走访人" visitor, "问卷版本" form_version,
         "反映问题" problems_raised
  from read_csv('{d}/visits.csv', all_varchar=true);
create table cases as
  select "事项编号" case_id, "来源" source, "网格编码" grid_code, left("网格编码", 12) village_code,
         left("网格编码", 9) township_code, "事项类别" category, "标题" title,
         "复杂程度" complexity, "受理时间"::timestamp received_at,
         coalesce("办结时限"::timestamp, "受理时间"::timestamp
             + to_days(case "复杂程度" when '复杂' then 30 else 7 end)) due_at,
         "状态" status, "当前层级" current_level, "承办单位" handling_unit,
         "办结时间"::timestamp resolved_at
  from read_csv('{d}/cases.csv', all_varchar=true);
create table case_visits as
  select distinct c."事项编号" case_id, v.visit_id
  from read_csv('{d}/cases.csv', all_varchar=true) c,
       unnest(string_split(coalesce(c."关联走访编号", ''), ';')) as u(link)
  join visits v on v.visit_id = u.link;
create table case_events as
  select "事项编号" case_id,
         row_number() over (partition by "事项编号" order by "时间"::timestamp, rn)::integer event_seq,
         "时间"::timestamp "at", "动作" action, "层级" level, "单位" unit, "说明" note
  from (select *, row_number() over () rn from read_csv('{d}/case_events.csv', all_varchar=true));
create table callbacks as
  select "回访编号" callback_id, "户编码" household_id, h.grid_code, h.village_code,
         h.township_code, "事项编号" case_id, "回访时间"::timestamp called_at, "回访人" caller,
         "回访结果" outcome, "备注" comment
  from read_csv('{d}/callbacks.csv', all_varchar=true) c
  join households h on h.household_id = c."户编码";
create table petitions as
  select "信访编号" petition_id, "登记日期"::date registered_on, "乡镇街道编码" township_code,
         "信访形式" channel, "信访类别" category, coalesce("人数"::integer, 1) persons,
         "是否重复信访" = '是' is_repeat
  from read_csv('{d}/petitions.csv', all_varchar=true);
"""


def _stand_in(tmp: Path) -> duckdb.DuckDBPyConnection:
    path = tmp / "standin.duckdb"
    con = duckdb.connect(os.fspath(path))
    con.execute(_CLEAN.replace("{d}", DATA.as_posix()))
    for f in sorted((REPO / "queries" / "build").glob("5[0-4]_*.sql")):
        con.execute(f.read_text(encoding="utf-8"))
    con.close()
    return duckdb.connect(os.fspath(path), read_only=True)
