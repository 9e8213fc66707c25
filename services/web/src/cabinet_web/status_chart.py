"""A horizontal bar chart drawn on the server as inline SVG: no script, no style attributes
(the CSP allows neither), only presentation attributes. Each bar has its words above it and
its count at its end; the SVG is an image named by its title and described by its desc, and
the page shows the same figures in a table as well."""

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from cabinet_web.formatting import status_tag

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
FONT = "GDS Transport, arial, sans-serif"
TEXT_COLOUR = "#0b0c0c"
# GOV.UK colours dark enough to keep 3:1 against the white page (WCAG 1.4.11).
STATUS_COLOURS = {
    "open": "#1d70b8",  # blue
    "submitted": "#0f385c",  # dark blue
    "checking": "#54319f",  # purple
    "returned": "#7a3c1c",  # dark orange
    "accepted": "#0f7a52",  # green
    "overdue": "#ca3535",  # red
    "escalated": "#651b1b",  # dark red
    "waived": "#484949",  # dark grey
    "closed": "#858686",  # mid grey
}
OTHER_COLOUR = "#484949"

# Geometry, in the SVG's own units: the SVG scales to its column's width.
WIDTH = 640
FONT_SIZE = 19
LABEL_HEIGHT = 26  # a bar's words sit above it
BAR_HEIGHT = 28
GAP = 16  # between one bar and the next bar's words
COUNT_ROOM = 110  # at the end of the longest bar, for its count
MAX_BAR = WIDTH - COUNT_ROOM
ROW = LABEL_HEIGHT + BAR_HEIGHT + GAP


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    colour: str


def percent(count: int, total: int) -> str:
    """A whole percentage for people ("less than 1%" rather than a misleading "0%")."""
    if total <= 0 or count <= 0:
        return "0%"
    exact = 100 * count / total
    if exact < 1:
        return "less than 1%"
    if exact > 99 and count < total:
        return "more than 99%"
    return f"{int(exact + 0.5)}%"


def status_bars(counts: Sequence[tuple[str, int]]) -> list[Bar]:
    """One bar a status, in the order given, in the status's words and colour."""
    return [
        Bar(
            label=status_tag(status)["text"],
            count=count,
            colour=STATUS_COLOURS.get(status, OTHER_COLOUR),
        )
        for status, count in counts
    ]


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str) -> Markup:
    """The chart as an <svg> element to put straight into the page."""
    total = sum(bar.count for bar in bars)
    largest = max((bar.count for bar in bars), default=0)
    height = max(len(bars), 1) * ROW - GAP
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NAMESPACE,
            "viewBox": f"0 0 {WIDTH} {height}",
            "width": "100%",
            "role": "img",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
            "id": chart_id,
            "font-family": FONT,
            "font-size": str(FONT_SIZE),
        },
    )
    ET.SubElement(svg, "title", {"id": f"{chart_id}-title"}).text = title
    described = "; ".join(
        f"{bar.label}: {bar.count:,} ({percent(bar.count, total)})" for bar in bars
    )
    ET.SubElement(svg, "desc", {"id": f"{chart_id}-desc"}).text = f"{described}. Total: {total:,}."
    for row, bar in enumerate(bars):
        top = row * ROW
        width = MAX_BAR * bar.count / largest if largest else 0
        ET.SubElement(
            svg,
            "text",
            {"x": "0", "y": _number(top + FONT_SIZE), "fill": TEXT_COLOUR},
        ).text = bar.label
        ET.SubElement(
            svg,
            "rect",
            {
                "x": "0",
                "y": _number(top + LABEL_HEIGHT),
                "width": _number(width),
                "height": str(BAR_HEIGHT),
                "fill": bar.colour,
            },
        )
        ET.SubElement(
            svg,
            "text",
            {
                "x": _number(width + 8 if width else 0),
                "y": _number(top + LABEL_HEIGHT + BAR_HEIGHT / 2 + FONT_SIZE / 3),
                "fill": TEXT_COLOUR,
                "font-weight": "bold",
            },
        ).text = f"{bar.count:,}"
    return Markup(ET.tostring(svg, encoding="unicode"))
