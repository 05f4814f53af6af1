"""回访抽样与名单 (callbacks): draw a fair, reproducible sample of resolved cases or visited
households, then work its call list and record each call's outcome.

Reads: callbacks_frame_cases / callbacks_frame_backcheck (the frame with exclusions),
callbacks_households and callbacks_cases (the call list; personal data masked by role in
ui.query). Writes only the operational store (warmvisits.ops): batches, members, call attempts.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import polars as pl
import streamlit as st

import ui
from warmvisits import audit, ops, safe_export, sampling
from warmvisits import quarters as wq

DRAW_ROLES = {"callback", "admin", "analyst"}
CALL_ROLES = {"callback", "admin"}


def _nonce(key: str) -> str:
    if key not in st.session_state:
        st.session_state[key] = uuid.uuid4().hex
    return str(st.session_state[key])


def _renew(key: str) -> None:
    st.session_state[key] = uuid.uuid4().hex


def _frame(kind: str, f: ui.Filters, store: object, recent_days: int) -> pl.DataFrame:
    keys = ops.open_member_keys(store)  # type: ignore[arg-type]
    # from the start of the day N days ago (a stable parameter, so the frame query caches)
    since = datetime.combine(date.today() - timedelta(days=recent_days), datetime.min.time())
    recent = ops.recently_called(store, since)  # type: ignore[arg-type]
    since_s = since.strftime("%Y-%m-%d %H:%M:%S")
    if kind == "cases":
        q = wq.parse_quarter(f.quarter)
        return ui.query(
            "callbacks_frame_cases",
            start=q.start.strftime("%Y-%m-%d %H:%M:%S"),
            end=q.end.strftime("%Y-%m-%d %H:%M:%S"),
            scope=f.scope,
            recent_since=since_s,
            recent_households=recent,
            exclude_households=keys["household_id"],
            exclude_cases=keys["case_id"],
        )
    return ui.query(
        "callbacks_frame_backcheck",
        round=f.quarter,
        scope=f.scope,
        recent_since=since_s,
        recent_households=recent,
        exclude_households=keys["household_id"],
    )


def _stratum_names(frame: pl.DataFrame, stratum: str | None) -> dict[str, str]:
    if stratum == "township_code":
        return dict(frame.select("township_code", "township_name").unique().iter_rows())
    return {}


def _draw(
    store: object,
    kind: str,
    frame: pl.DataFrame,
    d: sampling.Design,
    settings: dict[str, object],
    user: ui.User,
    quarter: str,
) -> None:
    """The draw button's callback: draw with the seed shown and save the batch once."""
    seed = int(st.session_state.get("cb_seed", 0))
    key = "case_id" if kind == "cases" else "household_id"
    drawn = sampling.draw_design(frame, d, key=key, seed=seed)
    if kind == "backcheck":
        drawn = drawn.with_columns(pl.lit(quarter).alias("round"))
    members = drawn.select(
        [c for c in ops.MEMBER_COLUMNS if c in drawn.columns and c != "member_key"]
    )
    batch = ops.create_batch(
        store,  # type: ignore[arg-type]
        kind=kind,
        settings=settings,
        seed=seed,
        frame_sizes=d.frame_sizes,
        allocation=d.allocation,
        members=members,
        created_by=user.name,
        title=f"{ui.quarter_label(quarter)} {ui.t('callbacks.kind.' + kind)}",
        request_id=_nonce("cb_draw_request"),
        build_id=ui.build_info().get("build_id"),
    )
    _renew("cb_draw_request")
    st.session_state["cb_drawn"] = batch.batch_id
    st.session_state["cb_batch_pick"] = batch.batch_id


def design_section(f: ui.Filters, user: ui.User, store: object) -> None:
    t = ui.t
    drawn_id = st.session_state.get("cb_drawn")
    if drawn_id:
        st.success(t("callbacks.drawn", batch=drawn_id))
    kind = st.radio(
        t("callbacks.frame_kind"),
        ["cases", "backcheck"],
        key="cb_kind",
        horizontal=True,
        format_func=lambda k: t(f"callbacks.kind.{k}"),
    )
    st.caption(t(f"callbacks.frame_help.{kind}", quarter=ui.quarter_label(f.quarter)))
    c1, c2 = st.columns(2)
    recent_days = int(c1.number_input(t("callbacks.recent_days"), 0, 365, 30, key="cb_recent_days"))
    strata_options = ["none", "township_code"] + (["category"] if kind == "cases" else [])
    strat = c2.selectbox(
        t("callbacks.stratify"),
        strata_options,
        index=1,
        key="cb_stratify",
        format_func=lambda s: t(f"callbacks.stratify_by.{s}"),
    )
    stratum = None if strat == "none" else strat

    st.subheader(t("callbacks.calculator"))
    c = st.columns(5)
    p = c[0].number_input(t("callbacks.p"), 0.5, 0.999, 0.98, 0.01, key="cb_p", format="%.3f")
    e = c[1].number_input(t("callbacks.margin"), 0.005, 0.2, 0.02, 0.005, key="cb_e", format="%.3f")
    conf = c[2].selectbox(t("callbacks.confidence"), [0.90, 0.95, 0.99], index=1, key="cb_conf")
    ar = c[3].number_input(t("callbacks.answer_rate"), 0.1, 1.0, 0.8, 0.05, key="cb_ar")
    minimum = int(c[4].number_input(t("callbacks.minimum"), 0, 500, 5, key="cb_min"))

    frame = _frame(kind, f, store, recent_days)
    d = sampling.design(
        frame,
        stratum=stratum,
        p=float(p),
        margin=float(e),
        confidence=float(conf),
        answer_rate=float(ar),
        minimum=minimum,
    )
    excluded = ", ".join(
        f"{t('callbacks.exclusion.' + k)} {ui.fmt_int(v)}" for k, v in d.excluded.items()
    )
    st.markdown(
        t(
            "callbacks.frame_line",
            n=ui.fmt_int(d.population),
            excluded=excluded or t("callbacks.none_excluded"),
        )
    )
    steps = pl.DataFrame(
        [{"step": k, "value": v} for k, v in d.size.steps()],
        schema={"step": pl.String, "value": pl.String},
    )
    m1, m2 = st.columns([1, 2])
    m1.metric(t("callbacks.n_to_draw"), ui.fmt_int(d.n_total))
    m1.caption(t("callbacks.n_answered_needed", n=ui.fmt_int(d.size.n_answered)))
    m2.table(steps.rename({"step": t("callbacks.step"), "value": t("callbacks.value")}))
    if d.population == 0:
        st.info(t("callbacks.empty_frame"))
        return

    names = _stratum_names(frame, stratum)
    alloc = pl.DataFrame(
        [
            {
                "stratum": names.get(k, k) if k else t("callbacks.all"),
                "frame": d.frame_sizes[k],
                "n": d.allocation.get(k, 0),
            }
            for k in d.frame_sizes
        ],
        schema={"stratum": pl.String, "frame": pl.Int64, "n": pl.Int64},
    )
    st.subheader(t("callbacks.allocation"))
    st.dataframe(
        alloc.rename(
            {
                "stratum": t("callbacks.stratum"),
                "frame": t("callbacks.frame_size"),
                "n": t("callbacks.allocated"),
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption(t("callbacks.allocation_help", minimum=minimum))

    if user.role not in DRAW_ROLES:
        st.info(t("callbacks.no_draw_role"))
        return
    st.number_input(t("callbacks.seed"), 0, 2**31 - 1, 20230401, key="cb_seed")
    st.caption(t("callbacks.seed_help"))
    settings = {
        "frame": kind,
        "quarter": f.quarter,
        "scope": f.scope,
        "stratify": strat,
        "p": float(p),
        "margin": float(e),
        "confidence": float(conf),
        "answer_rate": float(ar),
        "minimum": minimum,
        "recent_days": recent_days,
        "n": d.n_total,
        "stratum_names": names,
    }
    # actions run as button callbacks: they run once, before the script, whatever reruns follow
    st.button(
        t("callbacks.draw"),
        key="cb_draw",
        type="primary",
        on_click=_draw,
        args=(store, kind, frame, d, settings, user, f.quarter),
    )


def _call_list(batch: ops.Batch, store: object, f: ui.Filters) -> pl.DataFrame:
    m = ops.members(store, batch.batch_id, scope=ui.user().scope)  # type: ignore[arg-type]
    hh = ui.query(
        "callbacks_households",
        household_ids=m.get_column("household_id").to_list(),
        scope=ui.user().scope,
    )
    out = m.join(hh.drop("grid_code"), on="household_id", how="left")
    if batch.kind == "cases":
        cs = ui.query("callbacks_cases", case_ids=m.get_column("case_id").drop_nulls().to_list())
        out = out.join(cs.select("case_id", "category", "title"), on="case_id", how="left")
    return out


def _list_for_download(cl: pl.DataFrame, kind: str) -> tuple[pl.DataFrame, dict[str, str]]:
    t = ui.t
    cols = ["call_ref", "seq", "township_name", "village_name", "head_name", "phone", "address"]
    cols += ["case_id", "category", "title"] if kind == "cases" else ["recorded_method"]
    df = cl.select([c for c in cols if c in cl.columns]).with_columns(
        pl.lit("").alias("outcome"),
        pl.lit("").alias("comment"),
        pl.lit("").alias("called_at"),
        pl.lit("").alias("caller"),
    )
    if kind == "backcheck":
        df = df.with_columns(pl.lit("").alias("visit_happened"), pl.lit("").alias("visit_how"))
    headers = {c: t(f"callbacks.col.{c}") for c in df.columns}
    # the upload reads these columns back by their Chinese export names
    headers.update(
        {
            "call_ref": "回访编号",
            "outcome": "回访结果",
            "comment": "备注",
            "called_at": "回访时间",
            "caller": "回访人",
            "visit_happened": "是否走访",
            "visit_how": "走访方式",
        }
    )
    return df, headers


def _log_download(user: ui.User, batch_id: str, fmt: str) -> None:
    try:
        audit.record(
            audit.store_path(),
            "download",
            who=user.name,
            role=user.role,
            what=f"call list {batch_id} ({fmt})",
        )
    except Exception:  # noqa: BLE001 - the download itself must not fail on the log
        pass


def _save(store: object, batch: ops.Batch, labels: dict[str, str], user: ui.User) -> None:
    """The save button's callback: record one attempt (idempotent on the form's attempt id)."""
    t = ui.t
    ss = st.session_state
    member = str(ss.get("cb_member"))
    outcome = str(ss.get("cb_outcome"))
    happened: bool | None = None
    how: str | None = None
    if batch.kind == "backcheck" and outcome != ops.NOT_REACHED:
        happened = ss.get("cb_happened", "yes") == "yes"
        how = ss.get("cb_how") if happened else None
    try:
        a = ops.record_outcome(
            store,  # type: ignore[arg-type]
            batch.batch_id,
            member,
            outcome,
            caller=user.name,
            comment=ss.get("cb_comment") or None,
            visit_happened=happened,
            visit_how=how,
            attempt_id=_nonce("cb_attempt"),
        )
    except ops.OpsError as err:
        ss["cb_saved"] = ("error", t(f"callbacks.refused.{err.code}"))
    else:
        ref = labels.get(member, member).split(" · ")[0]
        ss["cb_saved"] = ("ok", t("callbacks.saved", ref=ref, n=a.attempt_no))
        ss["cb_comment"] = ""
    _renew("cb_attempt")


def _import(store: object, batch: ops.Batch, user: ui.User) -> None:
    """The import button's callback: record the outcomes of an uploaded, filled-in list."""
    t = ui.t
    up = st.session_state.get("cb_upload")
    if up is None:
        return
    try:
        table = safe_export.read_table(up.getvalue(), up.name)
    except ValueError as err:
        st.session_state["cb_imported"] = ("error", t("callbacks.upload_bad", error=str(err)), [])
        return
    rep = ops.import_call_list(store, batch.batch_id, table, caller=user.name)  # type: ignore[arg-type]
    msg = t("callbacks.upload_done", recorded=rep.recorded, already=rep.already, blank=rep.blank)
    st.session_state["cb_imported"] = ("ok", msg, rep.errors)


def _close(store: object, batch: ops.Batch, user: ui.User) -> None:
    ops.close_batch(store, batch.batch_id, by=user.name)  # type: ignore[arg-type]


def calls_section(f: ui.Filters, user: ui.User, store: object) -> None:
    t = ui.t
    batches = ops.list_batches(store, scope=user.scope)  # type: ignore[arg-type]
    if not batches:
        st.info(t("callbacks.no_batches"))
        return
    ids = [b.batch_id for b in batches]
    by_id = {b.batch_id: b for b in batches}
    if st.session_state.get("cb_batch_pick") not in ids:
        st.session_state["cb_batch_pick"] = ids[0]
    batch_id = st.selectbox(
        t("callbacks.batch"),
        ids,
        key="cb_batch_pick",
        format_func=lambda b: (
            f"{b} · {by_id[b].title or ''} · {t('callbacks.status.' + by_id[b].status)}"
        ),
    )
    batch = by_id[batch_id]
    st.caption(
        t(
            "callbacks.batch_line",
            who=batch.created_by,
            when=batch.created_at,
            seed=batch.seed,
            n=batch.n_members,
            frame=ui.fmt_int(sum(batch.frame_sizes.values())),
        )
    )
    cl = _call_list(batch, store, f)
    called = int((cl.get_column("attempts") > 0).sum())
    answered = int(cl.get_column("final_outcome").is_in(["满意", "基本满意", "不满意"]).sum())
    c = st.columns(3)
    c[0].metric(t("callbacks.drawn_n"), ui.fmt_int(batch.n_members))
    c[1].metric(t("callbacks.called_n"), ui.fmt_int(called))
    c[2].metric(t("callbacks.answered_n"), ui.fmt_int(answered))
    if user.role not in CALL_ROLES:
        st.caption(t("callbacks.masked_note"))

    show = ["call_ref", "township_name", "head_name", "phone"]
    show += ["category"] if batch.kind == "cases" else ["leader_name", "recorded_method"]
    show += ["attempts", "last_outcome", "final_outcome", "comment"]
    view = cl.select([c for c in show if c in cl.columns])
    st.dataframe(
        view.rename({c: t(f"callbacks.col.{c}") for c in view.columns}),
        hide_index=True,
        width="stretch",
        key="cb_list",
    )
    dl, headers = _list_for_download(cl, batch.kind)
    d1, d2 = st.columns(2)
    d1.download_button(
        t("callbacks.download_xlsx"),
        safe_export.to_xlsx(dl, sheet="回访名单", headers=headers),
        file_name=f"{batch.batch_id}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="cb_dl_xlsx",
        on_click=_log_download,
        args=(user, batch.batch_id, "xlsx"),
    )
    d2.download_button(
        t("callbacks.download_csv"),
        safe_export.to_csv(dl, headers=headers),
        file_name=f"{batch.batch_id}.csv",
        mime="text/csv",
        key="cb_dl_csv",
        on_click=_log_download,
        args=(user, batch.batch_id, "csv"),
    )

    if not batch.is_open:
        st.info(t("callbacks.closed_note"))
        return
    if user.role not in CALL_ROLES:
        st.info(t("callbacks.no_call_role"))
        return
    st.subheader(t("callbacks.record"))
    todo = cl.filter(pl.col("can_call"))
    if todo.height == 0:
        st.success(t("callbacks.all_done"))
    else:
        labels = {
            r["member_key"]: f"{r['call_ref']} · {r['head_name'] or ''} · {r['phone'] or ''}"
            + (f" · {t('callbacks.attempt_no', n=r['attempts'] + 1)}")
            for r in todo.iter_rows(named=True)
        }
        st.selectbox(t("callbacks.member"), list(labels), key="cb_member", format_func=labels.get)
        outcome = st.radio(
            t("callbacks.outcome"),
            list(ops.OUTCOMES),
            key="cb_outcome",
            horizontal=True,
            format_func=lambda o: ui.enum_label("outcome", o),
        )
        st.text_input(t("callbacks.comment"), key="cb_comment")
        if batch.kind == "backcheck" and outcome != ops.NOT_REACHED:
            h = st.radio(
                t("callbacks.visit_happened"),
                ["yes", "no"],
                key="cb_happened",
                horizontal=True,
                format_func=lambda v: t(f"callbacks.yes_no.{v}"),
            )
            if h == "yes":
                st.radio(
                    t("callbacks.visit_how"),
                    list(ops.VISIT_HOW),
                    key="cb_how",
                    horizontal=True,
                    format_func=lambda v: ui.enum_label("method", v),
                )
        st.button(
            t("callbacks.save"),
            key="cb_save",
            type="primary",
            on_click=_save,
            args=(store, batch, labels, user),
        )
    saved = st.session_state.pop("cb_saved", None)
    if saved:
        (st.success if saved[0] == "ok" else st.error)(saved[1])

    st.subheader(t("callbacks.upload"))
    up = st.file_uploader(t("callbacks.upload_help"), type=["xlsx", "csv"], key="cb_upload")
    st.button(
        t("callbacks.import"),
        key="cb_import",
        disabled=up is None,
        on_click=_import,
        args=(store, batch, user),
    )
    imported = st.session_state.pop("cb_imported", None)
    if imported:
        (st.success if imported[0] == "ok" else st.error)(imported[1])
        if imported[2]:
            st.dataframe(
                pl.DataFrame(imported[2], schema=["row", "code", "detail"], orient="row"),
                hide_index=True,
            )
    st.button(t("callbacks.close"), key="cb_close", on_click=_close, args=(store, batch, user))


if ui.page_header("common.page.callbacks"):
    filters = ui.filters()
    current = ui.user()
    store_path = ops.ops_path()
    section = st.segmented_control(
        ui.t("callbacks.section"),
        ["design", "calls"],
        key="cb_section",
        default="design",
        format_func=lambda s: ui.t(f"callbacks.sections.{s}"),
    )
    if section == "calls":
        calls_section(filters, current, store_path)
    else:
        design_section(filters, current, store_path)
