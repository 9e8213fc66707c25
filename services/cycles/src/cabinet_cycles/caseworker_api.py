"""The caseworker's queue and decisions. Each decision is a Temporal Update on the
obligation's workflow: its validator refuses an invalid action with a clear message and
nothing changes; an accepted one is recorded with who, when and why."""

from datetime import date, timedelta
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from cabinet_common.auth.api import DEPARTMENT_MEMBERS, CurrentPrincipal, allow
from cabinet_common.auth.principal import CASEWORK, STAFF
from cabinet_common.deadlines import deadlines
from cabinet_common.obligation_workflow import (
    UPDATE_ACCEPT,
    UPDATE_EXTEND,
    UPDATE_RETURN,
    UPDATE_WAIVE,
    AcceptAction,
    Decision,
    ExtendAction,
    ObligationState,
    ObligationStatus,
    ReturnAction,
    ReturnDecision,
    WaiveAction,
)
from cabinet_common.problems import Problem, responses
from cabinet_common.service import DbSession
from cabinet_cycles.form_types import form_type_version
from cabinet_cycles.tables import Obligation

router = APIRouter(
    prefix="/departments/{department_id}",
    tags=["caseworkers"],
    dependencies=[DEPARTMENT_MEMBERS],
    responses=responses(
        {
            404: "No such obligation in this department",
            409: "The decision does not apply to the obligation as it stands, or it is closed",
        }
    ),
)

# Checking includes submissions held for a caseworker because a receipt was flagged (a
# possible duplicate): they stay there until a caseworker accepts or returns them.
QUEUE_STATUSES = (
    ObligationStatus.CHECKING,
    ObligationStatus.RETURNED,
    ObligationStatus.ESCALATED,
    ObligationStatus.OVERDUE,
)


def _temporal(request: Request) -> Client:
    return cast(Client, request.app.state.temporal)


Temporal = Annotated[Client, Depends(_temporal)]


class QueueItem(BaseModel):
    obligation_id: str
    form_type_id: str
    filer_id: str
    period_key: str
    due_date: date
    status: str


@router.get("/queue", response_model=list[QueueItem], dependencies=[allow(STAFF)])
async def queue(
    department_id: str,
    session: DbSession,
    form_type_id: str | None = None,
    period_key: str | None = None,
    statuses: Annotated[list[ObligationStatus] | None, Query(alias="status")] = None,
) -> list[Obligation]:
    """Held (checking), returned, escalated and overdue obligations (or the statuses asked
    for), oldest due first."""
    wanted = [s.value for s in statuses or QUEUE_STATUSES]
    query = select(Obligation).where(
        Obligation.department_id == department_id, Obligation.status.in_(wanted)
    )
    if form_type_id:
        query = query.where(Obligation.form_type_id == form_type_id)
    if period_key:
        query = query.where(Obligation.period_key == period_key)
    order = (Obligation.due_date, Obligation.filer_id)
    return list((await session.scalars(query.order_by(*order).limit(1000))).all())


# How far ahead a due date may be moved: reminders, overdue and escalation are worked out
# from it, and a date such as 9999-12-31 leaves nothing to work them out with.
MAX_EXTENSION_DAYS = 5 * 366


class ExtendIn(Decision):
    due_date: date = Field(description="The new due date; must be later than the current one")

    @field_validator("due_date")
    @classmethod
    def _within_reach(cls, due_date: date) -> date:
        if due_date > date.today() + timedelta(days=MAX_EXTENSION_DAYS):
            raise ValueError("A due date may be at most 5 years from today")
        return due_date


DECISION: dict[str, Any] = {"response_model": ObligationState, "dependencies": [allow(CASEWORK)]}


@router.post("/obligations/{obligation_id}/accept", **DECISION)
async def accept(
    department_id: str,
    obligation_id: str,
    body: Decision,
    session: DbSession,
    temporal: Temporal,
    principal: CurrentPrincipal,
) -> ObligationState:
    """Accept the latest checked submission, whatever its checks said."""
    obligation = await _obligation(session, department_id, obligation_id)
    action = AcceptAction(actor=principal.subject, **body.model_dump())
    return await _decide(temporal, obligation, UPDATE_ACCEPT, action)


@router.post("/obligations/{obligation_id}/return", **DECISION)
async def return_submission(
    department_id: str,
    obligation_id: str,
    body: ReturnDecision,
    session: DbSession,
    temporal: Temporal,
    principal: CurrentPrincipal,
) -> ObligationState:
    """Send the latest submission back with coded reasons about the whole of it, or with
    receipts of it (each with its reasons) that the filer must replace or leave out, or
    both. A receipt named must be one of the latest version's, as its check reported it."""
    obligation = await _obligation(session, department_id, obligation_id)
    action = ReturnAction(actor=principal.subject, **body.model_dump())
    return await _decide(temporal, obligation, UPDATE_RETURN, action)


@router.post("/obligations/{obligation_id}/waive", **DECISION)
async def waive(
    department_id: str,
    obligation_id: str,
    body: Decision,
    session: DbSession,
    temporal: Temporal,
    principal: CurrentPrincipal,
) -> ObligationState:
    obligation = await _obligation(session, department_id, obligation_id)
    action = WaiveAction(actor=principal.subject, **body.model_dump())
    return await _decide(temporal, obligation, UPDATE_WAIVE, action)


@router.post("/obligations/{obligation_id}/extend", **DECISION)
async def extend(
    department_id: str,
    obligation_id: str,
    body: ExtendIn,
    session: DbSession,
    temporal: Temporal,
    principal: CurrentPrincipal,
) -> ObligationState:
    """Move the due date later; reminders, overdue and escalation move with it."""
    obligation = await _obligation(session, department_id, obligation_id)
    # Its own transaction, ended before the decision, like _obligation's read.
    async with session.begin():
        published = await form_type_version(
            session, department_id, obligation.form_type_id, obligation.form_type_version
        )
    if published is None:
        raise Problem(
            409, "FORM_TYPE_VERSION_MISSING", "The obligation's form type version is missing"
        )
    definition = published.definition
    schedule = deadlines(
        body.due_date, definition.reminder_ladder, definition.escalate_after_days_overdue
    )
    action = ExtendAction(actor=principal.subject, reason=body.reason, deadlines=schedule)
    state = await _decide(temporal, obligation, UPDATE_EXTEND, action)
    async with session.begin():
        row = await session.get(Obligation, obligation_id, populate_existing=True)
        if row is not None:
            row.due_date = body.due_date
            row.deadlines = schedule.model_dump(mode="json")
    return state


async def _obligation(session: DbSession, department_id: str, obligation_id: str) -> Obligation:
    obligation = await session.get(Obligation, obligation_id)
    if obligation is None or obligation.department_id != department_id:
        raise Problem(404, "NO_SUCH_OBLIGATION", "No such obligation in this department")
    # End the read (it holds SQLite's write lock) before the decision runs in the workflow;
    # detached first, so rolling back does not expire what was read.
    session.expunge(obligation)
    await session.rollback()
    return obligation


async def _decide(
    temporal: Temporal, obligation: Obligation, update: str, action: BaseModel
) -> ObligationState:
    handle = temporal.get_workflow_handle(obligation.workflow_id)
    try:
        state: Any = await handle.execute_update(update, action, result_type=ObligationState)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            # Its workflow has finished (its quarter closed): nothing more can be decided.
            raise Problem(
                409, "OBLIGATION_CLOSED", "The obligation is closed: its quarter has closed"
            ) from error
        raise
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        message = getattr(cause, "message", None) or str(cause or error)
        raise Problem(409, "DECISION_REFUSED", message) from error
    return cast(ObligationState, state)
