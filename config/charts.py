"""Charts drawn by matplotlib as SVG that a page shows inline and WeasyPrint puts in a PDF.

Pages enforce a Content-Security-Policy without 'unsafe-inline' styles, and matplotlib's SVG
carries a <style> element and style="…" attributes the browser would refuse inline. So every
chart is rewritten to presentation attributes (fill="…", stroke="…"), with no <style>, script,
metadata or external reference, and its ids prefixed so two charts on one page never share one.
Output is deterministic (fixed hash salt, no date) so the same data gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from matplotlib import colormaps
from matplotlib.artist import Artist
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.cm import ScalarMappable
from matplotlib.collections import PolyCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.text import Text

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

# Red (far from interoperable) through yellow to blue-green (there): readable by people with
# red-green colour blindness, unlike a red-to-green scale.
SCORE_COLOURS = "RdYlBu"
NOT_ASSESSED_FILL = "#e5e5e5"
NOT_ASSESSED_LABEL = "n/a"
INK = "#1f2328"

_RC: dict[Any, Any] = {
    "svg.hashsalt": "accord",
    # Text kept as <text> in DejaVu Sans (installed with WeasyPrint; browsers without it
    # fall back to their sans-serif): glyph outlines made a 50-partner heat map over
    # 500 KiB, and a page or PDF carrying it slow.
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.edgecolor": "#8c959f",
    "text.color": INK,
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
}
_LINK_ATTRS = {"href", f"{{{XLINK_NS}}}href"}
_PASS_THROUGH = "cell-numbers"
_URL_REF = re.compile(r"url\(#([^)]+)\)")


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=72, layout="constrained")


def _render(figure: Figure) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context(_RC):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return csp_safe_svg(buffer.getvalue())


def _declarations(style: str) -> dict[str, str]:
    pairs = (part.split(":", 1) for part in style.split(";") if ":" in part)
    return {name.strip(): value.strip() for name, value in pairs if name.strip()}


def csp_safe_svg(svg: str) -> str:
    """The SVG with its styles as presentation attributes, nothing executable or external,
    and ids unique to this chart; ready to sit inline in a page or go into a PDF."""
    svg = re.sub(r"^.*?(?=<svg\b)", "", svg, count=1, flags=re.DOTALL)
    # Our own drawing, from matplotlib (never a user's file): the standard parser is enough.
    root = ET.fromstring(svg)
    inherited: dict[str, str] = {}
    for parent in list(root.iter()):
        for child in list(parent):
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "style":
                # matplotlib's one rule, "*{stroke-linejoin: round; stroke-linecap: butt}",
                # holds for the whole drawing: the root's attributes carry it down.
                for rule in re.findall(r"\{([^}]*)\}", child.text or ""):
                    inherited.update(_declarations(rule))
                parent.remove(child)
            elif tag in {"script", "metadata", "foreignObject", "image"}:
                parent.remove(child)
    for name, value in inherited.items():
        root.set(name, value)
    digest = hashlib.sha256(svg.encode()).hexdigest()[:8]
    prefix = f"c{digest}-"
    for element in root.iter():
        _to_attributes(element)
        _prefix_ids(element, prefix)
    for attribute in ("width", "height"):
        # Sized by its viewBox: it fills the space the page or the PDF gives it.
        root.attrib.pop(attribute, None)
    root.set("preserveAspectRatio", "xMinYMin meet")
    # Registered again on every chart: WeasyPrint re-registers the empty prefix when it is
    # imported, which would turn every tag into "ns0:svg" (a tag no browser draws inline) for
    # the rest of the process. (ET's default_namespace option refuses unqualified attributes.)
    ET.register_namespace("", SVG_NS)
    return ET.tostring(root, encoding="unicode")


def _to_attributes(element: ET.Element) -> None:
    style = element.attrib.pop("style", None)
    if style:
        for name, value in _declarations(style).items():
            element.attrib.setdefault(name, value)
    # No event handlers, and a cell's link opens in the same tab like every link in Accord.
    for name in [n for n in element.attrib if n.startswith("on") or n == "target"]:
        del element.attrib[name]


def _prefix_ids(element: ET.Element, prefix: str) -> None:
    if element.attrib.get("id", "").startswith(_PASS_THROUGH):
        element.set("pointer-events", "none")
    if "id" in element.attrib:
        element.set("id", prefix + element.attrib["id"])
    for name, value in list(element.attrib.items()):
        if name in _LINK_ATTRS:
            if value.startswith("#"):
                element.set(name, "#" + prefix + value[1:])
            elif not _is_page_link(value):
                del element.attrib[name]
        elif "url(#" in value:
            element.set(name, _URL_REF.sub(lambda m: f"url(#{prefix}{m.group(1)})", value))


def _is_page_link(value: str) -> bool:
    """A link to a page of Accord itself (a path), never another site or a script."""
    return value.startswith("/") and not value.startswith("//")


def _text_colour(rgba: Sequence[float]) -> str:
    red, green, blue = rgba[:3]
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return INK if luminance > 0.5 else "#ffffff"


def heat_map_svg(
    *,
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    links: Sequence[Sequence[str | None]] | None = None,
    title: str = "",
) -> str:
    """Partner × area scores (0–100) as coloured cells with the value printed in each; None is
    "not assessed", grey and hatched. A cell with a link (a path in Accord) opens it."""
    if len(values) != len(rows) or any(len(line) != len(columns) for line in values):
        raise ValueError("values must have one line per row and one value per column")
    if links is not None and (
        len(links) != len(rows) or any(len(line) != len(columns) for line in links)
    ):
        raise ValueError("links must have the shape of values")
    label_width = max([len(r) for r in rows] + [8]) * 0.075
    width = min(16.0, 1.8 + label_width + 0.85 * max(len(columns), 1))
    height = 1.4 + 0.3 * max(len(rows), 1) + max([len(c) for c in columns] + [4]) * 0.05
    with matplotlib.rc_context(_RC):
        figure = _figure(width, height)
        axes = figure.add_subplot()
        _grid(axes, rows=rows, columns=columns)
        _heat_map_legend(figure, axes)
        if title:
            axes.set_title(title, loc="left", fontsize=11, fontweight="bold")
        _lay_out(figure)
        _draw_cells(axes, values=values, links=links)
    return _render(figure)


def _lay_out(figure: Figure) -> None:
    """Place the axes, labels and legend once, then keep them there: saving a figure with a
    layout engine draws every artist twice (a layout pass, then the drawing), and the cells
    and their numbers, added after this, play no part in the layout."""
    FigureCanvasSVG(figure)  # measured as the SVG will draw them
    figure.draw_without_rendering()
    figure.set_layout_engine(None)


def _grid(axes: Any, *, rows: Sequence[str], columns: Sequence[str]) -> None:
    axes.set_xlim(0, max(len(columns), 1))
    axes.set_ylim(max(len(rows), 1), 0)
    axes.set_xticks([x + 0.5 for x in range(len(columns))], list(columns))
    axes.set_yticks([y + 0.5 for y in range(len(rows))], list(rows))
    axes.xaxis.tick_top()
    axes.tick_params(axis="x", labelrotation=30, length=0)
    axes.tick_params(axis="y", length=0)
    for label in axes.get_xticklabels():
        label.set_horizontalalignment("left")
    for side in axes.spines.values():
        side.set_visible(False)


def _draw_cells(
    axes: Any,
    *,
    values: Sequence[Sequence[float | None]],
    links: Sequence[Sequence[str | None]] | None,
) -> None:
    """The cells as two collections (scored, not assessed) coloured in one call, and their
    numbers as one artist: an artist and a colour lookup per cell were most of a large heat
    map's drawing time."""
    cells = [(x, y, value) for y, line in enumerate(values) for x, value in enumerate(line)]
    missing = [value is None or math.isnan(value) for _, _, value in cells]
    scores = [
        0.0 if gap else float(value or 0.0)
        for (_, _, value), gap in zip(cells, missing, strict=True)
    ]
    colours = np.asarray(colormaps[SCORE_COLOURS](Normalize(0, 100)(scores)))
    for kind in (False, True):
        chosen = [n for n, gap in enumerate(missing) if gap is kind]
        if chosen:
            axes.add_collection(
                PolyCollection(
                    [_square(cells[n][0], cells[n][1]) for n in chosen],
                    facecolors=NOT_ASSESSED_FILL if kind else colours[chosen],
                    edgecolors="#ffffff",
                    linewidths=1,
                    joinstyle="miter",
                    hatch="///" if kind else None,
                    urls=[
                        (links[cells[n][1]][cells[n][0]] or None) if links else None for n in chosen
                    ],
                ),
                autolim=False,
            )
    numbers = [
        (
            x + 0.5,
            y + 0.5,
            NOT_ASSESSED_LABEL if gap else f"{value:.0f}",
            "#57606a" if gap else _text_colour(rgba),
        )
        for (x, y, value), gap, rgba in zip(cells, missing, colours, strict=True)
    ]
    axes.add_artist(_CellNumbers(numbers, figure=axes.get_figure(), transform=axes.transData))


class _CellNumbers(Artist):
    """The number printed in each cell, as text a Text artist lays out once per distinct
    number and the renderer draws at each cell: a Text artist per cell, laid out again for
    each, was a third of a large heat map's drawing time. They sit in one group that clicks
    go through to the cells' links, so a cell is one link."""

    def __init__(
        self, numbers: list[tuple[float, float, str, str]], *, figure: Any, transform: Any
    ) -> None:
        super().__init__()
        self.numbers = numbers
        self.label = Text(ha="center", va="center", fontsize=8, transform=transform)
        self.label.set_figure(figure)
        self.set_gid(_PASS_THROUGH)
        self.set_in_layout(False)
        self.set_zorder(self.label.get_zorder())

    def draw(self, renderer: Any) -> None:
        if not self.get_visible() or not self.numbers:
            return
        label = self.label
        renderer.open_group("cell-numbers", gid=self.get_gid())
        _, height = renderer.get_canvas_width_height()
        anchors = label.get_transform().transform([(x, y) for x, y, _, _ in self.numbers])
        offsets: dict[str, tuple[float, float]] = {}
        pens: dict[str, Any] = {}
        for (x, y, text, colour), (anchor_x, anchor_y) in zip(self.numbers, anchors, strict=True):
            label.set_position((x, y))  # the SVG renderer anchors the text there
            if text not in offsets:
                label.set_text(text)
                # One line, no rotation: where Text.draw would put its baseline.
                offsets[text] = label._get_layout(renderer)[1][0][2]  # type: ignore[attr-defined]
            if colour not in pens:
                pens[colour] = renderer.new_gc()
                pens[colour].set_foreground(colour)
            dx, dy = offsets[text]
            renderer.draw_text(
                pens[colour],
                anchor_x + dx,
                height - (anchor_y + dy),
                text,
                label.get_fontproperties(),
                0,
                ismath=False,
                mtext=label,
            )
        for pen in pens.values():
            pen.restore()
        renderer.close_group("cell-numbers")


def _square(x: int, y: int) -> list[tuple[int, int]]:
    return [(x, y), (x + 1, y), (x + 1, y + 1), (x, y + 1)]


def _heat_map_legend(figure: Figure, axes: Any) -> None:
    scale = ScalarMappable(norm=Normalize(0, 100), cmap=colormaps[SCORE_COLOURS])
    bar = figure.colorbar(scale, ax=axes, location="bottom", shrink=0.6, aspect=30, pad=0.02)
    bar.set_label("Score (0–100)")
    bar.set_ticks([0, 25, 50, 75, 100])
    bar.outline.set_visible(False)
    # Drawn as vector bands, not as an embedded bitmap (a data: image the CSP would refuse).
    if bar.solids is not None:
        bar.solids.set_rasterized(False)
        bar.solids.set_edgecolor("face")
    axes.legend(
        handles=[Patch(facecolor=NOT_ASSESSED_FILL, hatch="///", edgecolor="#8c959f", label="n/a")],
        labels=["n/a = not assessed"],
        loc="upper left",
        bbox_to_anchor=(0, -0.02),
        frameon=False,
        fontsize=8,
    )


def trend_svg(
    *,
    dates: Sequence[date],
    series: Mapping[str, Sequence[float | None]],
    title: str = "",
    y_label: str = "",
) -> str:
    """One line per series across editions (a gap where a value is None); a single edition
    shows as points."""
    for name, points in series.items():
        if len(points) != len(dates):
            raise ValueError(f"series {name!r} must have one value per date")
    with matplotlib.rc_context(_RC):
        figure = _figure(7.5, 3.4)
        axes = figure.add_subplot()
        # Days as numbers, labelled by hand: each edition's date is a tick, nothing in between.
        days = [float(d.toordinal()) for d in dates]
        for name, points in series.items():
            ys = [math.nan if v is None else float(v) for v in points]
            axes.plot(days, ys, marker="o", markersize=4, linewidth=1.8, label=name)
        if title:
            axes.set_title(title, loc="left", fontsize=11, fontweight="bold")
        if y_label:
            axes.set_ylabel(y_label)
        axes.set_xticks(days, [f"{d.day} {d:%b %Y}" for d in dates])
        axes.tick_params(axis="x", labelrotation=30 if len(dates) > 4 else 0)
        axes.grid(axis="y", color="#d0d7de", linewidth=0.6)
        axes.spines[["top", "right"]].set_visible(False)
        if len(dates) == 1:
            axes.set_xlim(days[0] - 15, days[0] + 15)
        if series:
            axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    return _render(figure)


_LINK_TAG = re.compile(r"<a\b[^>]*>|</a>")


def without_links(svg: str) -> str:
    """A chart from this module with its cells' links taken out (for a PDF, where a path
    in Accord leads nowhere); the shapes inside each link stay."""
    return _LINK_TAG.sub("", svg)


def svg_image(svg: str, *, alt: str) -> SafeString:
    """A chart from this module as an <img> of a data: URI, for WeasyPrint: it parses an
    image with its XML parser, several times faster than an inline <svg> that goes through
    its HTML parser (a 50-partner heat map: seconds of a briefing's render)."""
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
    return format_html('<img src="{}" alt="{}">', uri, alt)


def inline_svg(svg: str) -> SafeString:
    """A chart from this module, marked safe for a template: it was built here from our own
    drawing, and csp_safe_svg removed anything executable."""
    return mark_safe(svg)
