"""The contract between the cycles service (which starts, signals and updates obligation
workflows) and the worker (which runs them): names, ids and the pydantic models they
exchange. Times are computed by the caller (Europe/London rules live outside workflows)."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, Field, model_validator

WORKFLOW_TYPE = "ObligationWorkflow"
SIGNAL_SUBMISSION_RECEIVED = "submission_received"
SIGNAL_RECEIPTS_CHECKED = "receipts_checked"
QUERY_STATE = "state"
UPDATE_ACCEPT = "accept"
UPDATE_RETURN = "return_submission"
UPDATE_WAIVE = "waive"
UPDATE_EXTEND = "extend_due_date"
UPDATE_CLOSE = "close"
SYSTEM_ACTOR = "system"

_OBLIGATION_NAMESPACE = uuid.UUID("6f1d2f9e-6a2b-4e55-9c1a-0b7c3f1e2d40")


class ObligationStatus(StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    CHECKING = "checking"
    RETURNED = "returned"
    ACCEPTED = "accepted"
    OVERDUE = "overdue"
    ESCALATED = "escalated"
    WAIVED = "waived"
    CLOSED = "closed"


# Once in one of these, an obligation takes no further submission or decision.
SETTLED = frozenset({ObligationStatus.ACCEPTED, ObligationStatus.WAIVED, ObligationStatus.CLOSED})


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


class Reminder(BaseModel):
    days_relative_to_due: int
    at: AwareDatetime


class Deadlines(BaseModel):
    """When things happen to an obligation that is not filed: reminders on the ladder, the
    instant it turns overdue (the end of its due date in Europe/London), and escalation."""

    due_date: date
    overdue_at: AwareDatetime
    escalate_at: AwareDatetime
    reminders: list[Reminder]

    @model_validator(mode="after")
    def _in_order(self) -> "Deadlines":
        if self.escalate_at < self.overdue_at:
            raise ValueError("escalation cannot come before the obligation is overdue")
        return self


class ObligationInput(BaseModel):
    key: ObligationKey
    obligation_id: str
    period_start: date
    period_end: date
    form_type_version: int = 1
    deadlines: Deadlines
    # Where reminders go. Kept out of search attributes (no personal data there).
    contact_email: str = ""


# How a version arrived: sent by the filer, or keyed in by a caseworker from paper.
CHANNEL_ONLINE = "online"
CHANNEL_PAPER = "paper"


def received_how(channel: str, keyed_by: str | None) -> str:
    """How a history entry or a document says a version arrived: "" when online."""
    if channel != CHANNEL_PAPER:
        return ""
    return f"on paper, keyed by {keyed_by}" if keyed_by else "on paper"


class SubmissionReceived(BaseModel):
    submission_id: str
    version: int
    # Defaulted: signals recorded before channels existed replay as online.
    channel: str = CHANNEL_ONLINE
    keyed_by: str | None = None


class ReasonModel(BaseModel):
    code: str
    message: str
    # The form's question the reason concerns (like "box3"), so the filer is sent to it.
    # Defaulted: histories recorded before it existed still replay.
    field_id: str | None = None


class ReceiptOutcome(BaseModel):
    receipt_id: str
    accepted: bool
    reasons: list[ReasonModel]
    # For a caseworker to decide (e.g. POSSIBLE_DUPLICATE); they do not return the receipt.
    flags: list[ReasonModel] = []


class ReceiptsCheckedSignal(BaseModel):
    submission_id: str
    version: int
    submission_sha256: str
    receipts: list[ReceiptOutcome]
    submission_reasons: list[ReasonModel]
    # The W3C trace context (traceparent, tracestate) of the filing being checked, so the
    # decision's events join its trace. Defaulted: older signals replay without one.
    trace_context: dict[str, str] = {}

    @property
    def all_accepted(self) -> bool:
        return not self.submission_reasons and all(r.accepted for r in self.receipts)

    @property
    def flags(self) -> list[ReasonModel]:
        """What a caseworker must look at before a submission without reasons is accepted."""
        return [flag for receipt in self.receipts for flag in receipt.flags]


class Decision(BaseModel):
    """Why a caseworker decided: what the API takes. Who decided comes from their token."""

    reason: str = Field(min_length=1, max_length=2000)


class CaseworkerAction(Decision):
    """Who decided, and why: every caseworker action is recorded with both."""

    actor: str = Field(min_length=1, max_length=100)


class AcceptAction(CaseworkerAction):
    pass


# A return is bounded: it travels in a Temporal update and an event (each limited to a few
# megabytes), so reasons beyond these are refused with a 422 rather than failing there.
MAX_REASONS = 50
MAX_RETURNED_RECEIPTS = 500
MAX_RETURN_CHARS = 100_000


class ReturnedReceipt(BaseModel):
    """A receipt a caseworker sends back: the filer must replace it or leave it out."""

    receipt_id: str = Field(min_length=1, max_length=64)
    reasons: list[ReasonModel] = Field(min_length=1, max_length=MAX_REASONS)


class ReturnDecision(Decision):
    """Reasons about the whole submission, receipts of it sent back, or both."""

    reasons: list[ReasonModel] = Field(default=[], max_length=MAX_REASONS)
    receipts: list[ReturnedReceipt] = Field(default=[], max_length=MAX_RETURNED_RECEIPTS)

    @model_validator(mode="after")
    def _says_what_to_correct(self) -> "ReturnDecision":
        if not self.reasons and not self.receipts:
            raise ValueError("Give at least one reason or one receipt to return")
        every = [*self.reasons, *(r for receipt in self.receipts for r in receipt.reasons)]
        size = sum(len(r.code) + len(r.message) + len(r.field_id or "") for r in every)
        if size > MAX_RETURN_CHARS:
            raise ValueError(
                f"The reasons are too long: at most {MAX_RETURN_CHARS:,} characters in all"
            )
        ids = [r.receipt_id for r in self.receipts]
        if twice := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"Receipt(s) named more than once: {', '.join(twice)}")
        return self


class ReturnAction(CaseworkerAction, ReturnDecision):
    pass


class WaiveAction(CaseworkerAction):
    pass


class ExtendAction(CaseworkerAction):
    deadlines: Deadlines


class CloseRequest(BaseModel):
    actor: str = SYSTEM_ACTOR


class ObligationOutcome(BaseModel):
    """How an obligation ended, for the quarter's compliance figures."""

    status: ObligationStatus
    on_time: bool
    submission_version: int | None


class Acknowledgement(BaseModel):
    reference: str
    submission_id: str
    version: int
    submission_sha256: str
    processed_at: datetime
    # How the accepted version arrived (defaulted for histories recorded before channels).
    channel: str = CHANNEL_ONLINE
    keyed_by: str | None = None


class HistoryEntry(BaseModel):
    at: datetime
    status: ObligationStatus
    detail: str
    actor: str = SYSTEM_ACTOR


class ObligationState(BaseModel):
    status: ObligationStatus
    due_date: date | None = None
    submission_id: str | None = None
    version: int | None = None
    acknowledgement: Acknowledgement | None = None
    reminders_sent: list[int] = []
    history: list[HistoryEntry] = []
