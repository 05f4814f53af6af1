"""满意度 (satisfaction): how satisfied are the people called back — for one batch or the
quarter — with an honest margin of error, which townships pass an LQAS check, which answers
need follow-up, and (for back-checks) whose recorded visits people do not confirm.

Reads: callbacks_quarter (exported callbacks), callbacks_cases, callbacks_places; the
operational store (warmvisits.ops) for batches and app-recorded outcomes, combined with the
exported callbacks by warmvisits.ops.combine_callbacks (each call counted once).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

import ui
from warmvisits import ops, sampling
from warmvisits import quarters as wq

DASH = ui.fmt_pct(None)


def _verdict(e: sampling.Estimate) -> str:
    if e.rate is None:
        return ui.t("satisfaction.no_answers")
    return ui.t(
        "satisfaction.verdict",
        rate=ui.fmt_pct(e.rate),
        low=ui.fmt_pct(e.low),
        high=ui.fmt_pct(e.high),
        n=ui.fmt_int(e.answered),
    )


def _ci_text(row: dict[str, float | None]) -> str:
    """'91.2%–96.0%': a confidence interval from a row's ci_low and ci_high; '—' without one."""
    if row["ci_low"] is None:
        return ui.fmt_pct(None)
    return f"{ui.fmt_pct(row['ci_low'])}–{ui.fmt_pct(row['ci_high'])}"


def _results_table(per: pl.DataFrame, by: str, names: dict[str, str]) -> None:
    t = ui.t
    view = per.select(
        pl.col(by).replace_strict(names, default=pl.col(by), return_dtype=pl.String).alias("place"),
        "calls",
        "answered",
    ).with_columns(
        ui.each(per["answer_rate"], ui.fmt_pct, "answer_rate").fill_null(DASH),
        ui.each(per["rate"], ui.fmt_pct, "rate").fill_null(DASH),
        ui.each(per.select("ci_low", "ci_high"), _ci_text, "ci"),
    )
    st.dataframe(
        view.rename({c: t(f"satisfaction.col.{c}") for c in view.columns}),
        hide_index=True,
        width="stretch",
    )


def _lqas(rows: pl.DataFrame, names: dict[str, str]) -> None:
    """LQAS pass/fail per township or grid over ``rows`` (one outcome per call or member)."""
    t = ui.t
    st.subheader(t("satisfaction.lqas"))
    by = st.radio(
        t("satisfaction.lqas_by"),
        ["township_code", "grid_code"],
        key="sat_lqas_by",
        horizontal=True,
        format_func=lambda b: t(f"satisfaction.lqas_by_opt.{b}"),
    )
    per = sampling.summarise_outcomes(rows, by)
    c = st.columns(4)
    p0 = c[0].number_input(t("satisfaction.p0"), 0.5, 0.999, 0.98, 0.01, key="sat_p0")
    p1 = c[1].number_input(t("satisfaction.p1"), 0.3, 0.99, 0.90, 0.01, key="sat_p1")
    alpha = c[2].number_input(t("satisfaction.alpha"), 0.01, 0.3, 0.10, 0.01, key="sat_alpha")
    beta = c[3].number_input(t("satisfaction.beta"), 0.01, 0.3, 0.10, 0.01, key="sat_beta")
    if not p1 < p0:
        st.warning(t("satisfaction.lqas_bad"))
        return
    plan = sampling.lqas_plan(float(p0), float(p1), float(alpha), float(beta))
    st.markdown(
        t(
            "satisfaction.lqas_rule",
            n=plan.n,
            d=plan.d,
            p0=ui.fmt_pct(p0),
            p1=ui.fmt_pct(p1),
            alpha=ui.fmt_pct(plan.alpha),
            beta=ui.fmt_pct(plan.beta),
        )
    )
    table = sampling.lqas_table(per, by, p0=p0, p1=p1, alpha=alpha, beta=beta)
    view = table.select(
        pl.col(by).replace_strict(names, default=pl.col(by), return_dtype=pl.String).alias("place"),
        "answered",
        "dissatisfied",
    ).with_columns(
        ui.each(
            table.select("rule_n", "rule_d"),
            lambda s: (
                t("satisfaction.rule_short", n=s["rule_n"], d=s["rule_d"])
                if s["rule_n"] is not None
                else ui.fmt_pct(None)
            ),
            "rule",
        ),
        ui.each(table["alpha"], ui.fmt_pct, "alpha").fill_null(DASH),
        ui.each(table["beta"], ui.fmt_pct, "beta").fill_null(DASH),
        ui.each(table["verdict"], lambda v: t(f"satisfaction.verdicts.{v}"), "verdict"),
    )
    st.dataframe(
        view.rename({c: t(f"satisfaction.col.{c}") for c in view.columns}),
        hide_index=True,
        width="stretch",
    )


def _dissatisfied(rows: pl.DataFrame) -> None:
    t = ui.t
    st.subheader(t("satisfaction.dissatisfied"))
    bad = rows.filter(pl.col("outcome") == "不满意")
    if bad.height == 0:
        st.caption(t("satisfaction.none_dissatisfied"))
        return
    cases = ui.query("callbacks_cases", case_ids=bad.get_column("case_id").drop_nulls().to_list())
    view = bad.join(
        cases.select("case_id", "category", "title", "township_name"), on="case_id", how="left"
    ).select("case_id", "township_name", "category", "title", "called_at", "comment")
    st.dataframe(
        view.rename({c: t(f"satisfaction.col.{c}") for c in view.columns}),
        hide_index=True,
        width="stretch",
    )


def _names() -> dict[str, str]:
    """Display names of townships and grids by code."""
    places = ui.query("callbacks_places", scope="")
    towns = dict(places.select("township_code", "township_name").unique().iter_rows())
    grids = {
        code: f"{name or code} ({leader})" if leader else (name or code)
        for code, name, leader in places.select("grid_code", "grid_name", "leader_name").iter_rows()
    }
    return {**towns, **grids}


def batch_results() -> None:
    t = ui.t
    store = ops.ops_path()
    scope = ui.user().scope
    batches = ops.list_batches(store, scope=scope)
    if not batches:
        st.info(t("satisfaction.no_batches"))
        return
    by_id = {b.batch_id: b for b in batches}
    batch_id = st.selectbox(
        t("satisfaction.batch"),
        list(by_id),
        key="sat_batch",
        format_func=lambda b: f"{b} · {by_id[b].title or ''}",
    )
    batch = by_id[batch_id]
    m = ops.members(store, batch.batch_id, scope=scope).with_columns(
        pl.col("final_outcome").alias("outcome")
    )
    names = _names()
    if batch.kind == "backcheck":
        _backcheck(m)
        return
    stratum_names = {**names, **batch.settings.get("stratum_names", {})}
    overall = sampling.summarise_outcomes(m).row(0, named=True)
    per = sampling.summarise_outcomes(m, "stratum")
    stratified = len(batch.frame_sizes) > 1
    est = (
        sampling.weighted_overall(per, batch.frame_sizes, "stratum")
        if stratified
        else sampling.estimate(overall["satisfied"], overall["answered"])
    )
    c = st.columns(4)
    c[0].metric(t("satisfaction.drawn"), ui.fmt_int(batch.n_members))
    c[1].metric(t("satisfaction.answer_rate"), ui.fmt_pct(overall["answer_rate"]))
    c[2].metric(
        t("satisfaction.rate_weighted" if stratified else "satisfaction.rate"), ui.fmt_pct(est.rate)
    )
    c[3].metric(
        t("satisfaction.ci"),
        f"{ui.fmt_pct(est.low)}–{ui.fmt_pct(est.high)}"
        if est.rate is not None
        else ui.fmt_pct(None),
    )
    st.markdown(f"**{_verdict(est)}**")
    if stratified:
        st.caption(t("satisfaction.weighted_help"))
    st.subheader(t("satisfaction.by_stratum"))
    _results_table(per, "stratum", stratum_names)
    _lqas(m, names)
    rows = m.filter(pl.col("outcome").is_not_null()).with_columns(
        pl.col("last_called_at").alias("called_at")
    )
    _dissatisfied(rows)


def _backcheck(m: pl.DataFrame) -> None:
    t = ui.t
    overall = sampling.summarise_outcomes(m).row(0, named=True)
    table = sampling.backcheck_by_leader(m)
    checked = int(table.get_column("checked").sum()) if table.height else 0
    not_as = int(table.get_column("not_as_recorded").sum()) if table.height else 0
    c = st.columns(3)
    c[0].metric(t("satisfaction.answer_rate"), ui.fmt_pct(overall["answer_rate"]))
    c[1].metric(t("satisfaction.checked"), ui.fmt_int(checked))
    c[2].metric(
        t("satisfaction.not_as_recorded"), ui.fmt_pct(not_as / checked if checked else None)
    )
    st.subheader(t("satisfaction.by_leader"))
    if table.height == 0:
        st.caption(t("satisfaction.no_answers"))
        return
    table = table.sort("share", descending=True)  # by the share, not by its text
    view = table.select("leader_name", "grid_code", "checked", "not_as_recorded").with_columns(
        ui.each(table["share"], ui.fmt_pct, "share"),
        ui.each(table.select("ci_low", "ci_high"), _ci_text, "ci"),
    )
    st.dataframe(
        view.rename({c: t(f"satisfaction.col.{c}") for c in view.columns}),
        hide_index=True,
        width="stretch",
    )


def quarter_results(f: ui.Filters) -> None:
    t = ui.t
    exported = ui.query("callbacks_quarter", quarter=f.quarter, scope=f.scope)
    q = wq.parse_quarter(f.quarter)
    app = ops.outcomes_frame(ops.ops_path()).filter(
        pl.col("called_at").is_between(q.start, q.end)
        & pl.col("grid_code").str.starts_with(f.scope)
    )
    rows = ops.combine_callbacks(exported, app)
    names = _names()
    overall = sampling.summarise_outcomes(rows).row(0, named=True)
    est = sampling.estimate(overall["satisfied"], overall["answered"])
    n_app = rows.filter(pl.col("origin") == "app").height
    c = st.columns(4)
    c[0].metric(t("satisfaction.callbacks"), ui.fmt_int(overall["calls"]))
    c[1].metric(t("satisfaction.answer_rate"), ui.fmt_pct(overall["answer_rate"]))
    c[2].metric(t("satisfaction.rate"), ui.fmt_pct(est.rate))
    c[3].metric(
        t("satisfaction.ci"),
        f"{ui.fmt_pct(est.low)}–{ui.fmt_pct(est.high)}"
        if est.rate is not None
        else ui.fmt_pct(None),
    )
    st.markdown(f"**{_verdict(est)}**")
    st.caption(
        t("satisfaction.sources", exported=ui.fmt_int(exported.height), app=ui.fmt_int(n_app))
    )
    per = sampling.summarise_outcomes(rows, "township_code")
    st.subheader(t("satisfaction.by_township"))
    _results_table(per, "township_code", names)
    _lqas(rows, names)
    _dissatisfied(rows)


if ui.page_header("common.page.satisfaction"):
    filters = ui.filters()
    mode = st.segmented_control(
        ui.t("satisfaction.mode"),
        ["quarter", "batch"],
        key="sat_mode",
        default="quarter",
        format_func=lambda s: ui.t(f"satisfaction.modes.{s}"),
    )
    if mode == "batch":
        batch_results()
    else:
        quarter_results(filters)
