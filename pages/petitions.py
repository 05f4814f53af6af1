"""信访趋势 (petition trends): are petitions falling, where, and do the townships that visit and
resolve more see them fall?

Reads petitions_summary (the headline figures, equal to `warmvisits kpis`), petitions_monthly /
petitions_quarterly (the series with each period's year-on-year change), petitions_rounds (the
rounds marked on the time axis), petitions_by_channel, petitions_by_category and
petitions_townships (the township table and the scatter against coverage and resolution).
Petitions are recorded by township: below that the page says so and shows no petition numbers.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import polars as pl
import streamlit as st
from plotly.subplots import make_subplots

import ui

RISE, FALL = "#c0392b", "#2e7d32"
BAR = "#4a78b5"


def fmt_yoy(x: float | None) -> str:
    # the published figure is quoted to two decimals of a percent (−29.76%)
    return ui.fmt_signed_pct(x, 2)


def metric_row(s: dict[str, Any], quarter: str) -> None:
    prev_q = f"{int(quarter[:4]) - 1}{quarter[4:]}"
    cols = st.columns(6)
    cols[0].metric(
        ui.t("petitions.petitions"),
        ui.fmt_int(s["petitions"]),
        delta=fmt_yoy(s["petitions_yoy"]) if s["petitions_yoy"] is not None else None,
        delta_color="inverse",
        help=ui.t("petitions.help_petitions"),
    )
    cols[1].metric(
        ui.t("petitions.persons"),
        ui.fmt_int(s["petition_persons"]),
        help=ui.t("petitions.help_persons"),
    )
    cols[2].metric(
        ui.t("petitions.prev_year"),
        ui.fmt_int(s["petitions_prev_year"]),
        help=ui.t("petitions.help_prev_year", quarter=ui.quarter_label(prev_q)),
    )
    cols[3].metric(
        ui.t("petitions.yoy"), fmt_yoy(s["petitions_yoy"]), help=ui.t("petitions.help_yoy")
    )
    cols[4].metric(
        ui.t("petitions.repeat"),
        ui.fmt_int(s["repeat_petitions"]),
        delta=ui.t("petitions.delta_prev_year", value=ui.fmt_int(s["repeat_petitions_prev_year"])),
        delta_color="off",
        delta_arrow="off",
        help=ui.t("petitions.help_repeat"),
    )
    cols[5].metric(
        ui.t("petitions.collective"),
        ui.fmt_int(s["collective_petitions"]),
        delta=ui.t(
            "petitions.delta_prev_year", value=ui.fmt_int(s["collective_petitions_prev_year"])
        ),
        delta_color="off",
        delta_arrow="off",
        help=ui.t("petitions.help_collective"),
    )


def trend_chart(series: pl.DataFrame, x: str, rounds: pl.DataFrame, monthly: bool) -> go.Figure:
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(
        x=series[x].to_list(),
        y=series["petitions"].to_list(),
        name=ui.t("petitions.count_axis"),
        marker_color=BAR,
        xperiod="M1" if monthly else "M3",
        xperiodalignment="middle",
        hovertemplate="%{x|%Y-%m}: %{y}<extra></extra>",
    )
    fig.add_scatter(
        x=series[x].to_list(),
        y=series["petitions_yoy"].to_list(),
        name=ui.t("petitions.yoy_axis"),
        mode="lines+markers",
        line={"color": "#e67e22"},
        xperiod="M1" if monthly else "M3",
        xperiodalignment="middle",
        connectgaps=False,
        hovertemplate="%{y:+.2%}<extra></extra>",
        secondary_y=True,
    )
    for r in rounds.iter_rows(named=True):
        fig.add_vrect(
            x0=r["window_start_on"],
            x1=r["window_end_on"] + pd.Timedelta(days=1),
            fillcolor="#7f8c8d",
            opacity=0.18,
            line_width=0,
            annotation_text=ui.t("petitions.round_label", round=r["round"]),
            annotation_position="top left",
            annotation_font_size=10,
        )
    fig.update_yaxes(title_text=ui.t("petitions.count_axis"), rangemode="tozero", secondary_y=False)
    fig.update_yaxes(
        title_text=ui.t("petitions.yoy_axis"), tickformat="+.0%", secondary_y=True, showgrid=False
    )
    fig.update_layout(
        height=360,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": -0.15},
        bargap=0.15,
    )
    return fig


def period_table(series: pl.DataFrame, x: str, monthly: bool) -> pd.DataFrame:
    label = [(d.strftime("%Y-%m") if monthly else ui.quarter_label(d)) for d in series[x].to_list()]
    return pd.DataFrame(
        {
            ui.t("petitions.period"): label,
            ui.t("petitions.petitions"): [ui.fmt_int(v) for v in series["petitions"]],
            ui.t("petitions.persons"): [ui.fmt_int(v) for v in series["persons"]],
            ui.t("petitions.prev_year"): [ui.fmt_int(v) for v in series["petitions_prev_year"]],
            ui.t("petitions.yoy"): [fmt_yoy(v) for v in series["petitions_yoy"]],
            ui.t("petitions.repeat"): [ui.fmt_int(v) for v in series["repeat_petitions"]],
            ui.t("petitions.collective"): [ui.fmt_int(v) for v in series["collective_petitions"]],
        }
    ).iloc[::-1]


def breakdown_table(df: pl.DataFrame, key: str, label: str) -> pd.DataFrame:
    if key == "channel":
        names = [ui.enum_label("channel", v) for v in df[key]]
    else:
        names = [v if v else ui.t("petitions.no_category") for v in df[key]]
    return pd.DataFrame(
        {
            label: names,
            ui.t("petitions.petitions"): [ui.fmt_int(v) for v in df["petitions"]],
            ui.t("petitions.persons"): [ui.fmt_int(v) for v in df["persons"]],
            ui.t("petitions.prev_year"): [ui.fmt_int(v) for v in df["petitions_prev_year"]],
            ui.t("petitions.yoy"): [fmt_yoy(v) for v in df["petitions_yoy"]],
        }
    )


def township_frame(df: pl.DataFrame) -> pd.DataFrame:
    direction = [
        ui.t("petitions.rise")
        if c > 0
        else ui.t("petitions.fall")
        if c < 0
        else ui.t("petitions.flat")
        for c in df["petitions_change"]
    ]
    return pd.DataFrame(
        {
            ui.t("petitions.township"): df["township_name"].to_list(),
            ui.t("petitions.petitions"): df["petitions"].to_list(),
            ui.t("petitions.prev_year"): df["petitions_prev_year"].to_list(),
            ui.t("petitions.change"): df["petitions_change"].to_list(),
            ui.t("petitions.yoy"): df["petitions_yoy"].to_list(),
            ui.t("petitions.direction"): direction,
            ui.t("petitions.repeat"): df["repeat_petitions"].to_list(),
            ui.t("petitions.collective"): df["collective_petitions"].to_list(),
            ui.t("petitions.coverage"): df["coverage"].to_list(),
            ui.t("petitions.resolution"): df["resolution_rate"].to_list(),
        }
    )


def style_townships(frame: pd.DataFrame, rises: list[bool]) -> Any:
    yoy, cov, res = (
        ui.t("petitions.yoy"),
        ui.t("petitions.coverage"),
        ui.t("petitions.resolution"),
    )
    red = f"color: {RISE}; font-weight: 600"

    def mark(row: pd.Series) -> list[str]:
        return [red if rises[row.name] else "" for _ in row]

    return frame.style.apply(mark, axis=1).format(
        {
            yoy: lambda v: fmt_yoy(None if pd.isna(v) else v),
            cov: lambda v: ui.fmt_pct(None if pd.isna(v) else v),
            res: lambda v: ui.fmt_pct(None if pd.isna(v) else v),
            ui.t("petitions.change"): lambda v: ui.fmt_signed_int(v),
        },
        na_rep="—",
    )


def scatter(df: pl.DataFrame, scope_label: str) -> go.Figure | None:
    pts = df.filter(pl.col("petitions_yoy").is_not_null())
    if pts.height < 2:
        return None
    first = df.row(0, named=True)
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.06,
        subplot_titles=(
            ui.t("petitions.scatter_x_coverage"),
            ui.t("petitions.scatter_x_resolution"),
        ),
    )
    colours = [RISE if r else FALL for r in pts["is_rise"].to_list()]
    names = pts["township_name"].to_list()
    for col, (x, avg) in enumerate(
        (
            ("coverage", first["scope_coverage"]),
            ("resolution_rate", first["scope_resolution_rate"]),
        ),
        start=1,
    ):
        fig.add_scatter(
            x=pts[x].to_list(),
            y=pts["petitions_yoy"].to_list(),
            mode="markers+text",
            text=names,
            textposition="top center",
            textfont={"size": 10},
            marker={"color": colours, "size": 10},
            customdata=list(
                zip(pts["petitions"].to_list(), pts["petitions_prev_year"].to_list(), strict=True)
            ),
            hovertemplate="%{text}<br>%{x:.1%} · %{y:+.2%}"
            "<br>%{customdata[0]} / %{customdata[1]}<extra></extra>",
            showlegend=False,
            row=1,
            col=col,
        )
        if avg is not None:
            fig.add_vline(x=avg, line_dash="dash", line_color="#7f8c8d", row=1, col=col)
        if first["scope_petitions_yoy"] is not None:
            fig.add_hline(
                y=first["scope_petitions_yoy"],
                line_dash="dash",
                line_color="#7f8c8d",
                annotation_text=f"{scope_label} {ui.t('petitions.scatter_avg')}",
                annotation_font_size=10,
                row=1,
                col=col,
            )
        fig.update_xaxes(tickformat=".0%", row=1, col=col)
    fig.update_yaxes(title_text=ui.t("petitions.scatter_y"), tickformat="+.0%", row=1, col=1)
    fig.update_layout(height=420, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig


def drill(key: str, codes: list[str], scope: str) -> None:
    """Selection callback of a place table: narrow the scope to the selected row's place."""
    rows = st.session_state[key]["selection"]["rows"]
    if rows and codes[rows[0]] != scope:
        ui.set_scope(codes[rows[0]], rerun=False)


def draw(f: ui.Filters) -> None:
    if len(f.scope) > 9:
        st.info(ui.t("petitions.township_only", place=ui.scope_path(f.scope)))
        township = f.scope[:9]
        st.button(
            ui.t("petitions.go_to_township", township=ui.scope_path(township)),
            key="petitions_up",
            on_click=ui.set_scope,
            args=(township,),
            kwargs={"rerun": False},
        )
        return

    st.caption(ui.t("petitions.intro"))
    s = ui.query("petitions_summary", quarter=f.quarter, scope=f.scope).row(0, named=True)
    metric_row(s, f.quarter)

    st.subheader(ui.t("petitions.trend"))
    gran = st.segmented_control(
        ui.t("petitions.granularity"),
        ["month", "quarter"],
        default="month",
        required=True,
        format_func=lambda g: ui.t("petitions.monthly" if g == "month" else "petitions.quarterly"),
        key="petitions_granularity",
    )
    monthly = gran != "quarter"
    if monthly:
        series = ui.query("petitions_monthly", scope=f.scope)
        x = "month_on"
    else:
        series = ui.query("petitions_quarterly", scope=f.scope)
        x = "quarter_start_on"
    if series.height == 0:
        st.info(ui.t("petitions.no_petitions"))
        return
    rounds = ui.query("petitions_rounds")
    st.plotly_chart(trend_chart(series, x, rounds, monthly), key="petitions_trend")
    st.caption(ui.t("petitions.rounds_note"))
    with st.expander(ui.t("petitions.period_table")):
        if monthly:
            st.dataframe(
                period_table(series, x, True), hide_index=True, placeholder=ui.t("common.dash")
            )
        else:
            table = period_table(series.with_columns(pl.col("quarter").alias(x)), x, False)
            st.dataframe(table, hide_index=True, placeholder=ui.t("common.dash"))

    left, right = st.columns(2)
    with left:
        st.subheader(ui.t("petitions.by_channel"))
        ch = ui.query("petitions_by_channel", quarter=f.quarter, scope=f.scope)
        fig = go.Figure()
        labels = [ui.enum_label("channel", v) for v in ch["channel"]]
        fig.add_bar(x=labels, y=ch["petitions"].to_list(), name=ui.quarter_label(f.quarter))
        fig.add_bar(
            x=labels,
            y=ch["petitions_prev_year"].to_list(),
            name=ui.t("petitions.prev_year"),
            marker_color="#b0bec5",
        )
        fig.update_layout(height=260, margin={"l": 10, "r": 10, "t": 10, "b": 10}, barmode="group")
        st.plotly_chart(fig, key="petitions_channel")
        st.dataframe(
            breakdown_table(ch, "channel", ui.t("petitions.channel")),
            hide_index=True,
            placeholder=ui.t("common.dash"),
        )
    with right:
        st.subheader(ui.t("petitions.by_category"))
        cat = ui.query("petitions_by_category", quarter=f.quarter, scope=f.scope)
        st.dataframe(
            breakdown_table(cat, "category", ui.t("petitions.category")),
            hide_index=True,
            placeholder=ui.t("common.dash"),
        )
    st.caption(ui.t("petitions.null_note"))

    st.subheader(ui.t("petitions.townships"))
    towns = ui.query("petitions_townships", quarter=f.quarter, scope=f.scope, as_of=f.as_of)
    st.caption(
        ui.t("petitions.townships_hint") + " " + ui.t("petitions.rows_shown", n=towns.height)
    )
    key = f"petitions_townships_{f.quarter}_{f.scope}"
    st.dataframe(
        style_townships(township_frame(towns), towns["is_rise"].to_list()),
        hide_index=True,
        placeholder=ui.t("common.dash"),
        on_select=partial(drill, key, towns["township_code"].to_list(), f.scope),
        selection_mode="single-row",
        key=key,
    )

    st.subheader(ui.t("petitions.scatter"))
    scope_label = ui.scope_path(f.scope).split(" › ")[-1]
    st.caption(ui.t("petitions.scatter_hint", scope=scope_label))
    fig = scatter(towns, scope_label)
    if fig is None:
        st.info(ui.t("petitions.scatter_none"))
    else:
        st.plotly_chart(fig, key="petitions_scatter")
        dropped = towns.filter(pl.col("petitions_yoy").is_null()).height
        if dropped:
            st.caption(ui.t("petitions.scatter_dropped", n=dropped))


if ui.page_header("petitions.title"):
    draw(ui.filters())
