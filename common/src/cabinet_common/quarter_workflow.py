"""The contract of the quarter workflow (one per department, form type and period): it fans
the period's obligations out in bounded batches, waits for the quarter to close, then closes
every obligation and records the compliance figures. Its activities run in the cycles
service, which owns the register; the names and models here are all the two share."""

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel

from cabinet_common.obligation_workflow import ObligationOutcome, ObligationStatus

QUARTER_WORKFLOW_TYPE = "QuarterWorkflow"
SCHEDULED_OPENING_WORKFLOW_TYPE = "ScheduledPeriodOpening"
QUERY_PROGRESS = "progress"
SIGNAL_CLOSE_NOW = "close_now"
ACTIVITY_OPEN_OBLIGATIONS = "open_obligations_batch"
ACTIVITY_CLOSE_OBLIGATIONS = "close_obligations_batch"
ACTIVITY_RECORD_QUARTER_CLOSED = "record_quarter_closed"
ACTIVITY_OPEN_SCHEDULED_PERIOD = "open_scheduled_period"


class QuarterKey(BaseModel):
    department_id: str
    form_type_id: str
    period_key: str

    @property
    def workflow_id(self) -> str:
        return f"quarter:{self.department_id}:{self.form_type_id}:{self.period_key}"


class QuarterPhase(StrEnum):
    OPENING = "opening"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


class QuarterTallies(BaseModel):
    obligations: int = 0
    on_time: int = 0
    late: int = 0
    waived: int = 0
    outstanding: int = 0

    def plus(self, other: "QuarterTallies") -> "QuarterTallies":
        return QuarterTallies(
            **{name: getattr(self, name) + getattr(other, name) for name in type(self).model_fields}
        )

    @classmethod
    def of(cls, outcomes: list[ObligationOutcome]) -> "QuarterTallies":
        accepted = [o for o in outcomes if o.status == ObligationStatus.ACCEPTED]
        waived = sum(o.status == ObligationStatus.WAIVED for o in outcomes)
        return cls(
            obligations=len(outcomes),
            on_time=sum(o.on_time for o in accepted),
            late=sum(not o.on_time for o in accepted),
            waived=waived,
            outstanding=len(outcomes) - len(accepted) - waived,
        )


class QuarterProgress(BaseModel):
    phase: QuarterPhase = QuarterPhase.OPENING
    opened: int = 0
    open_cursor: str | None = None
    closed: int = 0
    close_cursor: str | None = None
    tallies: QuarterTallies = QuarterTallies()


class QuarterInput(BaseModel):
    key: QuarterKey
    # When the quarter closes by itself, unless an operator closes it sooner.
    closes_at: AwareDatetime
    # The cycles service's task queue, where the fan-out activities run.
    activity_task_queue: str
    batch_size: int = 500
    progress: QuarterProgress = QuarterProgress()


class OpenBatchRequest(BaseModel):
    key: QuarterKey
    after_filer_id: str | None
    limit: int


class OpenBatchResult(BaseModel):
    opened: int
    last_filer_id: str | None
    done: bool


class CloseBatchRequest(BaseModel):
    key: QuarterKey
    after_obligation_id: str | None
    limit: int


class CloseBatchResult(BaseModel):
    tallies: QuarterTallies
    last_obligation_id: str | None
    done: bool


class QuarterClosedRequest(BaseModel):
    key: QuarterKey
    tallies: QuarterTallies
    closed_at: datetime


class ScheduledOpeningInput(BaseModel):
    department_id: str
    form_type_id: str
    activity_task_queue: str


class ScheduledOpeningRequest(BaseModel):
    department_id: str
    form_type_id: str
    # The schedule's nominal time (for a backfill, the missed time): its period is opened.
    scheduled_for: AwareDatetime
