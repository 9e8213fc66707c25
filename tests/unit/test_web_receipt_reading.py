"""The caseworker's view of a receipt's reading: the document's text, escaped, with the
amounts and dates found marked (the one matching the typed line marked most), and the
reading in words beside the typed line."""

from typing import Any

from cabinet_web.receipt_reading import marked_text, reading_view

TEXT = "<b>CAFE</b> & CO\n3 Sep 2026\nSubtotal 37.50\nTOTAL £45.00"
READING: dict[str, Any] = {
    "readable": True,
    "method": "ocr",
    "text": TEXT,
    "amounts": [
        {"pence": 3750, "start": 37, "end": 42},
        {"pence": 4500, "start": 49, "end": 55, "total": True},
    ],
    "dates": [{"date": "2026-09-03", "start": 17, "end": 27, "matches_line": True}],
    "payee": "<b>CAFE</b> & CO",
    "confidence": 91.6,
    "claimed_pence": 4500,
}


def test_the_text_is_escaped_and_what_was_found_is_marked() -> None:
    html = str(marked_text(TEXT, [*READING["amounts"], *READING["dates"]]))
    assert html.startswith("&lt;b&gt;CAFE&lt;/b&gt; &amp; CO\n")
    assert '<mark class="app-reading-mark app-reading-mark--match">3 Sep 2026</mark>' in html
    assert '<mark class="app-reading-mark app-reading-mark--found">37.50</mark>' in html
    assert '<mark class="app-reading-mark app-reading-mark--total">£45.00</mark>' in html


def test_overlapping_or_cut_off_findings_are_left_unmarked() -> None:
    html = str(
        marked_text(
            "12.00", [{"start": 0, "end": 5}, {"start": 2, "end": 4}, {"start": 3, "end": 99}]
        )
    )
    assert html.count("<mark") == 1


def test_the_reading_in_words_beside_a_mistyped_line() -> None:
    view = reading_view(READING, 45000)
    assert view is not None
    assert view["amount"] == "£45.00, not the £450.00 entered"
    assert view["dates"] == "3 September 2026"
    assert view["how"] == "read from the image, confidence 92%"
    matched = {**READING, "amounts": [{**READING["amounts"][1], "matches_line": True}]}
    view = reading_view(matched, 4500)
    assert view is not None and view["amount"] == "£45.00, as entered"
    assert reading_view(None, 100) is None
