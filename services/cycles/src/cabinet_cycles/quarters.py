"""Opening and closing quarters. Opening records the period and starts its quarter
workflow; the workflow then calls back into the activities here, which own the register:
each batch creates obligations (announced by ObligationOpened through the outbox) and
starts their workflows; closing settles every obligation and records the figures."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TypeVar, cast

import structlog
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from cabinet.common.v1 import types_pb2
from cabinet.obligations.v1 import events_pb2
from cabinet_common import search_attributes
from cabinet_common.database import Sessions, serialize
from cabinet_common.deadlines import deadlines
from cabinet_common.events import Event, timestamp
from cabinet_common.form_types import periods
from cabinet_common.form_types.definition import FormTypeDefinition
from cabinet_common.messaging.outbox import add_to_outbox
from cabinet_common.obligation_workflow import (
    UPDATE_CLOSE,
    WORKFLOW_TYPE,
    CloseRequest,
    Deadlines,
    ObligationInput,
    ObligationKey,
    ObligationOutcome,
    ObligationStatus,
)
from cabinet_common.quarter_workflow import (
    ACTIVITY_CLOSE_OBLIGATIONS,
    ACTIVITY_OPEN_OBLIGATIONS,
    ACTIVITY_OPEN_SCHEDULED_PERIOD,
    ACTIVITY_RECORD_QUARTER_CLOSED,
    QUARTER_WORKFLOW_TYPE,
    CloseBatchRequest,
    CloseBatchResult,
    OpenBatchRequest,
    OpenBatchResult,
    QuarterClosedRequest,
    QuarterInput,
    QuarterKey,
    QuarterTallies,
    ScheduledOpeningRequest,
)
from cabinet_common.signing import Signer
from cabinet_cycles.audit import store as audit_store
from cabinet_cycles.audit.chain import AuditScope
from cabinet_cycles.close_waits import describe, unsettled_obligations
from cabinet_cycles.form_types import current_form_type, form_type_version
from cabinet_cycles.settings import CyclesSettings
from cabinet_cycles.tables import Filer, Obligation, OpenedPeriod, QuarterClosure
from cabinet_cycles.workflow_metadata import (
    obligation_details,
    obligation_summary,
    quarter_details,
    quarter_summary,
)

SOURCE = "/cabinet/cycles"
# A close still waiting for status changes says which, this often.
MISSING_LOG_EVERY_S = 60
log = structlog.get_logger(__name__)
# Workflow starts and updates in flight at once from one batch.
CONCURRENCY = 25

T = TypeVar("T")
R = TypeVar("R")


class UnknownFormType(LookupError):
    pass


class QuarterOpener:
    def __init__(self, client: Client, settings: CyclesSettings) -> None:
        self._client = client
        self._settings = settings

    async def open(
        self,
        sessions: Sessions,
        department_id: str,
        form_type_id: str,
        period_key: str | None,
        on: datetime | None = None,
    ) -> tuple[OpenedPeriod, bool]:
        """Open the period (by key, or the one containing `on`) and make sure its quarter
        workflow runs. Returns the period and whether this call opened it."""
        async with sessions.begin() as session:
            # Two openings at once (the schedule and an operator) make one period.
            await serialize(session, "open-period", department_id, form_type_id)
            current = await current_form_type(session, department_id, form_type_id)
            if current is None:
                raise UnknownFormType(f"No form type {form_type_id!r} in this department")
            version, definition = current.version, current.definition
            quarter = (
                periods.period(definition.cadence, period_key)
                if period_key is not None
                else periods.period_containing(
                    definition.cadence, (on or datetime.now(UTC)).astimezone(periods.LONDON).date()
                )
            )
            opened = await session.get(OpenedPeriod, (department_id, form_type_id, quarter.key))
            created = opened is None
            if opened is None:
                opened = self._new_period(department_id, form_type_id, version, definition, quarter)
                session.add(opened)
        await self._start_quarter_workflow(opened)
        return opened, created

    def _new_period(
        self,
        department_id: str,
        form_type_id: str,
        version: int,
        definition: FormTypeDefinition,
        period: periods.Period,
    ) -> OpenedPeriod:
        due = definition.due_rule.due_date(period.end)
        now = datetime.now(UTC)
        # Closes a while after its due date; a quarter opened late (a backfill) still gets
        # that long from its opening.
        open_for = timedelta(days=self._settings.quarter_closes_days_after_due)
        return OpenedPeriod(
            department_id=department_id,
            form_type_id=form_type_id,
            period_key=period.key,
            start=period.start,
            end=period.end,
            due=due,
            form_type_version=version,
            opened_at=now,
            closes_at=max(periods.overdue_at(due), now) + open_for,
        )

    async def _start_quarter_workflow(self, opened: OpenedPeriod) -> None:
        key = QuarterKey(
            department_id=opened.department_id,
            form_type_id=opened.form_type_id,
            period_key=opened.period_key,
        )
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await self._client.start_workflow(
                QUARTER_WORKFLOW_TYPE,
                QuarterInput(
                    key=key,
                    closes_at=opened.closes_at,
                    activity_task_queue=self._settings.cycles_task_queue,
                    batch_size=self._settings.quarter_batch_size,
                ),
                id=key.workflow_id,
                task_queue=self._settings.quarter_task_queue,
                static_summary=quarter_summary(opened),
                static_details=quarter_details(opened),
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )


class QuarterActivities:
    """The quarter workflow's activities; they run in this service's own worker."""

    def __init__(
        self,
        sessions: Sessions,
        client: Client,
        opener: QuarterOpener,
        task_queue: str,
        signer: Callable[[], Signer],
    ) -> None:
        self._sessions = sessions
        self._client = client
        self._opener = opener
        self._task_queue = task_queue
        self._signer = signer

    @activity.defn(name=ACTIVITY_OPEN_SCHEDULED_PERIOD)
    async def open_scheduled_period(self, request: ScheduledOpeningRequest) -> str:
        opened, _ = await self._opener.open(
            self._sessions,
            request.department_id,
            request.form_type_id,
            None,
            on=request.scheduled_for,
        )
        return opened.period_key

    @activity.defn(name=ACTIVITY_OPEN_OBLIGATIONS)
    async def open_obligations_batch(self, request: OpenBatchRequest) -> OpenBatchResult:
        key = request.key
        async with self._sessions.begin() as session:
            # A retried batch still running elsewhere waits, then finds its obligations.
            period = await session.get(
                OpenedPeriod,
                (key.department_id, key.form_type_id, key.period_key),
                with_for_update=True,
            )
            if period is None:
                raise LookupError(f"period {key.workflow_id} was never opened")
            published = await form_type_version(
                session, key.department_id, key.form_type_id, period.form_type_version
            )
            if published is None:
                raise LookupError(f"form type version of {key.workflow_id} is missing")
            query = select(Filer).where(Filer.department_id == key.department_id)
            if request.after_filer_id is not None:
                query = query.where(Filer.filer_id > request.after_filer_id)
            page = (
                await session.scalars(query.order_by(Filer.filer_id).limit(request.limit))
            ).all()
            enrolled = [f for f in page if key.form_type_id in f.form_type_ids]
            obligations = await _ensure_obligations(session, period, published.definition, enrolled)
        names = {filer.filer_id: filer.name for filer in enrolled}

        async def start(obligation: Obligation) -> None:
            await self._start_obligation_workflow(obligation, names.get(obligation.filer_id))

        await _bounded(obligations, start)
        return OpenBatchResult(
            opened=len(obligations),
            last_filer_id=page[-1].filer_id if page else request.after_filer_id,
            done=len(page) < request.limit,
        )

    async def _start_obligation_workflow(
        self, obligation: Obligation, filer_name: str | None
    ) -> None:
        activity.heartbeat()
        await start_obligation_workflow(
            self._client, self._task_queue, obligation, filer_name=filer_name
        )

    @activity.defn(name=ACTIVITY_CLOSE_OBLIGATIONS)
    async def close_obligations_batch(self, request: CloseBatchRequest) -> CloseBatchResult:
        key = request.key
        async with self._sessions() as session:
            query = select(Obligation).where(
                Obligation.department_id == key.department_id,
                Obligation.form_type_id == key.form_type_id,
                Obligation.period_key == key.period_key,
            )
            if request.after_obligation_id is not None:
                query = query.where(Obligation.obligation_id > request.after_obligation_id)
            page = (
                await session.scalars(query.order_by(Obligation.obligation_id).limit(request.limit))
            ).all()
        outcomes = await _bounded(page, self._close_obligation)
        return CloseBatchResult(
            tallies=QuarterTallies.of(outcomes),
            last_obligation_id=page[-1].obligation_id if page else request.after_obligation_id,
            done=len(page) < request.limit,
        )

    async def _close_obligation(self, obligation: Obligation) -> ObligationOutcome:
        activity.heartbeat()
        handle = self._client.get_workflow_handle(
            obligation.workflow_id, result_type=ObligationOutcome
        )
        try:
            outcome = await handle.execute_update(
                UPDATE_CLOSE, CloseRequest(), result_type=ObligationOutcome
            )
        except (RPCError, WorkflowUpdateFailedError):
            # Closed by an earlier attempt of this batch: its result is the outcome.
            outcome = await handle.result()
        return cast(ObligationOutcome, outcome)

    @activity.defn(name=ACTIVITY_RECORD_QUARTER_CLOSED)
    async def record_quarter_closed(self, request: QuarterClosedRequest) -> None:
        """Record the figures, publish QuarterClosed and seal the audit pack, once every
        obligation's final status change has reached the audit chain."""
        key, tallies = request.key, request.tallies
        await self._until_every_obligation_settled(key)
        scope = AuditScope(
            department_id=key.department_id,
            form_type_id=key.form_type_id,
            period_key=key.period_key,
        )
        async with self._sessions.begin() as session:
            if await session.get(
                QuarterClosure, (key.department_id, key.form_type_id, key.period_key)
            ):
                return
            session.add(
                QuarterClosure(
                    department_id=key.department_id,
                    form_type_id=key.form_type_id,
                    period_key=key.period_key,
                    closed_at=request.closed_at,
                    **tallies.model_dump(),
                )
            )
            payload = events_pb2.QuarterClosed(
                department_id=key.department_id,
                form_type_id=key.form_type_id,
                period_key=key.period_key,
                closed_at=timestamp(request.closed_at),
                **tallies.model_dump(),
            )
            add_to_outbox(session, Event(payload=payload, key=key.workflow_id, source=SOURCE))
            await audit_store.seal_period(session, scope, self._signer(), request.closed_at)

    async def _until_every_obligation_settled(self, key: QuarterKey) -> None:
        """The close updates have published the final status changes; wait until this
        service's consumer has recorded them all, saying which are still missing."""
        waited_s = 0
        while True:
            async with self._sessions() as session:
                unsettled = await unsettled_obligations(session, key)
            if not unsettled:
                return
            waits = describe(unsettled)
            activity.heartbeat(waits.model_dump(mode="json"))
            if waited_s % MISSING_LOG_EVERY_S == MISSING_LOG_EVERY_S - 1:
                log.warning(
                    "quarter close waiting for final status changes; re-drive any dead"
                    " letter of these obligations (cabinet-dlq list)",
                    quarter=key.workflow_id,
                    unsettled=waits.unsettled,
                    obligations=[o.obligation_id for o in waits.obligations],
                )
            await asyncio.sleep(1)
            waited_s += 1

    def all(self) -> list[Callable[..., Awaitable[object]]]:
        return [
            self.open_scheduled_period,
            self.open_obligations_batch,
            self.close_obligations_batch,
            self.record_quarter_closed,
        ]


async def _ensure_obligations(
    session: AsyncSession, period: OpenedPeriod, definition: FormTypeDefinition, filers: list[Filer]
) -> list[Obligation]:
    """The obligations of these filers for the period, created (with their ObligationOpened
    event) where they do not exist yet."""
    keys = {
        filer.filer_id: ObligationKey(
            department_id=period.department_id,
            form_type_id=period.form_type_id,
            filer_id=filer.filer_id,
            period_key=period.period_key,
        )
        for filer in filers
    }
    existing = {
        o.obligation_id: o
        for o in await session.scalars(
            select(Obligation).where(
                Obligation.obligation_id.in_([k.obligation_id for k in keys.values()])
            )
        )
    }
    schedule = deadlines(
        period.due, definition.reminder_ladder, definition.escalate_after_days_overdue
    )
    obligations = []
    for filer in filers:
        key = keys[filer.filer_id]
        obligation = existing.get(key.obligation_id)
        if obligation is None:
            obligation = _new_obligation(period, key, filer, schedule)
            session.add(obligation)
            add_to_outbox(session, _obligation_opened(period, obligation))
        obligations.append(obligation)
    return obligations


def _new_obligation(
    period: OpenedPeriod, key: ObligationKey, filer: Filer, schedule: Deadlines
) -> Obligation:
    return Obligation(
        obligation_id=key.obligation_id,
        department_id=key.department_id,
        form_type_id=key.form_type_id,
        form_type_version=period.form_type_version,
        filer_id=key.filer_id,
        period_key=key.period_key,
        period_start=period.start,
        period_end=period.end,
        due_date=period.due,
        deadlines=schedule.model_dump(mode="json"),
        contact_email=filer.contact_email,
        workflow_id=key.workflow_id,
        status=ObligationStatus.OPEN.value,
        status_sequence=0,
    )


async def start_obligation_workflow(
    client: Client,
    task_queue: str,
    obligation: Obligation,
    signal: str | None = None,
    argument: BaseModel | None = None,
    filer_name: str | None = None,
) -> None:
    """Start the obligation's workflow (with a signal: signal-with-start) unless it runs;
    a closed one is never started again, so a late event cannot begin a second cycle."""
    arguments = workflow_input(obligation)
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            WORKFLOW_TYPE,
            arguments,
            id=obligation.workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            start_signal=signal,
            start_signal_args=[argument] if argument is not None else [],
            search_attributes=search_attributes.at_start(arguments),
            # What the Temporal UI shows for it (only a new workflow takes them).
            static_summary=obligation_summary(obligation, filer_name),
            static_details=obligation_details(obligation, filer_name),
        )


def workflow_input(obligation: Obligation) -> ObligationInput:
    return ObligationInput(
        key=ObligationKey(
            department_id=obligation.department_id,
            form_type_id=obligation.form_type_id,
            filer_id=obligation.filer_id,
            period_key=obligation.period_key,
        ),
        obligation_id=obligation.obligation_id,
        period_start=obligation.period_start,
        period_end=obligation.period_end,
        form_type_version=obligation.form_type_version,
        deadlines=Deadlines.model_validate(obligation.deadlines),
        contact_email=obligation.contact_email,
    )


def _obligation_opened(period: OpenedPeriod, obligation: Obligation) -> Event:
    payload = events_pb2.ObligationOpened(
        obligation=types_pb2.ObligationRef(
            obligation_id=obligation.obligation_id,
            department_id=obligation.department_id,
            form_type_id=obligation.form_type_id,
            filer_id=obligation.filer_id,
            period_key=obligation.period_key,
        ),
        form_type_version=period.form_type_version,
        period_start=period.start.isoformat(),
        period_end=period.end.isoformat(),
        due_date=period.due.isoformat(),
        opened_at=timestamp(period.opened_at),
    )
    return Event(payload=payload, key=obligation.obligation_id, source=SOURCE)


async def _bounded(items: Iterable[T], one: Callable[[T], Awaitable[R]]) -> list[R]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def limited(item: T) -> R:
        async with gate:
            return await one(item)

    return list(await asyncio.gather(*(limited(item) for item in items)))
