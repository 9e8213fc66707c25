"""One long-running workflow per obligation: it waits for checked submissions, returns
them or acknowledges them, and turns overdue when the due date passes first."""

import hashlib
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from cabinet_common.obligation_workflow import (
        QUERY_STATE,
        SIGNAL_RECEIPTS_CHECKED,
        SIGNAL_SUBMISSION_RECEIVED,
        WORKFLOW_TYPE,
        Acknowledgement,
        HistoryEntry,
        ObligationInput,
        ObligationState,
        ObligationStatus,
        ReceiptsCheckedSignal,
        SubmissionReceived,
    )
    from cabinet_workflows import search_attributes
    from cabinet_workflows.obligation.activities import ObligationActivities
    from cabinet_workflows.obligation.models import AcknowledgementNotice, ReturnNotice

PUBLISH_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)
PUBLISH_TIMEOUT = timedelta(seconds=30)


def acknowledgement_reference(obligation_id: str, submission_id: str, version: int) -> str:
    """12 digits, derived from what was accepted, so a replay or retry gives the same number."""
    digest = hashlib.sha256(f"{obligation_id}:{submission_id}:{version}".encode()).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**12:012d}"


@workflow.defn(name=WORKFLOW_TYPE)
class ObligationWorkflow:
    @workflow.init
    def __init__(self, obligation: ObligationInput) -> None:
        # Runs before a signal-with-start's signal is handled, so "opened" is always first.
        self._state = ObligationState(status=ObligationStatus.OPEN)
        self._record(ObligationStatus.OPEN, "Obligation opened")
        self._checked: ReceiptsCheckedSignal | None = None
        self._decided_version = 0
        self._overdue = False
        self._accepting = False

    @workflow.run
    async def run(self, obligation: ObligationInput) -> ObligationState:
        workflow.upsert_search_attributes(
            [
                search_attributes.DEPARTMENT.value_set(obligation.key.department_id),
                search_attributes.FORM_TYPE.value_set(obligation.key.form_type_id),
                search_attributes.PERIOD_KEY.value_set(obligation.key.period_key),
                search_attributes.DUE_DATE.value_set(obligation.overdue_at),
                search_attributes.OBLIGATION_STATUS.value_set(self._state.status.value),
            ]
        )
        while self._state.status != ObligationStatus.ACCEPTED:
            checked = await self._next_checked_submission(obligation)
            if checked is None:
                self._set_status(
                    ObligationStatus.OVERDUE, "Due date passed without an accepted return"
                )
                continue
            self._decided_version = checked.version
            if checked.all_accepted:
                await self._acknowledge(obligation, checked)
            else:
                await self._return(obligation, checked)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

    @workflow.signal(name=SIGNAL_SUBMISSION_RECEIVED)
    def submission_received(self, received: SubmissionReceived) -> None:
        if self._accepting:
            return
        if received.version > max(self._decided_version, self._state.version or 0):
            self._state.submission_id = received.submission_id
            self._state.version = received.version
            self._set_status(ObligationStatus.SUBMITTED, f"Version {received.version} received")

    @workflow.signal(name=SIGNAL_RECEIPTS_CHECKED)
    def receipts_checked(self, checked: ReceiptsCheckedSignal) -> None:
        # Redelivered or stale results (an older version than one already decided) are ignored,
        # and so is anything once a version is being accepted: acceptance is final.
        if self._accepting or checked.version <= self._decided_version:
            return
        if self._checked is None or checked.version > self._checked.version:
            self._checked = checked
            self._state.submission_id = checked.submission_id
            self._state.version = checked.version
            self._set_status(ObligationStatus.CHECKING, f"Version {checked.version} checked")

    @workflow.query(name=QUERY_STATE)
    def state(self) -> ObligationState:
        return self._state

    async def _next_checked_submission(
        self, obligation: ObligationInput
    ) -> ReceiptsCheckedSignal | None:
        """The next checked submission, or None when the due date passes with nothing
        received. A version received in time is not late while it is being checked."""
        if not self._overdue and not self._received_undecided():
            until_due = obligation.overdue_at - workflow.now()
            try:
                if until_due <= timedelta(0):
                    raise TimeoutError
                await workflow.wait_condition(self._received_undecided, timeout=until_due)
            except TimeoutError:
                self._overdue = True
                return None
        await workflow.wait_condition(lambda: self._checked is not None)
        checked, self._checked = self._checked, None
        assert checked is not None
        return checked

    def _received_undecided(self) -> bool:
        return self._checked is not None or (self._state.version or 0) > self._decided_version

    async def _acknowledge(
        self, obligation: ObligationInput, checked: ReceiptsCheckedSignal
    ) -> None:
        acknowledgement = Acknowledgement(
            reference=acknowledgement_reference(
                obligation.obligation_id, checked.submission_id, checked.version
            ),
            submission_id=checked.submission_id,
            version=checked.version,
            submission_sha256=checked.submission_sha256,
            processed_at=workflow.now(),
        )
        await workflow.execute_activity_method(
            ObligationActivities.publish_acknowledgement,
            AcknowledgementNotice(obligation=obligation, acknowledgement=acknowledgement),
            start_to_close_timeout=PUBLISH_TIMEOUT,
            retry_policy=PUBLISH_RETRY,
        )
        self._state.acknowledgement = acknowledgement
        self._state.submission_id = checked.submission_id
        self._state.version = checked.version
        self._set_status(
            ObligationStatus.ACCEPTED,
            f"Version {checked.version} accepted: {acknowledgement.reference}",
        )

    async def _return(self, obligation: ObligationInput, checked: ReceiptsCheckedSignal) -> None:
        await workflow.execute_activity_method(
            ObligationActivities.publish_return,
            ReturnNotice(obligation=obligation, checked=checked, returned_at=workflow.now()),
            start_to_close_timeout=PUBLISH_TIMEOUT,
            retry_policy=PUBLISH_RETRY,
        )
        problems = len(checked.submission_reasons) + sum(not r.accepted for r in checked.receipts)
        self._set_status(
            ObligationStatus.RETURNED,
            f"Version {checked.version} returned with {problems} problem(s)",
        )

    def _set_status(self, status: ObligationStatus, detail: str) -> None:
        self._record(status, detail)
        workflow.upsert_search_attributes(
            [search_attributes.OBLIGATION_STATUS.value_set(status.value)]
        )

    def _record(self, status: ObligationStatus, detail: str) -> None:
        self._state.status = status
        self._state.history.append(HistoryEntry(at=workflow.now(), status=status, detail=detail))
