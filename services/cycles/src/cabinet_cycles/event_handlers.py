"""The bridge from Kafka to the obligation workflows, and the obligation read model.

Each event about an obligation is delivered to its workflow with signal-with-start on the
business-key workflow id, so a replayed event or a repeated start never makes a second
cycle; the workflow itself ignores signals it has already handled."""

import contextlib
import json
from datetime import datetime

from google.protobuf.json_format import MessageToDict
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from cabinet.obligations.v1 import events_pb2 as obligations_pb2
from cabinet.receipts.v1 import events_pb2 as receipts_pb2
from cabinet.submissions.v1 import events_pb2 as submissions_pb2
from cabinet_common.events import Event, Topic
from cabinet_common.messaging.consumer import Handler, PermanentError
from cabinet_common.obligation_workflow import (
    SIGNAL_RECEIPTS_CHECKED,
    SIGNAL_SUBMISSION_RECEIVED,
    WORKFLOW_TYPE,
    ObligationInput,
    ObligationKey,
    ObligationStatus,
    ReceiptOutcome,
    ReceiptsCheckedSignal,
    SubmissionReceived,
)
from cabinet_common.reasons import to_model
from cabinet_cycles.tables import AcknowledgementDocument, Obligation, ObligationHistory

# A later step of the same version wins; a newer version wins; accepted is final.
_RANK = {
    ObligationStatus.SUBMITTED: 1,
    ObligationStatus.CHECKING: 2,
    ObligationStatus.RETURNED: 3,
    ObligationStatus.ACCEPTED: 3,
}


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
        due_date=obligation.due_date,
        overdue_at=obligation.overdue_at,
    )


def acknowledgement_document(issued: obligations_pb2.AcknowledgementIssued) -> bytes:
    """The acknowledgement as the filer receives it: canonical JSON, fixed once issued."""
    document = {
        "reference": issued.reference,
        "obligation": MessageToDict(issued.obligation, preserving_proto_field_name=True),
        "submission_id": issued.submission_id,
        "version": issued.version,
        "submission_sha256": issued.submission_sha256,
        "processed_at": issued.processed_at.ToDatetime().isoformat() + "Z",
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


class CyclesEventHandlers:
    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

    def by_topic(self) -> dict[Topic, Handler]:
        return {
            Topic.OBLIGATION_OPENED: self.on_obligation_opened,
            Topic.FORM_SUBMITTED: self.on_form_submitted,
            Topic.RECEIPTS_CHECKED: self.on_receipts_checked,
            Topic.SUBMISSION_RETURNED: self.on_submission_returned,
            Topic.ACKNOWLEDGEMENT_ISSUED: self.on_acknowledgement_issued,
        }

    async def on_obligation_opened(self, session: AsyncSession, event: Event) -> None:
        opened = event.payload_as(obligations_pb2.ObligationOpened)
        obligation = await _obligation(session, opened.obligation.obligation_id)
        await self._start(obligation)

    async def on_form_submitted(self, session: AsyncSession, event: Event) -> None:
        submitted = event.payload_as(submissions_pb2.FormSubmitted)
        obligation = await _obligation(session, submitted.obligation.obligation_id)
        signal = SubmissionReceived(
            submission_id=submitted.submission_id, version=submitted.version
        )
        await self._start(obligation, SIGNAL_SUBMISSION_RECEIVED, signal)
        obligation.submission_id = submitted.submission_id
        _advance(
            session,
            obligation,
            ObligationStatus.SUBMITTED,
            submitted.version,
            event.time,
            f"Version {submitted.version} submitted with {len(submitted.receipts)} receipt(s)",
        )

    async def on_receipts_checked(self, session: AsyncSession, event: Event) -> None:
        checked = event.payload_as(receipts_pb2.ReceiptsChecked)
        obligation = await _obligation(session, checked.obligation.obligation_id)
        signal = ReceiptsCheckedSignal(
            submission_id=checked.submission_id,
            version=checked.version,
            submission_sha256=checked.submission_sha256,
            receipts=[
                ReceiptOutcome(
                    receipt_id=r.receipt_id,
                    accepted=r.accepted,
                    reasons=[to_model(reason) for reason in r.reasons],
                )
                for r in checked.receipts
            ],
            submission_reasons=[to_model(reason) for reason in checked.submission_reasons],
        )
        await self._start(obligation, SIGNAL_RECEIPTS_CHECKED, signal)
        accepted = sum(r.accepted for r in checked.receipts)
        _advance(
            session,
            obligation,
            ObligationStatus.CHECKING,
            checked.version,
            event.time,
            f"Version {checked.version}: {accepted} of {len(checked.receipts)} receipt(s) passed"
            f" the checks, {len(checked.submission_reasons)} problem(s) with the return",
        )

    async def on_submission_returned(self, session: AsyncSession, event: Event) -> None:
        returned = event.payload_as(obligations_pb2.SubmissionReturned)
        obligation = await _obligation(session, returned.obligation.obligation_id)
        reasons = [r.message for r in returned.reasons] + [
            f"receipt {receipt.receipt_id}: {reason.message}"
            for receipt in returned.returned_receipts
            for reason in receipt.reasons
        ]
        _advance(
            session,
            obligation,
            ObligationStatus.RETURNED,
            returned.version,
            event.time,
            f"Version {returned.version} returned: " + "; ".join(reasons),
        )

    async def on_acknowledgement_issued(self, session: AsyncSession, event: Event) -> None:
        issued = event.payload_as(obligations_pb2.AcknowledgementIssued)
        obligation = await _obligation(session, issued.obligation.obligation_id)
        if await session.get(AcknowledgementDocument, obligation.obligation_id) is None:
            session.add(
                AcknowledgementDocument(
                    obligation_id=obligation.obligation_id,
                    reference=issued.reference,
                    document=acknowledgement_document(issued),
                )
            )
        _advance(
            session,
            obligation,
            ObligationStatus.ACCEPTED,
            issued.version,
            event.time,
            f"Version {issued.version} accepted; acknowledgement {issued.reference}",
        )

    async def _start(
        self, obligation: Obligation, signal: str | None = None, argument: BaseModel | None = None
    ) -> None:
        # A closed cycle (accepted) is never started again by a late event.
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await self._client.start_workflow(
                WORKFLOW_TYPE,
                workflow_input(obligation),
                id=obligation.workflow_id,
                task_queue=self._task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                start_signal=signal,
                start_signal_args=[argument] if argument is not None else [],
            )


async def _obligation(session: AsyncSession, obligation_id: str) -> Obligation:
    obligation = await session.get(Obligation, obligation_id)
    if obligation is None:
        raise PermanentError(f"unknown obligation {obligation_id}")
    return obligation


def _advance(
    session: AsyncSession,
    obligation: Obligation,
    status: ObligationStatus,
    version: int,
    at: datetime,
    detail: str,
) -> None:
    session.add(
        ObligationHistory(
            obligation_id=obligation.obligation_id, at=at, event=status, detail=detail
        )
    )
    if obligation.status == ObligationStatus.ACCEPTED:
        return  # final: a version sent while the acknowledgement was being issued changes nothing
    if (version, _RANK[status]) > (obligation.status_version, obligation.status_rank):
        obligation.status = status.value
        obligation.status_version = version
        obligation.status_rank = _RANK[status]
