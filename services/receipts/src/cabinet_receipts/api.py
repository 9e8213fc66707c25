"""Read the check results of a submission version."""

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from cabinet.receipts.v1 import events_pb2
from cabinet_common.auth.api import DEPARTMENT_MEMBERS, allow
from cabinet_common.auth.principal import STAFF
from cabinet_common.obligation_workflow import ReasonModel
from cabinet_common.problems import Problem, responses
from cabinet_common.reasons import to_model
from cabinet_common.service import DbSession
from cabinet_receipts.tables import CheckRecord

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
    department_id: str, submission_id: str, version: int, session: DbSession
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
