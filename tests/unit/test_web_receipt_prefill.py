"""Pre-filling a receipt line from its file (issue 15, item 3): the reading asked of the
receipts service, the form's values from it, and a paper return's PDF as a line per page."""

import io
import json
from datetime import date
from typing import Any

import httpx
from pypdf import PdfReader

from cabinet_web.backend import Backend
from cabinet_web.forms import Problems
from cabinet_web.receipt_form import ReceiptLine, ReceiptRules
from cabinet_web.receipt_prefill import (
    page_file_name,
    page_lines,
    page_values,
    prefilled,
    read_page_lines,
    read_upload,
    split_pages,
    typed_anything,
)
from tests import receipt_corpus

RULES = ReceiptRules(
    period_start=date(2026, 7, 1),
    period_end=date(2026, 9, 30),
    today=date(2026, 11, 28),
    categories=(),
)
READING: dict[str, Any] = {
    "media_type": "application/pdf",
    "date": "2026-08-04",
    "amount_pence": 123456,
    "payee": "Stationers Ltd",
    "pages": [
        {"number": 1, "date": "2026-08-04", "amount_pence": 1205, "payee": "Stationers Ltd"},
        {"number": 2, "date": None, "amount_pence": 7, "payee": None},
    ],
}


def test_the_values_of_a_reading_fill_the_line_but_not_its_category() -> None:
    assert prefilled(READING) == {
        "date-day": "4",
        "date-month": "8",
        "date-year": "2026",
        "amount": "1234.56",
        "payee": "Stationers Ltd",
    }
    assert prefilled({"date": None, "amount_pence": None, "payee": None}) == {}
    assert prefilled(None) == {}


def test_only_a_line_with_nothing_typed_is_read() -> None:
    assert not typed_anything({"date-day": "", "amount": " ", "category": "travel"})
    assert typed_anything({"amount": "4.00"})


def test_a_pdf_of_several_pages_gives_a_line_per_page() -> None:
    assert page_lines(READING) == [
        {
            "date-day": "4",
            "date-month": "8",
            "date-year": "2026",
            "amount": "12.05",
            "payee": "Stationers Ltd",
        },
        {"amount": "0.07"},
    ]
    one_page = {**READING, "pages": READING["pages"][:1]}
    assert page_lines(one_page) == []
    assert page_lines({**READING, "media_type": "image/png"}) == []
    assert page_lines(None) == []


def test_each_pages_line_is_checked_and_its_problems_name_the_page() -> None:
    posted = {
        "page-1-date-day": "4",
        "page-1-date-month": "8",
        "page-1-date-year": "2026",
        "page-1-amount": "12.05",
        "page-1-payee": "Stationers Ltd",
        "page-1-category": "office",
        "page-2-amount": "0.07",
        "page-2-category": "office",
    }
    pages = page_values(posted, 2)
    problems = Problems()
    lines = read_page_lines(pages, RULES, problems)
    assert lines == [ReceiptLine(date(2026, 8, 4), 1205, "Stationers Ltd", "office")]
    assert problems.summary() == [
        {"text": "Page 2: Enter the date on the receipt", "href": "#page-2-date-day"},
        {"text": "Page 2: Enter who the receipt is from", "href": "#page-2-payee"},
    ]
    assert problems.message("page-2-payee") == {"text": "Page 2: Enter who the receipt is from"}


def test_a_pdf_is_split_into_a_file_per_page() -> None:
    samples = [
        receipt_corpus.make_receipt("text-pdf", date(2026, 7, day), seed=day) for day in (2, 9)
    ]
    whole = receipt_corpus.pages_pdf([s.content for s in samples])
    pages = split_pages(whole)
    assert len(pages) == 2
    for page, sample in zip(pages, samples, strict=True):
        [text] = [p.extract_text() for p in PdfReader(io.BytesIO(page)).pages]
        assert sample.printed_payee.casefold() in text.casefold()
    assert page_file_name("Paper return.PDF", 2) == "Paper return page 2.pdf"


async def test_the_upload_is_sent_to_the_receipts_service() -> None:
    seen: list[httpx.Request] = []

    def receipts(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=READING)

    backend = Backend(
        "http://intake", "http://cycles", "http://receipts", httpx.MockTransport(receipts)
    )
    reading = await read_upload(backend, "d 1", b"%PDF-1.4", "application/pdf")
    assert reading == READING
    [request] = seen
    assert (request.method, request.url.host, request.url.path) == (
        "POST",
        "receipts",
        "/departments/d 1/readings",
    )
    assert request.content == b"%PDF-1.4"
    assert request.headers["Content-Type"] == "application/pdf"
    await backend.close()


async def test_a_receipts_service_that_does_not_answer_leaves_the_line_to_be_typed() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def refuses(request: httpx.Request) -> httpx.Response:
        body = {"code": "FILE_EMPTY", "detail": "The selected file is empty"}
        return httpx.Response(415, content=json.dumps(body))

    for handler in (down, refuses):
        backend = Backend("http://i", "http://c", "http://r", httpx.MockTransport(handler))
        assert await read_upload(backend, "d", b"x", "text/csv") is None
        await backend.close()
