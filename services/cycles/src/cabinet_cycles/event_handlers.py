"""The bridge from Kafka to the obligation workflows, the obligation read model, and the
audit chain (every status change is appended to its quarter's hash chain).

Each event about an obligation is delivered to its workflow with signal-with-start on the
business-key workflow id, so a replayed event or a repeated start never makes a second
cycle; the workflow itself ignores signals it has already handled."""

import contextlib
import json
from datetime import UTC

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
    ReceiptOutcome,
    ReceiptsCheckedSignal,
    SubmissionReceived,
)
from cabinet_common.reasons import to_model
from cabinet_cycles.audit import events as audit_events
from cabinet_cycles.audit import store as audit_store
from cabinet_cycles.quarters import workflow_input
from cabinet_cycles.tables import AcknowledgementDocument, Obligation, ObligationHistory


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
            Topic.FORM_SUBMITTED: self.on_form_submitted,
            Topic.RECEIPTS_CHECKED: self.on_receipts_checked,
            Topic.OBLIGATION_STATUS_CHANGED: self.on_status_changed,
            Topic.ACKNOWLEDGEMENT_ISSUED: self.on_acknowledgement_issued,
        }

    async def on_form_submitted(self, session: AsyncSession, event: Event) -> None:
        submitted = event.payload_as(submissions_pb2.FormSubmitted)
        obligation = await _obligation(session, submitted.obligation.obligation_id)
        signal = SubmissionReceived(
            submission_id=submitted.submission_id, version=submitted.version
        )
        await self._signal(obligation, SIGNAL_SUBMISSION_RECEIVED, signal)
        obligation.submission_id = submitted.submission_id

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
        await self._signal(obligation, SIGNAL_RECEIPTS_CHECKED, signal)

    async def on_status_changed(self, session: AsyncSession, event: Event) -> None:
        changed = event.payload_as(obligations_pb2.ObligationStatusChanged)
        obligation = await _obligation(session, changed.obligation.obligation_id)
        if changed.sequence > obligation.status_sequence:
            obligation.status = changed.to_status
            obligation.status_sequence = changed.sequence
        await audit_store.append(session, *audit_events.status_change(event))
        session.add(
            ObligationHistory(
                obligation_id=obligation.obligation_id,
                sequence=changed.sequence,
                at=changed.changed_at.ToDatetime(tzinfo=UTC),
                status=changed.to_status,
                actor=changed.actor,
                detail=changed.reason,
            )
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

    async def _signal(self, obligation: Obligation, signal: str, argument: BaseModel) -> None:
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
                start_signal_args=[argument],
            )


async def _obligation(session: AsyncSession, obligation_id: str) -> Obligation:
    obligation = await session.get(Obligation, obligation_id)
    if obligation is None:
        raise PermanentError(f"unknown obligation {obligation_id}")
    return obligation
