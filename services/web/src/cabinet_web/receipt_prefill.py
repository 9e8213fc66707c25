"""A receipt line filled in from its file, for the person to confirm or correct: the file
chosen on "Add receipts" (or the paper lane's) is read by the receipts service (which owns
reading; it reads in its bounded pool, within its time limit) and its date, amount and
payee become the values of a confirmation page. A caseworker's PDF of a paper return's
receipts, one per page, becomes one line per page, each page its own file.

Reading is a help, never a gate: a file that cannot be read, or a receipts service that
does not answer, gives a confirmation page with the fields empty."""

import io
from collections.abc import Mapping
from datetime import date
from typing import Any

import httpx
import structlog
from pypdf import PdfReader, PdfWriter

from cabinet_web.backend import Backend, Refused
from cabinet_web.forms import Problems
from cabinet_web.receipt_form import ReceiptLine, ReceiptRules, read_line

log = structlog.get_logger(__name__)

LINE_FIELDS = ("date-day", "date-month", "date-year", "amount", "payee", "category")
# What reading fills in (a category is the person's to choose).
READ_FIELDS = ("date-day", "date-month", "date-year", "amount", "payee")
# A scan of more pages than this is not split into lines (it is one receipt's file).
MAX_PAGES = 50


async def read_upload(
    apis: Backend, department_id: str, content: bytes, media_type: str
) -> dict[str, Any] | None:
    """The receipts service's reading of the file (see its POST /readings), or None if it
    could not be asked."""
    try:
        reading: dict[str, Any] = await apis.receipts(department_id).post(
            "/readings", content=content, headers={"Content-Type": media_type}
        )
    except (httpx.HTTPError, Refused) as error:
        log.warning("reading an upload failed; its line is typed", error=str(error))
        return None
    return reading


def typed_anything(posted: Mapping[str, str]) -> bool:
    """Whether any of the values reading would fill in was typed."""
    return any(posted.get(name, "").strip() for name in READ_FIELDS)


def prefilled(found: Mapping[str, Any] | None) -> dict[str, str]:
    """The form's values from a reading's (or a page's) date, amount and payee."""
    if not found:
        return {}
    values: dict[str, str] = {}
    if found.get("date"):
        day = date.fromisoformat(str(found["date"]))
        values |= {
            "date-day": str(day.day),
            "date-month": str(day.month),
            "date-year": str(day.year),
        }
    if found.get("amount_pence") is not None:
        pence = int(found["amount_pence"])
        values["amount"] = f"{pence // 100}.{pence % 100:02d}"
    if found.get("payee"):
        values["payee"] = str(found["payee"])
    return values


def found_anything(values: Mapping[str, str]) -> bool:
    return any(values.get(name) for name in READ_FIELDS)


def page_lines(reading: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """One line's values per page of a read PDF, when it has more than one page."""
    if not reading or reading.get("media_type") != "application/pdf":
        return []
    pages = list(reading.get("pages", []))
    if not 1 < len(pages) <= MAX_PAGES:
        return []
    return [prefilled(page) for page in pages]


def page_field(number: int, name: str) -> str:
    return f"page-{number}-{name}"


def page_values(posted: Mapping[str, str], count: int) -> list[dict[str, str]]:
    """The values posted for each of `count` pages' lines."""
    return [
        {name: str(posted.get(page_field(number, name), "")) for name in LINE_FIELDS}
        for number in range(1, count + 1)
    ]


def read_page_lines(
    pages: list[dict[str, str]], rules: ReceiptRules, problems: Problems
) -> list[ReceiptLine]:
    """Each page's line, with each problem added under the page's field ids (and saying
    which page), or fewer lines than pages if any is wrong."""
    lines = []
    for number, posted in enumerate(pages, start=1):
        page_problems = Problems()
        line = read_line(posted, rules, page_problems)
        for field_id, message, anchor in page_problems.items():
            problems.add(
                page_field(number, field_id),
                f"Page {number}: {message}",
                page_field(number, anchor),
            )
        if line is not None:
            lines.append(line)
    return lines


def split_pages(content: bytes) -> list[bytes]:
    """Each page of a PDF as a PDF of its own."""
    reader = PdfReader(io.BytesIO(content))
    split = []
    for page in reader.pages:
        writer = PdfWriter()
        writer.add_page(page)
        out = io.BytesIO()
        writer.write(out)
        split.append(out.getvalue())
    return split


def page_file_name(file_name: str, number: int) -> str:
    stem = file_name[:-4] if file_name.lower().endswith(".pdf") else file_name
    return f"{stem} page {number}.pdf"
