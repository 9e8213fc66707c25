"""Operators' API for quarters: open a period, follow its fan-out, close it, and run the
form type's schedule (pause, trigger now, backfill a missed quarter)."""

from datetime import date, timedelta
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, Field
from temporalio.client import Client, ScheduleHandle, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from cabinet_common.auth.api import DEPARTMENT_MEMBERS, allow
from cabinet_common.auth.principal import OPERATIONS, STAFF
from cabinet_common.form_types import periods
from cabinet_common.problems import Problem, responses
from cabinet_common.quarter_workflow import (
    QUERY_PROGRESS,
    SIGNAL_CLOSE_NOW,
    QuarterKey,
    QuarterPhase,
    QuarterProgress,
    QuarterTallies,
)
from cabinet_common.service import DbSession, runtime_of
from cabinet_cycles import schedules
from cabinet_cycles.close_waits import CloseWaits, close_waits
from cabinet_cycles.form_types import current_form_type
from cabinet_cycles.quarters import QuarterOpener, UnknownFormType
from cabinet_cycles.tables import OpenedPeriod, QuarterClosure

router = APIRouter(
    prefix="/departments/{department_id}/form-types/{form_type_id}",
    tags=["quarters"],
    dependencies=[DEPARTMENT_MEMBERS],
    responses=responses(
        {
            404: "No such form type (or period, or schedule) in this department",
            503: "Temporal cannot be reached right now: try again (Retry-After)",
        }
    ),
)


def _temporal(request: Request) -> Client:
    return cast(Client, request.app.state.temporal)


def _opener(request: Request) -> QuarterOpener:
    return cast(QuarterOpener, request.app.state.opener)


Temporal = Annotated[Client, Depends(_temporal)]
Opener = Annotated[QuarterOpener, Depends(_opener)]


class OpenPeriodIn(BaseModel):
    period_key: periods.PeriodKey


class PeriodOut(BaseModel):
    period_key: str
    start: date
    end: date
    due: date
    form_type_version: int
    closes_at: str
    quarter_workflow_id: str
    progress: QuarterProgress | None = None
    figures: QuarterTallies | None = None
    # While closing: the obligations whose final status change has not reached cycles
    # (each with any dead letter about it), which the sealing of the audit pack waits for.
    waiting_for: CloseWaits | None = None


def _period_out(opened: OpenedPeriod, progress: QuarterProgress | None = None) -> PeriodOut:
    key = QuarterKey(
        department_id=opened.department_id,
        form_type_id=opened.form_type_id,
        period_key=opened.period_key,
    )
    return PeriodOut(
        period_key=opened.period_key,
        start=opened.start,
        end=opened.end,
        due=opened.due,
        form_type_version=opened.form_type_version,
        closes_at=opened.closes_at.isoformat(),
        quarter_workflow_id=key.workflow_id,
        progress=progress,
    )


@router.post(
    "/periods",
    dependencies=[allow(OPERATIONS)],
    response_model=PeriodOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Already open; nothing new was started"}},
)
async def open_period(
    department_id: str,
    form_type_id: str,
    body: OpenPeriodIn,
    request: Request,
    response: Response,
    opener: Opener,
) -> PeriodOut:
    """Open a period: its quarter workflow creates one obligation, and one obligation
    workflow, per enrolled filer, in batches. Opening it again starts nothing new."""
    try:
        opened, created = await opener.open(
            runtime_of(request).sessions, department_id, form_type_id, body.period_key
        )
    except UnknownFormType as error:
        raise Problem(404, "NO_SUCH_FORM_TYPE", str(error)) from error
    except periods.InvalidPeriodKey as error:
        raise Problem(422, "INVALID_PERIOD_KEY", str(error)) from error
    if not created:
        response.status_code = status.HTTP_200_OK
    return _period_out(opened)


@router.get("/periods/{period_key}", response_model=PeriodOut)
async def get_period(
    department_id: str,
    form_type_id: str,
    period_key: str,
    session: DbSession,
    temporal: Temporal,
    request: Request,
) -> PeriodOut:
    """The period, how far its fan-out (or close) has got, and, once closed, its figures."""
    opened = await _opened(session, department_id, form_type_id, period_key)
    key = QuarterKey(department_id=department_id, form_type_id=form_type_id, period_key=period_key)
    handle = temporal.get_workflow_handle(key.workflow_id)
    try:
        progress = await handle.query(
            QUERY_PROGRESS, result_type=QuarterProgress, rpc_timeout=timedelta(seconds=5)
        )
    except (RPCError, WorkflowQueryFailedError) as error:
        # Between two runs of a continued-as-new quarter a query can go unanswered.
        raise Problem(
            503,
            "QUARTER_UNREADABLE",
            "The quarter's progress cannot be read right now; try again in a moment",
            headers={"Retry-After": "2"},
        ) from error
    out = _period_out(opened, progress)
    if progress.phase == QuarterPhase.CLOSING:
        out.waiting_for = await close_waits(session, key, request.app.state.settings)
    closure = await session.get(QuarterClosure, (department_id, form_type_id, period_key))
    if closure is not None:
        out.figures = QuarterTallies(
            obligations=closure.obligations,
            on_time=closure.on_time,
            late=closure.late,
            waived=closure.waived,
            outstanding=closure.outstanding,
        )
    return out


@router.post(
    "/periods/{period_key}/close",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[allow(OPERATIONS)],
    responses=responses({409: "The period is closed already"}),
)
async def close_period(
    department_id: str, form_type_id: str, period_key: str, session: DbSession, temporal: Temporal
) -> dict[str, str]:
    """Close the quarter now instead of at its closing time."""
    await _opened(session, department_id, form_type_id, period_key)
    key = QuarterKey(department_id=department_id, form_type_id=form_type_id, period_key=period_key)
    try:
        await temporal.get_workflow_handle(key.workflow_id).signal(SIGNAL_CLOSE_NOW)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            # Its workflow has finished: the quarter is closed already.
            raise Problem(409, "PERIOD_CLOSED", "That period is closed already") from error
        raise
    return {"status": "closing", "quarter_workflow_id": key.workflow_id}


async def _opened(
    session: DbSession, department_id: str, form_type_id: str, period_key: str
) -> OpenedPeriod:
    opened = await session.get(OpenedPeriod, (department_id, form_type_id, period_key))
    if opened is None:
        raise Problem(404, "NO_SUCH_PERIOD", "That period has not been opened")
    return opened


# The form type's schedule.


class ScheduleOut(BaseModel):
    schedule_id: str
    paused: bool
    note: str
    next_runs: list[str]
    recent_runs: list[str]


class ScheduleNote(BaseModel):
    note: str = Field(default="", max_length=500)


class BackfillIn(BaseModel):
    period_key: periods.PeriodKey


async def _schedule(
    department_id: str, form_type_id: str, session: DbSession, temporal: Temporal
) -> ScheduleHandle:
    if await current_form_type(session, department_id, form_type_id) is None:
        raise Problem(404, "NO_SUCH_FORM_TYPE", "No such form type in this department")
    return schedules.handle(temporal, department_id, form_type_id)


@router.get("/schedule", response_model=ScheduleOut, dependencies=[allow(STAFF)])
async def get_schedule(
    department_id: str, form_type_id: str, session: DbSession, temporal: Temporal
) -> ScheduleOut:
    handle = await _schedule(department_id, form_type_id, session, temporal)
    try:
        description = await handle.describe()
    except RPCError as error:
        raise Problem(404, "NO_SCHEDULE", "This form type has no schedule") from error
    return ScheduleOut(
        schedule_id=handle.id,
        paused=description.schedule.state.paused,
        note=description.schedule.state.note or "",
        next_runs=[t.isoformat() for t in description.info.next_action_times[:4]],
        recent_runs=[a.scheduled_at.isoformat() for a in description.info.recent_actions],
    )


@router.post(
    "/schedule/pause", status_code=status.HTTP_204_NO_CONTENT, dependencies=[allow(OPERATIONS)]
)
async def pause_schedule(
    department_id: str,
    form_type_id: str,
    body: ScheduleNote,
    session: DbSession,
    temporal: Temporal,
) -> None:
    handle = await _schedule(department_id, form_type_id, session, temporal)
    await handle.pause(note=body.note or "Paused by an operator")


@router.post(
    "/schedule/unpause", status_code=status.HTTP_204_NO_CONTENT, dependencies=[allow(OPERATIONS)]
)
async def unpause_schedule(
    department_id: str,
    form_type_id: str,
    body: ScheduleNote,
    session: DbSession,
    temporal: Temporal,
) -> None:
    handle = await _schedule(department_id, form_type_id, session, temporal)
    await handle.unpause(note=body.note or "Unpaused by an operator")


@router.post(
    "/schedule/trigger", status_code=status.HTTP_202_ACCEPTED, dependencies=[allow(OPERATIONS)]
)
async def trigger_schedule(
    department_id: str, form_type_id: str, session: DbSession, temporal: Temporal
) -> dict[str, str]:
    """Open the current period now."""
    handle = await _schedule(department_id, form_type_id, session, temporal)
    await handle.trigger()
    return {"status": "triggered"}


@router.post(
    "/schedule/backfill", status_code=status.HTTP_202_ACCEPTED, dependencies=[allow(OPERATIONS)]
)
async def backfill_schedule(
    department_id: str,
    form_type_id: str,
    body: BackfillIn,
    session: DbSession,
    temporal: Temporal,
) -> dict[str, str]:
    """Open a quarter the schedule missed (for example while it was paused)."""
    current = await current_form_type(session, department_id, form_type_id)
    if current is None:
        raise Problem(404, "NO_SUCH_FORM_TYPE", "No such form type in this department")
    try:
        period = periods.period(current.definition.cadence, body.period_key)
    except periods.InvalidPeriodKey as error:
        raise Problem(422, "INVALID_PERIOD_KEY", str(error)) from error
    await schedules.backfill(
        schedules.handle(temporal, department_id, form_type_id),
        schedules.quarter_start_instant(period.start),
    )
    return {"status": "backfilling", "period_key": period.key}
