"""办结时效 — how long do the quarter's cases take to resolve, and is "resolved" really solved?

Per category, level reached, handling unit, township or complexity: cases received and resolved,
on-time rate against the 7/30-day limits, the share of resolved cases with a dissatisfied callback
(已办结未解决), median and p90 days of resolved cases beside the Kaplan–Meier median and p90 with
open cases censored, KM curves with their confidence band, and the same across quarters.

Queries: resolution_by, resolution_cases, resolution_quarters (and kpi_as_of through
ui.state.as_of for other quarters). Kaplan–Meier: warmvisits.survival on resolution_cases.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

import ui
from warmvisits.safe_export import to_csv, to_xlsx
from warmvisits.survival import KMCurve, curve_on_grid, kaplan_meier, km_by_group, km_quantile

DIMS = {
    "all": "resolution.all",
    "category": "resolution.by_category",
    "level": "resolution.by_level",
    "unit": "resolution.by_unit",
    "township": "resolution.by_township",
    "complexity": "resolution.by_complexity",
}
CASE_COLUMN = {
    "category": "category",
    "level": "level_reached",
    "unit": "handling_unit",
    "township": "township_name",
    "complexity": "complexity",
}
SHOW_ROWS = 1000  # rows drawn in the list; the downloads hold every row
PALETTE = ["#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037", "#ad1457"]


def labels(values: pl.Series, domain: str) -> pl.Series:
    """Display names of an enumeration column (one lookup per distinct value)."""
    mapping = {v: ui.enum_label(domain, v) for v in values.unique().to_list() if v is not None}
    return values.replace(mapping).fill_null("")


def km_value(x: float | None) -> str:
    return ui.t("resolution.never") if x is None else ui.fmt_days(x)


def curve_traces(fig: go.Figure, f: pl.DataFrame, name: str, colour: str) -> None:
    """A KM step curve (read on a grid, km_stats) with its confidence band as a shaded area."""
    days = f["days"].to_numpy()
    fig.add_scatter(
        x=days,
        y=f["upper"].to_numpy(),
        mode="lines",
        line={"width": 0, "shape": "hv"},
        showlegend=False,
        hoverinfo="skip",
        legendgroup=name,
    )
    fig.add_scatter(
        x=days,
        y=f["lower"].to_numpy(),
        mode="lines",
        line={"width": 0, "shape": "hv"},
        fill="tonexty",
        fillcolor=_rgba(colour, 0.18),
        showlegend=False,
        hoverinfo="skip",
        legendgroup=name,
    )
    fig.add_scatter(
        x=days,
        y=f["still_open"].to_numpy(),
        mode="lines",
        line={"color": colour, "shape": "hv", "width": 2},
        name=name,
        legendgroup=name,
    )


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


KMStats = tuple[float | None, float | None, pl.DataFrame]  # KM median, KM p90, curve on a grid


@st.cache_data(max_entries=64, show_spinner=False)
def km_stats(
    build: str | None, quarter: str, scope: str, as_of: str, column: str | None
) -> dict[str, KMStats]:
    """Kaplan–Meier median, p90 and curve (on a grid of at most about 400 points) per value of
    a resolution_cases column, or for all cases under key '' when column is None. Cached per
    build (the first argument) so reruns do not recompute the estimates. Reads the query
    unmasked: a cached result is shared by every session, so it must not depend on one
    session's role (it uses no personal column)."""
    cases = ui.data.run_raw("resolution_cases", quarter=quarter, scope=scope, as_of=as_of)
    if column is None:
        curves: dict[str | None, KMCurve] = {
            "": kaplan_meier(cases["days"].to_numpy(), cases["is_resolved"].to_numpy())
        }
    else:
        curves = km_by_group(cases.with_columns(pl.col(column).fill_null("")), group=column)
    out: dict[str, KMStats] = {}
    for key, c in curves.items():
        end = float(c.time[-1]) if len(c.time) else 0.0
        out[key or ""] = (
            km_quantile(c, 0.5) if c.n_events else None,
            km_quantile(c, 0.9) if c.n_events else None,
            curve_on_grid(c, step=max(0.25, end / 400)),
        )
    return out


def km_figure(curves: list[tuple[str, pl.DataFrame]]) -> go.Figure:
    fig = go.Figure()
    for i, (name, curve) in enumerate(curves):
        curve_traces(fig, curve, name, PALETTE[i % len(PALETTE)])
    for limit, key in ((7, "resolution.limit_7"), (30, "resolution.limit_30")):
        fig.add_vline(x=limit, line_dash="dash", line_color="#757575", annotation_text=ui.t(key))
    fig.update_layout(
        height=380,
        margin={"l": 10, "r": 10, "t": 20, "b": 10},
        xaxis_title=ui.t("resolution.days_axis"),
        yaxis_title=ui.t("resolution.still_open_axis"),
        yaxis={"range": [0, 1.02], "tickformat": ".0%"},
    )
    return fig


def headline(row: dict[str, object], overall: KMStats) -> None:
    km_med, km_p90, _ = overall
    a = st.columns(4)
    a[0].metric(ui.t("resolution.received"), ui.fmt_int(row.get("n_received")))  # type: ignore[arg-type]
    a[1].metric(ui.t("resolution.resolved"), ui.fmt_int(row.get("n_resolved")))  # type: ignore[arg-type]
    a[2].metric(
        ui.t("resolution.on_time_rate"),
        ui.fmt_pct(row.get("on_time_rate")),  # type: ignore[arg-type]
        help=ui.t("resolution.on_time_help"),
    )
    a[3].metric(
        ui.t("resolution.closed_not_solved_share"),
        ui.fmt_pct(row.get("closed_not_solved_share")),  # type: ignore[arg-type]
        help=ui.t("resolution.closed_not_solved_help"),
    )
    b = st.columns(4)
    b[0].metric(
        ui.t("resolution.median_resolved"),
        ui.fmt_days(row.get("median_days")),  # type: ignore[arg-type]
        help=ui.t("resolution.median_resolved_help"),
    )
    b[1].metric(
        ui.t("resolution.km_median"), km_value(km_med), help=ui.t("resolution.km_median_help")
    )
    b[2].metric(ui.t("resolution.p90_resolved"), ui.fmt_days(row.get("p90_days")))  # type: ignore[arg-type]
    b[3].metric(ui.t("resolution.km_p90"), km_value(km_p90))
    st.info(
        ui.t(
            "resolution.median_warning",
            plain=ui.fmt_days(row.get("median_days")),  # type: ignore[arg-type]
            km=km_value(km_med),
            n_open=ui.fmt_int(row.get("n_open")),  # type: ignore[arg-type]
        )
    )


def group_section(quarter: str, as_of: str, scope: str, overall: KMStats) -> None:
    dim = st.segmented_control(
        ui.t("resolution.by"),
        [d for d in DIMS if d != "all"],
        default="category",
        format_func=lambda d: ui.t(DIMS[d]),
        key="resolution_dim",
    )
    dim = dim or "category"
    by = ui.query("resolution_by", quarter=quarter, scope=scope, as_of=as_of, dim=dim)
    stats = km_stats(ui.current_build(), quarter, scope, as_of, CASE_COLUMN[dim])
    km_med = {k: v[0] for k, v in stats.items()}
    km_p90 = {k: v[1] for k, v in stats.items()}
    names = [x or "" for x in by["group_name"]]
    label = (
        (lambda x: ui.enum_label("level", x))
        if dim == "level"
        else (lambda x: ui.enum_label("complexity", x))
        if dim == "complexity"
        else (lambda x: x or ui.t("common.dash"))
    )
    table = pl.DataFrame(
        {
            ui.t("resolution.group"): [label(x) for x in names],
            ui.t("resolution.n_received"): by["n_received"],
            ui.t("resolution.n_resolved"): by["n_resolved"],
            ui.t("resolution.on_time_rate"): [ui.fmt_pct(x) for x in by["on_time_rate"]],
            ui.t("resolution.closed_not_solved_share"): [
                ui.fmt_pct(x) for x in by["closed_not_solved_share"]
            ],
            ui.t("resolution.median_days"): by["median_days"].round(1),
            ui.t("resolution.km_median_days"): [km_value(km_med.get(x)) for x in names],
            ui.t("resolution.p90_days"): by["p90_days"].round(1),
            ui.t("resolution.km_p90_days"): [km_value(km_p90.get(x)) for x in names],
            ui.t("resolution.n_open"): by["n_open"],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch", key="resolution_by_table")

    st.subheader(ui.t("resolution.km_title"))
    st.caption(ui.t("resolution.km_caption"))
    top = names[:8]
    shown = st.multiselect(
        ui.t("resolution.km_groups"),
        names,
        default=top[:4],
        format_func=label,
        key=f"resolution_km_groups_{dim}",
    )
    chosen = [(ui.t("resolution.all"), overall[2])]
    chosen += [(label(g), stats[g][2]) for g in shown if g in stats]
    st.plotly_chart(km_figure(chosen), width="stretch", key="resolution_km_chart")


def compare_section(quarter: str, scope: str) -> None:
    st.subheader(ui.t("resolution.compare_title"))
    st.caption(ui.t("resolution.compare_caption"))
    qs = ui.query("resolution_quarters", scope=scope)
    if qs.is_empty():
        st.caption(ui.t("common.no_rows"))
        return
    st.dataframe(
        pl.DataFrame(
            {
                ui.t("resolution.quarter"): [ui.quarter_label(x) for x in qs["quarter"]],
                ui.t("resolution.n_received"): qs["n_received"],
                ui.t("resolution.n_resolved"): qs["n_resolved"],
                ui.t("resolution.on_time_rate"): [ui.fmt_pct(x) for x in qs["on_time_rate"]],
                ui.t("resolution.closed_not_solved_share"): [
                    ui.fmt_pct(x) for x in qs["closed_not_solved_share"]
                ],
                ui.t("resolution.median_days"): qs["median_days"].round(1),
                ui.t("resolution.p90_days"): qs["p90_days"].round(1),
                ui.t("resolution.n_open"): qs["n_open"],
            }
        ),
        hide_index=True,
        width="stretch",
        key="resolution_quarters_table",
    )
    available = qs["quarter"].to_list()
    default = [q for q in available if q <= quarter][-2:]
    chosen = st.multiselect(
        ui.t("resolution.compare_quarters"),
        available,
        default=default,
        format_func=ui.quarter_label,
        key="resolution_compare",
    )
    as_of_by_q = dict(zip(qs["quarter"], qs["as_of"], strict=True))
    curves = []
    for q in chosen:
        t = as_of_by_q[q].strftime("%Y-%m-%d %H:%M:%S")
        curves.append((ui.quarter_label(q), km_stats(ui.current_build(), q, scope, t, None)[""][2]))
    if curves:
        st.plotly_chart(km_figure(curves), width="stretch", key="resolution_compare_chart")


def resolved_list(cases: pl.DataFrame) -> None:
    st.subheader(ui.t("resolution.resolved_list_title"))
    st.caption(ui.t("resolution.resolved_list_caption"))
    done = cases.filter(pl.col("is_resolved")).sort(
        ["closed_not_solved", "days"], descending=[True, True]
    )
    if done.is_empty():
        st.caption(ui.t("common.no_rows"))
        return
    table = pl.DataFrame(
        {
            ui.t("resolution.case_id"): done["case_id"],
            ui.t("resolution.mark"): pl.select(
                pl.when(done["closed_not_solved"])
                .then(pl.lit(ui.t("resolution.closed_not_solved")))
                .otherwise(pl.lit(""))
            ).to_series(),
            ui.t("resolution.days"): done["days"].round(1),
            ui.t("resolution.on_time"): done["is_on_time"],
            ui.t("resolution.callback"): labels(done["callback_outcome"], "outcome"),
            ui.t("resolution.category"): done["category"],
            ui.t("resolution.complexity"): labels(done["complexity"], "complexity"),
            ui.t("resolution.level_reached"): labels(done["level_reached"], "level"),
            ui.t("resolution.unit"): done["handling_unit"],
            ui.t("resolution.township"): done["township_name"],
            ui.t("resolution.received_at"): done["received_at"],
            ui.t("resolution.resolved_at"): done["resolved_at"],
        }
    )
    if table.height > SHOW_ROWS:
        st.caption(ui.t("resolution.list_capped", shown=SHOW_ROWS, total=ui.fmt_int(table.height)))
    st.dataframe(
        table.head(SHOW_ROWS), hide_index=True, width="stretch", height=360, key="resolution_list"
    )
    a, b, _ = st.columns([1, 1, 4])
    # the files are written only when a button is clicked (deferred), not on every run
    a.download_button(
        ui.t("resolution.download_csv"),
        data=lambda: to_csv(table),
        file_name="resolved.csv",
        mime="text/csv",
        key="resolution_list_csv",
        on_click="ignore",
    )
    b.download_button(
        ui.t("resolution.download_xlsx"),
        data=lambda: to_xlsx(table, sheet="resolved"),
        file_name="resolved.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="resolution_list_xlsx",
        on_click="ignore",
    )


def main() -> None:
    if not ui.page_header("common.page.resolution"):
        return
    f = ui.filters()
    as_of = f.as_of or ""
    st.caption(ui.t("resolution.intro", as_of=ui.fmt_ts(as_of)))
    overall = ui.query("resolution_by", quarter=f.quarter, scope=f.scope, as_of=as_of, dim="all")
    cases = ui.query("resolution_cases", quarter=f.quarter, scope=f.scope, as_of=as_of)
    if overall.is_empty() or cases.is_empty():
        st.info(ui.t("common.no_rows"))
        return
    whole = km_stats(ui.current_build(), f.quarter, f.scope, as_of, None)[""]
    headline(overall.row(0, named=True), whole)
    group_section(f.quarter, as_of, f.scope, whole)
    compare_section(f.quarter, f.scope)
    resolved_list(cases)


main()
