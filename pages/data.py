"""Data management (数据管理), for district administrators: which export files are there and what
were they recognised as; build a new database; what did the current build load, reject, warn
about, supersede and ignore; which builds exist, and make an earlier one current again; who
signed in, built and downloaded what (the audit log).

Reads: ``data_build_info``, ``data_kind_rows``, ``data_build_files``, ``data_rejects_by_rule``,
``data_reject_rows`` ($kind, $rule), ``data_warnings_by_rule``, ``data_superseded``,
``data_unknown_columns``; ``warmvisits.uploads`` (the export folder), ``warmvisits.build.build``,
``warmvisits.db.list_builds`` / ``make_current``, ``warmvisits.audit.entries``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

import ui
from warmvisits import audit, safe_export, uploads
from warmvisits import build as wbuild
from warmvisits import db as wdb
from warmvisits.schema import KIND_ORDER

UPLOADER = "wv_data_uploader"
SECTION = "wv_data_section"
RESULTS = "wv_data_upload_results"
BUILD_MSG = "wv_data_build_message"
SECTIONS = ("files", "report", "history", "audit")

user = ui.auth.require_page("data")
t = ui.t
st.title(t("data.title"))
if user.scope:
    st.warning(t("data.district_admin_only"))
    st.stop()


# ---------------------------------------------------------------------------- actions (callbacks)


def _save_uploads() -> None:
    files = st.session_state.get(UPLOADER) or []
    folder = uploads.exports_folder()
    results = [uploads.save_upload(f.name, f.getvalue(), folder) for f in files]
    st.session_state[RESULTS] = results
    saved = [r.name for r in results if r.saved_as is not None]
    refused = {r.name: r.reason for r in results if r.saved_as is None}
    if results:
        ui.auth.record(
            "upload",
            f"{len(saved)} saved, {len(refused)} refused",
            saved=saved,
            refused=refused,
        )


def _remove_files() -> None:
    folder = uploads.exports_folder()
    names = st.session_state.get("wv_data_remove") or []
    removed = [n for n in names if uploads.remove_export(folder, n)]
    if removed:
        ui.auth.record("upload", f"removed {len(removed)} file(s)", removed=removed)
    st.session_state["wv_data_remove"] = []


def _run_build(source: str, demo: bool) -> None:
    messages: list[str] = []
    try:
        report = wbuild.build(source, demo=demo, progress=messages.append)
    except Exception as exc:  # noqa: BLE001 - any failure leaves the old build current
        st.session_state[BUILD_MSG] = ("error", str(exc))
        ui.auth.record("build", "failed", exports=source, error=str(exc))
        return
    rows = {k: v.get("rows", 0) for k, v in report.tables.items()}
    rejected = {k: v.get("rejected", 0) for k, v in report.tables.items()}
    st.session_state[BUILD_MSG] = ("ok", report.build_id)
    ui.auth.record(
        "build",
        f"built {report.build_id}",
        exports=source,
        rows=rows,
        rejected=rejected,
        seconds=round(report.seconds, 1),
    )


def _make_current(build_id: str) -> None:
    for entry in wdb.list_builds():
        if entry.build_id == build_id:
            wdb.make_current(wdb.pointer_path(), entry.path)
            ui.auth.record("make_current", f"made {build_id} current")
            st.session_state[BUILD_MSG] = ("current", build_id)
            return


# ---------------------------------------------------------------------------- helpers


def _frame(df: pl.DataFrame, labels: dict[str, str] | None = None) -> None:
    """A table of text: values are never rendered as Markdown or HTML."""
    if df.height == 0:
        st.caption(t("common.no_rows"))
        return
    shown = df.rename({c: labels.get(c, c) for c in df.columns}) if labels else df
    st.dataframe(shown, hide_index=True, width="stretch")


def _expand_raw(df: pl.DataFrame) -> pl.DataFrame:
    """Reject rows with their raw cells as columns (raw_values is JSON text of the cells)."""
    if df.height == 0:
        return df
    cells = []
    for text in df["raw_values"].to_list():
        try:
            value = json.loads(text or "{}")
        except ValueError:
            value = {"raw_values": text}
        cells.append(
            {
                str(k): (None if v is None else str(v))
                for k, v in dict(value).items()
                if not str(k).startswith("_")  # _file, _sheet, _row: already columns
            }
            if isinstance(value, dict)
            else {"raw_values": str(value)}
        )
    raw = pl.DataFrame(cells, infer_schema_length=None)
    raw = raw.select([pl.col(c).cast(pl.String) for c in raw.columns])
    return pl.concat([df.drop("raw_values"), raw], how="horizontal")


def _build_info() -> dict[str, str]:
    try:
        return {k: v for k, v in ui.query("data_build_info").iter_rows()}
    except FileNotFoundError:
        return {}


COLS = {
    "kind": "data.col_kind",
    "n_rows": "data.col_rows",
    "n_rejected": "data.col_rejected",
    "n_warnings": "data.col_warnings",
    "path": "data.col_file",
    "file": "data.col_file",
    "sheet": "data.col_sheet",
    "error": "data.col_error",
    "rule": "data.col_rule",
    "row_number": "data.col_row_number",
    "key": "data.col_key",
    "superseded_by": "data.col_superseded_by",
    "column_name": "data.col_column",
}


def labels(df: pl.DataFrame) -> dict[str, str]:
    return {c: t(COLS[c]) for c in df.columns if c in COLS}


def kind_label(kind: Any) -> str:
    return t(f"data.kind_{kind}") if kind in KIND_ORDER else str(kind or "—")


def with_kind_labels(df: pl.DataFrame) -> pl.DataFrame:
    if "kind" not in df.columns or df.height == 0:
        return df
    names = {k: kind_label(k) for k in df["kind"].unique().to_list()}
    return df.with_columns(
        pl.col("kind").replace_strict(names, default=pl.col("kind"), return_dtype=pl.String)
    )


# ---------------------------------------------------------------------------- sections


def section_files() -> None:
    folder = uploads.exports_folder()
    st.subheader(t("data.files_heading"))
    st.caption(t("data.folder_line", folder=str(folder)))
    present = uploads.list_exports(folder)
    if present:
        _frame(
            pl.DataFrame(
                {
                    t("data.col_file"): [n for n, _ in present],
                    t("data.col_size"): [f"{s / 1e6:.2f} MB" for _, s in present],
                }
            )
        )
        st.multiselect(t("data.remove_pick"), [n for n, _ in present], key="wv_data_remove")
        st.button(t("data.remove"), key="wv_data_remove_btn", on_click=_remove_files)
    else:
        st.info(t("data.folder_empty"))

    limit_mb = uploads.max_upload_bytes() / 1024 / 1024
    st.file_uploader(
        t("data.upload", mb=f"{limit_mb:g}"),
        # no ``type=``: Streamlit would raise on another type; warmvisits.uploads refuses it
        # with a clear message instead (and checks the content, not only the name)
        accept_multiple_files=True,
        key=UPLOADER,
        help=t("data.upload_help"),
    )
    st.button(t("data.save_uploads"), key="wv_data_save", on_click=_save_uploads)
    results = st.session_state.get(RESULTS) or []
    if results:
        rows = []
        for r in results:
            found = "; ".join(
                f"{tb.sheet + ': ' if tb.sheet else ''}{kind_label(tb.kind)} ({tb.rows})"
                if tb.kind
                else f"{tb.sheet + ': ' if tb.sheet else ''}{tb.error}"
                for tb in r.tables
            )
            rows.append(
                {
                    t("data.col_file"): r.name,
                    t("data.col_result"): t(f"data.upload_{r.reason}"),
                    t("data.col_recognised"): found or "—",
                    t("data.col_detail"): r.detail,
                }
            )
        refused = [r for r in results if r.saved_as is None]
        if refused:
            st.error(t("data.upload_refused", n=len(refused)))
        _frame(pl.DataFrame(rows))

    st.subheader(t("data.build_heading"))
    info = _build_info()
    sources = {str(folder): t("data.source_uploads")}
    current_source = info.get("exports_dir")
    if current_source and Path(current_source).is_dir() and current_source != str(folder):
        sources[current_source] = t("data.source_current")
    source = st.radio(
        t("data.source"),
        list(sources),
        format_func=lambda s: f"{sources[s]} ({s})",
        key="wv_data_source",
    )
    demo = source == current_source and info.get("is_demo") == "true"
    st.button(
        t("data.build"),
        key="wv_data_build",
        type="primary",
        on_click=_run_build,
        args=(source, demo),
    )
    msg = st.session_state.pop(BUILD_MSG, None)
    if msg and msg[0] == "ok":
        st.success(t("data.build_ok", build_id=msg[1]))
    elif msg and msg[0] == "error":
        st.error(t("data.build_failed"))
        st.code(msg[1], language=None)
    elif msg and msg[0] == "current":
        st.success(t("data.made_current", build_id=msg[1]))


def section_report() -> None:
    info = _build_info()
    if not info:
        st.info(t("common.no_database"))
        return
    st.caption(
        t(
            "data.report_line",
            build_id=info.get("build_id", "—"),
            built_at=info.get("built_at", "—"),
            exports=info.get("exports_dir", "—"),
        )
    )
    if info.get("is_demo") == "true":
        st.caption(t("data.is_demo"))

    st.subheader(t("data.kinds_heading"))
    kinds = ui.query("data_kind_rows")
    _frame(with_kind_labels(kinds), labels(kinds))

    st.subheader(t("data.build_files_heading"))
    files = ui.query("data_build_files")
    _frame(with_kind_labels(files), labels(files))

    st.subheader(t("data.rejects_heading"))
    by_rule = ui.query("data_rejects_by_rule")
    _frame(with_kind_labels(by_rule), labels(by_rule))
    if by_rule.height:
        pairs = [(k, r) for k, r, _ in by_rule.iter_rows()]
        pick = st.selectbox(
            t("data.rejects_pick"),
            range(len(pairs)),
            format_func=lambda i: f"{kind_label(pairs[i][0])} · {pairs[i][1]}",
            key="wv_data_reject_pick",
        )
        kind, rule = pairs[pick or 0]
        rows = _expand_raw(ui.query("data_reject_rows", kind=kind, rule=rule))
        _frame(rows, labels(rows))
        stem = f"rejects_{kind}_{rule}"
        c1, c2 = st.columns(2)
        c1.download_button(
            t("data.download_csv"),
            safe_export.to_csv(rows),
            file_name=f"{stem}.csv",
            mime="text/csv",
            key="wv_data_dl_csv",
            on_click=ui.auth.log_download,
            args=(f"{stem}.csv",),
        )
        c2.download_button(
            t("data.download_xlsx"),
            safe_export.to_xlsx(rows, sheet="rejects"),
            file_name=f"{stem}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="wv_data_dl_xlsx",
            on_click=ui.auth.log_download,
            args=(f"{stem}.xlsx",),
        )

    st.subheader(t("data.warnings_heading"))
    warn = ui.query("data_warnings_by_rule")
    _frame(with_kind_labels(warn), labels(warn))
    st.subheader(t("data.superseded_heading"))
    sup = ui.query("data_superseded")
    _frame(with_kind_labels(sup), labels(sup))
    st.subheader(t("data.unknown_heading"))
    unk = ui.query("data_unknown_columns")
    _frame(with_kind_labels(unk), labels(unk))


def section_history() -> None:
    builds = wdb.list_builds()
    if not builds:
        st.info(t("common.no_database"))
        return
    _frame(
        pl.DataFrame(
            {
                t("data.col_build"): [b.build_id for b in builds],
                t("data.col_size"): [f"{b.size_bytes / 1e6:.1f} MB" for b in builds],
                t("data.col_current"): ["✓" if b.is_current else "" for b in builds],
            }
        )
    )
    others = [b.build_id for b in builds if not b.is_current]
    if not others:
        return
    pick = st.selectbox(t("data.history_pick"), others, key="wv_data_history_pick")
    st.button(
        t("data.make_current"), key="wv_data_make_current", on_click=_make_current, args=(pick,)
    )
    msg = st.session_state.pop(BUILD_MSG, None)
    if msg and msg[0] == "current":
        st.success(t("data.made_current", build_id=msg[1]))


def section_audit() -> None:
    events = ["", *audit.EVENTS]
    pick = st.selectbox(
        t("data.audit_event"),
        events,
        format_func=lambda e: t(f"data.event_{e}") if e else t("data.audit_all"),
        key="wv_data_audit_event",
    )
    entries = audit.entries(audit.store_path(), limit=1000, event=pick or None)
    if not entries:
        st.caption(t("common.no_rows"))
        return
    _frame(
        pl.DataFrame(
            {
                t("data.col_at"): [e.at for e in entries],
                t("data.col_event"): [t(f"data.event_{e.event}") for e in entries],
                t("data.col_who"): [e.who for e in entries],
                t("data.col_role"): [e.role for e in entries],
                t("data.col_client"): [e.client for e in entries],
                t("data.col_what"): [e.what for e in entries],
                t("data.col_detail"): [
                    json.dumps(e.detail, ensure_ascii=False) if e.detail else "" for e in entries
                ],
            }
        )
    )


if SECTION not in st.session_state or st.session_state[SECTION] not in SECTIONS:
    st.session_state[SECTION] = SECTIONS[0]
section = st.segmented_control(
    t("data.section"),
    SECTIONS,
    format_func=lambda s: t(f"data.section_{s}"),
    key=SECTION,
    label_visibility="collapsed",
)
{
    "files": section_files,
    "report": section_report,
    "history": section_history,
    "audit": section_audit,
}[section or SECTIONS[0]]()
