"""Trend charts drawn on the server as inline SVG (pure functions; no Streamlit import).

The overview's trend charts used to be Plotly figures. Plotly's front-end code is a 4.7 MB
chunk that the browser loads and evaluates before it paints the rest of the page, which made
the overview's headline metrics appear seconds later than on a trivial page (bench/pages.py).
These charts are plain markup (SVG and a little HTML, styled by ``CSS``) that ui/markup.py puts
into the page as it is: no chart library, no script of their own.

A chart is a ``<figure>``: a caption, the SVG (grid lines with value labels, quarter labels on
two lines — the year only where it changes —, one line or one group of bars per series), an
HTML overlay with one column per category that shows, on hover, a tooltip with the
category's full label and every series' value, and a legend. The SVG scales with the width of
its column (``viewBox``); the overlay is laid out in percentages of the same box, so it stays
aligned. Every text is escaped here; callers pass plain text.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# colour-blind-safe qualitative colours (Okabe–Ito), in the order series are given
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")

WIDTH = 560
HEIGHT = 260
LEFT = 48  # room for the value labels
RIGHT = 12
TOP = 12
BOTTOM = 40  # two lines of category labels

CSS = """
.wv-chart{margin:0 0 .5rem 0}
.wv-chart figcaption{font-weight:600;font-size:.95rem;margin:0 0 .25rem 0}
.wv-chart .wv-plot{position:relative;width:100%}
.wv-chart svg{display:block;width:100%;height:auto;overflow:visible}
.wv-chart svg text{font-size:12px;fill:currentColor}
.wv-chart .wv-axis text{opacity:.7}
.wv-chart .wv-grid line{stroke:currentColor;stroke-opacity:.15}
.wv-chart .wv-col{position:absolute;top:0;cursor:default}
.wv-chart .wv-col:hover{background:rgba(128,128,128,.12)}
.wv-chart .wv-tip{display:none;position:absolute;top:4%;left:100%;z-index:5;
 min-width:11rem;padding:.4rem .6rem;border-radius:.4rem;font-size:.8rem;line-height:1.45;
 white-space:nowrap;pointer-events:none;color:#262730;background:#fff;
 border:1px solid rgba(49,51,63,.2);box-shadow:0 2px 8px rgba(0,0,0,.15)}
.wv-chart .wv-col.wv-right .wv-tip{left:auto;right:100%}
.wv-chart .wv-col:hover .wv-tip{display:block}
.wv-chart .wv-tip b{display:block;margin-bottom:.15rem}
.wv-chart .wv-tip i,.wv-chart .wv-legend i{display:inline-block;width:.7rem;height:.7rem;
 border-radius:.15rem;margin-right:.35rem;vertical-align:-.05rem}
.wv-chart .wv-tip span{float:right;margin-left:1rem;font-variant-numeric:tabular-nums}
.wv-chart .wv-legend{display:flex;flex-wrap:wrap;gap:.2rem 1rem;margin:.3rem 0 0 0;
 padding:0;list-style:none;font-size:.85rem}
""".strip()


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    color: str = ""


@dataclass(frozen=True)
class Category:
    """One position on the x axis: ``label`` in full (tooltips), ``axis`` as two short lines;
    the second line is drawn only where it differs from the previous category's."""

    label: str
    axis: tuple[str, str]


def esc(text: object) -> str:
    """Text for an element's content or a quoted attribute value."""
    return html.escape("" if text is None else str(text), quote=True)


def _num(x: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros, never "-0"."""
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _present(v: float | None) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) covering ``lo``–``hi``
    with about ``count`` ticks; the first tick <= lo and the last >= hi."""
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw - 1e-12)
    start = math.floor(lo / step + 1e-9) * step
    stop = math.ceil(hi / step - 1e-9) * step
    n = int(round((stop - start) / step))
    return [round(start + i * step, 12) + 0.0 for i in range(n + 1)]


@dataclass(frozen=True)
class Frame:
    """Where things go: the plot area inside the view box and the value axis' domain."""

    n: int  # categories
    lo: float
    hi: float
    width: float = WIDTH
    height: float = HEIGHT

    @property
    def band(self) -> float:
        return (self.width - LEFT - RIGHT) / max(self.n, 1)

    def x(self, i: int) -> float:
        """The centre of category ``i``."""
        return LEFT + (i + 0.5) * self.band

    def y(self, v: float) -> float:
        plot = self.height - TOP - BOTTOM
        return TOP + plot * (1 - (v - self.lo) / (self.hi - self.lo))


def _domain(series: Sequence[Series], from_zero: bool) -> list[float]:
    values = [float(v) for s in series for v in s.values if _present(v)]  # type: ignore[arg-type]
    if not values:
        return [0.0, 1.0]
    lo, hi = min(values), max(values)
    if from_zero:
        lo = min(lo, 0.0)
        hi = max(hi, 0.0)
        if hi == lo:
            hi = 1.0
    return nice_ticks(lo, hi)


def _axes(
    frame: Frame,
    ticks: Sequence[float],
    tick_fmt: Callable[[float], str],
    categories: Sequence[Category],
) -> list[str]:
    out = ['<g class="wv-grid">']
    for v in ticks:
        y = _num(frame.y(v))
        out.append(f'<line x1="{LEFT}" x2="{_num(frame.width - RIGHT)}" y1="{y}" y2="{y}"/>')
    out.append('</g><g class="wv-axis">')
    for v in ticks:
        y = _num(frame.y(v) + 4)
        out.append(f'<text x="{LEFT - 6}" y="{y}" text-anchor="end">{esc(tick_fmt(v))}</text>')
    base = frame.height - BOTTOM
    previous = None
    for i, c in enumerate(categories):
        x = _num(frame.x(i))
        out.append(
            f'<text x="{x}" y="{_num(base + 16)}" text-anchor="middle">{esc(c.axis[0])}</text>'
        )
        if c.axis[1] != previous:
            out.append(
                f'<text x="{x}" y="{_num(base + 32)}" text-anchor="middle">{esc(c.axis[1])}</text>'
            )
        previous = c.axis[1]
    out.append("</g>")
    return out


def _overlay(
    frame: Frame,
    categories: Sequence[Category],
    series: Sequence[Series],
    value_fmt: Callable[[float | None], str],
) -> list[str]:
    """One hover column per category, laid out in percent of the view box."""
    out = []
    top = 100 * TOP / frame.height
    height = 100 * (frame.height - TOP - BOTTOM) / frame.height
    width = 100 * frame.band / frame.width
    for i, c in enumerate(categories):
        left = 100 * (LEFT + i * frame.band) / frame.width
        side = " wv-right" if i >= frame.n / 2 else ""
        rows = "".join(
            f'<div><i style="background:{s.color}"></i>{esc(s.name)}'
            f"<span>{esc(value_fmt(_value(s, i)))}</span></div>"
            for s in series
        )
        out.append(
            f'<div class="wv-col{side}" data-category="{esc(c.label)}" '
            f'style="left:{_num(left)}%;width:{_num(width)}%;top:{_num(top)}%;height:{_num(height)}%">'
            f'<div class="wv-tip" role="tooltip"><b>{esc(c.label)}</b>{rows}</div></div>'
        )
    return out


def _value(s: Series, i: int) -> float | None:
    v = s.values[i] if i < len(s.values) else None
    return float(v) if _present(v) else None  # type: ignore[arg-type]


def _figure(
    title: str,
    frame: Frame,
    body: list[str],
    overlay: list[str],
    series: Sequence[Series],
    kind: str,
) -> str:
    legend = "".join(f'<li><i style="background:{s.color}"></i>{esc(s.name)}</li>' for s in series)
    return (
        f'<figure class="wv-chart" data-kind="{kind}">'
        f"<figcaption>{esc(title)}</figcaption>"
        '<div class="wv-plot">'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(frame.width)} {_num(frame.height)}" '
        f'role="img" aria-label="{esc(title)}"><title>{esc(title)}</title>'
        + "".join(body)
        + "</svg>"
        + "".join(overlay)
        + f'</div><ul class="wv-legend">{legend}</ul></figure>'
    )


def _coloured(series: Sequence[Series]) -> list[Series]:
    return [
        s if s.color else Series(s.name, s.values, PALETTE[i % len(PALETTE)])
        for i, s in enumerate(series)
    ]


def line_chart(
    title: str,
    categories: Sequence[Category],
    series: Sequence[Series],
    value_fmt: Callable[[float | None], str],
    tick_fmt: Callable[[float], str],
    from_zero: bool = False,
) -> str:
    """Lines with a dot per value; a missing value breaks its line."""
    series = _coloured(series)
    ticks = _domain(series, from_zero)
    frame = Frame(len(categories), ticks[0], ticks[-1])
    body = _axes(frame, ticks, tick_fmt, categories)
    for s in series:
        segments: list[list[str]] = [[]]
        dots = []
        for i in range(len(categories)):
            v = _value(s, i)
            if v is None:
                segments.append([])
                continue
            x, y = _num(frame.x(i)), _num(frame.y(v))
            segments[-1].append(f"{x},{y}")
            dots.append(f'<circle cx="{x}" cy="{y}" r="3.5"/>')
        path = " ".join("M" + " L".join(seg) for seg in segments if seg)
        body.append(
            f'<g class="wv-series" data-series="{esc(s.name)}" fill="{s.color}" stroke="{s.color}">'
            + (f'<path d="{path}" fill="none" stroke-width="2.2"/>' if path else "")
            + "".join(dots)
            + "</g>"
        )
    overlay = _overlay(frame, categories, series, value_fmt)
    return _figure(title, frame, body, overlay, series, "line")


def bar_chart(
    title: str,
    categories: Sequence[Category],
    series: Sequence[Series],
    value_fmt: Callable[[float | None], str],
    tick_fmt: Callable[[float], str],
) -> str:
    """Grouped bars from zero, one bar per series in each category; a missing value, none."""
    series = _coloured(series)
    ticks = _domain(series, from_zero=True)
    frame = Frame(len(categories), ticks[0], ticks[-1])
    body = _axes(frame, ticks, tick_fmt, categories)
    group = frame.band * 0.76
    bar = group / max(len(series), 1)
    zero = frame.y(0.0)
    for k, s in enumerate(series):
        rects = []
        for i in range(len(categories)):
            v = _value(s, i)
            if v is None:
                continue
            x = frame.x(i) - group / 2 + k * bar
            top, bottom = sorted((frame.y(v), zero))
            rects.append(
                f'<rect x="{_num(x + 0.5)}" y="{_num(top)}" width="{_num(bar - 1)}" '
                f'height="{_num(bottom - top)}"/>'
            )
        body.append(
            f'<g class="wv-series" data-series="{esc(s.name)}" fill="{s.color}">'
            + "".join(rects)
            + "</g>"
        )
    overlay = _overlay(frame, categories, series, value_fmt)
    return _figure(title, frame, body, overlay, series, "bar")
