"""The contract between the cycles service (which starts and signals obligation workflows)
and the worker (which runs them): names, ids and the pydantic models they exchange."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel

WORKFLOW_TYPE = "ObligationWorkflow"
SIGNAL_SUBMISSION_RECEIVED = "submission_received"
SIGNAL_RECEIPTS_CHECKED = "receipts_checked"
QUERY_STATE = "state"

_OBLIGATION_NAMESPACE = uuid.UUID("6f1d2f9e-6a2b-4e55-9c1a-0b7c3f1e2d40")


class ObligationStatus(StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    CHECKING = "checking"
    RETURNED = "returned"
    ACCEPTED = "accepted"
    OVERDUE = "overdue"


class ObligationKey(BaseModel):
    department_id: str
    form_type_id: str
    filer_id: str
    period_key: str

    @property
    def obligation_id(self) -> str:
        """Stable for the business key, so re-opening a period finds the same obligation."""
        return str(uuid.uuid5(_OBLIGATION_NAMESPACE, "/".join(self._parts())))

    @property
    def workflow_id(self) -> str:
        return "obligation:" + ":".join(self._parts())

    def _parts(self) -> tuple[str, str, str, str]:
        return (self.department_id, self.form_type_id, self.filer_id, self.period_key)


class ObligationInput(BaseModel):
    key: ObligationKey
    obligation_id: str
    period_start: date
    period_end: date
    due_date: date
    # The instant the obligation becomes overdue: the end of the due date in Europe/London.
    overdue_at: AwareDatetime


class SubmissionReceived(BaseModel):
    submission_id: str
    version: int


class ReasonModel(BaseModel):
    code: str
    message: str


class ReceiptOutcome(BaseModel):
    receipt_id: str
    accepted: bool
    reasons: list[ReasonModel]


class ReceiptsCheckedSignal(BaseModel):
    submission_id: str
    version: int
    submission_sha256: str
    receipts: list[ReceiptOutcome]
    submission_reasons: list[ReasonModel]

    @property
    def all_accepted(self) -> bool:
        return not self.submission_reasons and all(r.accepted for r in self.receipts)


class Acknowledgement(BaseModel):
    reference: str
    submission_id: str
    version: int
    submission_sha256: str
    processed_at: datetime


class HistoryEntry(BaseModel):
    at: datetime
    status: ObligationStatus
    detail: str


class ObligationState(BaseModel):
    status: ObligationStatus
    submission_id: str | None = None
    version: int | None = None
    acknowledgement: Acknowledgement | None = None
    history: list[HistoryEntry] = []
