"""Inputs of the obligation workflow's activities. A notice's trace_context is the W3C trace
context of the filing that led to it (empty when none did), so its event joins that
filing's trace."""

from datetime import date, datetime

from pydantic import BaseModel

from cabinet_common.obligation_workflow import (
    Acknowledgement,
    ObligationInput,
    ObligationStatus,
    ReasonModel,
    ReceiptOutcome,
)


class AcknowledgementNotice(BaseModel):
    obligation: ObligationInput
    acknowledgement: Acknowledgement
    trace_context: dict[str, str] = {}


class ReturnNotice(BaseModel):
    obligation: ObligationInput
    submission_id: str
    version: int
    reasons: list[ReasonModel]
    returned_receipts: list[ReceiptOutcome]
    returned_at: datetime
    trace_context: dict[str, str] = {}


class StatusChange(BaseModel):
    sequence: int
    from_status: ObligationStatus | None
    to_status: ObligationStatus
    actor: str
    reason: str
    reasons: list[ReasonModel] = []
    submission_version: int | None = None
    changed_at: datetime


class StatusChanges(BaseModel):
    obligation: ObligationInput
    changes: list[StatusChange]
    trace_context: dict[str, str] = {}


class ReminderNotice(BaseModel):
    obligation: ObligationInput
    due_date: date
    days_relative_to_due: int
    sent_at: datetime
