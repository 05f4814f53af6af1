"""The overview's server-drawn trend charts (ui/svgchart.py): round axis ticks, where points and
bars land, gaps for missing values, year labels only where the year changes, hover tooltips with
every series' value, and escaping of every text. The markup is parsed as XML, so a test also
fails when the chart is not well-formed."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest

from ui import svgchart
from ui.svgchart import BOTTOM, HEIGHT, LEFT, RIGHT, TOP, WIDTH, Category, Series

SVG = "{http://www.w3.org/2000/svg}"
CATS = [
    Category("2023年第1季度", ("1季度", "2023年")),
    Category("2023年第2季度", ("2季度", "2023年")),
    Category("2023年第3季度", ("3季度", "2023年")),
    Category("2024年第1季度", ("1季度", "2024年")),
]
BAND = (WIDTH - LEFT - RIGHT) / len(CATS)
PLOT = HEIGHT - TOP - BOTTOM


def pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def num(v: float | None) -> str:
    return "—" if v is None else f"{v:,.0f}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def svg_of(fig: ET.Element) -> ET.Element:
    svg = fig.find(f".//{SVG}svg")
    assert svg is not None
    return svg


def series_group(fig: ET.Element, name: str) -> ET.Element:
    groups = [g for g in svg_of(fig).iter(f"{SVG}g") if g.get("data-series") == name]
    assert len(groups) == 1, name
    return groups[0]


def gridlines(fig: ET.Element) -> dict[str, float]:
    """Value label -> y of its grid line."""
    svg = svg_of(fig)
    grid = next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "wv-grid")
    axis = next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "wv-axis")
    ys = [float(line.get("y1", "nan")) for line in grid]
    labels = [t.text or "" for t in axis if t.get("text-anchor") == "end"]
    assert len(labels) == len(ys)
    return dict(zip(labels, ys, strict=True))


# ------------------------------------------------------------------------------ ticks


@pytest.mark.parametrize(
    ("lo", "hi"),
    [(0.68, 0.994), (0.0, 905.0), (787.0, 905.0), (0.9938, 0.9943), (3.0, 3.0), (-5.0, 12.0)],
)
def test_nice_ticks_cover_the_range_in_round_equal_steps(lo: float, hi: float) -> None:
    ticks = svgchart.nice_ticks(lo, hi)
    assert ticks[0] <= lo and ticks[-1] >= hi
    assert 3 <= len(ticks) <= 8
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1
    step = steps.pop()
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 6) in (1, 2, 2.5, 5)


def test_nice_ticks_examples() -> None:
    assert svgchart.nice_ticks(0.68, 0.994) == [0.6, 0.7, 0.8, 0.9, 1.0]
    assert svgchart.nice_ticks(0, 905) == [0, 250, 500, 750, 1000]


# ------------------------------------------------------------------------------ lines


def test_points_sit_at_their_category_and_value() -> None:
    values = [0.7, 0.9, 0.8, 1.0]
    fig = parse(svgchart.line_chart("率", CATS, [Series("办结率", values)], pct, pct))
    lines = gridlines(fig)
    top, bottom = min(lines.values()), max(lines.values())
    assert top == pytest.approx(TOP) and bottom == pytest.approx(TOP + PLOT)
    # the domain is the round ticks around the data: 70% on the lowest line, 100% on the top one
    assert lines["70.0%"] == pytest.approx(bottom) and lines["100.0%"] == pytest.approx(top)
    circles = list(series_group(fig, "办结率").iter(f"{SVG}circle"))
    assert len(circles) == 4
    for i, (c, v) in enumerate(zip(circles, values, strict=True)):
        assert float(c.get("cx", "nan")) == pytest.approx(LEFT + (i + 0.5) * BAND, abs=0.01)
        expected_y = bottom - (v - 0.7) / 0.3 * (bottom - top)
        assert float(c.get("cy", "nan")) == pytest.approx(expected_y, abs=0.01)
    # the line goes through the points, in order
    path = series_group(fig, "办结率").find(f"{SVG}path")
    assert path is not None
    xy = [tuple(map(float, p.split(","))) for p in re.findall(r"[\d.]+,[\d.]+", path.get("d", ""))]
    assert xy == [pytest.approx((float(c.get("cx", "")), float(c.get("cy", "")))) for c in circles]


def test_a_missing_value_breaks_the_line_and_has_no_point() -> None:
    fig = parse(
        svgchart.line_chart("率", CATS, [Series("满意度", [0.9, None, 0.95, 0.97])], pct, pct)
    )
    group = series_group(fig, "满意度")
    assert len(list(group.iter(f"{SVG}circle"))) == 3
    path = group.find(f"{SVG}path")
    assert path is not None
    d = path.get("d", "")
    assert d.count("M") == 2  # two segments: [Q1] and [Q3, Q4]
    assert len(re.findall(r"[\d.]+,[\d.]+", d)) == 3


def test_all_values_missing_draws_no_line() -> None:
    fig = parse(svgchart.line_chart("率", CATS, [Series("空", [None] * 4)], pct, pct))
    group = series_group(fig, "空")
    assert group.find(f"{SVG}path") is None and not list(group.iter(f"{SVG}circle"))


def test_year_is_labelled_only_where_it_changes() -> None:
    fig = parse(svgchart.line_chart("率", CATS, [Series("a", [1, 2, 3, 4])], num, num))
    axis = next(g for g in svg_of(fig).iter(f"{SVG}g") if g.get("class") == "wv-axis")
    below = [t.text for t in axis if t.get("text-anchor") == "middle"]
    assert below == ["1季度", "2023年", "2季度", "3季度", "1季度", "2024年"]


def test_each_category_has_a_hover_tooltip_with_every_series_value() -> None:
    series = [Series("覆盖率", [0.99, 0.98, None, 0.97]), Series("办结率", [0.8, 0.85, 0.9, 0.7])]
    fig = parse(svgchart.line_chart("率", CATS, series, pct, pct))
    cols = [d for d in fig.iter("div") if "wv-col" in (d.get("class") or "")]
    assert [c.get("data-category") for c in cols] == [c.label for c in CATS]
    texts = []
    for col in cols:
        tip = next(d for d in col.iter("div") if d.get("class") == "wv-tip")
        texts.append(["".join(row.itertext()) for row in tip.findall("div")])
        assert (tip.find("b").text or "") == col.get("data-category")  # type: ignore[union-attr]
    assert texts[0] == ["覆盖率99.0%", "办结率80.0%"]
    assert texts[2] == ["覆盖率—", "办结率90.0%"]
    # the columns tile the plot area: each one band wide, side by side
    lefts = [float(re.search(r"left:([\d.]+)%", c.get("style", "")).group(1)) for c in cols]  # type: ignore[union-attr]
    assert lefts[0] == pytest.approx(100 * LEFT / WIDTH, abs=0.01)
    assert all(
        b - a == pytest.approx(100 * BAND / WIDTH, abs=0.02)
        for a, b in zip(lefts, lefts[1:], strict=False)
    )
    # tooltips of the right half open to the left, so they stay inside the chart
    assert ["wv-right" in (c.get("class") or "") for c in cols] == [False, False, True, True]


def test_colours_come_from_the_palette_and_the_legend_names_every_series() -> None:
    series = [
        Series("甲", [1, 2, 3, 4]),
        Series("乙", [2, 3, 4, 5]),
        Series("丙", [1, 1, 1, 1], "#123456"),
    ]
    fig = parse(svgchart.line_chart("数", CATS, series, num, num))
    assert series_group(fig, "甲").get("stroke") == svgchart.PALETTE[0]
    assert series_group(fig, "乙").get("stroke") == svgchart.PALETTE[1]
    assert series_group(fig, "丙").get("stroke") == "#123456"
    legend = next(u for u in fig.iter("ul") if u.get("class") == "wv-legend")
    assert ["".join(li.itertext()) for li in legend] == ["甲", "乙", "丙"]


# ------------------------------------------------------------------------------ bars


def test_bars_start_at_zero_and_are_as_tall_as_their_value() -> None:
    series = [Series("受理", [400, 500, None, 250]), Series("办结", [300, 450, 100, 200])]
    fig = parse(svgchart.bar_chart("数", CATS, series, num, num))
    lines = gridlines(fig)
    # round ticks 0, 200, …, 600: zero on the bottom line, the top tick on the top line
    assert list(lines) == ["0", "200", "400", "600"]
    assert lines["0"] == pytest.approx(TOP + PLOT) and lines["600"] == pytest.approx(TOP)
    unit = PLOT / 600
    received = list(series_group(fig, "受理").iter(f"{SVG}rect"))
    resolved = list(series_group(fig, "办结").iter(f"{SVG}rect"))
    assert len(received) == 3 and len(resolved) == 4  # no bar for the missing value
    for rect, v in zip(received, [400, 500, 250], strict=True):
        y, h = float(rect.get("y", "nan")), float(rect.get("height", "nan"))
        assert y + h == pytest.approx(TOP + PLOT, abs=0.01)
        assert h == pytest.approx(v * unit, abs=0.01)
    # in each category the series' bars stand side by side, inside the category's band
    for i in range(len(CATS)):
        band_left, band_right = LEFT + i * BAND, LEFT + (i + 1) * BAND
        a = resolved[i]
        x = float(a.get("x", "nan"))
        assert band_left < x and x + float(a.get("width", "nan")) < band_right
    assert float(received[0].get("x", "")) < float(resolved[0].get("x", ""))


# ------------------------------------------------------------------------------ escaping


def test_every_text_is_escaped() -> None:
    evil = '<script>alert("x")</script> & 它\'s'
    cats = [Category(evil, (evil, evil))]
    markup = svgchart.bar_chart(evil, cats, [Series(evil, [1.0])], lambda v: evil, lambda v: evil)
    assert "<script>" not in markup
    fig = parse(markup)  # well-formed: nothing was injected
    assert not list(fig.iter("script")) and not list(fig.iter(f"{SVG}script"))
    caption = fig.find("figcaption")
    assert caption is not None and caption.text == evil
    texts = [t.text for t in svg_of(fig).iter(f"{SVG}text")]
    assert texts and all(t == evil for t in texts)
    col = next(d for d in fig.iter("div") if "wv-col" in (d.get("class") or ""))
    assert col.get("data-category") == evil
    assert svg_of(fig).get("aria-label") == evil
    assert series_group(fig, evil) is not None
