"""Activities of the obligation workflow: they announce its decisions on Kafka.

Event ids are derived from the obligation and the submission version, so a retried
activity republishes the same event and consumers drop the repeat."""

import uuid

from aiokafka import AIOKafkaProducer
from google.protobuf.timestamp_pb2 import Timestamp
from temporalio import activity

from cabinet.common.v1 import types_pb2
from cabinet.obligations.v1 import events_pb2
from cabinet_common.events import Event
from cabinet_common.messaging.kafka import publish
from cabinet_common.obligation_workflow import ObligationInput
from cabinet_common.reasons import to_proto
from cabinet_workflows.obligation.models import AcknowledgementNotice, ReturnNotice

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


def _event_id(obligation_id: str, what: str, version: int) -> str:
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{obligation_id}:{what}:{version}"))


class ObligationActivities:
    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    @activity.defn(name="publish_acknowledgement")
    async def publish_acknowledgement(self, notice: AcknowledgementNotice) -> None:
        ack = notice.acknowledgement
        processed_at = Timestamp()
        processed_at.FromDatetime(ack.processed_at)
        payload = events_pb2.AcknowledgementIssued(
            obligation=_ref(notice.obligation),
            submission_id=ack.submission_id,
            version=ack.version,
            reference=ack.reference,
            processed_at=processed_at,
            submission_sha256=ack.submission_sha256,
        )
        obligation_id = notice.obligation.obligation_id
        await publish(
            self._producer,
            Event(
                payload=payload,
                key=obligation_id,
                source=SOURCE,
                id=_event_id(obligation_id, "acknowledgement", ack.version),
                time=ack.processed_at,
            ),
        )

    @activity.defn(name="publish_return")
    async def publish_return(self, notice: ReturnNotice) -> None:
        checked = notice.checked
        returned_at = Timestamp()
        returned_at.FromDatetime(notice.returned_at)
        payload = events_pb2.SubmissionReturned(
            obligation=_ref(notice.obligation),
            submission_id=checked.submission_id,
            version=checked.version,
            reasons=[to_proto(r) for r in checked.submission_reasons],
            returned_receipts=[
                events_pb2.ReturnedReceipt(
                    receipt_id=receipt.receipt_id, reasons=[to_proto(r) for r in receipt.reasons]
                )
                for receipt in checked.receipts
                if not receipt.accepted
            ],
            returned_at=returned_at,
        )
        obligation_id = notice.obligation.obligation_id
        await publish(
            self._producer,
            Event(
                payload=payload,
                key=obligation_id,
                source=SOURCE,
                id=_event_id(obligation_id, "return", checked.version),
                time=notice.returned_at,
            ),
        )
