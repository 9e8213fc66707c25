"""Replay every committed workflow history (tests/replay/histories/<label>/*.json, <label>
naming the version of the workflow code that recorded it) against today's workflows. A
failure means a change is not deterministic for workflows already running: put it behind
`workflow.patched()`; never re-record a committed history. Each release adds its own
baseline (`make release VERSION=...` records every scenario into histories/<VERSION>/); see
tests/replay/record_histories.py. This is the gate a worker release passes before it is
made the current version of the Worker Deployment (deploy/README.md).

The histories are unencrypted test data (the recorder writes them so); the Replayer uses
Cabinet's encrypting converter, as the worker does, which passes them through."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from cabinet_common.obligation_workflow import SIGNAL_SUBMISSION_RECEIVED, SubmissionReceived
from cabinet_common.quarter_workflow import QuarterPhase, QuarterProgress
from cabinet_workflows.obligation.models import AcknowledgementNotice
from cabinet_workflows.obligation.workflows import (
    ObligationWorkflow,
    acknowledgement_reference,
    legacy_acknowledgement_reference,
)
from cabinet_workflows.quarter.workflows import QuarterWorkflow, ScheduledPeriodOpening
from tests.replay.record_histories import SCENARIOS
from tests.temporal_support import CASEWORKER, TEST_CONVERTER

HISTORIES = Path(__file__).parent / "histories"
FILES = sorted(HISTORIES.glob("*/*.json"))
BEFORE_CHECK_DIGIT = HISTORIES / "before-check-digit"
CHECK_DIGIT = HISTORIES / "check-digit"
OBLIGATION_SCENARIOS = {
    "obligation_accepted",
    "obligation_returned_resubmitted",
    "obligation_overdue_escalated_waived",
    "obligation_caseworker_decisions",
}
# The quarter workflows did not change with the check digit: recorded once.
QUARTER_SCENARIOS = {"quarter_fan_out", "quarter_continue_as_new", "scheduled_period_opening"}


def history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


def stems(folder: Path) -> set[str]:
    return {path.stem for path in folder.glob("*.json")}


# A release's baseline: every scenario, recorded from that release's workflows.
RELEASES = sorted(p for p in HISTORIES.iterdir() if re.fullmatch(r"\d+\.\d+\.\d+", p.name))


def test_every_scenario_is_committed_for_each_version() -> None:
    assert stems(BEFORE_CHECK_DIGIT) == OBLIGATION_SCENARIOS | QUARTER_SCENARIOS
    assert stems(CHECK_DIGIT) == OBLIGATION_SCENARIOS
    assert RELEASES, "no release baseline: make release VERSION=... records one"
    for release in RELEASES:
        assert stems(release) == set(SCENARIOS), release.name


def signals(recorded: WorkflowHistory, model: type[SubmissionReceived]) -> list[SubmissionReceived]:
    events = [
        e.workflow_execution_signaled_event_attributes
        for e in recorded.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
        and e.workflow_execution_signaled_event_attributes.signal_name == SIGNAL_SUBMISSION_RECEIVED
    ]
    converter = pydantic_data_converter.payload_converter
    return [converter.from_payloads(list(e.input.payloads), [model])[0] for e in events]


@pytest.mark.parametrize("release", RELEASES, ids=lambda p: p.name)
def test_a_release_baseline_holds_paper_filings_and_a_closed_quarter(release: Path) -> None:
    """What today's code has and the early baselines lack is in each release's: paper
    submissions (channel, keyed_by) and a quarter that closed."""
    paper = signals(history(release / "obligation_paper_filing.json"), SubmissionReceived)
    assert [(s.version, s.channel, s.keyed_by) for s in paper] == [
        (1, "paper", CASEWORKER),
        (2, "paper", CASEWORKER),
    ]
    quarter = history(release / "quarter_fan_out.json")
    last = quarter.events[-1]
    assert last.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    [progress] = pydantic_data_converter.payload_converter.from_payloads(
        list(last.workflow_execution_completed_event_attributes.result.payloads),
        [QuarterProgress],
    )
    assert isinstance(progress, QuarterProgress) and progress.phase == QuarterPhase.CLOSED


@pytest.mark.parametrize("path", FILES, ids=[f"{path.parent.name}/{path.stem}" for path in FILES])
async def test_history_replays_without_nondeterminism(path: Path) -> None:
    replayer = Replayer(
        workflows=[ObligationWorkflow, QuarterWorkflow, ScheduledPeriodOpening],
        # Cabinet's converter, which passes these unencrypted histories through.
        data_converter=TEST_CONVERTER,
    )
    result = await replayer.replay_workflow(history(path), raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path}: {result.replay_failure!r}"


@pytest.mark.parametrize(("folder", "patched"), [(BEFORE_CHECK_DIGIT, False), (CHECK_DIGIT, True)])
def test_the_baselines_hold_the_reference_of_their_version(folder: Path, patched: bool) -> None:
    """The before-check-digit histories really exercise the unpatched branch (no patch
    marker, references without a check digit), and the check-digit ones the patched one."""
    recorded = history(folder / "obligation_accepted.json")
    markers = [e for e in recorded.events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    assert bool(markers) == patched
    [scheduled] = [
        e.activity_task_scheduled_event_attributes
        for e in recorded.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name
        == "publish_acknowledgement"
    ]
    [notice] = pydantic_data_converter.payload_converter.from_payloads(
        list(scheduled.input.payloads), [AcknowledgementNotice]
    )
    assert isinstance(notice, AcknowledgementNotice)
    ack = notice.acknowledgement
    new = acknowledgement_reference(notice.obligation.obligation_id, ack.submission_id, 1)
    legacy = legacy_acknowledgement_reference(notice.obligation.obligation_id, ack.submission_id, 1)
    assert ack.version == 1
    assert new != legacy
    assert ack.reference == (new if patched else legacy)


@workflow.defn(name="ObligationWorkflow", sandboxed=False)
class ChangedObligationWorkflow:
    """A deliberately incompatible "new version": it starts a timer where the recorded
    workflow upserted its search attributes."""

    @workflow.run
    async def run(self, _: object) -> None:
        await workflow.sleep(timedelta(days=1))


@pytest.mark.parametrize(
    "path",
    [
        CHECK_DIGIT / "obligation_accepted.json",
        *(r / "obligation_paper_filing.json" for r in RELEASES),
    ],
    ids=lambda p: f"{p.parent.name}/{p.stem}",
)
async def test_an_incompatible_change_fails_replay(path: Path) -> None:
    """The replay tests can fail: the histories hold commands a changed workflow must match."""
    replayer = Replayer(workflows=[ChangedObligationWorkflow], data_converter=TEST_CONVERTER)
    result = await replayer.replay_workflow(history(path), raise_on_replay_failure=False)
    assert isinstance(result.replay_failure, NondeterminismError)
