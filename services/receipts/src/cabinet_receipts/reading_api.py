"""Read a file that is not filed yet, for a page that pre-fills a receipt line from it (the
filer's "Add receipts", the paper lane): its date, amount and payee, for the whole file and
for each of its pages (a caseworker's scan of a paper return's receipts, one per page).

The file is read now, in the same bounded pool as filed receipts (its own process, within
the time and memory limits), never on the event loop; nothing is stored. A file that
cannot be read, or that breaks a limit, is answered with its problem and no values, so the
person types them: it is not an error."""

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field

from cabinet_common.auth.api import DEPARTMENT_MEMBERS, allow
from cabinet_common.auth.principal import Role
from cabinet_common.bounded import BoundedPool, TaskFailed
from cabinet_common.form_types.definition import ReadingChecks
from cabinet_common.problems import Problem, responses
from cabinet_common.reading import (
    Reading,
    claimed_amount,
    find_amounts,
    find_dates,
    find_payee,
    read_receipt,
)
from cabinet_common.reading.extract import Page
from cabinet_common.receipt_files import MAX_FILE_BYTES, FileProblem, screen_file

# Who pre-fills a line from a file: a filer adding receipts, a caseworker keying in paper.
READERS = frozenset({Role.FILER, Role.CASEWORKER, Role.ADMIN})

router = APIRouter(
    prefix="/departments/{department_id}",
    tags=["reading"],
    dependencies=[DEPARTMENT_MEMBERS, allow(READERS)],
)


class FoundValues(BaseModel):
    """What a line would say, from the text: None where nothing was found."""

    date: Annotated[dt.date | None, Field(description="The first date the text gives")] = None
    amount_pence: Annotated[
        int | None, Field(description="The total (the last on a total line, else the largest)")
    ] = None
    payee: Annotated[str | None, Field(description="Who it is from (its top lines)")] = None
    readable: bool = Field(
        default=False, description="Enough words were read with confidence to go on"
    )


class PageValues(FoundValues):
    number: int = Field(description="From 1")
    method: str = Field(description="text layer, ocr or csv")
    confidence: float


class FileReading(FoundValues):
    media_type: str
    method: str = Field(description="How each page was read, joined by +; none if not read")
    problem: str = Field(description="Why nothing could be read; empty if it was")
    pages: list[PageValues]


@dataclass(frozen=True)
class _Text:
    text: str
    confidence: float
    confident_words: int
    problem: str = ""


def found_values(text: _Text, checks: ReadingChecks) -> FoundValues:
    amount = claimed_amount(find_amounts(text.text))
    dates = find_dates(text.text)
    return FoundValues(
        date=dates[0].value if dates else None,
        amount_pence=amount.pence if amount else None,
        payee=find_payee(text.text),
        readable=not text.problem
        and text.confidence >= checks.min_word_confidence
        and text.confident_words >= checks.min_legible_words,
    )


def file_reading(reading: Reading, media_type: str) -> FileReading:
    """The values of the whole file and of each page, judged legible by the default
    reading thresholds of a form type."""
    checks = ReadingChecks()
    whole = found_values(
        _Text(reading.text, reading.confidence, reading.confident_words, reading.problem),
        checks,
    )
    return FileReading(
        **whole.model_dump(),
        media_type=media_type,
        method=reading.method,
        problem=reading.problem,
        pages=[_page(number, page, checks) for number, page in enumerate(reading.pages, 1)],
    )


def _page(number: int, page: Page, checks: ReadingChecks) -> PageValues:
    values = found_values(_Text(page.text, page.confidence, page.confident_words), checks)
    return PageValues(
        **values.model_dump(),
        number=number,
        method=page.method,
        confidence=page.confidence,
    )


async def _body(request: Request) -> bytes:
    """The request body, refused as soon as it is larger than a receipt file may be."""
    content = bytearray()
    async for chunk in request.stream():
        content += chunk
        if len(content) > MAX_FILE_BYTES:
            raise Problem(
                status.HTTP_413_CONTENT_TOO_LARGE,
                "FILE_TOO_LARGE",
                f"The file must be smaller than {MAX_FILE_BYTES // (1024 * 1024)}MB",
            )
    return bytes(content)


@router.post(
    "/readings",
    response_model=FileReading,
    responses=responses(
        {
            413: "The file is larger than a receipt file may be",
            415: "The file is empty, or not a PDF, PNG, JPEG or CSV",
        }
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The file's bytes; its type is judged from its content. An "
            "empty file is refused (415 FILE_EMPTY)",
            "content": {
                media: {"schema": {"type": "string", "format": "binary", "minLength": 1}}
                for media in ("application/pdf", "image/png", "image/jpeg", "text/csv")
            },
        }
    },
)
async def read_file(department_id: str, request: Request) -> FileReading:
    """Read the file sent as the request body (not stored), for pre-filling a receipt
    line: the date, amount and payee of the whole file and of each page. A file that
    cannot be read, or takes longer than the reading limits allow, is answered with its
    `problem` and no values."""
    content = await _body(request)
    media_type = screen_file(content, MAX_FILE_BYTES)
    if isinstance(media_type, FileProblem):
        raise Problem(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, media_type.code, media_type.message)
    pool: BoundedPool = request.app.state.reading_pool
    try:
        reading = await pool.run(read_receipt, content, media_type)
    except TaskFailed as error:
        reading = Reading(problem=str(error))
    return file_reading(reading, media_type)
