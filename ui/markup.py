"""Markup built on the server, put into the page as it is: a small ``st.components.v2``
component (no iframe; its script and stylesheet are below) for the overview's league table
and trend charts.

The markup comes from ``ui.league.table_html`` and ``ui.svgchart`` (every text escaped
there). The script sets it as the component's content and, for a ``<table data-sortable>``,
sorts the rows when a header's button is clicked (numbers by each cell's ``data-v``, text with
the collation given, missing values last in both directions; the order survives reruns) and
sends the ``data-select`` value of a clicked row (a click anywhere on it, or Enter/Space on the
name's button) to Python as the trigger value ``select``.

Why not ``st.dataframe``, Plotly or ``st.markdown``: the first two are lazily loaded chunks of
1.2 MB and 4.7 MB which the browser loads and evaluates while the overview's headline metrics
wait (bench/pages.py measured 0.45 s and 1–2 s); ``st.markdown`` keeps SVG, but turns every
node of it into a React element through another lazily loaded parser. This component's
front-end code is 15 kB, and the browser parses the markup natively.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from . import svgchart

JS = r"""
export default function ({ data, parentElement, setTriggerValue }) {
  let root = parentElement.querySelector(".wv-root");
  if (!root) {
    root = document.createElement("div");
    root.className = "wv-root";
    parentElement.appendChild(root);
  }
  if (root.wvHtml !== data.html) {
    root.innerHTML = data.html;
    root.wvHtml = data.html;
  }
  root.onclick = (event) => {
    const row = event.target.closest("[data-select]");
    if (row && root.contains(row)) setTriggerValue("select", row.dataset.select);
  };
  const table = root.querySelector("table[data-sortable]");
  if (!table || !table.tHead || !table.tBodies.length) return;
  const body = table.tBodies[0];
  Array.from(body.rows).forEach((tr, i) => { if (tr.dataset.i === undefined) tr.dataset.i = i; });
  const heads = Array.from(table.tHead.rows[0].cells);
  const collator = new Intl.Collator(table.dataset.sortable || undefined, { numeric: true });

  function apply() {
    const sort = root.wvSort;
    heads.forEach((th) => th.setAttribute("aria-sort", "none"));
    const col = sort ? heads.findIndex((th) => th.dataset.key === sort.key) : -1;
    if (col < 0) return;
    heads[col].setAttribute("aria-sort", sort.dir > 0 ? "ascending" : "descending");
    const numeric = heads[col].dataset.type === "num";
    const rows = Array.from(body.rows).sort((a, b) => {
      const x = a.cells[col].dataset.v ?? "";
      const y = b.cells[col].dataset.v ?? "";
      const order = a.dataset.i - b.dataset.i;
      if (x === "" || y === "") return x === y ? order : (x === "" ? 1 : -1);
      const c = numeric ? Number(x) - Number(y) : collator.compare(x, y);
      return c !== 0 ? sort.dir * c : order;
    });
    body.append(...rows);
  }

  heads.forEach((th) => {
    const button = th.querySelector("button");
    if (!button) return;
    button.onclick = () => {
      const same = root.wvSort && root.wvSort.key === th.dataset.key;
      root.wvSort = { key: th.dataset.key, dir: same ? -root.wvSort.dir : 1 };
      apply();
    };
  });
  apply();
}
"""

TABLE_CSS = r"""
:host { display: block; }
.wv-root { font-size: 1rem; }
.wv-scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.875rem;
  font-variant-numeric: tabular-nums; }
th, td { padding: 0.4rem 0.6rem; text-align: right; white-space: nowrap;
  border-bottom: 1px solid rgba(128, 128, 128, 0.2); }
thead th { font-weight: 600; white-space: normal; vertical-align: bottom;
  background: var(--st-secondary-background-color, #f0f2f6); }
thead th:first-child, tbody th { text-align: left; }
thead button { all: unset; cursor: pointer; }
thead button::after { content: "\00a0↕"; opacity: 0.35; }
thead th[aria-sort="ascending"] button::after { content: "\00a0▲"; opacity: 0.8; }
thead th[aria-sort="descending"] button::after { content: "\00a0▼"; opacity: 0.8; }
thead button:focus-visible, .wv-go:focus-visible {
  outline: 2px solid var(--st-primary-color, #ff4b4b); outline-offset: 2px; }
tbody tr[data-select] { cursor: pointer; }
tbody tr:hover { background: rgba(128, 128, 128, 0.1); }
tbody th { font-weight: 400; }
.wv-go { all: unset; cursor: pointer; color: var(--st-primary-color, #ff4b4b); }
tbody tr:hover .wv-go { text-decoration: underline; }
.wv-lag { background: #fde2e1; color: #a61b1b; font-weight: 600; }
"""

_component = st.components.v2.component("warmvisits.markup", js=JS, css=TABLE_CSS + svgchart.CSS)


def show(html: str, *, key: str, on_select: Callable[[str], None] | None = None) -> None:
    """Put ``html`` (trusted markup, built and escaped on the server) into the page. With
    ``on_select``, a click on an element with ``data-select`` calls ``on_select(value)`` before
    the next run, the way a widget's callback does."""

    def picked() -> None:
        state = st.session_state.get(key)
        value = state.get("select") if hasattr(state, "get") else None
        if value and on_select is not None:
            on_select(str(value))

    if on_select is None:
        _component(key=key, data={"html": html})
    else:
        _component(key=key, data={"html": html}, on_select_change=picked)
