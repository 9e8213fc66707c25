"""What the workflow tests and the replay-history recorder share: a time-skipping Temporal
environment with Cabinet's search attributes, fake activities registered under the real
names (recording what they were given), and builders for obligations and check results.

The test server rejects upserts of unregistered search attributes (the workflow task fails
with "search attribute CabinetDepartment is not defined" and the workflow never progresses),
so each environment registers Cabinet's attributes through the operator service first.

Timers on the test server fire a few milliseconds after the instant they were set for (the
workflow task that starts a timer runs in real time, a little after the `workflow.now()` it
computed the delay from), so times read inside a workflow are compared with `at_instant`.
"""

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from temporalio import activity
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import WorkflowHandle
from temporalio.converter import DataConverter
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from cabinet_common import search_attributes
from cabinet_common.deadlines import deadlines
from cabinet_common.form_types.periods import quarter_containing
from cabinet_common.obligation_workflow import (
    QUERY_STATE,
    SIGNAL_RECEIPTS_CHECKED,
    SIGNAL_SUBMISSION_RECEIVED,
    ObligationInput,
    ObligationKey,
    ObligationOutcome,
    ObligationState,
    ObligationStatus,
    ReasonModel,
    ReceiptOutcome,
    ReceiptsCheckedSignal,
    SubmissionReceived,
)
from cabinet_common.quarter_workflow import (
    ACTIVITY_CLOSE_OBLIGATIONS,
    ACTIVITY_OPEN_OBLIGATIONS,
    ACTIVITY_OPEN_SCHEDULED_PERIOD,
    ACTIVITY_RECORD_QUARTER_CLOSED,
    CloseBatchRequest,
    CloseBatchResult,
    OpenBatchRequest,
    OpenBatchResult,
    QuarterClosedRequest,
    QuarterTallies,
    ScheduledOpeningRequest,
)
from cabinet_common.temporal_codec import (
    EncryptionCodec,
    encrypted_data_converter,
    generate_payload_key,
    load_payload_key,
)
from cabinet_workflows.obligation.activities import ObligationActivities
from cabinet_workflows.obligation.models import (
    AcknowledgementNotice,
    ReminderNotice,
    ReturnNotice,
    StatusChange,
    StatusChanges,
)
from cabinet_workflows.worker import build_worker

TEST_SERVER = Path(sys.executable).parent / "temporal-test-server"
SUBMISSION_ID = "submission-1"
LADDER = [-14, -3, 0, 3, 15]
ESCALATE_AFTER_DAYS = 10
# How late a timer may fire on the test server and still count as "at" its instant: far less
# than the hour a clock change moves things by.
TIMER_SLACK = timedelta(seconds=30)

ObligationHandle = WorkflowHandle[Any, ObligationOutcome]
T = TypeVar("T")

# The tests' payload key: a fresh one per test run, so no key is ever written down.
TEST_CODEC = EncryptionCodec(load_payload_key(generate_payload_key()))
# Cabinet's data converter (cabinet_common.temporal.data_converter) with the tests' key.
TEST_CONVERTER = encrypted_data_converter(TEST_CODEC)


@asynccontextmanager
async def time_skipping_env(
    data_converter: DataConverter = TEST_CONVERTER,
) -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEST_SERVER), data_converter=data_converter
    )
    try:
        attributes: dict[str, IndexedValueType.ValueType] = {
            key.name: IndexedValueType.ValueType(key.indexed_value_type)
            for key in search_attributes.ALL
        }
        await environment.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=environment.client.namespace, search_attributes=attributes
            )
        )
        yield environment
    finally:
        await environment.shutdown()


CASEWORKER = "caseworker-7"
# Short names for the statuses the workflow tests assert on.
OPEN, SUBMITTED, CHECKING, RETURNED, ACCEPTED = (
    ObligationStatus.OPEN,
    ObligationStatus.SUBMITTED,
    ObligationStatus.CHECKING,
    ObligationStatus.RETURNED,
    ObligationStatus.ACCEPTED,
)
OVERDUE, ESCALATED, WAIVED, CLOSED = (
    ObligationStatus.OVERDUE,
    ObligationStatus.ESCALATED,
    ObligationStatus.WAIVED,
    ObligationStatus.CLOSED,
)


class FakeObligationActivities(ObligationActivities):
    """The obligation workflow's activities under their real names, recording their input.

    `hold_reminders` makes send_reminder wait until it is released: the workflow then sits
    inside its decision lock, which is how the tests line up concurrent caseworker updates.
    """

    def __init__(self) -> None:  # no Kafka producer and no notifier: all four are replaced
        self.acknowledgements: list[AcknowledgementNotice] = []
        self.returns: list[ReturnNotice] = []
        self.status_batches: list[StatusChanges] = []
        self.reminders: list[ReminderNotice] = []
        self.hold_reminders = False
        self.reminder_started = asyncio.Event()
        self.release_reminders = asyncio.Event()

    @property
    def status_changes(self) -> list[StatusChange]:
        return [change for batch in self.status_batches for change in batch.changes]

    @activity.defn(name="publish_acknowledgement")
    async def publish_acknowledgement(self, notice: AcknowledgementNotice) -> None:
        self.acknowledgements.append(notice)

    @activity.defn(name="publish_return")
    async def publish_return(self, notice: ReturnNotice) -> None:
        self.returns.append(notice)

    @activity.defn(name="publish_status_changes")
    async def publish_status_changes(self, batch: StatusChanges) -> None:
        self.status_batches.append(batch)

    @activity.defn(name="send_reminder")
    async def send_reminder(self, notice: ReminderNotice) -> None:
        if self.hold_reminders:
            self.reminder_started.set()
            await self.release_reminders.wait()
        self.reminders.append(notice)


def obligation_worker(
    env: WorkflowEnvironment, activities: FakeObligationActivities, task_queue: str | None = None
) -> Worker:
    return build_worker(env.client, activities, task_queue or f"obligations-{uuid.uuid4()}")


def obligation_input(
    due: date,
    *,
    filer_id: str = "filer-1",
    ladder: list[int] | None = None,
    escalate_after_days: int = ESCALATE_AFTER_DAYS,
    department_id: str = "dept",
) -> ObligationInput:
    period = quarter_containing(due - timedelta(days=40))
    key = ObligationKey(
        department_id=department_id, form_type_id="vat", filer_id=filer_id, period_key=period.key
    )
    return ObligationInput(
        key=key,
        obligation_id=key.obligation_id,
        period_start=period.start,
        period_end=period.end,
        deadlines=deadlines(due, LADDER if ladder is None else ladder, escalate_after_days),
        contact_email=f"{filer_id}@example.invalid",
    )


async def start_obligation(
    env: WorkflowEnvironment, task_queue: str, obligation: ObligationInput
) -> ObligationHandle:
    """Start the workflow on the queue; its tasks wait there until a worker polls it."""
    return await env.client.start_workflow(
        "ObligationWorkflow",
        obligation,
        id=obligation.key.workflow_id,
        task_queue=task_queue,
        result_type=ObligationOutcome,
    )


def checked(version: int, *rejected: str, total_ok: bool = True) -> ReceiptsCheckedSignal:
    """A check result of two receipts, r1 and r2; those named in `rejected` failed."""
    return ReceiptsCheckedSignal(
        submission_id=SUBMISSION_ID,
        version=version,
        submission_sha256=f"{version:064x}",
        receipts=[
            ReceiptOutcome(
                receipt_id=receipt_id,
                accepted=receipt_id not in rejected,
                reasons=(
                    [ReasonModel(code="DATE_OUTSIDE_PERIOD", message="outside the period")]
                    if receipt_id in rejected
                    else []
                ),
            )
            for receipt_id in ("r1", "r2")
        ],
        submission_reasons=(
            [] if total_ok else [ReasonModel(code="TOTAL_MISMATCH", message="totals differ")]
        ),
    )


def flagged(version: int) -> ReceiptsCheckedSignal:
    """Every receipt passed, but r2 is flagged for a caseworker (a possible duplicate)."""
    result = checked(version)
    result.receipts[1].flags = [
        ReasonModel(code="POSSIBLE_DUPLICATE", message="Same amount and date as r9 in 2026-Q2")
    ]
    return result


async def received(
    handle: ObligationHandle, version: int, channel: str = "online", keyed_by: str | None = None
) -> None:
    await handle.signal(
        SIGNAL_SUBMISSION_RECEIVED,
        SubmissionReceived(
            submission_id=SUBMISSION_ID, version=version, channel=channel, keyed_by=keyed_by
        ),
    )


async def check_result(handle: ObligationHandle, result: ReceiptsCheckedSignal) -> None:
    await handle.signal(SIGNAL_RECEIPTS_CHECKED, result)


async def state(handle: ObligationHandle) -> ObligationState:
    result: ObligationState = await handle.query(QUERY_STATE, result_type=ObligationState)
    return result


async def poll(
    read: Callable[[], Awaitable[T]], condition: Callable[[T], bool], timeout_s: float = 10
) -> T:
    """Read until `condition` holds (time does not skip while polling)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        current = await read()
        if condition(current):
            return current
        if loop.time() > deadline:
            raise AssertionError(f"condition never held; last value: {current!r}")
        await asyncio.sleep(0.02)


async def query(
    handle: WorkflowHandle[Any, Any], name: str, result_type: type[T], attempts: int = 20
) -> T:
    """A query that is asked again when it goes unanswered. The test server can leave a
    query that arrives as a run continues-as-new unanswered until its deadline (30 s by
    default): ask with a short one."""
    for _ in range(attempts):
        try:
            result: T = await handle.query(
                name, result_type=result_type, rpc_timeout=timedelta(seconds=1)
            )
            return result
        except RPCError as error:
            if error.status not in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
                raise
    raise AssertionError(f"query {name} was never answered")


async def eventually(
    handle: ObligationHandle,
    condition: Callable[[ObligationState], bool],
    published: FakeObligationActivities | None = None,
    timeout_s: float = 10,
) -> ObligationState:
    """The state once `condition` holds and, given the fake activities, once every status
    change in its history has been published (the workflow records a change first and runs
    the activities that announce it afterwards, so a query can be ahead of them)."""

    def done(current: ObligationState) -> bool:
        return condition(current) and (
            published is None or len(published.status_changes) == len(current.history)
        )

    return await poll(lambda: state(handle), done, timeout_s)


async def sleep_until(env: WorkflowEnvironment, instant: datetime) -> None:
    """Skip the test server's clock to `instant`, firing every timer on the way."""
    remaining = instant - await env.get_current_time()
    if remaining > timedelta(0):
        await env.sleep(remaining)


def at_instant(observed: datetime, expected: datetime) -> bool:
    return timedelta(0) <= observed - expected <= TIMER_SLACK


# The cycles service's side of the quarter workflow, faked: a register of filers, and the
# outcome each obligation reports when its quarter closes.


@dataclass
class FakeCyclesActivities:
    """The quarter workflow's activities under their real names. `hold_open_batch` (1-based)
    and `hold_close_batches` make those batches wait for `release` (the workflow is then
    mid-phase, which is how tests signal it at a chosen point)."""

    filer_ids: list[str]
    outcome_of: Callable[[str], ObligationOutcome]
    open_requests: list[OpenBatchRequest] = field(default_factory=list)
    close_requests: list[CloseBatchRequest] = field(default_factory=list)
    closed_records: list[QuarterClosedRequest] = field(default_factory=list)
    scheduled_openings: list[ScheduledOpeningRequest] = field(default_factory=list)
    hold_open_batch: int | None = None
    hold_close_batches: bool = False
    held: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def _hold(self) -> None:
        self.held.set()
        await self.release.wait()

    def _page(self, after: str | None, limit: int) -> list[str]:
        return [f for f in self.filer_ids if after is None or f > after][:limit]

    @activity.defn(name=ACTIVITY_OPEN_OBLIGATIONS)
    async def open_obligations_batch(self, request: OpenBatchRequest) -> OpenBatchResult:
        # Like the register: a short page means the end was reached.
        self.open_requests.append(request)
        if len(self.open_requests) == self.hold_open_batch:
            await self._hold()
        page = self._page(request.after_filer_id, request.limit)
        return OpenBatchResult(
            opened=len(page),
            last_filer_id=page[-1] if page else request.after_filer_id,
            done=len(page) < request.limit,
        )

    @activity.defn(name=ACTIVITY_CLOSE_OBLIGATIONS)
    async def close_obligations_batch(self, request: CloseBatchRequest) -> CloseBatchResult:
        self.close_requests.append(request)
        if self.hold_close_batches:
            await self._hold()
        page = self._page(request.after_obligation_id, request.limit)
        return CloseBatchResult(
            tallies=QuarterTallies.of([self.outcome_of(f) for f in page]),
            last_obligation_id=page[-1] if page else request.after_obligation_id,
            done=len(page) < request.limit,
        )

    @activity.defn(name=ACTIVITY_RECORD_QUARTER_CLOSED)
    async def record_quarter_closed(self, request: QuarterClosedRequest) -> None:
        self.closed_records.append(request)

    @activity.defn(name=ACTIVITY_OPEN_SCHEDULED_PERIOD)
    async def open_scheduled_period(self, request: ScheduledOpeningRequest) -> str:
        self.scheduled_openings.append(request)
        return quarter_containing(request.scheduled_for.date()).key

    def worker(self, env: WorkflowEnvironment, task_queue: str) -> Worker:
        return Worker(
            env.client,
            task_queue=task_queue,
            activities=[
                self.open_obligations_batch,
                self.close_obligations_batch,
                self.record_quarter_closed,
                self.open_scheduled_period,
            ],
        )
