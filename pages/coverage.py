"""Visit coverage (入户覆盖), for analysts: which grids were visited, how, and which records look
implausible? Drill from the district to a grid and its households in one click per level.

Reads: ``coverage_grid_map`` (map), ``coverage_mix`` (door/phone/unreached by child place),
``coverage_below_target``, ``coverage_implausible``, ``coverage_leaders`` (assessment table),
``coverage_households`` (a grid's households across rounds, personal data masked by role).
"""

from __future__ import annotations

import html

import plotly.graph_objects as go
import polars as pl
import pydeck as pdk
import streamlit as st

import ui
from ui import settings
from warmvisits import geo, i18n

MAP_STYLE = "/app/static/blank_style.json"  # served by Streamlit: no base map is fetched
SECTIONS = ["map", "mix", "below", "implausible", "leaders", "households"]


def pct_column(label: str) -> object:
    return st.column_config.NumberColumn(label, format="percent")


def drill_table(df: pl.DataFrame, columns: dict[str, object], key: str, code_col: str) -> None:
    """A table whose row click narrows the scope to that row's code."""
    event = st.dataframe(
        df.select([code_col, *columns]),
        column_config={code_col: None, **columns},
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=key,
        width="stretch",
    )
    rows = event.selection.rows if event is not None else []
    if rows:
        ui.set_scope(df[code_col][rows[0]])


@st.cache_resource(max_entries=32, show_spinner=False)
def map_deck(
    build: str, quarter: str, scope: str, lang: str, target: float, _df: pl.DataFrame
) -> pdk.Deck | None:
    """The grid map for one build, quarter, scope and language, built once and shared.

    A district has 5,320 grid polygons: parsing them and serialising the deck on every rerun
    would cost more than everything else on the page, so the deck's JSON is made once here
    (the object is only read afterwards)."""
    records: list[dict[str, object]] = []
    for row in _df.iter_rows(named=True):
        rings = geo.parse_polygon(row["boundary_wkt"])
        if not rings:
            continue
        values = {
            "grid_code": row["grid_code"],
            "color": geo.coverage_color(row["coverage"], target),
            "place": " ".join(
                html.escape(row[c] or "") for c in ("township_name", "village_name", "grid_name")
            ),
            "cov": ui.fmt_pct(row["coverage"]),
            "visited": f"{ui.fmt_int(row['n_visited'])} / {ui.fmt_int(row['n_registered'])}",
            "door": ui.fmt_pct(row["door_share"]),
            "leader": html.escape(row["leader_name"] or ""),
        }
        for ring in rings:
            records.append({**values, "polygon": [[round(x, 6), round(y, 6)] for x, y in ring]})
    if not records:
        return None

    def label(key: str) -> str:
        return html.escape(i18n.t(key, lang))

    tooltip = (
        "<b>{place}</b><br/>"
        f"{label('coverage.tip_coverage')}: {{cov}}<br/>"
        f"{label('coverage.tip_visited')}: {{visited}}<br/>"
        f"{label('coverage.tip_door_share')}: {{door}}<br/>"
        f"{label('coverage.tip_leader')}: {{leader}}"
    )
    lon, lat, zoom = geo.fit_view(r["polygon"] for r in records)  # type: ignore[misc]
    layer = pdk.Layer(
        "PolygonLayer",
        data=records,
        id="grids",
        get_polygon="polygon",
        get_fill_color="color",
        get_line_color=[255, 255, 255, 220],
        line_width_min_pixels=1,
        stroked=True,
        filled=True,
        pickable=True,
        auto_highlight=True,
    )
    deck = pdk.Deck(
        layers=[layer],
        initial_view_state=pdk.ViewState(longitude=lon, latitude=lat, zoom=zoom),
        map_style=MAP_STYLE,
        map_provider=None,
        tooltip={"html": tooltip, "style": {"fontSize": "13px"}},
    )
    frozen = deck.to_json()
    deck.to_json = lambda: frozen  # type: ignore[method-assign]
    return deck


def draw_map(f: ui.Filters) -> None:
    df = ui.query("coverage_grid_map", quarter=f.quarter, scope=f.scope)
    deck = map_deck(
        ui.current_build() or "", f.quarter, f.scope, f.lang, settings.COVERAGE_TARGET, df
    )
    if deck is None:
        st.info(ui.t("coverage.map_no_boundaries"))
        return
    event = st.pydeck_chart(
        deck,
        on_select="rerun",
        selection_mode="single-object",
        key=f"cov_map_{f.quarter}_{f.scope}",
        height=560,
    )
    st.caption(ui.t("coverage.map_caption", target=ui.fmt_pct(settings.COVERAGE_TARGET)))
    objects = (event.selection.get("objects") or {}).get("grids") if event is not None else None
    if objects:
        ui.set_scope(objects[0]["grid_code"])


def draw_mix(f: ui.Filters) -> None:
    df = ui.query("coverage_mix", quarter=f.quarter, scope=f.scope)
    if df.height == 0:
        st.info(ui.t("common.no_rows"))
        return
    parts = [
        ("n_door", "coverage.door", "#27ae60"),
        ("n_phone_only", "coverage.phone", "#2e86c1"),
        ("n_unreached", "coverage.unreached", "#e67e22"),
        ("n_not_attempted", "coverage.not_attempted", "#bdc3c7"),
    ]
    fig = go.Figure()
    names = df["name"].to_list()
    for col, key, color in parts:
        fig.add_trace(
            go.Bar(
                y=names, x=df[col].to_list(), name=ui.t(key), orientation="h", marker_color=color
            )
        )
    fig.update_layout(
        title=ui.t("coverage.mix_title"),
        barmode="stack",
        height=max(260, 28 * df.height + 120),
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": -0.15},
        yaxis={"autorange": "reversed"},
    )
    st.plotly_chart(fig, config={"displayModeBar": False}, key="cov_mix_chart")
    st.caption(ui.t("coverage.mix_caption"))
    drill_table(
        df,
        {
            "name": st.column_config.TextColumn(ui.t("coverage.place")),
            "n_registered": st.column_config.NumberColumn(ui.t("coverage.registered")),
            "n_door": st.column_config.NumberColumn(ui.t("coverage.door")),
            "n_phone_only": st.column_config.NumberColumn(ui.t("coverage.phone")),
            "n_unreached": st.column_config.NumberColumn(ui.t("coverage.unreached")),
            "n_not_attempted": st.column_config.NumberColumn(ui.t("coverage.not_attempted")),
            "coverage": pct_column(ui.t("coverage.coverage")),
            "door_share": pct_column(ui.t("coverage.door_share")),
        },
        key=f"cov_mix_{f.quarter}_{f.scope}",
        code_col="code",
    )


def place_columns() -> dict[str, object]:
    return {
        "township_name": st.column_config.TextColumn(ui.t("coverage.township")),
        "village_name": st.column_config.TextColumn(ui.t("coverage.village")),
        "grid_name": st.column_config.TextColumn(ui.t("coverage.grid")),
        "leader_name": st.column_config.TextColumn(ui.t("coverage.leader")),
    }


def draw_below(f: ui.Filters) -> None:
    df = ui.query(
        "coverage_below_target",
        quarter=f.quarter,
        scope=f.scope,
        target=settings.COVERAGE_TARGET,
    )
    if df.height == 0:
        st.success(ui.t("coverage.below_none"))
        return
    st.caption(
        ui.t("coverage.below_caption", target=ui.fmt_pct(settings.COVERAGE_TARGET), n=df.height)
    )
    drill_table(
        df,
        {
            **place_columns(),
            "n_registered": st.column_config.NumberColumn(ui.t("coverage.registered")),
            "n_visited": st.column_config.NumberColumn(ui.t("coverage.visited")),
            "n_missing": st.column_config.NumberColumn(ui.t("coverage.missing")),
            "coverage": pct_column(ui.t("coverage.coverage")),
        },
        key=f"cov_below_{f.quarter}_{f.scope}",
        code_col="grid_code",
    )


def reasons(row: dict[str, object]) -> str:
    out = []
    if row["is_one_day"]:
        out.append(
            ui.t(
                "coverage.reason_one_day", n=row["n_attempts"], day=ui.fmt_ts(row["first_visit_on"])
            )
        )
    if row["is_high_door"]:
        out.append(
            ui.t(
                "coverage.reason_high_door",
                share=ui.fmt_pct(row["door_share"]),  # type: ignore[arg-type]
                n=row["n_visited"],
            )
        )
    if row["is_outside_window"]:
        out.append(
            ui.t(
                "coverage.reason_outside",
                share=ui.fmt_pct(row["outside_share"]),  # type: ignore[arg-type]
                n=row["n_outside"],
            )
        )
    return "；".join(out) if ui.lang() == "zh" else "; ".join(out)


def draw_implausible(f: ui.Filters) -> None:
    outside_share = 0.2
    df = ui.query(
        "coverage_implausible",
        quarter=f.quarter,
        scope=f.scope,
        min_visits=settings.ONE_DAY_MIN_VISITS,
        high_door=settings.HIGH_DOOR_SHARE,
        window_share=settings.ROUND_WINDOW_SHARE,
        outside_share=outside_share,
    )
    window = ui.query(
        "coverage_round_window", quarter=f.quarter, window_share=settings.ROUND_WINDOW_SHARE
    )
    start, end = (
        (window["window_start"][0], window["window_end"][0]) if window.height else (None, None)
    )
    st.caption(
        ui.t(
            "coverage.implausible_caption",
            window=ui.fmt_pct(settings.ROUND_WINDOW_SHARE, 0),
            start=ui.fmt_ts(start),
            end=ui.fmt_ts(end),
            min=settings.ONE_DAY_MIN_VISITS,
            door=ui.fmt_pct(settings.HIGH_DOOR_SHARE, 0),
            outside=ui.fmt_pct(outside_share, 0),
        )
    )
    if df.height == 0:
        st.success(ui.t("coverage.implausible_none"))
        return
    df = df.with_columns(
        pl.Series("reasons", [reasons(r) for r in df.iter_rows(named=True)], dtype=pl.String)
    )
    drill_table(
        df,
        {**place_columns(), "reasons": st.column_config.TextColumn(ui.t("coverage.reasons"))},
        key=f"cov_implausible_{f.quarter}_{f.scope}",
        code_col="grid_code",
    )


def draw_leaders(f: ui.Filters) -> None:
    df = ui.query("coverage_leaders", quarter=f.quarter, scope=f.scope)
    if df.height == 0:
        st.info(ui.t("common.no_rows"))
        return
    st.caption(ui.t("coverage.leaders_caption"))
    columns = {
        "leader_name": st.column_config.TextColumn(ui.t("coverage.leader")),
        "township_name": st.column_config.TextColumn(ui.t("coverage.township")),
        "village_name": st.column_config.TextColumn(ui.t("coverage.village")),
        "grid_name": st.column_config.TextColumn(ui.t("coverage.grid")),
        "n_registered": st.column_config.NumberColumn(ui.t("coverage.registered")),
        "coverage": pct_column(ui.t("coverage.coverage")),
        "door_share": pct_column(ui.t("coverage.door_share")),
        "days_in_field": st.column_config.NumberColumn(ui.t("coverage.days_in_field")),
        "problems_reported": st.column_config.NumberColumn(ui.t("coverage.problems_reported")),
    }
    drill_table(df, columns, key=f"cov_leaders_{f.quarter}_{f.scope}", code_col="grid_code")
    st.download_button(
        ui.t("coverage.download_leaders"),
        data=ui.csv_bytes(df.drop("grid_code")),
        file_name=f"grid_leaders_{f.quarter}_{f.scope or 'district'}.csv",
        mime="text/csv",
        key="cov_leaders_download",
        on_click=ui.auth.log_download,
        args=("coverage_leaders",),
        kwargs={"quarter": f.quarter, "scope": f.scope},
    )


def draw_households(f: ui.Filters) -> None:
    if len(f.scope) != 15:
        st.info(ui.t("coverage.households_pick_grid"))
        return
    if not ui.auth.sees_personal_data(ui.user().role):
        st.info(ui.t("common.personal_data_hidden"))
        return
    df = ui.query("coverage_households", grid=f.scope)
    if df.height == 0:
        st.info(ui.t("common.no_rows"))
        return
    rounds = sorted(df["round"].unique().to_list())
    labelled = df.with_columns(
        pl.col("method").replace_strict(
            {m: ui.enum_label("method", m) for m in ("入户", "电话", "未联系上")},
            default="—",
            return_dtype=pl.String,
        ),
        pl.col("status").replace_strict(
            {s: ui.enum_label("household_status", s) for s in ("在册", "迁出", "注销")},
            default=pl.col("status"),
            return_dtype=pl.String,
        ),
    )
    index = ["household_id", "head_name", "phone", "address", "status"]
    wide = labelled.pivot(on="round", index=index, values="method").sort("household_id")
    st.caption(ui.t("coverage.households_caption", n=wide.height))
    st.dataframe(
        wide.select([*index, *rounds]),
        column_config={
            "household_id": st.column_config.TextColumn(ui.t("coverage.household_id")),
            "head_name": st.column_config.TextColumn(ui.t("coverage.head_name")),
            "phone": st.column_config.TextColumn(ui.t("coverage.phone_no")),
            "address": st.column_config.TextColumn(ui.t("coverage.address")),
            "status": st.column_config.TextColumn(ui.t("coverage.status")),
            **{r: st.column_config.TextColumn(ui.quarter_label(r)) for r in rounds},
        },
        hide_index=True,
        width="stretch",
        key=f"cov_households_{f.scope}",
    )


if ui.page_header("coverage.title"):
    filters = ui.filters()
    default = "households" if len(filters.scope) == 15 else "map"
    section = st.radio(
        ui.t("coverage.section"),
        SECTIONS,
        index=SECTIONS.index(default),
        format_func=lambda s, lg=filters.lang: i18n.t(f"coverage.sec_{s}", lg),
        horizontal=True,
        key=f"cov_section_{len(filters.scope)}",
        label_visibility="collapsed",
    )
    {
        "map": draw_map,
        "mix": draw_mix,
        "below": draw_below,
        "implausible": draw_implausible,
        "leaders": draw_leaders,
        "households": draw_households,
    }[section](filters)
