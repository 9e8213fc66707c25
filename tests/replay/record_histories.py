"""Record the workflow histories that tests/replay/test_replay.py replays.

    uv run python -m tests.replay.record_histories LABEL [SCENARIO ...]

(`make release VERSION=x.y.z` records every scenario under the label x.y.z.)

Each scenario below runs on Temporal's time-skipping test server with the fake activities of
tests/temporal_support.py, and its history is written as `WorkflowHistory.to_json()` to
tests/replay/histories/LABEL/<scenario>.json (the file's stem is the workflow id on replay).
LABEL names the version of the workflow code the histories come from. With scenario names,
only those are recorded; without, all of them.

To record from an earlier version of the workflows (the baseline a `workflow.patched()`
change must still replay), put that commit's package first on the path:

    git archive <commit> workflows/src/cabinet_workflows | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old/workflows/src uv run python -m tests.replay.record_histories <label>

(the script prints which workflows module it ran). Committed so far:
- before-check-digit: commit 139e064, acknowledgement references without a check digit;
- check-digit: commit 4451925, references with a Luhn check digit behind
  workflow.patched("reference-check-digit").

- 0.1.0 and every later release: all scenarios, recorded by `make release VERSION=...`
  from the workflows of that release (paper filings with channel and keyed_by, returns,
  extensions, waivers, a quarter closed).

These files are the baseline every later version of the workflows must replay. Never
re-record a committed label to make a failing replay pass: a change that breaks replay goes
behind `workflow.patched()`, and new code or a new scenario gets a new label or file.
"""

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from cabinet_common.deadlines import deadlines
from cabinet_common.obligation_workflow import (
    SIGNAL_SUBMISSION_RECEIVED,
    UPDATE_ACCEPT,
    UPDATE_CLOSE,
    UPDATE_EXTEND,
    UPDATE_RETURN,
    UPDATE_WAIVE,
    AcceptAction,
    CloseRequest,
    ExtendAction,
    ObligationOutcome,
    ObligationState,
    ObligationStatus,
    ReasonModel,
    ReturnAction,
    SubmissionReceived,
    WaiveAction,
)
from cabinet_common.quarter_workflow import (
    QUERY_PROGRESS,
    SIGNAL_CLOSE_NOW,
    QuarterInput,
    QuarterKey,
    QuarterPhase,
    QuarterProgress,
    ScheduledOpeningInput,
)
from cabinet_workflows.obligation import workflows as workflows_module
from tests.temporal_support import (
    CASEWORKER,
    ESCALATE_AFTER_DAYS,
    LADDER,
    SUBMISSION_ID,
    FakeCyclesActivities,
    FakeObligationActivities,
    ObligationHandle,
    check_result,
    checked,
    eventually,
    obligation_input,
    obligation_worker,
    poll,
    query,
    received,
    sleep_until,
    start_obligation,
    time_skipping_env,
)

HISTORIES = Path(__file__).parent / "histories"

Recorded = dict[str, WorkflowHistory]
Scenario = Callable[[WorkflowEnvironment], Awaitable[Recorded]]


async def _close(handle: ObligationHandle) -> ObligationOutcome:
    outcome: ObligationOutcome = await handle.execute_update(
        UPDATE_CLOSE, CloseRequest(), result_type=ObligationOutcome
    )
    await handle.result()
    return outcome


async def _update(handle: ObligationHandle, name: str, action: Any) -> ObligationState:
    state: ObligationState = await handle.execute_update(name, action, result_type=ObligationState)
    return state


async def obligation_accepted(env: WorkflowEnvironment) -> Recorded:
    """Started with its first submission (signal-with-start), checked, accepted, closed."""
    activities = FakeObligationActivities()
    today = (await env.get_current_time()).date()
    obligation = obligation_input(today + timedelta(days=60), filer_id="filer-accepted")
    async with obligation_worker(env, activities) as worker:
        handle: ObligationHandle = await env.client.start_workflow(
            "ObligationWorkflow",
            obligation,
            id=obligation.key.workflow_id,
            task_queue=worker.task_queue,
            start_signal=SIGNAL_SUBMISSION_RECEIVED,
            start_signal_args=[SubmissionReceived(submission_id=SUBMISSION_ID, version=1)],
            result_type=ObligationOutcome,
        )
        await eventually(handle, lambda s: s.status == ObligationStatus.SUBMITTED, activities)
        await check_result(handle, checked(1))
        await eventually(handle, lambda s: s.status == ObligationStatus.ACCEPTED, activities)
        await _close(handle)
        return {"obligation_accepted": await handle.fetch_history()}


async def obligation_returned_resubmitted(env: WorkflowEnvironment) -> Recorded:
    """Returned by the checks, a stale result ignored, version 2 accepted, closed."""
    activities = FakeObligationActivities()
    today = (await env.get_current_time()).date()
    obligation = obligation_input(today + timedelta(days=60), filer_id="filer-returned")
    async with obligation_worker(env, activities) as worker:
        handle = await start_obligation(env, worker.task_queue, obligation)
        await received(handle, 1)
        await check_result(handle, checked(1, "r2", total_ok=False))
        await eventually(handle, lambda s: s.status == ObligationStatus.RETURNED, activities)
        await received(handle, 2)
        await check_result(handle, checked(1))  # stale: ignored
        await check_result(handle, checked(2))
        await eventually(handle, lambda s: s.status == ObligationStatus.ACCEPTED, activities)
        await _close(handle)
        return {"obligation_returned_resubmitted": await handle.fetch_history()}


async def obligation_overdue_escalated_waived(env: WorkflowEnvironment) -> Recorded:
    """Never filed: every reminder, overdue, escalated, then waived and closed."""
    activities = FakeObligationActivities()
    today = (await env.get_current_time()).date()
    obligation = obligation_input(today + timedelta(days=20), filer_id="filer-waived")
    async with obligation_worker(env, activities) as worker:
        handle = await start_obligation(env, worker.task_queue, obligation)
        await eventually(handle, lambda s: len(s.history) == 1, activities)
        await sleep_until(env, obligation.deadlines.reminders[-1].at + timedelta(hours=1))
        await eventually(handle, lambda s: s.status == ObligationStatus.ESCALATED, activities)
        await _update(handle, UPDATE_WAIVE, WaiveAction(actor=CASEWORKER, reason="Dormant"))
        await _close(handle)
        return {"obligation_overdue_escalated_waived": await handle.fetch_history()}


async def obligation_caseworker_decisions(env: WorkflowEnvironment) -> Recorded:
    """Returned by a caseworker, overdue, extended, returned by the checks, accepted by a
    caseworker, closed."""
    activities = FakeObligationActivities()
    today = (await env.get_current_time()).date()
    due = today + timedelta(days=20)
    obligation = obligation_input(due, filer_id="filer-caseworker")
    async with obligation_worker(env, activities) as worker:
        handle = await start_obligation(env, worker.task_queue, obligation)
        await received(handle, 1)
        await eventually(handle, lambda s: s.status == ObligationStatus.SUBMITTED, activities)
        await _update(
            handle,
            UPDATE_RETURN,
            ReturnAction(
                actor=CASEWORKER,
                reason="Incomplete evidence",
                reasons=[
                    ReasonModel(code="MISSING_REQUIRED_RECEIPT", message="Fuel receipt missing")
                ],
            ),
        )
        await sleep_until(env, obligation.deadlines.overdue_at + timedelta(hours=1))
        await eventually(handle, lambda s: s.status == ObligationStatus.OVERDUE, activities)
        new = deadlines(due + timedelta(days=14), LADDER, ESCALATE_AFTER_DAYS)
        await _update(
            handle, UPDATE_EXTEND, ExtendAction(actor=CASEWORKER, reason="Illness", deadlines=new)
        )
        await received(handle, 2)
        await check_result(handle, checked(2, "r1"))
        await eventually(handle, lambda s: s.status == ObligationStatus.RETURNED, activities)
        await _update(handle, UPDATE_ACCEPT, AcceptAction(actor=CASEWORKER, reason="Verified"))
        await _close(handle)
        return {"obligation_caseworker_decisions": await handle.fetch_history()}


async def obligation_paper_filing(env: WorkflowEnvironment) -> Recorded:
    """A paper return keyed in by a caseworker, returned by the checks, keyed in again
    (version 2, paper), accepted, closed: the channel and keyed_by travel in the signals."""
    activities = FakeObligationActivities()
    today = (await env.get_current_time()).date()
    obligation = obligation_input(today + timedelta(days=60), filer_id="filer-paper")
    async with obligation_worker(env, activities) as worker:
        handle = await start_obligation(env, worker.task_queue, obligation)
        await received(handle, 1, channel="paper", keyed_by=CASEWORKER)
        await check_result(handle, checked(1, "r1"))
        await eventually(handle, lambda s: s.status == ObligationStatus.RETURNED, activities)
        await received(handle, 2, channel="paper", keyed_by=CASEWORKER)
        await check_result(handle, checked(2))
        await eventually(handle, lambda s: s.status == ObligationStatus.ACCEPTED, activities)
        await _close(handle)
        return {"obligation_paper_filing": await handle.fetch_history()}


def _outcome(filer_id: str) -> ObligationOutcome:
    kind = int(filer_id.removeprefix("filer-")) % 4
    status = [
        ObligationStatus.ACCEPTED,
        ObligationStatus.ACCEPTED,
        ObligationStatus.WAIVED,
        ObligationStatus.CLOSED,
    ][kind]
    return ObligationOutcome(status=status, on_time=kind == 0, submission_version=None)


@asynccontextmanager
async def _quarter(
    env: WorkflowEnvironment, filers: int, batch_size: int, period_key: str
) -> AsyncIterator[WorkflowHandle[Any, QuarterProgress]]:
    """A started quarter workflow, its workflow worker and its fake cycles service."""
    cycles = FakeCyclesActivities([f"filer-{i:05d}" for i in range(filers)], _outcome)
    key = QuarterKey(department_id="dept", form_type_id="vat", period_key=period_key)
    quarter = QuarterInput(
        key=key,
        closes_at=await env.get_current_time() + timedelta(days=90),
        activity_task_queue=f"cycles-{period_key}",
        batch_size=batch_size,
    )
    async with (
        obligation_worker(env, FakeObligationActivities()) as worker,
        cycles.worker(env, quarter.activity_task_queue),
    ):
        yield await env.client.start_workflow(
            "QuarterWorkflow",
            quarter,
            id=key.workflow_id,
            task_queue=worker.task_queue,
            result_type=QuarterProgress,
        )


async def quarter_fan_out(env: WorkflowEnvironment) -> Recorded:
    """250 filers in batches of 100, open until its closing time, closed by itself."""
    async with _quarter(env, 250, 100, "2027-Q1") as handle:
        await handle.result()
        return {"quarter_fan_out": await handle.fetch_history()}


async def quarter_continue_as_new(env: WorkflowEnvironment) -> Recorded:
    """150 filers in batches of 1: the first run opens 100 and continues as new; the second,
    recorded, finishes opening, is closed by an operator's signal and continues as new in
    the middle of closing."""
    async with _quarter(env, 150, 1, "2027-Q2") as handle:

        async def progress() -> QuarterProgress:
            return await query(handle, QUERY_PROGRESS, QuarterProgress)

        await poll(progress, lambda p: p.phase == QuarterPhase.OPEN, timeout_s=60)
        second_run_id = (await handle.describe()).run_id
        await handle.signal(SIGNAL_CLOSE_NOW)
        await poll(progress, lambda p: p.phase == QuarterPhase.CLOSED, timeout_s=60)
        # The second run: the end of opening, the open phase, the signal, closing batches and
        # the continue-as-new (the first run's opening batches are all in it as well).
        history = await env.client.get_workflow_handle(
            handle.id, run_id=second_run_id
        ).fetch_history()
        last = history.events[-1].event_type
        if last != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            # The test server now and then cuts a continued-as-new run's history short.
            raise RuntimeError(f"the run ends with {EventType.Name(last)}: record it again")
        return {"quarter_continue_as_new": history}


async def scheduled_period_opening(env: WorkflowEnvironment) -> Recorded:
    cycles = FakeCyclesActivities([], _outcome)
    async with (
        obligation_worker(env, FakeObligationActivities()) as worker,
        cycles.worker(env, "cycles-scheduled"),
    ):
        handle: WorkflowHandle[Any, None] = await env.client.start_workflow(
            "ScheduledPeriodOpening",
            ScheduledOpeningInput(
                department_id="dept", form_type_id="vat", activity_task_queue="cycles-scheduled"
            ),
            id="scheduled-opening:dept:vat",
            task_queue=worker.task_queue,
        )
        await handle.result()
        return {"scheduled_period_opening": await handle.fetch_history()}


SCENARIOS: dict[str, Scenario] = {
    scenario.__name__: scenario
    for scenario in (
        obligation_accepted,
        obligation_returned_resubmitted,
        obligation_overdue_escalated_waived,
        obligation_caseworker_decisions,
        obligation_paper_filing,
        quarter_fan_out,
        quarter_continue_as_new,
        scheduled_period_opening,
    )
}


async def _record_one(name: str, attempts: int = 3) -> Recorded:
    """One scenario; again when the test server cut a history short (RuntimeError)."""
    for attempt in range(attempts):
        try:
            # Unencrypted: the committed histories are test data, read in review, and every
            # later key must replay them (Cabinet's converter passes them through).
            async with time_skipping_env(pydantic_data_converter) as env:
                return await SCENARIOS[name](env)
        except RuntimeError as error:
            if attempt == attempts - 1:
                raise
            print(f"{name}: {error}")
    raise AssertionError("unreachable")


async def record(label: str, names: list[str]) -> None:
    target_dir = HISTORIES / label
    target_dir.mkdir(parents=True, exist_ok=True)
    print(f"recording with {workflows_module.__file__}")
    for name in names or list(SCENARIOS):
        recorded = await _record_one(name)
        for stem, history in recorded.items():
            target = target_dir / f"{stem}.json"
            target.write_text(history.to_json() + "\n")
            print(f"{target}: {len(history.events)} events")


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        sys.exit(__doc__)
    label, names = sys.argv[1], sys.argv[2:]
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        sys.exit(f"unknown scenario(s) {unknown}; known: {sorted(SCENARIOS)}")
    asyncio.run(record(label, names))
    # A clean, explicit exit: the SDK's runtime can abort during interpreter finalisation.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
