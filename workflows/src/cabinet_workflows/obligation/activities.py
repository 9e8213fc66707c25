"""Activities of the obligation workflow: they announce its decisions on Kafka and send
reminders. Event ids come from the obligation and what happened, so a retried activity
republishes the same event and consumers drop the repeat."""

import uuid
from datetime import datetime
from email.message import EmailMessage

from aiokafka import AIOKafkaProducer
from google.protobuf.message import Message
from opentelemetry.trace import SpanKind
from temporalio import activity

from cabinet.common.v1 import types_pb2
from cabinet.obligations.v1 import events_pb2
from cabinet_common.events import Event, timestamp
from cabinet_common.messaging.kafka import publish
from cabinet_common.obligation_workflow import ObligationInput
from cabinet_common.observability.tracing import continued_span
from cabinet_common.reasons import to_proto
from cabinet_workflows.notifications import Notifier
from cabinet_workflows.obligation.models import (
    AcknowledgementNotice,
    ReminderNotice,
    ReturnNotice,
    StatusChanges,
)

SOURCE = "/cabinet/workflows/obligation"
_EVENT_NAMESPACE = uuid.UUID("0d8e3b6a-57c4-4a8f-a1c2-6b0f4e9d7c31")


def _ref(obligation: ObligationInput) -> types_pb2.ObligationRef:
    key = obligation.key
    return types_pb2.ObligationRef(
        obligation_id=obligation.obligation_id,
        department_id=key.department_id,
        form_type_id=key.form_type_id,
        filer_id=key.filer_id,
        period_key=key.period_key,
    )


def event_id(obligation_id: str, what: str) -> str:
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{obligation_id}:{what}"))


class ObligationActivities:
    def __init__(self, producer: AIOKafkaProducer, notifier: Notifier) -> None:
        self._producer = producer
        self._notifier = notifier

    async def _publish(
        self,
        obligation: ObligationInput,
        payload: Message,
        what: str,
        at: datetime,
        trace_context: dict[str, str] | None = None,
    ) -> None:
        obligation_id = obligation.obligation_id
        event = Event(
            payload=payload,
            key=obligation_id,
            source=SOURCE,
            id=event_id(obligation_id, what),
            time=at,
        )
        if not trace_context:
            await publish(self._producer, event)
            return
        # The event belongs to the filing's trace, not the workflow's own (which began
        # when the quarter opened): its span continues the filing's.
        name = f"publish {event.topic.value}"
        with continued_span(
            name, trace_context, SpanKind.PRODUCER, {"cloudevents.event_id": event.id}
        ):
            await publish(self._producer, event)

    @activity.defn(name="publish_acknowledgement")
    async def publish_acknowledgement(self, notice: AcknowledgementNotice) -> None:
        ack = notice.acknowledgement
        payload = events_pb2.AcknowledgementIssued(
            obligation=_ref(notice.obligation),
            submission_id=ack.submission_id,
            version=ack.version,
            reference=ack.reference,
            processed_at=timestamp(ack.processed_at),
            submission_sha256=ack.submission_sha256,
            channel=ack.channel,
            keyed_by=ack.keyed_by or "",
        )
        await self._publish(
            notice.obligation,
            payload,
            f"acknowledgement:{ack.version}",
            ack.processed_at,
            notice.trace_context,
        )

    @activity.defn(name="publish_return")
    async def publish_return(self, notice: ReturnNotice) -> None:
        payload = events_pb2.SubmissionReturned(
            obligation=_ref(notice.obligation),
            submission_id=notice.submission_id,
            version=notice.version,
            reasons=[to_proto(r) for r in notice.reasons],
            returned_receipts=[
                events_pb2.ReturnedReceipt(
                    receipt_id=receipt.receipt_id, reasons=[to_proto(r) for r in receipt.reasons]
                )
                for receipt in notice.returned_receipts
            ],
            returned_at=timestamp(notice.returned_at),
        )
        await self._publish(
            notice.obligation,
            payload,
            f"return:{notice.version}:{notice.returned_at.isoformat()}",
            notice.returned_at,
            notice.trace_context,
        )

    @activity.defn(name="publish_status_changes")
    async def publish_status_changes(self, batch: StatusChanges) -> None:
        for change in batch.changes:
            payload = events_pb2.ObligationStatusChanged(
                obligation=_ref(batch.obligation),
                from_status=change.from_status.value if change.from_status else "",
                to_status=change.to_status.value,
                actor=change.actor,
                reason=change.reason,
                reasons=[to_proto(r) for r in change.reasons],
                submission_version=change.submission_version or 0,
                changed_at=timestamp(change.changed_at),
                sequence=change.sequence,
            )
            await self._publish(
                batch.obligation,
                payload,
                f"status:{change.sequence}",
                change.changed_at,
                batch.trace_context,
            )

    @activity.defn(name="send_reminder")
    async def send_reminder(self, notice: ReminderNotice) -> None:
        obligation = notice.obligation
        days = notice.days_relative_to_due
        await self._notifier.send(
            event_id(obligation.obligation_id, f"reminder:{days}"), reminder_message(notice)
        )
        payload = events_pb2.ReminderDue(
            obligation=_ref(obligation),
            due_date=notice.due_date.isoformat(),
            days_relative_to_due=days,
            sent_at=timestamp(notice.sent_at),
        )
        await self._publish(obligation, payload, f"reminder:{days}", notice.sent_at)


def reminder_message(notice: ReminderNotice) -> EmailMessage:
    obligation = notice.obligation
    days = notice.days_relative_to_due
    due = f"{notice.due_date:%-d %B %Y}"
    if days < 0:
        when = f"is due on {due}, in {-days} day{'s' if days != -1 else ''}"
    elif days == 0:
        when = f"is due today, {due}"
    else:
        when = f"was due on {due} and is {days} day{'s' if days != 1 else ''} late"
    message = EmailMessage()
    message["To"] = obligation.contact_email
    message["From"] = "Cabinet <no-reply@cabinet.invalid>"
    message["Subject"] = f"Your {obligation.key.period_key} return {when.split(',')[0]}"
    message["X-Cabinet-Obligation"] = obligation.obligation_id
    message["X-Cabinet-Days-Relative-To-Due"] = str(days)
    message.set_content(
        f"Your {obligation.key.form_type_id} return for {obligation.key.period_key} {when}.\n\n"
        f"Filer reference: {obligation.key.filer_id}\n"
    )
    return message
