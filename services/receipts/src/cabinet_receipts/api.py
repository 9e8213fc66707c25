"""Read the check results of a submission version."""

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from cabinet.receipts.v1 import events_pb2
from cabinet_common.auth.api import DEPARTMENT_MEMBERS, allow
from cabinet_common.auth.principal import STAFF
from cabinet_common.database import MAX_INTEGER
from cabinet_common.obligation_workflow import ReasonModel
from cabinet_common.problems import Problem, responses
from cabinet_common.reading import find_amounts, find_dates, find_payee
from cabinet_common.reasons import to_model
from cabinet_common.receipt_reading import ReadingOut, reading_out
from cabinet_common.service import DbSession
from cabinet_receipts.reader import to_reading
from cabinet_receipts.tables import CheckRecord, FiledLine, ReceiptReadingRecord

router = APIRouter(
    prefix="/departments/{department_id}",
    tags=["checks"],
    dependencies=[DEPARTMENT_MEMBERS, allow(STAFF)],
)


class ReceiptCheckOut(BaseModel):
    receipt_id: str
    accepted: bool = Field(description="True when no reason was found (flags do not stop it)")
    reasons: list[ReasonModel]
    flags: list[ReasonModel] = Field(
        description="For a caseworker to look at, e.g. POSSIBLE_DUPLICATE"
    )
    exchange_rate: str | None = Field(description="GBP per unit, for a receipt in another currency")
    amount_gbp_pence: int | None
    reading: ReadingOut | None = Field(
        default=None,
        description="What the document says, for a form type that reads receipts",
    )


class ChecksOut(BaseModel):
    obligation_id: str
    submission_id: str
    version: int
    submission_sha256: str
    receipts: list[ReceiptCheckOut]
    submission_reasons: list[ReasonModel] = Field(
        description="Problems with the submission as a whole, e.g. TOTAL_MISMATCH"
    )
    checked_at: datetime


def checks_out(checked: events_pb2.ReceiptsChecked) -> ChecksOut:
    """The event as the API shows it: snake_case keys, reason codes as the events docs
    and the other APIs spell them (DATE_OUTSIDE_PERIOD)."""
    return ChecksOut(
        obligation_id=checked.obligation.obligation_id,
        submission_id=checked.submission_id,
        version=checked.version,
        submission_sha256=checked.submission_sha256,
        receipts=[
            ReceiptCheckOut(
                receipt_id=r.receipt_id,
                accepted=r.accepted,
                reasons=[to_model(x) for x in r.reasons],
                flags=[to_model(x) for x in r.flags],
                exchange_rate=r.exchange_rate or None,
                amount_gbp_pence=r.amount_gbp_pence if r.exchange_rate else None,
                reading=reading_out(r.reading) if r.HasField("reading") else None,
            )
            for r in checked.receipts
        ],
        submission_reasons=[to_model(x) for x in checked.submission_reasons],
        checked_at=checked.checked_at.ToDatetime(),
    )


@router.get(
    "/submissions/{submission_id}/versions/{version}/checks",
    response_model=ChecksOut,
    responses=responses({404: "That submission version has not been checked (yet)"}),
)
async def get_checks(
    department_id: str,
    submission_id: str,
    version: Annotated[int, Path(ge=1, le=MAX_INTEGER)],
    session: DbSession,
) -> ChecksOut:
    record = await session.scalar(
        select(CheckRecord).where(
            CheckRecord.submission_id == submission_id,
            CheckRecord.version == version,
            CheckRecord.department_id == department_id,
        )
    )
    if record is None:
        raise Problem(
            status.HTTP_404_NOT_FOUND,
            "NO_CHECK_RESULT",
            "No check result for that submission version",
        )
    return checks_out(events_pb2.ReceiptsChecked.FromString(record.result))


class LookalikeOut(BaseModel):
    receipt_id: str
    obligation_id: str


class LookalikesOut(BaseModel):
    receipt_id: str
    obligation_id: str
    lookalikes: list[LookalikeOut] = Field(
        description="The department's other receipt lines with the same payee (case, "
        "spacing and punctuation aside), amount, currency and date: what a "
        "POSSIBLE_DUPLICATE flag matched, for a caseworker to compare"
    )


@router.get(
    "/receipts/{receipt_id}/lookalikes",
    response_model=LookalikesOut,
    responses=responses({404: "That receipt has not been checked (yet)"}),
)
async def get_lookalikes(
    department_id: str,
    receipt_id: str,
    session: DbSession,
) -> LookalikesOut:
    """The receipt lines of this department that look like this one. Staff only: a
    filer is never told whether another business filed a receipt like theirs."""
    line = await session.get(FiledLine, (department_id, receipt_id))
    if line is None:
        raise Problem(status.HTTP_404_NOT_FOUND, "NOT_CHECKED", "That receipt has not been checked")
    rows = (
        await session.scalars(
            select(FiledLine)
            .where(
                FiledLine.department_id == department_id,
                FiledLine.payee_key == line.payee_key,
                FiledLine.date == line.date,
                FiledLine.amount == line.amount,
                FiledLine.currency == line.currency,
                FiledLine.receipt_id != receipt_id,
            )
            .order_by(FiledLine.obligation_id, FiledLine.receipt_id)
        )
    ).all()
    return LookalikesOut(
        receipt_id=receipt_id,
        obligation_id=line.obligation_id,
        lookalikes=[
            LookalikeOut(receipt_id=row.receipt_id, obligation_id=row.obligation_id) for row in rows
        ],
    )


@router.get(
    "/receipts/{receipt_id}/reading",
    responses=responses({404: "That receipt has not been read"}),
)
async def get_reading(
    department_id: str,
    receipt_id: str,
    session: DbSession,
    q: Annotated[str | None, Query(max_length=200, description="Lines containing this")] = None,
) -> dict[str, Any]:
    """What the receipt's document says, as read: its whole text, page by page, and the
    amounts, dates and payee found in it. With `q`, also the lines that contain it (case
    aside), for a caseworker searching one receipt."""
    record = await session.get(ReceiptReadingRecord, (department_id, receipt_id))
    if record is None:
        raise Problem(status.HTTP_404_NOT_FOUND, "NOT_READ", "That receipt has not been read")
    reading = to_reading(record)
    text = reading.text
    body: dict[str, Any] = {
        "receipt_id": record.receipt_id,
        "file_sha256": record.file_sha256,
        "media_type": record.media_type,
        "read_at": record.read_at.isoformat(),
        "seconds": record.seconds,
        "method": reading.method,
        "problem": reading.problem,
        "confidence": reading.confidence,
        "confident_words": reading.confident_words,
        "rotation": reading.rotation,
        "text": text,
        "pages": record.pages,
        "amounts": [asdict(a) for a in find_amounts(text)],
        "dates": [{**asdict(d), "value": d.value.isoformat()} for d in find_dates(text)],
        "payee": find_payee(text),
    }
    if q is not None:
        wanted = q.casefold()
        body["matches"] = [
            {"line": number, "text": line}
            for number, line in enumerate(text.splitlines(), start=1)
            if wanted in line.casefold()
        ]
    return body
