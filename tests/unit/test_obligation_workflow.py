"""The obligation workflow on Temporal's time-skipping test server, with fake activities.

The test server rejects upserts of unregistered search attributes (the workflow task fails
with "search attribute CabinetDepartment is not defined" and the workflow never progresses),
so each environment registers Cabinet's attributes through the operator service first.
"""

import asyncio
import re
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from cabinet_common.obligation_workflow import (
    QUERY_STATE,
    SIGNAL_RECEIPTS_CHECKED,
    SIGNAL_SUBMISSION_RECEIVED,
    WORKFLOW_TYPE,
    ObligationInput,
    ObligationKey,
    ObligationState,
    ObligationStatus,
    ReasonModel,
    ReceiptOutcome,
    ReceiptsCheckedSignal,
    SubmissionReceived,
)
from cabinet_cycles.periods import due_date, overdue_at, quarter_containing
from cabinet_workflows import search_attributes
from cabinet_workflows.obligation.activities import ObligationActivities
from cabinet_workflows.obligation.models import AcknowledgementNotice, ReturnNotice
from cabinet_workflows.obligation.workflows import ObligationWorkflow, acknowledgement_reference
from cabinet_workflows.worker import build_worker

TEST_SERVER = Path(sys.executable).parent / "temporal-test-server"
SUBMISSION_ID = "submission-1"
Handle = WorkflowHandle[Any, ObligationState]


class FakeActivities(ObligationActivities):
    """The workflow's activities under their real names, recording what they were given."""

    def __init__(self) -> None:  # no Kafka producer: both activities are replaced
        self.acknowledgements: list[AcknowledgementNotice] = []
        self.returns: list[ReturnNotice] = []

    @activity.defn(name="publish_acknowledgement")
    async def publish_acknowledgement(self, notice: AcknowledgementNotice) -> None:
        self.acknowledgements.append(notice)

    @activity.defn(name="publish_return")
    async def publish_return(self, notice: ReturnNotice) -> None:
        self.returns.append(notice)


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEST_SERVER), data_converter=pydantic_data_converter
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


@pytest.fixture
def activities() -> FakeActivities:
    return FakeActivities()


@pytest.fixture
async def worker(env: WorkflowEnvironment, activities: FakeActivities) -> AsyncIterator[Worker]:
    async with build_worker(env.client, activities, f"obligations-{uuid.uuid4()}") as running:
        yield running


async def obligation_input(env: WorkflowEnvironment) -> ObligationInput:
    """An obligation for the quarter the test server's clock is in, due in the future."""
    today = (await env.get_current_time()).date()
    period = quarter_containing(today)
    due = due_date(period.end, 1, 7)
    key = ObligationKey(
        department_id="dept", form_type_id="vat", filer_id="filer-1", period_key=period.key
    )
    return ObligationInput(
        key=key,
        obligation_id=key.obligation_id,
        period_start=period.start,
        period_end=period.end,
        due_date=due,
        overdue_at=overdue_at(due),
    )


async def start(env: WorkflowEnvironment, worker: Worker, obligation: ObligationInput) -> Handle:
    return await env.client.start_workflow(
        ObligationWorkflow.run,
        obligation,
        id=obligation.key.workflow_id,
        task_queue=worker.task_queue,
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


async def received(handle: Handle, version: int) -> None:
    await handle.signal(
        SIGNAL_SUBMISSION_RECEIVED, SubmissionReceived(submission_id=SUBMISSION_ID, version=version)
    )


async def state(handle: Handle) -> ObligationState:
    result: ObligationState = await handle.query(QUERY_STATE, result_type=ObligationState)
    return result


async def eventually(
    handle: Handle, condition: Callable[[ObligationState], bool], timeout_s: float = 15
) -> ObligationState:
    """Poll the state query until `condition` holds (time does not skip while polling)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        current = await state(handle)
        if condition(current):
            return current
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition never held; last state: {current!r}")
        await asyncio.sleep(0.05)


def statuses(current: ObligationState) -> list[ObligationStatus]:
    return [entry.status for entry in current.history]


async def status_search_attribute(handle: Handle) -> str | None:
    description = await handle.describe()
    return description.typed_search_attributes.get(search_attributes.OBLIGATION_STATUS)


async def test_accepted_submission_is_acknowledged_once(
    env: WorkflowEnvironment, worker: Worker, activities: FakeActivities
) -> None:
    obligation = await obligation_input(env)
    handle = await start(env, worker, obligation)
    await received(handle, 1)
    submitted = await eventually(handle, lambda s: s.status == ObligationStatus.SUBMITTED)
    assert (submitted.submission_id, submitted.version) == (SUBMISSION_ID, 1)

    await handle.signal(SIGNAL_RECEIPTS_CHECKED, checked(1))
    result = await handle.result()

    assert result.status == ObligationStatus.ACCEPTED
    ack = result.acknowledgement
    assert ack is not None
    assert re.fullmatch(r"\d{12}", ack.reference)
    assert ack.reference == acknowledgement_reference(obligation.obligation_id, SUBMISSION_ID, 1)
    assert (ack.submission_id, ack.version, ack.submission_sha256) == (
        SUBMISSION_ID,
        1,
        f"{1:064x}",
    )
    assert statuses(result) == [
        ObligationStatus.OPEN,
        ObligationStatus.SUBMITTED,
        ObligationStatus.CHECKING,
        ObligationStatus.ACCEPTED,
    ]
    # Decided (processed_at) before the activity ran; recorded once it had.
    assert result.history[-2].at <= ack.processed_at <= result.history[-1].at
    assert ack.reference in result.history[-1].detail

    assert len(activities.acknowledgements) == 1
    notice = activities.acknowledgements[0]
    assert notice.obligation == obligation
    assert notice.acknowledgement == ack
    assert activities.returns == []
    assert await status_search_attribute(handle) == "accepted"


def test_acknowledgement_reference_is_twelve_digits_and_deterministic() -> None:
    reference = acknowledgement_reference("obligation", "submission", 1)
    assert re.fullmatch(r"\d{12}", reference)
    assert acknowledgement_reference("obligation", "submission", 1) == reference
    assert acknowledgement_reference("obligation", "submission", 2) != reference


async def test_returned_then_resubmitted_and_accepted(
    env: WorkflowEnvironment, worker: Worker, activities: FakeActivities
) -> None:
    obligation = await obligation_input(env)
    handle = await start(env, worker, obligation)
    await received(handle, 1)
    first = checked(1, "r2")
    await handle.signal(SIGNAL_RECEIPTS_CHECKED, first)

    returned = await eventually(handle, lambda s: s.status == ObligationStatus.RETURNED)
    assert returned.version == 1
    assert returned.acknowledgement is None
    assert returned.history[-1].detail == "Version 1 returned with 1 problem(s)"
    assert len(activities.returns) == 1
    notice = activities.returns[0]
    assert notice.obligation == obligation
    assert notice.checked == first
    rejected = [r for r in notice.checked.receipts if not r.accepted]
    assert [r.receipt_id for r in rejected] == ["r2"]
    assert [reason.code for reason in rejected[0].reasons] == ["DATE_OUTSIDE_PERIOD"]
    assert returned.history[-2].at <= notice.returned_at <= returned.history[-1].at
    assert await status_search_attribute(handle) == "returned"

    await received(handle, 2)
    await handle.signal(SIGNAL_RECEIPTS_CHECKED, checked(2))
    result = await handle.result()

    assert result.status == ObligationStatus.ACCEPTED
    assert result.acknowledgement is not None
    assert result.acknowledgement.version == 2
    assert result.acknowledgement.reference == acknowledgement_reference(
        obligation.obligation_id, SUBMISSION_ID, 2
    )
    assert len(activities.returns) == 1
    assert [n.acknowledgement.version for n in activities.acknowledgements] == [2]
    assert statuses(result) == [
        ObligationStatus.OPEN,
        ObligationStatus.SUBMITTED,
        ObligationStatus.CHECKING,
        ObligationStatus.RETURNED,
        ObligationStatus.SUBMITTED,
        ObligationStatus.CHECKING,
        ObligationStatus.ACCEPTED,
    ]


async def test_a_submission_level_problem_returns_the_submission(
    env: WorkflowEnvironment, worker: Worker, activities: FakeActivities
) -> None:
    handle = await start(env, worker, await obligation_input(env))
    await handle.signal(SIGNAL_RECEIPTS_CHECKED, checked(1, total_ok=False))
    returned = await eventually(handle, lambda s: s.status == ObligationStatus.RETURNED)
    assert returned.history[-1].detail == "Version 1 returned with 1 problem(s)"
    assert [r.code for r in activities.returns[0].checked.submission_reasons] == ["TOTAL_MISMATCH"]
    assert activities.acknowledgements == []


async def test_redelivered_check_result_is_ignored_after_its_decision(
    env: WorkflowEnvironment, worker: Worker, activities: FakeActivities
) -> None:
    obligation = await obligation_input(env)
    handle = await start(env, worker, obligation)
    await handle.signal(SIGNAL_RECEIPTS_CHECKED, checked(1, "r1"))
    await eventually(handle, lambda s: s.status == ObligationStatus.RETURNED)

    # The same result again (a redelivered event), then the corrected version.
    await handle.signal(SIGNAL_RECEIPTS_CHECKED, checked(1, "r1"))
    await handle.signal(SIGNAL_RECEIPTS_CHECKED, checked(2))
    result = await handle.result()

    assert [n.checked.version for n in activities.returns] == [1]
    assert [n.acknowledgement.version for n in activities.acknowledgements] == [2]
    assert [e.detail for e in result.history].count("Version 1 checked") == 1


async def test_duplicate_check_result_before_the_decision_is_acknowledged_once(
    env: WorkflowEnvironment, worker: Worker, activities: FakeActivities
) -> None:
    handle = await start(env, worker, await obligation_input(env))
    await handle.signal(SIGNAL_RECEIPTS_CHECKED, checked(1))
    await handle.signal(SIGNAL_RECEIPTS_CHECKED, checked(1))
    result = await handle.result()

    assert result.status == ObligationStatus.ACCEPTED
    assert len(activities.acknowledgements) == 1
    assert activities.returns == []
    assert [e.detail for e in result.history].count("Version 1 checked") == 1


async def test_stale_version_after_a_newer_decision_is_ignored(
    env: WorkflowEnvironment, worker: Worker, activities: FakeActivities
) -> None:
    handle = await start(env, worker, await obligation_input(env))
    await handle.signal(SIGNAL_RECEIPTS_CHECKED, checked(1, "r1"))
    await eventually(handle, lambda s: s.status == ObligationStatus.RETURNED and s.version == 1)
    await handle.signal(SIGNAL_RECEIPTS_CHECKED, checked(2, "r2"))
    await eventually(handle, lambda s: s.status == ObligationStatus.RETURNED and s.version == 2)

    # An all-accepted result of version 1 arriving late must not acknowledge version 1, nor
    # may a late "received" of version 1 move the state back.
    await handle.signal(SIGNAL_RECEIPTS_CHECKED, checked(1))
    await received(handle, 1)
    await handle.signal(SIGNAL_RECEIPTS_CHECKED, checked(3))
    result = await handle.result()

    assert [n.checked.version for n in activities.returns] == [1, 2]
    assert [n.acknowledgement.version for n in activities.acknowledgements] == [3]
    assert result.acknowledgement is not None
    assert result.acknowledgement.version == 3
    assert result.version == 3
    details = [e.detail for e in result.history]
    assert "Version 1 received" not in details
    assert details.count("Version 1 checked") == 1


async def test_newer_version_supersedes_an_undecided_older_one(
    env: WorkflowEnvironment, activities: FakeActivities
) -> None:
    # Both results are in the history before any worker runs, so the workflow sees them in
    # its first task: only the newer is decided.
    task_queue = f"obligations-{uuid.uuid4()}"
    obligation = await obligation_input(env)
    handle: Handle = await env.client.start_workflow(
        ObligationWorkflow.run, obligation, id=obligation.key.workflow_id, task_queue=task_queue
    )
    await handle.signal(SIGNAL_RECEIPTS_CHECKED, checked(1, "r1"))
    await handle.signal(SIGNAL_RECEIPTS_CHECKED, checked(2))
    async with build_worker(env.client, activities, task_queue):
        result = await handle.result()

    assert result.acknowledgement is not None
    assert result.acknowledgement.version == 2
    assert activities.returns == []
    assert len(activities.acknowledgements) == 1


async def test_overdue_then_a_late_submission_is_still_acknowledged(
    env: WorkflowEnvironment, worker: Worker, activities: FakeActivities
) -> None:
    obligation = await obligation_input(env)
    handle = await start(env, worker, obligation)
    opened = await eventually(handle, lambda s: len(s.history) == 1)
    assert opened.history[0].at < obligation.overdue_at

    slack = timedelta(hours=1)
    await env.sleep(obligation.overdue_at - await env.get_current_time() + slack)
    overdue = await eventually(handle, lambda s: s.status == ObligationStatus.OVERDUE)

    entry = overdue.history[-1]
    assert entry.status == ObligationStatus.OVERDUE
    # Read inside the workflow: the timer fired at the end of the due date, London time.
    assert obligation.overdue_at <= entry.at <= obligation.overdue_at + slack
    assert await status_search_attribute(handle) == "overdue"
    assert activities.acknowledgements == []
    assert activities.returns == []

    await received(handle, 1)
    await handle.signal(SIGNAL_RECEIPTS_CHECKED, checked(1))
    result = await handle.result()

    assert result.status == ObligationStatus.ACCEPTED
    assert result.acknowledgement is not None
    assert result.acknowledgement.processed_at > obligation.overdue_at
    assert len(activities.acknowledgements) == 1
    assert statuses(result) == [
        ObligationStatus.OPEN,
        ObligationStatus.OVERDUE,
        ObligationStatus.SUBMITTED,
        ObligationStatus.CHECKING,
        ObligationStatus.ACCEPTED,
    ]


async def test_returned_submission_turns_overdue_when_the_due_date_passes(
    env: WorkflowEnvironment, worker: Worker, activities: FakeActivities
) -> None:
    obligation = await obligation_input(env)
    handle = await start(env, worker, obligation)
    await handle.signal(SIGNAL_RECEIPTS_CHECKED, checked(1, "r1"))
    await eventually(handle, lambda s: s.status == ObligationStatus.RETURNED)

    await env.sleep(obligation.overdue_at - await env.get_current_time() + timedelta(minutes=1))
    overdue = await eventually(handle, lambda s: s.status == ObligationStatus.OVERDUE)
    assert overdue.history[-1].at >= obligation.overdue_at
    assert overdue.version == 1
    assert len(activities.returns) == 1


# BUG (reported): cycles starts the workflow with signal-with-start. The SDK delivers the
# start signal before run() begins, and run() then records OPEN over it (and upserts
# CabinetObligationStatus=open), so the state says "open" with version 1 received.
async def test_signal_with_start_keeps_the_received_submission(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    obligation = await obligation_input(env)
    handle: Handle = await env.client.start_workflow(
        WORKFLOW_TYPE,
        obligation,
        id=obligation.key.workflow_id,
        task_queue=worker.task_queue,
        start_signal=SIGNAL_SUBMISSION_RECEIVED,
        start_signal_args=[SubmissionReceived(submission_id=SUBMISSION_ID, version=1)],
        result_type=ObligationState,
    )
    current = await eventually(handle, lambda s: len(s.history) == 2)
    assert statuses(current) == [ObligationStatus.OPEN, ObligationStatus.SUBMITTED]
    assert current.status == ObligationStatus.SUBMITTED
    assert await status_search_attribute(handle) == "submitted"
