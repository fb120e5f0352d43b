"""Charts drawn on the server as accessible SVG, by pygal: score distributions, item analysis
(facility against discrimination, choice counts), list summaries. Every chart comes with the
table of its data, shown beside it.

The SVG is served inline and must live under the page's Content Security Policy (no inline
script, no inline style): pygal's script (and its link to a script on the internet) is left
out (`js=[]`) and its script element removed, the `<style>` pygal writes into each chart is
taken out and served once by the app as a stylesheet (`/charts.css`, `stylesheet()`), its
selectors rewritten from the chart's random id to the class every pygal chart has, and the
tooltip (which needs the script and an inline style) is not drawn. Each SVG is `role="img"`
named by its `<title>` and described by its `<desc>`; labels are drawn in Sarabun.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from itertools import count

import pygal
from markupsafe import Markup
from pygal.style import Style

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

FONT = "Sarabun, 'Noto Sans Thai', Tahoma, sans-serif"
# Dark enough on white for text and marks (WCAG contrast 4.5:1 and more), told apart by more
# than hue; the same green as the site.
STYLE = Style(
    font_family=FONT,
    label_font_family=FONT,
    major_label_font_family=FONT,
    value_font_family=FONT,
    title_font_family=FONT,
    legend_font_family=FONT,
    tooltip_font_family=FONT,
    title_font_size=18,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    value_font_size=13,
    background="transparent",
    plot_background="transparent",
    foreground="#1b1b1b",
    foreground_strong="#1b1b1b",
    foreground_subtle="#5a5a5a",
    colors=("#0b6b3a", "#8a4b08", "#1f4e8c", "#7a1f5c", "#4d4d4d"),
    opacity="0.9",
    opacity_hover="0.9",
    transition="none",
)
_ids = count(1)


@dataclass
class Chart:
    """An SVG ready to put in a page, and the table of the same data."""

    title: str
    desc: str
    svg: Markup
    columns: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)


def _config(**kw) -> dict:
    base = dict(
        js=[],
        style=STYLE,
        disable_xml_declaration=True,
        explicit_size=False,
        show_legend=False,
        tooltip_border_radius=0,
        print_values=False,
        truncate_label=-1,
        truncate_legend=-1,
        margin=12,
        no_data_text="–",
        width=720,
        height=400,
    )
    base.update(kw)
    return base


def _clean(svg_text: str, title: str, desc: str) -> Markup:
    """The SVG as the page may show it: no script, no inline style, no tooltip; a title and a
    description that name it (role=img)."""
    root = ET.fromstring(svg_text)
    for parent in list(root.iter()):
        for child in list(parent):
            tag = child.tag.rsplit("}", 1)[-1]
            classes = (child.get("class") or "").split()
            if tag in ("script", "style") or "tooltip" in classes or (parent is root and tag == "title"):
                parent.remove(child)
    for el in root.iter():
        el.attrib.pop("style", None)
    n = next(_ids)
    title_id, desc_id = f"chart-{n}-title", f"chart-{n}-desc"
    title_el = ET.Element(f"{{{SVG_NS}}}title", {"id": title_id})
    title_el.text = title
    desc_el = ET.Element(f"{{{SVG_NS}}}desc", {"id": desc_id})
    desc_el.text = desc
    root.insert(0, desc_el)
    root.insert(0, title_el)
    root.set("id", f"chart-{n}")
    root.set("role", "img")
    root.set("aria-labelledby", f"{title_id} {desc_id}")
    root.set("focusable", "false")
    return Markup(ET.tostring(root, encoding="unicode"))


@cache
def stylesheet() -> str:
    """The CSS of every chart (pygal's, for the style above), served as /charts.css."""
    chart = pygal.Bar(**_config())
    chart.add("", [1])
    text = chart.render(is_unicode=True)
    root = ET.fromstring(text)
    css = "".join(el.text or "" for el in root.iter(f"{{{SVG_NS}}}style"))
    chart_id = root.get("id")
    return re.sub(re.escape(f"#{chart_id}"), "svg.pygal-chart", css)


def _count_labels(counts) -> dict:
    """Whole numbers on a count axis (pygal would draw 0.2, 0.4, ... for small counts)."""
    top = max(counts, default=0)
    if top <= 10:
        return {"y_labels": list(range(0, max(top, 1) + 1))}
    return {}


def _number(value) -> float:
    return float(value) if isinstance(value, Decimal) else value


# ---- the kinds of chart ----------------------------------------------------------------------


def histogram(
    values: Sequence,
    maximum,
    *,
    title: str,
    desc: str,
    x_title: str,
    y_title: str,
    bins: int = 10,
    pass_mark=None,
    bar_label: str = "",
) -> Chart:
    """How many values fall in each of `bins` equal ranges from 0 to `maximum` (the last range
    includes the maximum)."""
    top = float(maximum) if maximum else 1.0
    width = top / bins
    counts = [0] * bins
    for v in values:
        i = min(bins - 1, max(0, int(float(v) // width))) if width else 0
        counts[i] += 1
    labels = [f"{i * width:g}–{(i + 1) * width:g}" for i in range(bins)]
    chart = pygal.Bar(
        **_config(x_title=x_title, y_title=y_title, title=title, x_label_rotation=0, **_count_labels(counts))
    )
    chart.x_labels = labels
    chart.add(bar_label or y_title, counts)
    rows = [[label, c] for label, c in zip(labels, counts)]
    return Chart(title, desc, _clean(chart.render(is_unicode=True), title, desc), [x_title, y_title], rows)


def bars(
    labels: Sequence[str], counts: Sequence[int], *, title: str, desc: str, x_title: str, y_title: str
) -> Chart:
    chart = pygal.Bar(
        **_config(x_title=x_title, y_title=y_title, title=title, print_values=True, **_count_labels(counts))
    )
    chart.x_labels = list(labels)
    chart.add(y_title, [int(c) for c in counts])
    rows = [[label, int(c)] for label, c in zip(labels, counts)]
    return Chart(title, desc, _clean(chart.render(is_unicode=True), title, desc), [x_title, y_title], rows)


def scatter(
    points: Sequence[tuple[str, float, float]],
    *,
    title: str,
    desc: str,
    x_title: str,
    y_title: str,
    x_range: tuple[float, float] = (0.0, 1.0),
    y_range: tuple[float, float] = (-1.0, 1.0),
    series: Sequence[tuple[str, Sequence[tuple[str, float, float]]]] | None = None,
) -> Chart:
    """Labelled points (label, x, y); `series` splits them into named groups (a legend shows)."""
    groups = list(series) if series is not None else [(y_title, points)]
    chart = pygal.XY(
        **_config(
            stroke=False,
            x_title=x_title,
            y_title=y_title,
            title=title,
            range=y_range,
            xrange=x_range,
            show_legend=series is not None,
            legend_at_bottom=True,
            dots_size=4,
        )
    )
    for name, pts in groups:
        chart.add(name, [{"value": (_number(x), _number(y)), "label": label} for label, x, y in pts])
    rows = [[label, f"{x:.2f}", f"{y:.2f}"] for label, x, y in points]
    return Chart(
        title, desc, _clean(chart.render(is_unicode=True), title, desc), ["", x_title, y_title], rows
    )
