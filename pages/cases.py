"""问题办理 — where are cases stuck at a given moment, and how do they move between levels?

For the chosen scope and as-of day (default: the quarter's as-of moment; rewind to any day):
open cases by level and light, their age, the same by township / category / handling unit, the
overdue and stuck lists (each row opens the case's timeline: events, time at each level, the
household reports merged into it), and the flow of the quarter's cases through the levels.

Queries: cases_backlog_levels, cases_backlog_by, cases_open_list, cases_case,
cases_case_events, cases_case_levels, cases_case_reports, cases_flow_links,
cases_flow_summary, cases_level_time. States at t follow METRICS.md (warmvisits/metrics.py
YELLOW_SHARE for the yellow light), so the totals equal `warmvisits kpis`.
"""

from __future__ import annotations

from datetime import date, datetime

import plotly.graph_objects as go
import polars as pl
import streamlit as st

import ui
from warmvisits.metrics import YELLOW_SHARE
from warmvisits.safe_export import to_csv, to_xlsx

LEVELS = ["村社区", "乡镇街道", "区直部门", "区委区政府", "上级"]
LIGHTS = ["green", "yellow", "red"]
LIGHT_COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828"}
AGES = [
    ("n_age_0_7", "cases.age_0_7"),
    ("n_age_8_14", "cases.age_8_14"),
    ("n_age_15_30", "cases.age_15_30"),
    ("n_age_31_60", "cases.age_31_60"),
    ("n_age_over_60", "cases.age_over_60"),
]
PICK_KEY = "cases_pick"
PICK_LIMIT = 200
DIM_KEY = "cases_by_dim"
DIMS = {"township": "cases.by_township", "category": "cases.by_category", "unit": "cases.by_unit"}
SHOW_ROWS = 1000  # rows drawn in a list; the downloads hold every row


def as_of_moment(default_as_of: str | None, quarter: str) -> str:
    """The as-of picker: a day; the quarter's own as-of moment when its day is kept."""
    default = (
        datetime.strptime(default_as_of, "%Y-%m-%d %H:%M:%S")
        if default_as_of
        else datetime.combine(date.today(), datetime.max.time()).replace(microsecond=0)
    )
    day = st.date_input(
        ui.t("cases.as_of"),
        value=default.date(),
        key=f"cases_as_of_{quarter}",
        help=ui.t("cases.as_of_help"),
    )
    if not isinstance(day, date) or day == default.date():
        return default.strftime("%Y-%m-%d %H:%M:%S")
    return f"{day.isoformat()} 23:59:59"


def light_label(light: str | None) -> str:
    return ui.enum_label("light", light) if light else ui.t("common.dash")


def labels(values: pl.Series, domain: str) -> pl.Series:
    """Display names of an enumeration column (one lookup per distinct value)."""
    mapping = {v: ui.enum_label(domain, v) for v in values.unique().to_list() if v is not None}
    return values.replace(mapping)


def mark(flags: pl.Series, key: str) -> pl.Series:
    """The list mark (e.g. 已办结未解决) where a flag is set, else empty."""
    return pl.select(
        pl.when(flags.fill_null(False)).then(pl.lit(ui.t(key))).otherwise(pl.lit(""))
    ).to_series()


def backlog_section(as_of: str, scope: str) -> None:
    st.subheader(ui.t("cases.backlog_title"))
    st.caption(ui.t("cases.backlog_caption"))
    df = ui.query("cases_backlog_levels", as_of=as_of, scope=scope, yellow_share=YELLOW_SHARE)
    fig = go.Figure()
    level_labels = [ui.enum_label("level", lv) for lv in LEVELS]
    for light in LIGHTS:
        part = df.filter(pl.col("light") == light).sort("level_no")
        fig.add_bar(
            x=level_labels,
            y=part["n"].to_list(),
            name=light_label(light),
            marker_color=LIGHT_COLOURS[light],
        )
    fig.update_layout(
        barmode="stack",
        height=320,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        yaxis_title=ui.t("cases.count"),
        legend_title_text=ui.t("cases.light"),
    )
    left, right = st.columns([3, 2])
    left.plotly_chart(fig, width="stretch", key="cases_backlog_chart")
    wide = df.pivot(on="light", index=["level_no", "level"], values="n").sort("level_no")
    table = pl.DataFrame(
        {
            ui.t("cases.level"): [ui.enum_label("level", lv) for lv in wide["level"]],
            **{light_label(lt): wide[lt] for lt in LIGHTS},
            ui.t("cases.total"): wide.select(pl.sum_horizontal(LIGHTS)).to_series(),
        }
    )
    right.dataframe(table, hide_index=True, width="stretch", key="cases_backlog_table")


def ageing_section(dim: str, by: pl.DataFrame, total: dict[str, int]) -> None:
    st.subheader(ui.t("cases.ageing_title"))
    st.caption(ui.t("cases.ageing_caption"))
    fig = go.Figure(
        go.Bar(
            x=[ui.t(key) for _, key in AGES],
            y=[total.get(col, 0) for col, _ in AGES],
            marker_color=["#90caf9", "#64b5f6", "#42a5f5", "#1e88e5", "#0d47a1"],
        )
    )
    fig.update_layout(
        height=260, margin={"l": 10, "r": 10, "t": 10, "b": 10}, yaxis_title=ui.t("cases.count")
    )
    st.plotly_chart(fig, width="stretch", key="cases_ageing_chart")

    st.subheader(ui.t("cases.by_title"))
    st.segmented_control(
        ui.t("cases.by"),
        list(DIMS),
        default="township",
        format_func=lambda d: ui.t(DIMS[d]),
        key=DIM_KEY,
    )
    df = by
    table = pl.DataFrame(
        {
            ui.t("cases.group"): df["group_name"],
            ui.t("cases.open_cases"): df["n_open"],
            **{light_label(lt): df[f"n_{lt}"] for lt in LIGHTS},
            **{ui.t(key): df[col] for col, key in AGES},
        }
    )
    if dim == "township":
        st.caption(ui.t("cases.by_caption_township"))
        event = st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            on_select="rerun",
            selection_mode="single-row",
            key="cases_by_table_township",
        )
        rows = event.selection.rows if event is not None else []
        if rows:
            ui.set_scope(df["group_code"][rows[0]])
    else:
        st.dataframe(table, hide_index=True, width="stretch", key=f"cases_by_table_{dim}")


def list_table(df: pl.DataFrame) -> pl.DataFrame:
    """An open-case list for display and download, with interface headers."""
    return pl.DataFrame(
        {
            ui.t("cases.case_id"): df["case_id"],
            ui.t("cases.mark"): mark(df["closed_not_solved"], "cases.closed_not_solved"),
            ui.t("cases.light"): labels(df["light"], "light"),
            ui.t("cases.level"): labels(df["level"], "level"),
            ui.t("cases.days_overdue"): df["days_overdue"].round(1),
            ui.t("cases.age_days"): df["age_days"].round(1),
            ui.t("cases.days_since_event"): df["days_since_event"].round(1),
            ui.t("cases.stuck"): df["is_stuck"],
            ui.t("cases.township"): df["township_name"],
            ui.t("cases.village"): df["village_name"],
            ui.t("cases.grid"): df["grid_name"],
            ui.t("cases.category"): df["category"],
            ui.t("cases.complexity"): labels(df["complexity"], "complexity"),
            ui.t("cases.unit"): df["handling_unit"],
            ui.t("cases.title"): df["title"],
            ui.t("cases.received_at"): df["received_at"],
            ui.t("cases.due_at"): df["due_at"],
            ui.t("cases.last_event_at"): df["last_event_at"],
        }
    )


def case_list(df: pl.DataFrame, key: str, file_stem: str) -> str | None:
    """Draw a sortable, downloadable case list; the case id of a clicked row, if any."""
    if df.is_empty():
        st.caption(ui.t("common.no_rows"))
        return None
    table = list_table(df)
    if df.height > SHOW_ROWS:
        st.caption(ui.t("cases.list_capped", shown=SHOW_ROWS, total=ui.fmt_int(df.height)))
    event = st.dataframe(
        table.head(SHOW_ROWS),
        hide_index=True,
        width="stretch",
        height=min(420, 38 + 35 * min(df.height, SHOW_ROWS)),
        on_select="rerun",
        selection_mode="single-row",
        key=key,
    )
    a, b, _ = st.columns([1, 1, 4])
    # the files are written only when a button is clicked (deferred), not on every run
    a.download_button(
        ui.t("cases.download_csv"),
        data=lambda: to_csv(table),
        file_name=f"{file_stem}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        on_click="ignore",
    )
    b.download_button(
        ui.t("cases.download_xlsx"),
        data=lambda: to_xlsx(table, sheet=file_stem),
        file_name=f"{file_stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        on_click="ignore",
    )
    rows = event.selection.rows if event is not None else []
    return str(df["case_id"][rows[0]]) if rows else None


def remember_click(key: str, case_id: str | None) -> None:
    """A newly clicked row opens its case (the pick box follows the latest click)."""
    seen_key = f"{key}_seen"
    if case_id != st.session_state.get(seen_key):
        st.session_state[seen_key] = case_id
        if case_id:
            st.session_state[PICK_KEY] = case_id


def timeline(case_id: str, as_of: str, scope: str) -> None:
    head = ui.query(
        "cases_case", case_id=case_id, scope=scope, as_of=as_of, yellow_share=YELLOW_SHARE
    )
    if head.is_empty():
        st.caption(ui.t("common.no_rows"))
        return
    c = head.row(0, named=True)
    st.subheader(ui.t("cases.timeline_title", case_id=case_id))
    esc = ui.md_escape  # exported text shows as typed, never as Markdown or HTML
    st.markdown(
        f"**{esc(c['title'] or c['category'])}** · {esc(c['category'])} · "
        f"{ui.enum_label('complexity', c['complexity'])} · {esc(c['township_name'])} "
        f"{esc(c['village_name'])} {esc(c['grid_name'])}"
    )
    if c["is_open"]:
        st.markdown(
            ui.t(
                "cases.state_open",
                level=ui.enum_label("level", c["level"]),
                light=light_label(c["light"]),
            )
        )
    elif c["is_resolved"]:
        st.markdown(
            ui.t(
                "cases.state_resolved",
                days=ui.fmt_days(c["days_to_resolve"]),
                on_time=ui.t("cases.on_time") if c["is_on_time"] else ui.t("cases.late"),
            )
        )
        if c["closed_not_solved"]:
            st.error(ui.t("cases.closed_not_solved") + " — " + ui.t("cases.closed_not_solved_help"))
    else:
        st.markdown(ui.t("cases.state_not_received"))
    st.caption(
        ui.t("cases.received_at")
        + f" {ui.fmt_ts(c['received_at'])} · "
        + ui.t("cases.due_at")
        + f" {ui.fmt_ts(c['due_at'])} · "
        + ui.t(
            "cases.exported_status",
            status=ui.enum_label("case_status", c["exported_status"]),
            level=ui.enum_label("level", c["exported_level"]),
        )
    )

    left, right = st.columns(2)
    events = ui.query("cases_case_events", case_id=case_id, scope=scope, as_of=as_of)
    left.markdown("**" + ui.t("cases.events_title") + "**")
    left.dataframe(
        pl.DataFrame(
            {
                ui.t("cases.event_at"): events["event_at"],
                ui.t("cases.action"): [ui.enum_label("action", x) for x in events["action"]],
                ui.t("cases.level"): [ui.enum_label("level", x) for x in events["level"]],
                ui.t("cases.unit"): events["unit"],
                ui.t("cases.note"): events["note"],
                ui.t("cases.after_as_of"): events["is_after_as_of"],
            }
        ),
        hide_index=True,
        width="stretch",
        key="cases_timeline_events",
    )
    levels = ui.query("cases_case_levels", case_id=case_id, scope=scope, as_of=as_of)
    right.markdown("**" + ui.t("cases.levels_title") + "**")
    right.dataframe(
        pl.DataFrame(
            {
                ui.t("cases.level"): [ui.enum_label("level", x) for x in levels["level"]],
                ui.t("cases.entered_at"): levels["entered_at"],
                ui.t("cases.left_at"): levels["left_at"],
                ui.t("cases.days"): levels["days"].round(2),
                ui.t("cases.still_there"): levels["is_current"],
            }
        ),
        hide_index=True,
        width="stretch",
        key="cases_timeline_levels",
    )

    reports = ui.query("cases_case_reports", case_id=case_id, scope=scope)
    st.markdown("**" + ui.t("cases.reports_title", n=reports.height) + "**")
    if reports.is_empty():
        st.caption(ui.t("cases.no_reports"))
    else:
        st.dataframe(
            pl.DataFrame(
                {
                    ui.t("cases.visit_id"): reports["visit_id"],
                    ui.t("cases.visit_on"): reports["visit_on"],
                    ui.t("cases.method"): [ui.enum_label("method", x) for x in reports["method"]],
                    ui.t("cases.household"): reports["household_id"],
                    ui.t("cases.head_name"): reports["head_name"],
                    ui.t("cases.phone"): reports["phone"],
                    ui.t("cases.address"): reports["address"],
                    ui.t("cases.grid"): reports["grid_name"],
                    ui.t("cases.leader"): reports["leader_name"],
                    ui.t("cases.village"): reports["village_name"],
                }
            ),
            hide_index=True,
            width="stretch",
            key="cases_timeline_reports",
        )


def flow_section(quarter: str, as_of: str, scope: str) -> None:
    st.subheader(ui.t("cases.flow_title"))
    st.caption(ui.t("cases.flow_caption"))
    summary = ui.query("cases_flow_summary", quarter=quarter, scope=scope, as_of=as_of).row(
        0, named=True
    )
    a, b, c = st.columns(3)
    a.metric(ui.t("cases.received"), ui.fmt_int(summary["n_received"]))
    b.metric(
        ui.t("cases.escalated"),
        ui.fmt_pct(summary["escalated_share"]),
        help=ui.t("cases.escalated_help"),
    )
    c.metric(ui.t("cases.node_open"), ui.fmt_int(summary["n_open"]))

    links = ui.query("cases_flow_links", quarter=quarter, scope=scope, as_of=as_of)
    if not links.is_empty():
        nodes = ["received", *LEVELS, "resolved", "open"]
        labels = [
            ui.t("cases.node_received"),
            *[ui.enum_label("level", lv) for lv in LEVELS],
            ui.t("cases.node_resolved"),
            ui.t("cases.node_open"),
        ]
        index = {n: i for i, n in enumerate(nodes)}
        fig = go.Figure(
            go.Sankey(
                arrangement="snap",
                node={"label": labels, "pad": 18, "thickness": 16},
                link={
                    "source": [index[s] for s in links["source"]],
                    "target": [index[t] for t in links["target"]],
                    "value": links["n"].to_list(),
                },
            )
        )
        fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 10, "b": 10})
        st.plotly_chart(fig, width="stretch", key="cases_flow_sankey")

    st.markdown("**" + ui.t("cases.level_time_title") + "**")
    st.caption(ui.t("cases.level_time_caption"))
    lt = ui.query("cases_level_time", quarter=quarter, scope=scope, as_of=as_of)
    st.dataframe(
        pl.DataFrame(
            {
                ui.t("cases.level"): [ui.enum_label("level", x) for x in lt["level"]],
                ui.t("cases.n_cases"): lt["n_cases"],
                ui.t("cases.median_days"): lt["median_days"].round(1),
                ui.t("cases.p90_days"): lt["p90_days"].round(1),
                ui.t("cases.n_done"): lt["n_done"],
                ui.t("cases.n_still_there"): lt["n_still_there"],
            }
        ),
        hide_index=True,
        width="stretch",
        key="cases_level_time",
    )


def main() -> None:
    if not ui.page_header("common.page.cases"):
        return
    f = ui.filters()
    top = st.columns([1, 1, 2])
    with top[0]:
        as_of = as_of_moment(f.as_of, f.quarter)
    with top[1]:
        stuck_days = st.number_input(
            ui.t("cases.stuck_days"),
            min_value=1,
            max_value=365,
            value=10,
            step=1,
            key="cases_stuck_days",
            help=ui.t("cases.stuck_days_help"),
        )
    top[2].caption(ui.t("cases.as_of_caption", as_of=as_of))
    if f.as_of and as_of != f.as_of:
        top[2].info(ui.t("cases.rewound", as_of=as_of))

    # one grouped query answers the totals, the ageing chart and the breakdown table: every
    # open case is in exactly one group, so the groups add up to the scope's totals
    dim = st.session_state.get(DIM_KEY) or "township"
    by = ui.query(
        "cases_backlog_by",
        as_of=as_of,
        scope=f.scope,
        yellow_share=YELLOW_SHARE,
        stuck_days=int(stuck_days),
        dim=dim,
    )
    total: dict[str, int] = {c: int(by[c].sum()) for c in by.columns if c.startswith("n_")}
    m = st.columns(4)
    m[0].metric(
        ui.t("cases.open_cases"), ui.fmt_int(total.get("n_open", 0)), help=ui.t("cases.open_help")
    )
    m[1].metric(
        ui.t("cases.overdue_cases"),
        ui.fmt_int(total.get("n_overdue", 0)),
        help=ui.t("cases.overdue_help"),
    )
    m[2].metric(
        ui.t("cases.yellow_cases"),
        ui.fmt_int(total.get("n_yellow", 0)),
        help=ui.t("cases.yellow_help"),
    )
    m[3].metric(
        ui.t("cases.stuck_cases"),
        ui.fmt_int(total.get("n_stuck", 0)),
        help=ui.t("cases.stuck_help"),
    )

    backlog_section(as_of, f.scope)
    ageing_section(dim, by, total)

    st.subheader(ui.t("cases.overdue_title"))
    st.caption(ui.t("cases.overdue_caption"))
    overdue = ui.query(
        "cases_open_list",
        as_of=as_of,
        scope=f.scope,
        yellow_share=YELLOW_SHARE,
        stuck_days=int(stuck_days),
        only_overdue=True,
        only_stuck=False,
    )
    remember_click("cases_overdue_list", case_list(overdue, "cases_overdue_list", "overdue"))

    st.subheader(ui.t("cases.stuck_title", days=int(stuck_days)))
    stuck = pl.DataFrame(schema={"case_id": pl.String})
    if st.toggle(ui.t("cases.show_stuck"), key="cases_show_stuck"):
        stuck = ui.query(
            "cases_open_list",
            as_of=as_of,
            scope=f.scope,
            yellow_share=YELLOW_SHARE,
            stuck_days=int(stuck_days),
            only_overdue=False,
            only_stuck=True,
        )
        remember_click("cases_stuck_list", case_list(stuck, "cases_stuck_list", "stuck"))

    # the pick box offers the first cases of each list (a click on any row opens any case)
    choices = ["", *overdue["case_id"].head(PICK_LIMIT).to_list()]
    seen = set(choices)
    choices += [x for x in stuck["case_id"].head(PICK_LIMIT).to_list() if x not in seen]
    picked = st.session_state.get(PICK_KEY)
    if picked and picked not in choices:
        choices.append(picked)
    case_id = st.selectbox(
        ui.t("cases.pick_case"),
        choices,
        format_func=lambda x: x or ui.t("cases.no_case"),
        key=PICK_KEY,
        help=ui.t("cases.pick_case_help"),
    )
    if case_id:
        timeline(case_id, as_of, f.scope)

    st.divider()
    flow_section(f.quarter, as_of, f.scope)


main()
