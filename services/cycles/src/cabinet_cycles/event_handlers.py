"""The bridge from Kafka to the obligation workflows, the obligation read model, and the
audit chain (every status change is appended to its quarter's hash chain).

Each event about an obligation is delivered to its workflow with signal-with-start on the
business-key workflow id, so a replayed event or a repeated start never makes a second
cycle; the workflow itself ignores signals it has already handled (by submission id and
version). That makes the call idempotent, so it runs with no database transaction open
(CallThenRecord): read the obligation, signal, then record the event as processed. A crash
in between signals again on redelivery, which the workflow drops."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC

import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from cabinet.obligations.v1 import events_pb2 as obligations_pb2
from cabinet.receipts.v1 import events_pb2 as receipts_pb2
from cabinet.submissions.v1 import events_pb2 as submissions_pb2
from cabinet_common.events import Event, Topic
from cabinet_common.messaging.consumer import AnyHandler, CallThenRecord, PermanentError
from cabinet_common.obligation_workflow import (
    CHANNEL_ONLINE,
    SIGNAL_RECEIPTS_CHECKED,
    SIGNAL_SUBMISSION_RECEIVED,
    ReceiptOutcome,
    ReceiptsCheckedSignal,
    SubmissionReceived,
)
from cabinet_common.observability.tracing import current_trace_headers
from cabinet_common.reasons import to_model
from cabinet_common.signing import Signer, SigningKeyError
from cabinet_common.temporal import refusal_is_permanent
from cabinet_cycles.acknowledgements import acknowledgement_body, signed_document
from cabinet_cycles.audit import events as audit_events
from cabinet_cycles.audit import store as audit_store
from cabinet_cycles.quarters import start_obligation_workflow
from cabinet_cycles.tables import AcknowledgementDocument, Obligation, ObligationHistory

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Signal:
    """What to deliver to an obligation's workflow, read before the call."""

    obligation: Obligation
    name: str
    argument: SubmissionReceived | ReceiptsCheckedSignal


def acknowledgement_document(
    issued: obligations_pb2.AcknowledgementIssued, signer: Signer | None = None
) -> bytes:
    """The acknowledgement as the filer receives it: canonical JSON, signed with Ed25519
    when a key is configured, fixed once issued (see acknowledgements.py)."""
    return signed_document(acknowledgement_body(issued), signer)


class CyclesEventHandlers:
    def __init__(
        self,
        client: Client,
        task_queue: str,
        signer: Callable[[], Signer] | None = None,
    ) -> None:
        self._client = client
        self._task_queue = task_queue
        self._signer = signer

    def by_topic(self) -> dict[Topic, AnyHandler]:
        return {
            Topic.FORM_SUBMITTED: CallThenRecord(
                self.form_submitted_signal, self.deliver, self.record_submission
            ),
            Topic.RECEIPTS_CHECKED: CallThenRecord(self.receipts_checked_signal, self.deliver),
            Topic.OBLIGATION_STATUS_CHANGED: self.on_status_changed,
            Topic.ACKNOWLEDGEMENT_ISSUED: self.on_acknowledgement_issued,
        }

    async def form_submitted_signal(self, session: AsyncSession, event: Event) -> Signal:
        submitted = event.payload_as(submissions_pb2.FormSubmitted)
        obligation = await _obligation(session, submitted.obligation.obligation_id)
        signal = SubmissionReceived(
            submission_id=submitted.submission_id,
            version=submitted.version,
            # Empty from producers older than the paper channel: those were all online.
            channel=submitted.channel or CHANNEL_ONLINE,
            keyed_by=submitted.keyed_by or None,
        )
        return Signal(obligation, SIGNAL_SUBMISSION_RECEIVED, signal)

    async def record_submission(self, session: AsyncSession, delivered: Signal) -> None:
        obligation = await _obligation(session, delivered.obligation.obligation_id)
        obligation.submission_id = delivered.argument.submission_id

    async def receipts_checked_signal(self, session: AsyncSession, event: Event) -> Signal:
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
                    flags=[to_model(flag) for flag in r.flags],
                )
                for r in checked.receipts
            ],
            submission_reasons=[to_model(reason) for reason in checked.submission_reasons],
            trace_context=current_trace_headers(),
        )
        return Signal(obligation, SIGNAL_RECEIPTS_CHECKED, signal)

    async def deliver(self, signal: Signal) -> None:
        with refusal_is_permanent():
            await start_obligation_workflow(
                self._client, self._task_queue, signal.obligation, signal.name, signal.argument
            )

    async def on_status_changed(self, session: AsyncSession, event: Event) -> None:
        changed = event.payload_as(obligations_pb2.ObligationStatusChanged)
        obligation = await _obligation(session, changed.obligation.obligation_id, lock=True)
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
                reasons=[to_model(r).model_dump() for r in changed.reasons],
            )
        )

    async def on_acknowledgement_issued(self, session: AsyncSession, event: Event) -> None:
        issued = event.payload_as(obligations_pb2.AcknowledgementIssued)
        obligation = await _obligation(session, issued.obligation.obligation_id, lock=True)
        # Signed and stored once, in the same transaction as the processed-event row: a
        # crash before the commit stores nothing and the redelivery makes the same bytes
        # (Ed25519 signatures are deterministic); after it, the stored bytes are final.
        if await session.get(AcknowledgementDocument, obligation.obligation_id) is None:
            session.add(
                AcknowledgementDocument(
                    obligation_id=obligation.obligation_id,
                    reference=issued.reference,
                    document=acknowledgement_document(issued, self._configured_signer()),
                )
            )

    def _configured_signer(self) -> Signer | None:
        if self._signer is None:
            return None
        try:
            return self._signer()
        except SigningKeyError:
            log.warning("no signing key: acknowledgement stored unsigned")
            return None


async def _obligation(session: AsyncSession, obligation_id: str, lock: bool = False) -> Obligation:
    """The obligation; with lock, its row locked until the transaction ends, for a handler
    that reads it and then writes it or rows that hang from it (status changes of one
    obligation met by two consumers after a rebalance take turns)."""
    obligation = await session.get(Obligation, obligation_id, with_for_update=lock)
    if obligation is None:
        raise PermanentError(f"unknown obligation {obligation_id}")
    return obligation
