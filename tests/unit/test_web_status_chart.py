"""The dashboard's bar chart, drawn on the server as inline SVG: parsed back with
xml.etree to check what a browser (and a screen reader) would get."""

import xml.etree.ElementTree as ET

import pytest

from cabinet_common.obligation_workflow import ObligationStatus
from cabinet_web.status_chart import (
    MAX_BAR,
    STATUS_COLOURS,
    Bar,
    bar_chart,
    percent,
    status_bars,
)

NS = {"svg": "http://www.w3.org/2000/svg"}
# In lifecycle order (test_cycles_dashboard_api pins it).
LIFECYCLE = [status.value for status in ObligationStatus]


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def rects(svg: ET.Element) -> list[ET.Element]:
    return svg.findall("svg:rect", NS)


def texts(svg: ET.Element) -> list[str]:
    return [text.text or "" for text in svg.findall("svg:text", NS)]


def widths(svg: ET.Element) -> list[float]:
    return [float(rect.get("width", "nan")) for rect in rects(svg)]


def chart(counts: list[tuple[str, int]], title: str = "Obligations by status") -> ET.Element:
    return parse(bar_chart(status_bars(counts), chart_id="status-chart", title=title))


def test_an_image_named_by_its_title_and_described_by_its_figures() -> None:
    svg = chart([("open", 3), ("accepted", 1)], title="Obligations by status, VAT return")
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "status-chart-title status-chart-desc"
    title = svg.find("svg:title", NS)
    desc = svg.find("svg:desc", NS)
    assert title is not None and desc is not None
    assert (title.get("id"), title.text) == (
        "status-chart-title",
        "Obligations by status, VAT return",
    )
    assert desc.get("id") == "status-chart-desc"
    assert desc.text == "Not filed: 3 (75%); Accepted: 1 (25%). Total: 4."


def test_each_bar_is_labelled_with_its_status_words_and_its_count() -> None:
    svg = chart([("open", 1200), ("overdue", 7), ("escalated", 0)])
    assert texts(svg) == ["Not filed", "1,200", "Overdue", "7", "Escalated", "0"]
    assert [rect.get("fill") for rect in rects(svg)] == [
        STATUS_COLOURS["open"],
        STATUS_COLOURS["overdue"],
        STATUS_COLOURS["escalated"],
    ]


def test_bar_widths_are_proportional_to_the_counts_and_the_largest_fills_the_width() -> None:
    svg = chart([("open", 10), ("submitted", 5), ("accepted", 2), ("overdue", 1)])
    assert widths(svg) == pytest.approx([MAX_BAR, MAX_BAR / 2, MAX_BAR / 5, MAX_BAR / 10], abs=0.01)


def test_a_status_with_no_obligations_has_no_bar_and_says_0() -> None:
    svg = chart([("open", 4), ("returned", 0)])
    assert widths(svg) == [MAX_BAR, 0]
    assert texts(svg)[2:] == ["Returned", "0"]


def test_a_period_with_no_obligations_draws_every_status_at_zero() -> None:
    svg = chart([(status, 0) for status in LIFECYCLE])
    assert widths(svg) == [0] * len(LIFECYCLE)
    assert texts(svg)[1::2] == ["0"] * len(LIFECYCLE)
    desc = svg.find("svg:desc", NS)
    assert desc is not None and desc.text is not None
    assert desc.text.startswith("Not filed: 0 (0%);")
    assert desc.text.endswith("Total: 0.")


def test_bars_are_drawn_in_the_order_given_one_below_the_other() -> None:
    svg = chart([(status, n + 1) for n, status in enumerate(LIFECYCLE)])
    tops = [float(rect.get("y", "nan")) for rect in rects(svg)]
    assert tops == sorted(tops) and len(set(tops)) == len(LIFECYCLE)
    _, _, width, height = (float(v) for v in (svg.get("viewBox") or "").split())
    last = rects(svg)[-1]
    assert float(last.get("y", "nan")) + float(last.get("height", "nan")) <= height
    # Every count's text starts inside the picture.
    assert all(float(t.get("x", "nan")) < width for t in svg.findall("svg:text", NS))


def test_labels_and_titles_are_escaped() -> None:
    markup = bar_chart(
        [Bar(label='<script>alert("x")</script> & co', count=2, colour="#1d70b8")],
        chart_id="chart",
        title="Returns & <b>friends</b>",
    )
    assert "<script>" not in markup and "<b>" not in markup
    svg = parse(markup)
    assert texts(svg)[0] == '<script>alert("x")</script> & co'
    title = svg.find("svg:title", NS)
    assert title is not None and title.text == "Returns & <b>friends</b>"
    assert svg.find(".//svg:script", NS) is None


def test_no_style_attributes_or_elements_the_csp_would_block() -> None:
    markup = str(bar_chart(status_bars([("open", 3)]), chart_id="c", title="t"))
    svg = parse(markup)
    for element in svg.iter():
        assert "style" not in element.attrib
        assert not element.tag.endswith("}style") and not element.tag.endswith("}script")


def test_an_unknown_status_is_drawn_in_its_own_words() -> None:
    svg = chart([("on_hold", 1)])
    assert texts(svg) == ["On hold", "1"]


@pytest.mark.parametrize(
    ("count", "total", "expected"),
    [
        (0, 0, "0%"),
        (0, 5, "0%"),
        (1, 3, "33%"),
        (2, 3, "67%"),
        (1, 8, "13%"),
        (5, 5, "100%"),
        (1, 1000, "less than 1%"),
        (999, 1000, "more than 99%"),
    ],
)
def test_percentages_for_people(count: int, total: int, expected: str) -> None:
    assert percent(count, total) == expected
