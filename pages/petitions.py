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
import polars as pl
import streamlit as st

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


def trend_chart(
    series: pl.DataFrame, x: str, rounds: pl.DataFrame, monthly: bool
) -> dict[str, Any]:
    """Bars of petitions per period, the YoY line on a second axis, rounds as shaded bands.
    Built as a plain figure dict: adding shapes one by one through plotly costs ~20 ms each."""
    period = "M1" if monthly else "M3"
    xs = [d.isoformat() for d in series[x].to_list()]
    shapes, notes = [], []
    for i, r in enumerate(rounds.iter_rows(named=True)):
        end = r["window_end_on"] + pd.Timedelta(days=1)
        shapes.append(
            {"type": "rect", "xref": "x", "yref": "paper", "x0": r["window_start_on"].isoformat(),
             "x1": end.isoformat(), "y0": 0, "y1": 1, "fillcolor": "#7f8c8d", "opacity": 0.18,
             "line": {"width": 0}, "layer": "below"}
        )  # fmt: skip
        notes.append(
            {"x": r["window_start_on"].isoformat(), "y": 1 + 0.06 * (i % 2), "xref": "x",
             "yref": "paper",
             "text": ui.t("petitions.round_label", round=r["round"]), "showarrow": False,
             "xanchor": "left", "yanchor": "bottom", "font": {"size": 10}}
        )  # fmt: skip
    return {
        "data": [
            {"type": "bar", "x": xs, "y": series["petitions"].to_list(),
             "name": ui.t("petitions.count_axis"), "marker": {"color": BAR}, "xperiod": period,
             "xperiodalignment": "middle", "hovertemplate": "%{x|%Y-%m}: %{y}<extra></extra>"},
            {"type": "scatter", "x": xs, "y": series["petitions_yoy"].to_list(), "yaxis": "y2",
             "name": ui.t("petitions.yoy_axis"), "mode": "lines+markers",
             "line": {"color": "#e67e22"}, "xperiod": period, "xperiodalignment": "middle",
             "connectgaps": False, "hovertemplate": "%{y:+.2%}<extra></extra>"},
        ],
        "layout": {
            "height": 380, "margin": {"l": 10, "r": 10, "t": 50, "b": 10}, "bargap": 0.15,
            "legend": {"orientation": "h", "y": -0.15},
            "yaxis": {"title": {"text": ui.t("petitions.count_axis")}, "rangemode": "tozero"},
            "yaxis2": {"title": {"text": ui.t("petitions.yoy_axis")}, "tickformat": "+.0%",
                       "overlaying": "y", "side": "right", "showgrid": False},
            "shapes": shapes, "annotations": notes,
        },
    }  # fmt: skip


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


def scatter(df: pl.DataFrame, scope_label: str) -> dict[str, Any] | None:
    """Two panels sharing the y axis (petitions YoY): against coverage, against resolution;
    dashed lines at the scope's averages. A plain figure dict, like the trend chart."""
    pts = df.filter(pl.col("petitions_yoy").is_not_null())
    if pts.height < 2:
        return None
    first = df.row(0, named=True)
    colours = [RISE if r else FALL for r in pts["is_rise"].to_list()]
    names = pts["township_name"].to_list()
    counts = list(
        zip(pts["petitions"].to_list(), pts["petitions_prev_year"].to_list(), strict=True)
    )
    y_avg = first["scope_petitions_yoy"]
    data, shapes, notes = [], [], []
    panels = (
        ("x", "coverage", first["scope_coverage"], "petitions.scatter_x_coverage"),
        ("x2", "resolution_rate", first["scope_resolution_rate"], "petitions.scatter_x_resolution"),
    )
    for axis, column, x_avg, title in panels:
        data.append(
            {"type": "scatter", "xaxis": axis, "yaxis": "y", "x": pts[column].to_list(),
             "y": pts["petitions_yoy"].to_list(), "mode": "markers+text", "text": names,
             "textposition": "top center", "textfont": {"size": 10},
             "marker": {"color": colours, "size": 10}, "customdata": counts,
             "hovertemplate": "%{text}<br>%{x:.1%} · %{y:+.2%}"
             "<br>%{customdata[0]} / %{customdata[1]}<extra></extra>", "showlegend": False}
        )  # fmt: skip
        if x_avg is not None:
            shapes.append(
                {"type": "line", "xref": axis, "yref": "paper", "x0": x_avg, "x1": x_avg,
                 "y0": 0, "y1": 1, "line": {"dash": "dash", "color": "#7f8c8d"}}
            )  # fmt: skip
        if y_avg is not None:
            shapes.append(
                {"type": "line", "xref": f"{axis} domain", "yref": "y", "x0": 0, "x1": 1,
                 "y0": y_avg, "y1": y_avg, "line": {"dash": "dash", "color": "#7f8c8d"}}
            )  # fmt: skip
        notes.append(
            {"text": ui.t(title), "xref": f"{axis} domain", "yref": "paper", "x": 0.5, "y": 1.0,
             "xanchor": "center", "yanchor": "bottom", "showarrow": False}
        )  # fmt: skip
    if y_avg is not None:
        notes.append(
            {"text": f"{scope_label} {ui.t('petitions.scatter_avg')}", "xref": "x2 domain",
             "yref": "y", "x": 1, "y": y_avg, "xanchor": "right", "yanchor": "bottom",
             "showarrow": False, "font": {"size": 10}}
        )  # fmt: skip
    return {
        "data": data,
        "layout": {
            "height": 420, "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
            "xaxis": {"domain": [0, 0.47], "tickformat": ".0%"},
            "xaxis2": {"domain": [0.53, 1], "tickformat": ".0%"},
            "yaxis": {"title": {"text": ui.t("petitions.scatter_y")}, "tickformat": "+.0%"},
            "shapes": shapes, "annotations": notes,
        },
    }  # fmt: skip


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
        labels = [ui.enum_label("channel", v) for v in ch["channel"]]
        fig = {
            "data": [
                {"type": "bar", "x": labels, "y": ch["petitions"].to_list(),
                 "name": ui.quarter_label(f.quarter), "marker": {"color": BAR}},
                {"type": "bar", "x": labels, "y": ch["petitions_prev_year"].to_list(),
                 "name": ui.t("petitions.prev_year"), "marker": {"color": "#b0bec5"}},
            ],
            "layout": {"height": 260, "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
                       "barmode": "group"},
        }  # fmt: skip
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
