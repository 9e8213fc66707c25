"""The quarter workflow on the time-skipping test server: fan-out in bounded batches,
continue-as-new, the progress query, closing by signal or by itself, and the compliance
figures. The cycles service's activities are faked (tests/temporal_support.py) and run on
their own task queue, as in production (QuarterInput.activity_task_queue)."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from cabinet_common.obligation_workflow import ObligationOutcome, ObligationStatus
from cabinet_common.quarter_workflow import (
    QUERY_PROGRESS,
    SIGNAL_CLOSE_NOW,
    QuarterInput,
    QuarterKey,
    QuarterPhase,
    QuarterProgress,
    QuarterTallies,
    ScheduledOpeningInput,
)
from cabinet_workflows.quarter.workflows import BATCHES_PER_RUN
from tests.temporal_support import (
    FakeCyclesActivities,
    FakeObligationActivities,
    at_instant,
    obligation_worker,
    poll,
    query,
    sleep_until,
)

QuarterHandle = WorkflowHandle[Any, QuarterProgress]
KEY = QuarterKey(department_id="dept", form_type_id="vat", period_key="2027-Q1")
FILERS = 2_350


def filer_ids(count: int) -> list[str]:
    return [f"filer-{i:05d}" for i in range(count)]


def outcome_of(filer_id: str) -> ObligationOutcome:
    """Six in ten on time, then one each late, waived, returned-and-closed, never filed."""
    kind = int(filer_id.removeprefix("filer-")) % 10
    if kind <= 5:
        return ObligationOutcome(
            status=ObligationStatus.ACCEPTED, on_time=True, submission_version=1
        )
    if kind == 6:
        return ObligationOutcome(
            status=ObligationStatus.ACCEPTED, on_time=False, submission_version=2
        )
    if kind == 7:
        return ObligationOutcome(
            status=ObligationStatus.WAIVED, on_time=False, submission_version=None
        )
    version = 1 if kind == 8 else None
    return ObligationOutcome(
        status=ObligationStatus.CLOSED, on_time=False, submission_version=version
    )


def expected_tallies(count: int) -> QuarterTallies:
    kinds = [i % 10 for i in range(count)]
    return QuarterTallies(
        obligations=count,
        on_time=sum(k <= 5 for k in kinds),
        late=kinds.count(6),
        waived=kinds.count(7),
        outstanding=kinds.count(8) + kinds.count(9),
    )


@pytest.fixture
async def worker(env: WorkflowEnvironment) -> AsyncIterator[Worker]:
    """The workflow worker (obligation and quarter workflows, as deployed)."""
    async with obligation_worker(env, FakeObligationActivities()) as running:
        yield running


class Quarter:
    """A quarter workflow with its fake cycles service running on a second worker."""

    def __init__(self, env: WorkflowEnvironment, worker: Worker, cycles: FakeCyclesActivities):
        self.env = env
        self.worker = worker
        self.cycles = cycles
        self.activity_task_queue = f"cycles-{uuid.uuid4()}"

    async def start(self, batch_size: int, closes_in: timedelta) -> QuarterHandle:
        self.closes_at = await self.env.get_current_time() + closes_in
        self.input = QuarterInput(
            key=KEY,
            closes_at=self.closes_at,
            activity_task_queue=self.activity_task_queue,
            batch_size=batch_size,
        )
        handle: QuarterHandle = await self.env.client.start_workflow(
            "QuarterWorkflow",
            self.input,
            id=KEY.workflow_id,
            task_queue=self.worker.task_queue,
            result_type=QuarterProgress,
        )
        return handle


@pytest.fixture
async def quarter(env: WorkflowEnvironment, worker: Worker) -> AsyncIterator[Quarter]:
    cycles = FakeCyclesActivities(filer_ids(FILERS), outcome_of)
    fixture = Quarter(env, worker, cycles)
    async with cycles.worker(env, fixture.activity_task_queue):
        yield fixture


async def progress(handle: QuarterHandle) -> QuarterProgress:
    return await query(handle, QUERY_PROGRESS, QuarterProgress)


async def phase_is(handle: QuarterHandle, phase: QuarterPhase) -> QuarterProgress:
    return await poll(lambda: progress(handle), lambda p: p.phase == phase, timeout_s=30)


async def current_run_id(handle: QuarterHandle) -> str:
    return (await handle.describe()).run_id


async def history_length(env: WorkflowEnvironment, run_id: str | None) -> int:
    """Events in a run's history, as the server counts them. (Not by fetching the history
    and following its continue-as-new chain: the test server now and then returns a
    continued-as-new run's history cut short after its last WorkflowTaskStarted, and
    `result()` on the first run's handle then waits for ever.)"""
    description = await env.client.get_workflow_handle(KEY.workflow_id, run_id=run_id).describe()
    return description.history_length


async def test_fans_out_in_batches_then_closes_by_itself_with_the_figures(
    env: WorkflowEnvironment, quarter: Quarter
) -> None:
    handle = await quarter.start(batch_size=100, closes_in=timedelta(days=90))

    opened = await phase_is(handle, QuarterPhase.OPEN)
    assert opened.opened == FILERS
    assert opened.open_cursor == f"filer-{FILERS - 1:05d}"
    requests = quarter.cycles.open_requests
    assert len(requests) == 24  # 23 full batches and one of 50
    assert [r.after_filer_id for r in requests] == [None] + [
        f"filer-{i * 100 - 1:05d}" for i in range(1, 24)
    ]
    assert all((r.key, r.limit) == (KEY, 100) for r in requests)
    assert quarter.cycles.close_requests == []

    # Nobody closes it: it waits for its closing time, then closes every obligation.
    await sleep_until(env, quarter.closes_at - timedelta(hours=1))
    assert (await progress(handle)).phase == QuarterPhase.OPEN
    assert quarter.cycles.close_requests == []
    final = await handle.result()

    assert final.phase == QuarterPhase.CLOSED
    assert final.closed == FILERS
    assert final.tallies == expected_tallies(FILERS)
    assert final.tallies == QuarterTallies(
        obligations=2_350, on_time=1_410, late=235, waived=235, outstanding=470
    )
    assert len(quarter.cycles.close_requests) == 24
    [record] = quarter.cycles.closed_records
    assert (record.key, record.tallies) == (KEY, final.tallies)
    assert at_instant(record.closed_at, quarter.closes_at)
    assert await current_run_id(handle) == handle.result_run_id  # one run: no continue-as-new


async def test_continues_as_new_keeping_history_small_and_an_early_close_request(
    env: WorkflowEnvironment, quarter: Quarter
) -> None:
    # Batches of 10: 236 to open and 236 to close (the last ones empty: 2,350 fills 235
    # whole batches), in several runs of at most 100 batches.
    quarter.cycles.hold_open_batch = 150
    handle = await quarter.start(batch_size=10, closes_in=timedelta(days=90))
    first_run_id = handle.result_run_id
    assert first_run_id is not None

    await asyncio.wait_for(quarter.cycles.held.wait(), timeout=30)
    during = await progress(handle)  # asked of the second run
    assert (during.phase, during.opened, during.open_cursor) == (
        QuarterPhase.OPENING,
        1_490,
        "filer-01489",
    )
    second_run_id = await current_run_id(handle)
    assert second_run_id != first_run_id

    # An operator closes the quarter while it is still opening: the request survives the
    # next continue-as-new, and the quarter closes without waiting for its closing time.
    await handle.signal(SIGNAL_CLOSE_NOW)
    quarter.cycles.release.set()
    closed = await phase_is(handle, QuarterPhase.CLOSED)

    assert (closed.opened, closed.closed) == (FILERS, FILERS)
    assert closed.tallies == expected_tallies(FILERS)
    [record] = quarter.cycles.closed_records
    assert record.tallies == closed.tallies
    assert record.closed_at < quarter.closes_at - timedelta(days=80)
    assert len(quarter.cycles.open_requests) == 236
    assert len(quarter.cycles.close_requests) == 236
    # Cursors carried across runs: every filer opened and closed exactly once.
    assert [r.after_filer_id for r in quarter.cycles.open_requests][1:] == [
        f"filer-{i * 10 - 1:05d}" for i in range(1, 236)
    ]
    assert [r.after_obligation_id for r in quarter.cycles.close_requests][1:] == [
        f"filer-{i * 10 - 1:05d}" for i in range(1, 236)
    ]

    # Several runs, each with a history near BATCHES_PER_RUN * 6 events (a batch is an
    # activity scheduled, started and completed, and a workflow task).
    last_run_id = await current_run_id(handle)
    assert len({first_run_id, second_run_id, last_run_id}) == 3
    for run_id in (first_run_id, second_run_id, last_run_id):
        assert await history_length(env, run_id) <= BATCHES_PER_RUN * 7
    final = await env.client.get_workflow_handle(
        KEY.workflow_id, result_type=QuarterProgress
    ).result()
    assert final == closed


async def test_close_now_moves_an_open_quarter_to_closing_then_closed(
    env: WorkflowEnvironment, quarter: Quarter
) -> None:
    handle = await quarter.start(batch_size=500, closes_in=timedelta(days=90))
    await phase_is(handle, QuarterPhase.OPEN)

    quarter.cycles.hold_close_batches = True
    await handle.signal(SIGNAL_CLOSE_NOW)
    closing = await phase_is(handle, QuarterPhase.CLOSING)
    assert (closing.opened, closing.closed) == (FILERS, 0)
    quarter.cycles.release.set()
    closed = await phase_is(handle, QuarterPhase.CLOSED)

    assert closed.tallies == expected_tallies(FILERS)
    assert len(quarter.cycles.close_requests) == 5
    [record] = quarter.cycles.closed_records
    assert record.tallies == closed.tallies
    assert record.closed_at < quarter.closes_at - timedelta(days=80)

    assert await handle.result() == closed


async def test_a_register_that_fills_whole_batches_ends_on_an_empty_one(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    cycles = FakeCyclesActivities(filer_ids(300), outcome_of)
    quarter = Quarter(env, worker, cycles)
    async with cycles.worker(env, quarter.activity_task_queue):
        handle = await quarter.start(batch_size=100, closes_in=timedelta(days=1))
        final = await handle.result()
    assert len(cycles.open_requests) == len(cycles.close_requests) == 4
    assert (final.opened, final.closed) == (300, 300)
    assert final.tallies == expected_tallies(300)


async def test_scheduled_opening_opens_the_period_of_its_start_time(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    cycles = FakeCyclesActivities([], outcome_of)
    activity_task_queue = f"cycles-{uuid.uuid4()}"
    async with cycles.worker(env, activity_task_queue):
        handle: WorkflowHandle[Any, None] = await env.client.start_workflow(
            "ScheduledPeriodOpening",
            ScheduledOpeningInput(
                department_id="dept", form_type_id="vat", activity_task_queue=activity_task_queue
            ),
            id="scheduled-opening-test",
            task_queue=worker.task_queue,
        )
        await handle.result()
        started_at: datetime | None = (await handle.describe()).start_time
    [request] = cycles.scheduled_openings
    assert (request.department_id, request.form_type_id) == ("dept", "vat")
    # Started by hand, not by a schedule: its own start time stands in for the nominal one.
    assert started_at is not None
    assert abs(request.scheduled_for - started_at) < timedelta(seconds=1)
