"""问卷分析 (questionnaire results): how did households in a scope answer the eight themes of the
menu this round, on the urban and rural forms, what changed since the last round, and where are
the answers least favourable?

Reads questionnaire_items (the menu: themes, departments), questionnaire_answers (answer shares
per question and form, with the previous round), questionnaire_areas (places ranked by the
unfavourable share of one question) and questionnaire_households (the households that gave one
answer; personal data masked by ``ui.query`` for the role).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd
import polars as pl
import streamlit as st

import ui

FORMS = ("城市版", "农村版")
ANSWER_DOMAIN = {"是否": "yes_no", "好坏": "good_bad"}
FAVOURABLE_COLOURS = ("#2e7d32", "#66bb6a", "#a5d6a7", "#c8e6c9")
UNFAVOURABLE_COLOURS = ("#c62828", "#ef6c00", "#f9a825", "#ffcc80")
HOUSEHOLD_LIMIT = 500


def answer_label(answer_type: str, value: str) -> str:
    domain = ANSWER_DOMAIN.get(answer_type)
    return ui.enum_label(domain, value) if domain else value


def short(text: str, n: int = 18) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def item_summary(df: pl.DataFrame) -> pl.DataFrame:
    """One row per item × form: answered, unfavourable share now and in the previous round."""
    return (
        df.group_by("item_code", "form_version", maintain_order=True)
        .agg(
            pl.col("theme_no").first(),
            pl.col("question").first(),
            pl.col("answer_type").first(),
            pl.col("department").first(),
            pl.col("n_answered").first(),
            pl.col("prev_n_answered").first(),
            pl.col("is_unfavourable").any().alias("has_unfavourable"),
            pl.col("share").filter(pl.col("is_unfavourable")).sum().alias("unfav"),
            pl.col("prev_share").filter(pl.col("is_unfavourable")).sum().alias("prev_unfav"),
            pl.struct("answer", "share", "n_households").alias("answers"),
            pl.col("answer").filter(pl.col("is_unfavourable")).alias("unfavourable_answers"),
        )
        .with_columns(
            pl.when(pl.col("has_unfavourable") & (pl.col("n_answered") > 0))
            .then(pl.col("unfav"))
            .alias("unfav"),
            pl.when(pl.col("has_unfavourable") & (pl.col("prev_n_answered").fill_null(0) > 0))
            .then(pl.col("prev_unfav"))
            .alias("prev_unfav"),
        )
    )


def distribution_text(answer_type: str, answers: list[dict[str, Any]], n_answered: int) -> str:
    if not n_answered:
        return "—"
    return " · ".join(
        f"{answer_label(answer_type, a['answer'])} {ui.fmt_pct(a['share'])} ({ui.fmt_int(a['n_households'])})"
        for a in answers
    )


def theme_chart(rows: pl.DataFrame) -> dict[str, Any]:
    """Horizontal 100% bars, one per question of one theme on one form; unfavourable answers in
    warm colours. A plain figure dict (cheaper than building it through plotly's objects)."""
    questions = rows.unique("item_code", maintain_order=True)
    labels = [
        f"{r['item_code']} {short(r['question'], 8)} ({ui.fmt_int(r['n_answered'])})"
        for r in questions.iter_rows(named=True)
    ]
    label_of = dict(zip(questions["item_code"].to_list(), labels, strict=True))
    data = []
    for option_no in sorted(rows["option_no"].unique().to_list()):
        part = rows.filter(pl.col("option_no") == option_no)
        colours, texts, hover = [], [], []
        for r in part.iter_rows(named=True):
            palette = UNFAVOURABLE_COLOURS if r["is_unfavourable"] else FAVOURABLE_COLOURS
            colours.append(palette[(option_no - 1) % len(palette)])
            name = answer_label(r["answer_type"], r["answer"])
            share = r["share"] or 0
            texts.append(f"{name} {ui.fmt_pct(share, 0)}" if share >= 0.08 else "")
            hover.append(
                f"{name}: {ui.fmt_pct(r['share'])} ({ui.fmt_int(r['n_households'])} / "
                f"{ui.fmt_int(r['n_answered'])})"
            )
        data.append(
            {"type": "bar", "orientation": "h",
             "y": [label_of[c] for c in part["item_code"].to_list()],
             "x": [v or 0 for v in part["share"].to_list()], "marker": {"color": colours},
             "text": texts, "textposition": "inside", "insidetextanchor": "middle",
             "hovertext": hover, "hoverinfo": "text", "showlegend": False}
        )  # fmt: skip
    return {
        "data": data,
        "layout": {
            "barmode": "stack", "height": 90 + 48 * len(labels),
            "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
            "xaxis": {"tickformat": ".0%", "range": [0, 1],
                      "title": {"text": ui.t("questionnaire.share_axis")}},
            "yaxis": {"autorange": "reversed"},
        },
    }  # fmt: skip


def theme_table(summary: pl.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            ui.t("questionnaire.item"): summary["item_code"].to_list(),
            ui.t("questionnaire.question"): summary["question"].to_list(),
            ui.t("questionnaire.form"): [
                ui.enum_label("form_version", v) for v in summary["form_version"]
            ],
            ui.t("questionnaire.answered"): [ui.fmt_int(v) for v in summary["n_answered"]],
            ui.t("questionnaire.unfavourable"): [ui.fmt_pct(v) for v in summary["unfav"]],
            ui.t("questionnaire.change"): [
                ui.fmt_pct_points(None if a is None or b is None else a - b)
                for a, b in zip(summary["unfav"], summary["prev_unfav"], strict=True)
            ],
            ui.t("questionnaire.distribution"): [
                distribution_text(r["answer_type"], r["answers"], r["n_answered"])
                for r in summary.iter_rows(named=True)
            ],
            ui.t("questionnaire.owner"): [v or "—" for v in summary["department"]],
        }
    )


def draw_themes(answers: pl.DataFrame) -> None:
    themes = answers.unique("theme_no", maintain_order=True).select("theme_no", "theme")
    names = dict(themes.iter_rows())
    st.caption(ui.t("questionnaire.themes_count", n=len(names)))
    theme_no = st.segmented_control(
        ui.t("questionnaire.theme"),
        list(names),
        default=next(iter(names)),
        required=True,
        format_func=lambda n: f"{n}. {names.get(n, '')}",
        key="questionnaire_theme",
    )
    if theme_no not in names:
        theme_no = next(iter(names))
    rows = answers.filter(pl.col("theme_no") == theme_no)
    cols = st.columns(2)
    for col, form in zip(cols, FORMS, strict=True):
        with col:
            st.markdown(f"**{ui.enum_label('form_version', form)}**")
            part = rows.filter(pl.col("form_version") == form)
            if part.height == 0:
                st.caption(
                    ui.t("questionnaire.form_empty", form=ui.enum_label("form_version", form))
                )
            else:
                st.plotly_chart(theme_chart(part), key=f"questionnaire_chart_{form}")
    st.dataframe(theme_table(item_summary(rows)), hide_index=True, placeholder=ui.t("common.dash"))
    with st.expander(ui.t("questionnaire.all_questions")):
        summary = item_summary(answers)
        table = theme_table(summary)
        table.insert(
            0, ui.t("questionnaire.theme"), [names.get(n, "") for n in summary["theme_no"]]
        )
        st.dataframe(table, hide_index=True, placeholder=ui.t("common.dash"))


def drill(key: str, codes: list[str], scope: str) -> None:
    """Selection callback of the ranking table: narrow the scope to the selected place."""
    rows = st.session_state[key]["selection"]["rows"]
    if rows and codes[rows[0]] != scope:
        ui.set_scope(codes[rows[0]], rerun=False)


def draw_ranking(f: ui.Filters, items: pl.DataFrame) -> None:
    st.subheader(ui.t("questionnaire.ranking"))
    level = {0: "level_township", 9: "level_village"}.get(len(f.scope), "level_grid")
    st.caption(ui.t("questionnaire.ranking_hint", level=ui.t(f"questionnaire.{level}")))
    labels = {
        r["item_code"]: f"{r['item_code']} {r['question']}" for r in items.iter_rows(named=True)
    }
    item = st.selectbox(
        ui.t("questionnaire.ranking_question"),
        list(labels),
        format_func=lambda c: labels.get(c, c),
        key="questionnaire_rank_item",
    )
    if item not in labels:
        return
    meta = items.filter(pl.col("item_code") == item).row(0, named=True)
    unfav = [answer_label(meta["answer_type"], a) for a in meta["unfavourable"]]
    st.caption(
        ui.t(
            "questionnaire.unfavourable_line",
            options=ui.t("questionnaire.list_sep").join(unfav) or ui.t("questionnaire.none"),
        )
    )
    areas = ui.query("questionnaire_areas", quarter=f.quarter, scope=f.scope, item=item)
    if areas.height == 0:
        st.info(ui.t("questionnaire.ranking_empty"))
    else:
        places = areas.unique("area_code", maintain_order=True)
        table = {
            ui.t("questionnaire.place"): places["area_name"].to_list(),
            ui.t("questionnaire.answered"): places["n_answered"].to_list(),
            ui.t("questionnaire.unfavourable"): [
                v * 100 if v is not None else None for v in places["unfavourable_share"]
            ],
            ui.t("questionnaire.change_pp"): [
                v * 100 if v is not None else None for v in places["unfavourable_change"]
            ],
        }
        for option in meta["options"]:
            part = areas.filter(pl.col("answer") == option)
            table[answer_label(meta["answer_type"], option)] = [
                f"{ui.fmt_pct(s)} ({ui.fmt_int(n)})"
                for s, n in zip(part["share"], part["n_households"], strict=True)
            ]
        frame = pd.DataFrame(table)
        pct = st.column_config.NumberColumn(format="%.1f%%")
        key = f"questionnaire_areas_{f.quarter}_{f.scope}_{item}"
        st.dataframe(
            frame,
            hide_index=True,
            placeholder=ui.t("common.dash"),
            on_select=partial(drill, key, places["area_code"].to_list(), f.scope),
            selection_mode="single-row",
            column_config={
                ui.t("questionnaire.answered"): st.column_config.NumberColumn(format="localized"),
                ui.t("questionnaire.unfavourable"): pct,
                ui.t("questionnaire.change_pp"): st.column_config.NumberColumn(format="%+.1f"),
            },
            key=key,
        )
    draw_households(f, item, meta)


def draw_households(f: ui.Filters, item: str, meta: dict[str, Any]) -> None:
    st.subheader(ui.t("questionnaire.households"))
    if not ui.auth.sees_personal_data(ui.user().role):
        st.caption(ui.t("common.personal_data_hidden"))
        return
    st.caption(ui.t("questionnaire.households_hint"))
    left, right = st.columns([1, 2])
    answer = left.selectbox(
        ui.t("questionnaire.answer"),
        meta["options"],
        index=len(meta["options"]) - 1,
        format_func=lambda a: answer_label(meta["answer_type"], a),
        key=f"questionnaire_answer_{item}",
    )
    if not right.toggle(ui.t("questionnaire.show_households"), key="questionnaire_show_households"):
        return
    df = ui.query(
        "questionnaire_households",
        quarter=f.quarter,
        scope=f.scope,
        item=item,
        answer=answer,
        limit=HOUSEHOLD_LIMIT,
    )
    if df.height == 0:
        st.info(ui.t("questionnaire.households_none"))
        return
    st.caption(
        ui.t("questionnaire.households_count", n=ui.fmt_int(df["n_total"][0]), shown=df.height)
    )
    shown = df.select(
        pl.col("household_id").alias(ui.t("questionnaire.household_id")),
        pl.col("grid_name").alias(ui.t("questionnaire.grid")),
        pl.col("head_name").alias(ui.t("questionnaire.head_name")),
        pl.col("phone").alias(ui.t("questionnaire.phone")),
        pl.col("address").alias(ui.t("questionnaire.address")),
        ui.each(
            df["status"],
            lambda v: ui.enum_label("household_status", v),
            ui.t("questionnaire.status"),
        ),
        pl.col("visit_on").alias(ui.t("questionnaire.visit_on")),
        ui.each(df["method"], lambda v: ui.enum_label("method", v), ui.t("questionnaire.method")),
        pl.col("visitor").alias(ui.t("questionnaire.visitor")),
    )
    st.dataframe(shown, hide_index=True, placeholder=ui.t("common.dash"))


def draw(f: ui.Filters) -> None:
    st.caption(ui.t("questionnaire.intro"))
    items = ui.query("questionnaire_items")
    departments = sorted({d for d in items["department"].to_list() if d})
    department = st.selectbox(
        ui.t("questionnaire.department"),
        ["", *departments],
        format_func=lambda d: d or ui.t("questionnaire.all_departments"),
        help=ui.t("questionnaire.department_hint"),
        key="questionnaire_department",
    )
    department = department or ""
    if department:
        items = items.filter(pl.col("department") == department)
    answers = ui.query(
        "questionnaire_answers", quarter=f.quarter, scope=f.scope, department=department
    )
    if answers.height == 0 or not answers["n_answered"].sum():
        st.info(ui.t("questionnaire.no_answers"))
        return
    prev = answers["prev_round"][0]
    st.caption(
        ui.t("questionnaire.prev_round", round=ui.quarter_label(prev))
        if prev
        else ui.t("questionnaire.no_prev_round")
    )
    draw_themes(answers)
    draw_ranking(f, items)


if ui.page_header("questionnaire.title"):
    draw(ui.filters())
