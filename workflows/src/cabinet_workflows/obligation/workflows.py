"""One long-running workflow per obligation, for the whole life of its quarter.

It waits for checked submissions and returns or acknowledges them; races durable timers
for the reminder ladder, the due date and escalation against them; takes caseworker
decisions as validated updates; and ends when the quarter closes. Every status change is
recorded (who, when, why) and published for the audit trail."""

import asyncio
import contextlib
import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from cabinet.common.v1 import types_pb2
    from cabinet_common import references, search_attributes
    from cabinet_common.obligation_workflow import (
        CHANNEL_ONLINE,
        QUERY_STATE,
        SETTLED,
        SIGNAL_RECEIPTS_CHECKED,
        SIGNAL_SUBMISSION_RECEIVED,
        SYSTEM_ACTOR,
        UPDATE_ACCEPT,
        UPDATE_CLOSE,
        UPDATE_EXTEND,
        UPDATE_RETURN,
        UPDATE_WAIVE,
        WORKFLOW_TYPE,
        AcceptAction,
        Acknowledgement,
        CloseRequest,
        ExtendAction,
        HistoryEntry,
        ObligationInput,
        ObligationOutcome,
        ObligationState,
        ObligationStatus,
        ReasonModel,
        ReceiptOutcome,
        ReceiptsCheckedSignal,
        ReturnAction,
        SubmissionReceived,
        WaiveAction,
        received_how,
    )
    from cabinet_workflows.obligation.activities import ObligationActivities
    from cabinet_workflows.obligation.models import (
        AcknowledgementNotice,
        ReminderNotice,
        ReturnNotice,
        StatusChange,
        StatusChanges,
    )

PUBLISH_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)
PUBLISH_TIMEOUT = timedelta(seconds=30)
# Not yet filed (or filed wrongly): the states in which reminders are sent.
AWAITING_FILING = frozenset(
    {
        ObligationStatus.OPEN,
        ObligationStatus.RETURNED,
        ObligationStatus.OVERDUE,
        ObligationStatus.ESCALATED,
    }
)


# Acknowledgement references end in a Luhn check digit from this change on; histories
# recorded before it replay with the reference they issued then.
PATCH_CHECK_DIGIT_REFERENCE = "reference-check-digit"
PATCH_DUE_DAY_SEARCH_ATTRIBUTE = "due-day-search-attribute"


def acknowledgement_reference(obligation_id: str, submission_id: str, version: int) -> str:
    """12 digits, the last a Luhn check digit, derived from what was accepted, so a replay
    or retry gives the same number (cabinet_common.references)."""
    return references.acknowledgement_reference(obligation_id, submission_id, version)


def legacy_acknowledgement_reference(obligation_id: str, submission_id: str, version: int) -> str:
    """The 12 digits (no check digit) issued before PATCH_CHECK_DIGIT_REFERENCE."""
    digest = hashlib.sha256(f"{obligation_id}:{submission_id}:{version}".encode()).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**12:012d}"


@workflow.defn(name=WORKFLOW_TYPE)
class ObligationWorkflow:
    @workflow.init
    def __init__(self, obligation: ObligationInput) -> None:
        # Runs before a signal-with-start's signal is handled, so "opened" is always first.
        self._obligation = obligation
        self._deadlines = obligation.deadlines
        self._state = ObligationState(
            status=ObligationStatus.OPEN, due_date=obligation.deadlines.due_date
        )
        self._unpublished: list[StatusChange] = []
        self._checked: ReceiptsCheckedSignal | None = None
        self._last_checked: ReceiptsCheckedSignal | None = None
        self._decided_version = 0
        self._received_at: dict[int, datetime] = {}
        # How each version arrived (online, or on paper keyed in by whom), by version.
        self._arrivals: dict[int, SubmissionReceived] = {}
        self._overdue = False
        self._escalated = False
        self._close_requested = False
        # The trace context of the checked filing being decided (empty otherwise): what
        # the decision publishes joins that filing's trace.
        self._trace_context: dict[str, str] = {}
        self._lock = asyncio.Lock()
        self._record(ObligationStatus.OPEN, "Obligation opened")

    @workflow.run
    async def run(self, obligation: ObligationInput) -> ObligationOutcome:
        workflow.upsert_search_attributes(
            [
                search_attributes.DEPARTMENT.value_set(obligation.key.department_id),
                search_attributes.FORM_TYPE.value_set(obligation.key.form_type_id),
                search_attributes.PERIOD_KEY.value_set(obligation.key.period_key),
                search_attributes.DUE_DATE.value_set(self._due_date_attribute()),
                search_attributes.OBLIGATION_STATUS.value_set(self._state.status.value),
            ]
        )
        while True:
            await self._wait_for_work()
            async with self._lock:
                await self._act_on_deadlines()
                if self._checked is not None:
                    checked, self._checked = self._checked, None
                    self._trace_context = checked.trace_context
                    await self._decide(checked)
                await self._publish_changes()
                self._trace_context = {}
            if self._close_requested:
                break
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._outcome()

    # Events from the other services, through the cycles bridge.

    @workflow.signal(name=SIGNAL_SUBMISSION_RECEIVED)
    def submission_received(self, received: SubmissionReceived) -> None:
        if self._settled:
            return
        # Kept even when the version's check came first, for its acknowledgement to say.
        self._arrivals.setdefault(received.version, received)
        if received.version <= max(self._decided_version, self._state.version or 0):
            return
        self._received_at.setdefault(received.version, workflow.now())
        self._state.submission_id = received.submission_id
        self._state.version = received.version
        how = received_how(received.channel, received.keyed_by)
        self._set_status(
            ObligationStatus.SUBMITTED,
            f"Version {received.version} received" + (f" {how}" if how else ""),
        )

    @workflow.signal(name=SIGNAL_RECEIPTS_CHECKED)
    def receipts_checked(self, checked: ReceiptsCheckedSignal) -> None:
        # Redelivered or stale results (an older version than one already decided) are
        # ignored, and so is anything once the obligation is settled.
        if self._settled or checked.version <= self._decided_version:
            return
        if self._checked is None or checked.version > self._checked.version:
            self._received_at.setdefault(checked.version, workflow.now())
            self._checked = checked
            self._state.submission_id = checked.submission_id
            self._state.version = checked.version
            self._set_status(ObligationStatus.CHECKING, f"Version {checked.version} checked")

    @workflow.query(name=QUERY_STATE)
    def state(self) -> ObligationState:
        return self._state

    # Caseworker decisions: validated updates, each recorded with who and why.

    @workflow.update(name=UPDATE_ACCEPT)
    async def accept(self, action: AcceptAction) -> ObligationState:
        async with self._lock:
            self._recheck(self._validate_accept, action)
            checked = self._checked or self._last_checked
            assert checked is not None  # the validator guarantees it
            self._checked = None
            await self._acknowledge(checked, action.actor, action.reason)
            await self._publish_changes()
        return self._state

    @accept.validator
    def _validate_accept(self, action: AcceptAction) -> None:
        self._require_unsettled()
        if self._checked is None and self._last_checked is None:
            raise ValueError("There is no checked submission to accept")

    @workflow.update(name=UPDATE_RETURN)
    async def return_submission(self, action: ReturnAction) -> ObligationState:
        async with self._lock:
            self._recheck(self._validate_return, action)
            version = self._state.version or 0
            self._checked = None
            returned = [
                ReceiptOutcome(receipt_id=r.receipt_id, accepted=False, reasons=r.reasons)
                for r in action.receipts
            ]
            await self._return(
                version, action.reasons, returned, action.actor, action.reason, self._submission_id
            )
            await self._publish_changes()
        return self._state

    @return_submission.validator
    def _validate_return(self, action: ReturnAction) -> None:
        self._require_unsettled()
        version = self._state.version
        if not version:
            raise ValueError("There is no submission to return")
        known = types_pb2.ReasonCode.keys()
        reasons = [*action.reasons, *(r for receipt in action.receipts for r in receipt.reasons)]
        unknown = [
            r.code
            for r in reasons
            if r.code == "UNSPECIFIED" or f"REASON_CODE_{r.code}" not in known
        ]
        if unknown:
            raise ValueError(f"Unknown reason code(s): {', '.join(dict.fromkeys(unknown))}")
        if not action.receipts:
            return
        receipt_ids = self._checked_receipt_ids(version)
        if receipt_ids is None:
            raise ValueError(
                f"Version {version} has not been checked yet, so its receipts are not known: "
                "return it with reasons about the whole submission"
            )
        if strangers := [r.receipt_id for r in action.receipts if r.receipt_id not in receipt_ids]:
            raise ValueError(
                f"Not a receipt of version {version}, the one being returned: "
                + ", ".join(strangers)
            )

    @workflow.update(name=UPDATE_WAIVE)
    async def waive(self, action: WaiveAction) -> ObligationState:
        async with self._lock:
            self._recheck(self._validate_waive, action)
            self._checked = None
            self._set_status(ObligationStatus.WAIVED, action.reason, action.actor)
            await self._publish_changes()
        return self._state

    @waive.validator
    def _validate_waive(self, action: WaiveAction) -> None:
        self._require_unsettled()

    @workflow.update(name=UPDATE_EXTEND)
    async def extend_due_date(self, action: ExtendAction) -> ObligationState:
        async with self._lock:
            self._recheck(self._validate_extend, action)
            previous = self._deadlines.due_date
            self._deadlines = action.deadlines
            self._state.due_date = action.deadlines.due_date
            workflow.upsert_search_attributes(
                [search_attributes.DUE_DATE.value_set(self._due_date_attribute())]
            )
            now = workflow.now()
            self._overdue = self._overdue and now >= self._deadlines.overdue_at
            self._escalated = self._escalated and now >= self._deadlines.escalate_at
            detail = f"Due date extended from {previous} to {action.deadlines.due_date}"
            status = self._state.status
            if status in (ObligationStatus.OVERDUE, ObligationStatus.ESCALATED):
                status = (
                    ObligationStatus.RETURNED if self._decided_version else ObligationStatus.OPEN
                )
            self._set_status(status, f"{detail}: {action.reason}", action.actor)
            await self._publish_changes()
        return self._state

    @extend_due_date.validator
    def _validate_extend(self, action: ExtendAction) -> None:
        self._require_unsettled()
        if action.deadlines.due_date <= self._deadlines.due_date:
            raise ValueError(
                f"The new due date must be after the current one ({self._deadlines.due_date})"
            )

    @workflow.update(name=UPDATE_CLOSE)
    async def close(self, request: CloseRequest) -> ObligationOutcome:
        """The quarter is closing: settle as closed unless already settled, then end."""
        async with self._lock:
            if not self._settled:
                self._checked = None
                self._set_status(
                    ObligationStatus.CLOSED,
                    "Quarter closed without an accepted return",
                    request.actor,
                )
            await self._publish_changes()
            self._close_requested = True
        return self._outcome()

    # The workflow's own decisions.

    async def _wait_for_work(self) -> None:
        undecided = self._received_undecided()

        def has_work() -> bool:
            return (
                self._checked is not None
                or self._close_requested
                or bool(self._unpublished)
                or self._received_undecided() != undecided
            )

        next_deadline = self._next_deadline()
        if next_deadline is None:
            await workflow.wait_condition(has_work)
            return
        remaining = next_deadline - workflow.now()
        if remaining <= timedelta(0):
            return
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(has_work, timeout=remaining)

    def _next_deadline(self) -> datetime | None:
        if self._settled:
            return None
        pending = [
            r.at
            for r in self._deadlines.reminders
            if self._reminder_pending(r.days_relative_to_due, r.at)
        ]
        if self._received_undecided():
            pass  # not late while being checked: the decision wakes the loop
        elif not self._overdue:
            pending.append(self._deadlines.overdue_at)
        elif not self._escalated:
            pending.append(self._deadlines.escalate_at)
        return min(pending, default=None)

    def _reminder_pending(self, days: int, at: datetime) -> bool:
        """Rungs already past when the obligation was opened are not sent, except the
        latest of them: a late-opened obligation gets one reminder, not a flood."""
        if days in self._state.reminders_sent:
            return False
        opened_at = self._obligation_opened_at
        passed = [r.at for r in self._deadlines.reminders if r.at < opened_at]
        return at >= opened_at or at == max(passed)

    async def _act_on_deadlines(self) -> None:
        if self._settled:
            return
        now = workflow.now()
        for reminder in self._deadlines.reminders:
            days = reminder.days_relative_to_due
            if reminder.at <= now and self._reminder_pending(days, reminder.at):
                self._state.reminders_sent.append(days)
                if self._state.status in AWAITING_FILING:
                    await self._send_reminder(days, now)
        if self._received_undecided():
            return  # received in time: not late while it is being checked
        if not self._overdue and now >= self._deadlines.overdue_at:
            self._overdue = True
            self._set_status(ObligationStatus.OVERDUE, "Due date passed without an accepted return")
        if self._overdue and not self._escalated and now >= self._deadlines.escalate_at:
            self._escalated = True
            self._set_status(
                ObligationStatus.ESCALATED, "Still not filed: escalated to the caseworker queue"
            )

    async def _decide(self, checked: ReceiptsCheckedSignal) -> None:
        if checked.all_accepted and checked.flags:
            # Flagged (e.g. a possible duplicate): held in "checking" for a caseworker, who
            # accepts or returns it; it is in the caseworker queue meanwhile.
            self._last_checked = checked
            self._set_status(
                ObligationStatus.CHECKING,
                f"Version {checked.version} held for a caseworker: "
                + "; ".join(flag.message for flag in checked.flags),
                reasons=checked.flags,
                submission_version=checked.version,
            )
            return
        if checked.all_accepted:
            await self._acknowledge(checked, SYSTEM_ACTOR, "Every receipt passed the checks")
        else:
            returned = [r for r in checked.receipts if not r.accepted]
            await self._return(
                checked.version,
                checked.submission_reasons,
                returned,
                SYSTEM_ACTOR,
                "; ".join(
                    [r.message for r in checked.submission_reasons]
                    + [f"receipt {x.receipt_id}: {r.message}" for x in returned for r in x.reasons]
                ),
                checked.submission_id,
            )
        self._last_checked = checked

    async def _acknowledge(self, checked: ReceiptsCheckedSignal, actor: str, reason: str) -> None:
        self._decided_version = checked.version
        make_reference = (
            acknowledgement_reference
            if workflow.patched(PATCH_CHECK_DIGIT_REFERENCE)
            else legacy_acknowledgement_reference
        )
        # How the version arrived; online if its FormSubmitted was never heard of here.
        arrival = self._arrivals.get(checked.version)
        acknowledgement = Acknowledgement(
            reference=make_reference(
                self._obligation.obligation_id, checked.submission_id, checked.version
            ),
            submission_id=checked.submission_id,
            version=checked.version,
            submission_sha256=checked.submission_sha256,
            processed_at=workflow.now(),
            channel=arrival.channel if arrival else CHANNEL_ONLINE,
            keyed_by=arrival.keyed_by if arrival else None,
        )
        # Settle first: signals and updates arriving while the activity runs are refused.
        self._state.acknowledgement = acknowledgement
        self._state.submission_id = checked.submission_id
        self._state.version = checked.version
        self._set_status(
            ObligationStatus.ACCEPTED,
            f"Version {checked.version} accepted ({reason}): {acknowledgement.reference}",
            actor,
            submission_version=checked.version,
        )
        await workflow.execute_activity_method(
            ObligationActivities.publish_acknowledgement,
            summary=f"Publish acknowledgement {acknowledgement.reference} of version "
            f"{checked.version}",
            arg=AcknowledgementNotice(
                obligation=self._obligation,
                acknowledgement=acknowledgement,
                trace_context=self._trace_context,
            ),
            start_to_close_timeout=PUBLISH_TIMEOUT,
            retry_policy=PUBLISH_RETRY,
        )

    async def _return(
        self,
        version: int,
        reasons: list[ReasonModel],
        returned_receipts: list[ReceiptOutcome],
        actor: str,
        summary: str,
        submission_id: str,
    ) -> None:
        self._decided_version = max(self._decided_version, version)
        self._set_status(
            ObligationStatus.RETURNED,
            f"Version {version} returned: {summary}",
            actor,
            reasons=[*reasons, *(r for receipt in returned_receipts for r in receipt.reasons)],
            submission_version=version,
        )
        await workflow.execute_activity_method(
            ObligationActivities.publish_return,
            summary=f"Publish the return of version {version}",
            arg=ReturnNotice(
                obligation=self._obligation,
                submission_id=submission_id,
                version=version,
                reasons=reasons,
                returned_receipts=returned_receipts,
                returned_at=workflow.now(),
                trace_context=self._trace_context,
            ),
            start_to_close_timeout=PUBLISH_TIMEOUT,
            retry_policy=PUBLISH_RETRY,
        )

    async def _send_reminder(self, days: int, now: datetime) -> None:
        await workflow.execute_activity_method(
            ObligationActivities.send_reminder,
            summary=f"Send the reminder {days} days from the due date",
            arg=ReminderNotice(
                obligation=self._obligation,
                due_date=self._deadlines.due_date,
                days_relative_to_due=days,
                sent_at=now,
            ),
            start_to_close_timeout=PUBLISH_TIMEOUT,
            retry_policy=PUBLISH_RETRY,
        )

    async def _publish_changes(self) -> None:
        if not self._unpublished:
            return
        changes, self._unpublished = self._unpublished, []
        await workflow.execute_activity_method(
            ObligationActivities.publish_status_changes,
            summary=f"Publish {len(changes)} status change(s) for the audit trail",
            arg=StatusChanges(
                obligation=self._obligation, changes=changes, trace_context=self._trace_context
            ),
            start_to_close_timeout=PUBLISH_TIMEOUT,
            retry_policy=PUBLISH_RETRY,
        )

    # State bookkeeping.

    @property
    def _settled(self) -> bool:
        return self._state.status in SETTLED

    @property
    def _submission_id(self) -> str:
        return self._state.submission_id or ""

    @property
    def _obligation_opened_at(self) -> datetime:
        return self._state.history[0].at

    def _checked_receipt_ids(self, version: int) -> set[str] | None:
        """The receipts of `version` as its check reported them; None before it is checked."""
        checked = self._checked or self._last_checked
        if checked is None or checked.version != version:
            return None
        return {r.receipt_id for r in checked.receipts}

    def _received_undecided(self) -> bool:
        return self._checked is not None or (self._state.version or 0) > self._decided_version

    def _recheck(self, validate: Callable[[Any], None], action: Any) -> None:
        """Validators run when an update arrives; another decision may have settled the
        obligation while this one waited for the lock."""
        try:
            validate(action)
        except ValueError as err:
            raise ApplicationError(str(err), type="ValueError", non_retryable=True) from err

    def _due_date_attribute(self) -> datetime:
        # Histories from before the patch upserted the overdue instant (the next day).
        if workflow.patched(PATCH_DUE_DAY_SEARCH_ATTRIBUTE):
            return search_attributes.due_date_value(self._deadlines.due_date)
        return self._deadlines.overdue_at

    def _require_unsettled(self) -> None:
        if self._settled:
            raise ValueError(f"The obligation is already {self._state.status.value}")

    def _outcome(self) -> ObligationOutcome:
        accepted = self._state.acknowledgement
        on_time = accepted is not None and (
            self._received_at.get(accepted.version, accepted.processed_at)
            < self._deadlines.overdue_at
        )
        return ObligationOutcome(
            status=self._state.status,
            on_time=on_time,
            submission_version=accepted.version if accepted else self._state.version,
        )

    def _set_status(
        self,
        status: ObligationStatus,
        detail: str,
        actor: str = SYSTEM_ACTOR,
        reasons: list[ReasonModel] | None = None,
        submission_version: int | None = None,
    ) -> None:
        previous = self._state.status
        self._record(status, detail, actor, reasons, submission_version, previous)
        workflow.upsert_search_attributes(
            [search_attributes.OBLIGATION_STATUS.value_set(status.value)]
        )

    def _record(
        self,
        status: ObligationStatus,
        detail: str,
        actor: str = SYSTEM_ACTOR,
        reasons: list[ReasonModel] | None = None,
        submission_version: int | None = None,
        previous: ObligationStatus | None = None,
    ) -> None:
        now = workflow.now()
        self._state.status = status
        self._state.history.append(HistoryEntry(at=now, status=status, detail=detail, actor=actor))
        # The Temporal UI's "current details": a query answer, not history, so replay-safe.
        workflow.set_current_details(
            f"**Status:** {status.value}\n\n**Last decision:** {detail}\n\n"
            f"**By:** {actor}, {now:%-d %b %Y %H:%M} UTC"
        )
        self._unpublished.append(
            StatusChange(
                sequence=len(self._state.history),
                from_status=previous,
                to_status=status,
                actor=actor,
                reason=detail,
                reasons=reasons or [],
                submission_version=submission_version or self._state.version,
                changed_at=now,
            )
        )
