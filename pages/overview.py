"""Leaders' overview (领导总览): how is the programme doing this quarter in this scope, how did it
move since last quarter and last year, and which places lag?

Reads: ``warmvisits.metrics.compute_kpis`` through ``ui.kpis`` (the same figures as
``warmvisits kpis``) for the quarter, the previous quarter and the same quarter last year;
``overview_league`` (one row per child place); ``overview_trend`` (one row per round).

The league table and the trend charts are markup built here (ui/league.py, ui/svgchart.py) and
shown by ui/markup.py rather than st.dataframe and Plotly: the browser then paints the headline
metrics without first loading and evaluating a data grid or a chart library (bench/pages.py
compares the overview's time to its last metric with a trivial page's).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

import ui
from ui import markup, settings, svgchart
from ui.league import HIGHER_IS_BETTER, Column, lagging, table_html
from warmvisits.quarters import previous_quarter, year_earlier

# key, kind, which direction is good ("up", "down" or "" for neutral)
HEADLINE: list[tuple[str, str, str]] = [
    ("coverage", "pct", "up"),
    ("visited_households", "int", "up"),
    ("cases_received", "int", ""),
    ("cases_resolved", "int", "up"),
    ("resolution_rate", "pct", "up"),
    ("on_time_rate", "pct", "up"),
    ("open_cases", "int", "down"),
    ("overdue_cases", "int", "down"),
    ("satisfaction_rate", "pct", "up"),
    ("petitions", "int", "down"),
]
LEAGUE_COLUMNS = [
    ("coverage", "pct"),
    ("cases_received", "int"),
    ("resolution_rate", "pct"),
    ("on_time_rate", "pct"),
    ("overdue_cases", "int"),
    ("satisfaction_rate", "pct"),
    ("petitions_yoy", "signed_pct"),
]
FORMATS = {"pct": ui.fmt_pct, "int": ui.fmt_int, "signed_pct": ui.fmt_signed_pct}
# place names stay as exported (Chinese) in both languages: the league sorts them as Chinese
PLACE_COLLATION = "zh-CN"
TREND_RATES = ("coverage", "resolution_rate", "on_time_rate", "satisfaction_rate")
TREND_COUNTS = ("cases_received", "cases_resolved", "petitions")


def kpis_or_none(quarter: str, scope: str) -> dict[str, Any] | None:
    """The kpis of another quarter for comparison; None when that quarter has no data."""
    if quarter not in ui.quarters():
        return None
    try:
        return ui.kpis(quarter, scope)
    except Exception:  # noqa: BLE001 - no comparison rather than no page
        return None


def help_text(key: str) -> str:
    from warmvisits import i18n

    lang = ui.lang()
    return (
        i18n.t(f"metrics.{key}.help", lang)
        if i18n.has(f"metrics.{key}.help", lang)
        else (ui.t(f"overview.help.{key}"))
    )


def change(key: str, kind: str, now: dict[str, Any], then: dict[str, Any] | None) -> str | None:
    if then is None or now.get(key) is None or then.get(key) is None:
        return None
    diff = now[key] - then[key]
    return ui.fmt_pct_points(diff) if kind == "pct" else ui.fmt_signed_int(diff)


def draw_headline(f: ui.Filters, now: dict[str, Any]) -> None:
    prev_q = kpis_or_none(previous_quarter(f.quarter), f.scope)
    prev_y = kpis_or_none(year_earlier(f.quarter), f.scope)
    st.subheader(ui.t("overview.headline"))
    for row in (HEADLINE[:5], HEADLINE[5:]):
        cols = st.columns(len(row))
        for col, (key, kind, good) in zip(cols, row, strict=True):
            with col:
                value = FORMATS[kind](now.get(key))
                qoq = change(key, kind, now, prev_q)
                st.metric(
                    ui.t(f"overview.kpi.{key}"),
                    value,
                    delta=qoq,
                    delta_color={"up": "normal", "down": "inverse"}.get(good, "off"),
                    delta_description=ui.t("common.vs_prev_quarter") if qoq else None,
                    help=help_text(key),
                    border=True,
                )
                if key == "petitions":
                    yoy = now.get("petitions_yoy")
                    yoy_text = ui.fmt_signed_pct(yoy, 2) if yoy is not None else None
                else:
                    yoy_text = change(key, kind, now, prev_y)
                st.caption(ui.t("overview.yoy_line", delta=yoy_text or ui.t("overview.no_prev")))
                if key == "satisfaction_rate" and now.get("satisfaction_ci_low") is not None:
                    st.caption(
                        ui.t(
                            "overview.ci_line",
                            low=ui.fmt_pct(now["satisfaction_ci_low"]),
                            high=ui.fmt_pct(now["satisfaction_ci_high"]),
                            n=ui.fmt_int(now.get("callbacks_answered")),
                        )
                    )
    if len(f.scope) > 9:
        st.caption(ui.t("overview.petitions_township_only"))


def draw_league(f: ui.Filters, now: dict[str, Any]) -> None:
    if len(f.scope) >= 15:
        return
    child = {0: "township", 9: "village", 12: "grid"}[len(f.scope)]
    st.subheader(ui.t(f"overview.league_title_{child}"))
    df = ui.query("overview_league", quarter=f.quarter, scope=f.scope, as_of=f.as_of)
    if df.height == 0:
        st.info(ui.t("common.no_rows"))
        return
    cols = [c for c, _ in LEAGUE_COLUMNS if c != "petitions_yoy" or child == "township"]
    df = lagging(df, now, settings.COVERAGE_TARGET)
    target = ui.fmt_pct(settings.COVERAGE_TARGET)
    st.caption(ui.t("overview.league_help", target=target))
    kinds = dict(LEAGUE_COLUMNS)
    columns = [Column(c, ui.t(f"overview.kpi.{c}"), help_text(c), FORMATS[kinds[c]]) for c in cols]
    reasons = {
        "coverage": ui.t("overview.lag_reason.coverage", target=target),
        "overdue_cases": ui.t("overview.lag_reason.overdue_cases"),
        "petitions_yoy": ui.t("overview.lag_reason.petitions_yoy"),
        **{
            c: ui.t("overview.lag_reason.rate", overall=ui.fmt_pct(now.get(c)))
            for c in HIGHER_IS_BETTER
        },
    }
    markup.show(
        table_html(
            df,
            columns,
            ui.t("overview.name"),
            ui.t("overview.lagging"),
            ui.t("overview.lagging_help"),
            reasons,
            PLACE_COLLATION,
        ),
        key=f"ov_league_{f.quarter}_{f.scope}",
        on_select=lambda code: ui.set_scope(code, rerun=False),
    )


def pct_tick(v: float) -> str:
    """An axis label: whole percents without a decimal ('70%'), others with one ('72.5%')."""
    whole = abs(v * 100 - round(v * 100)) < 1e-9
    return ui.fmt_pct(v, 0 if whole else 1)


def draw_trend(f: ui.Filters) -> None:
    df = ui.query("overview_trend", scope=f.scope)
    if df.height == 0:
        return
    st.subheader(ui.t("overview.trend_title"))
    categories = [
        svgchart.Category(
            ui.quarter_label(q),
            (ui.t("overview.axis_quarter", q=q[-1]), ui.t("overview.axis_year", year=q[:4])),
        )
        for q in df["quarter"].to_list()
    ]
    rates = [svgchart.Series(ui.t(f"overview.kpi.{key}"), df[key].to_list()) for key in TREND_RATES]
    counts = [
        svgchart.Series(ui.t(f"overview.kpi.{key}"), df[key].to_list())
        for key in TREND_COUNTS
        if df[key].null_count() < df.height
    ]
    left, right = st.columns(2)
    with left:
        markup.show(
            svgchart.line_chart(
                ui.t("overview.trend_rates"), categories, rates, ui.fmt_pct, pct_tick
            ),
            key="ov_trend_rates",
        )
    with right:
        markup.show(
            svgchart.bar_chart(
                ui.t("overview.trend_counts"), categories, counts, ui.fmt_int, ui.fmt_int
            ),
            key="ov_trend_counts",
        )


if ui.page_header("overview.title"):
    filters = ui.filters()
    try:
        current = ui.kpis(filters.quarter, filters.scope)
    except Exception as exc:  # noqa: BLE001 - a friendly message instead of a stack trace
        st.warning(ui.t("overview.kpis_failed", error=exc))
    else:
        draw_headline(filters, current)
        draw_league(filters, current)
        draw_trend(filters)
